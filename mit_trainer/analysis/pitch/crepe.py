"""CREPE pitch tracker (tiny/small/medium/full) run with onnxruntime.

Frames of 1024 samples at 16 kHz (64 ms), centred every ``hop_s`` (10 ms default), each normalised to zero
mean and unit variance, go through the network built by :mod:`crepe_model`. The pitch is decoded as CREPE
does: the salience-weighted average of the bin cents in the nine bins around the argmax (or around the
Viterbi path when ``viterbi=True``), converted to Hz; the confidence is the peak salience.

Speed: frames the energy gate rejects (they would be unvoiced anyway) are never run through the network;
the others are batched; onnxruntime runs with full graph optimisation and ``threads`` intra-op threads.
"""

from __future__ import annotations

import copy

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from mit_trainer.analysis.audio_input import Float32Array
from mit_trainer.analysis.pitch.base import VoicingSettings
from mit_trainer.analysis.pitch.crepe_model import (
    FRAME_LENGTH,
    GRAPH_VERSION,
    N_BINS,
    cached_model_bytes,
    weights_path,
)
from mit_trainer.analysis.pitch.framing import BoolArray, FrameStream, FrameTracker
from mit_trainer.core.records import FloatArray

#: Cents (re 10 Hz) of each of the 360 output bins.
BIN_CENTS = np.linspace(0.0, 7180.0, N_BINS) + 1997.3794084376191
#: Viterbi transition: a jump of up to 11 bins (220 cents) per frame, triangular weights (as CREPE).
_MAX_JUMP_BINS = 12
_SELF_EMISSION = 0.1


def cents_to_hz(cents: FloatArray) -> FloatArray:
    return np.asarray(10.0 * 2.0 ** (cents / 1200.0))


def local_average_cents(salience: Float32Array, center: npt.NDArray[np.int64]) -> FloatArray:
    """Salience-weighted mean of bin cents over bins ``center-4 .. center+4`` of each row."""
    idx = center[:, None] + np.arange(-4, 5)[None, :]
    valid = (idx >= 0) & (idx < N_BINS)
    idx = np.clip(idx, 0, N_BINS - 1)
    w = np.take_along_axis(salience, idx, axis=1).astype(np.float64) * valid
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(total > 0, (w * BIN_CENTS[idx]).sum(axis=1) / total, np.nan))


def viterbi_bins(salience: Float32Array) -> npt.NDArray[np.int64]:
    """Most likely bin path (CREPE's HMM: argmax observations, triangular transitions)."""
    n = salience.shape[0]
    obs = np.argmax(salience, axis=1)
    d = np.abs(np.arange(N_BINS)[:, None] - np.arange(N_BINS)[None, :])
    trans = np.maximum(_MAX_JUMP_BINS - d, 0).astype(np.float64)
    log_t = np.log(trans / trans.sum(axis=1, keepdims=True) + 1e-300)
    log_e_hit = np.log(_SELF_EMISSION + (1 - _SELF_EMISSION) / N_BINS)
    log_e_miss = np.log((1 - _SELF_EMISSION) / N_BINS)
    delta = np.full(N_BINS, log_e_miss - np.log(N_BINS))
    delta[obs[0]] = log_e_hit - np.log(N_BINS)
    back = np.zeros((n, N_BINS), dtype=np.int64)
    for t in range(1, n):
        scores = delta[:, None] + log_t
        back[t] = np.argmax(scores, axis=0)
        delta = scores[back[t], np.arange(N_BINS)] + log_e_miss
        delta[obs[t]] += log_e_hit - log_e_miss
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int(np.argmax(delta))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


class CrepeTracker(FrameTracker):
    """CREPE on onnxruntime; ``model`` is tiny, small, medium or full."""

    default_confidence = 0.5
    frame_length = FRAME_LENGTH

    def __init__(
        self,
        *,
        model: str,
        hop_s: float = 0.01,
        voicing: VoicingSettings | None = None,
        viterbi: bool = False,
        threads: int = 2,
        batch_frames: int = 128,
        gate: bool = True,
        optimize: bool = True,
    ) -> None:
        if viterbi:  # a sequence decoder: streams re-decode with context and wait for look-ahead
            self.context_frames, self.lookahead_frames, self.min_batch_frames = 30, 10, 5
        super().__init__(hop_s=hop_s, voicing=voicing)
        self.model = model
        self.name = f"crepe-{model}"
        self.viterbi = viterbi
        self.threads = threads
        self.batch_frames = max(1, batch_frames)
        self.gate = gate
        self.optimize = optimize
        self._session: ort.InferenceSession | None = None
        self._stream_twin: CrepeTracker | None = None
        _, pkg_version = weights_path(model)
        self.version = f"{pkg_version}+onnx-g{GRAPH_VERSION}" + ("+viterbi" if viterbi else "")

    def stream(self, *, sample_rate_hz: int) -> FrameStream:
        """A stream runs a few frames per call, where one intra-op thread has lower latency than two
        (thread wake-ups cost more than they save); the tracker's streams share one single-threaded
        session (built with the first stream: running a session is thread-safe)."""
        twin = self._stream_twin
        if twin is None:
            twin = copy.copy(self)
            twin.threads, twin._session, twin._stream_twin = 1, None, None
            self._stream_twin = twin
        return FrameStream(twin, sample_rate_hz=sample_rate_hz)

    def session(self) -> ort.InferenceSession:
        """The onnxruntime session, built (and the graph cached) on first use."""
        if self._session is None:
            data, _ = cached_model_bytes(self.model)
            opts = ort.SessionOptions()
            opts.graph_optimization_level = (
                ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                if self.optimize
                else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            )
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        return self._session

    def salience(self, frames: Float32Array) -> Float32Array:
        """Network output (n, 360) for raw frames (n, 1024); each frame is normalised here."""
        x = frames.astype(np.float32, copy=True)
        x -= x.mean(axis=1, keepdims=True)
        x /= np.maximum(x.std(axis=1, keepdims=True), 1e-8)
        sess = self.session()
        out = [
            sess.run(["salience"], {"frames": x[i : i + self.batch_frames]})[0]
            for i in range(0, x.shape[0], self.batch_frames)
        ]
        return np.concatenate(out) if out else np.zeros((0, N_BINS), dtype=np.float32)

    def _analyze(
        self, padded: Float32Array, n_frames: int, active: BoolArray
    ) -> tuple[FloatArray, FloatArray]:
        f0 = np.full(n_frames, np.nan)
        conf = np.zeros(n_frames)
        run = active if self.gate else np.ones(n_frames, dtype=bool)
        idx = np.flatnonzero(run)
        if idx.size == 0:
            return f0, conf
        offsets = np.arange(self.frame_length)[None, :]
        sal = np.concatenate(
            [
                self.salience(padded[idx[i : i + self.batch_frames, None] * self.hop + offsets])
                for i in range(0, idx.size, self.batch_frames)
            ]
        )
        conf[idx] = sal.max(axis=1)
        if self.viterbi:
            center = np.zeros(idx.size, dtype=np.int64)
            breaks = np.flatnonzero(np.diff(idx) > 1) + 1
            for lo, hi in zip(np.r_[0, breaks], np.r_[breaks, idx.size], strict=True):
                center[lo:hi] = viterbi_bins(sal[lo:hi])
        else:
            center = np.argmax(sal, axis=1)
        f0[idx] = cents_to_hz(local_average_cents(sal, center))
        return f0, conf
