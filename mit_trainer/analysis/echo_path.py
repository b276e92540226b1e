"""The acoustic path from loudspeaker to microphone, per frequency bin: the canceller's settings and fit.

Settings and helpers of :mod:`mit_trainer.analysis.echo` (which re-exports ``EchoSettings``): a Hann STFT
and its overlap-add inverse, and the robust ridge least-squares fit of a convolutive transfer function (a
short filter across frames in every bin).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ComplexArray = npt.NDArray[np.complex128]


@dataclass(frozen=True)
class EchoSettings:
    """Named parameters of the canceller (times in s, levels in dB, frequencies in Hz)."""

    #: Search the loudspeaker-to-microphone delay in [min_lag_s, max_lag_s] after the given offset.
    min_lag_s: float = -0.05
    max_lag_s: float = 0.35
    #: Wider search when the playback offset is not known (the clock gave no value).
    unknown_offset_lag_s: tuple[float, float] = (-1.0, 1.0)
    #: Lag search and the explained mask use this band (where voices have their energy).
    band_hz: tuple[float, float] = (80.0, 4000.0)
    #: Exponent of the PHAT weighting (1 = full phase transform, 0 = plain cross-correlation).
    phat_beta: float = 0.8
    #: STFT window and hop.
    window_s: float = 0.064
    hop_s: float = 0.016
    #: Length of the acoustic path modelled (reverberation beyond it stays in the residual).
    tail_s: float = 0.3
    #: Ridge regularisation, relative to the mean power of the played model in the bin.
    ridge: float = 1e-5
    #: Re-weighting passes (0 = plain least squares).
    robust_passes: int = 3
    #: Re-weighting: a frame's residual is compared with this fraction of its predicted leak (-5 dB)
    #: plus the bin's residual floor; above it the frame holds someone else's sound (weight ~ ratio^-2).
    robust_relative: float = 0.3
    #: The first weights compare each frame with the model's level over this span (direct + early sound)
    #: times the bin's lower-quartile gain; frames this many times (power) louder get weight 1/2.
    first_weight_span_s: float = 0.064
    first_weight_scale: float = 4.0
    #: A frame is explained when its residual is at least this far below the predicted leak ...
    explained_margin_db: float = 6.0
    #: ... or the energy above ``excess_ratio`` times the predicted leak, bin by bin, is at least
    #: ``excess_margin_db`` below the leak (magnitudes only: robust to a path fitted while a patient sang
    #: along) ...
    excess_ratio: float = 2.0
    excess_margin_db: float = 6.0
    #: Nothing is explained unless the leak was found: a clear lag peak and the subtraction cancelling
    #: (by the margin above) at least ``min_cancelled_s`` of frames. A voice singing along correlates with
    #: the model too: without leak, Festival voices in unison gave peaks of 6.9-9.5 and up to 0.42 s of
    #: "cancelled" frames; a silent patient with the model leaking in, 27-121 and nearly every frame.
    min_lag_strength: float = 11.0
    min_cancelled_s: float = 0.3
    #: ... and the predicted leak is at least this far above the residual's floor (the leak is there).
    leak_presence_db: float = 6.0
    #: Unexplained runs this short between explained frames are explained too (a leak's onset that
    #: the fit missed; a sung syllable is longer).
    fill_gap_s: float = 0.2
    #: Explained frames are attenuated by this much in the cleaned signal.
    suppress_db: float = 30.0
    #: Where the predicted leak is subtracted: ``"everywhere"``; ``"leak-heavy"`` frames only (the
    #: predicted leak within ``subtract_within_db`` of what is left: a loud voice over a faint leak is
    #: left as recorded, so a fit that took some of the voice cannot thin it); or ``"none"`` (the
    #: explained frames are only attenuated).
    subtract: str = "none"
    subtract_within_db: float = 6.0


def stft(x: FloatArray, n: int, hop: int) -> ComplexArray:
    pad = np.concatenate((np.zeros(n - hop), x, np.zeros(n)))
    frames = np.lib.stride_tricks.sliding_window_view(pad, n)[::hop]
    return np.fft.rfft(frames * np.hanning(n + 2)[1:-1], axis=1).T  # (bins, frames)


def istft(spec: ComplexArray, n: int, hop: int, length: int) -> FloatArray:
    win = np.hanning(n + 2)[1:-1]
    frames = np.fft.irfft(spec.T, n, axis=1) * win
    total = (frames.shape[0] - 1) * hop + n
    out = np.zeros(total)
    norm = np.zeros(total)
    for i, fr in enumerate(frames):
        out[i * hop : i * hop + n] += fr
        norm[i * hop : i * hop + n] += win * win
    out /= np.maximum(norm, 1e-8)
    return out[n - hop : n - hop + length]


def _delayed(x: ComplexArray, taps: int) -> ComplexArray:
    """(bins, frames, taps): x delayed by 0..taps-1 frames."""
    nb, nt = x.shape
    pad = np.concatenate((np.zeros((nb, taps - 1), dtype=x.dtype), x), axis=1)
    return np.lib.stride_tricks.sliding_window_view(pad, taps, axis=1)[:, :nt, ::-1]


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Many small products: one BLAS thread is 10-100x faster than several on a loaded 2-core machine."""
    try:
        from threadpoolctl import threadpool_limits  # installed with librosa (via scikit-learn)
    except ImportError:  # pragma: no cover - optional
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def fit_path(y: ComplexArray, x: ComplexArray, s: EchoSettings, taps: int) -> ComplexArray:
    """Predicted leak: per-bin FIR over frames fitted by robust ridge least squares, in blocks of bins."""
    with _one_blas_thread():
        return _fit_blocks(y, x, s, taps)


def _weights(ratio: FloatArray, scale: float) -> FloatArray:
    """Redescending weights: about 1 up to ``scale``, then falling as ratio^-2."""
    return np.asarray(1.0 / (1.0 + (ratio / scale) ** 2), dtype=np.float64)


def _first_weights(yb: ComplexArray, a: ComplexArray, s: EchoSettings) -> FloatArray:
    """Before any fit: frames far louder than the model's own level (times the bin's lower-quartile gain)
    hold someone else's sound (the patient singing along) and start with little weight."""
    k = max(1, min(a.shape[2], round(s.first_weight_span_s / s.hop_s)))
    near = np.sum(np.abs(a[:, :, :k]) ** 2, axis=2)
    y2 = np.abs(yb) ** 2
    floor = 1e-6 * (np.max(near, axis=1, keepdims=True) + 1e-30)
    ratio = y2 / (near + floor)
    gain = np.percentile(ratio, 25, axis=1, keepdims=True) + 1e-30
    return _weights(ratio / gain, s.first_weight_scale)


def _fit_blocks(y: ComplexArray, x: ComplexArray, s: EchoSettings, taps: int) -> ComplexArray:
    pred = np.zeros_like(y)
    frame_power = np.sum(np.abs(x) ** 2, axis=0)
    reach = np.convolve(frame_power, np.ones(taps))[: x.shape[1]]  # the model or its tail is there
    live = np.flatnonzero(reach > 1e-9 * (reach.max() + 1e-30))
    bin_power = np.mean(np.abs(x) ** 2, axis=1)
    bins = np.flatnonzero(bin_power > 1e-7 * (bin_power.max() + 1e-30))
    if live.size == 0 or bins.size == 0:
        return pred
    block = 64
    diag = np.arange(taps)
    for k in range(0, bins.size, block):
        sel = bins[k : k + block]
        yb = y[sel][:, live]
        a = np.ascontiguousarray(_delayed(x[sel], taps)[:, live])  # (bins, frames, taps)
        ah = np.ascontiguousarray(np.conj(a).transpose(0, 2, 1))  # (bins, taps, frames)
        lam = s.ridge * bin_power[sel] * x.shape[1] + 1e-20
        w = _first_weights(yb, a, s) if s.robust_passes > 0 else np.ones(yb.shape)
        for it in range(s.robust_passes + 1):
            awh = ah * w[:, None, :]
            gram = np.matmul(awh, a)
            gram[:, diag, diag] += lam[:, None]
            h = np.linalg.solve(gram, np.matmul(awh, yb[:, :, None]))
            p = np.matmul(a, h)[:, :, 0]
            if it == s.robust_passes:
                break
            r2 = (yb - p).real ** 2 + (yb - p).imag ** 2
            floor = np.percentile(r2, 10, axis=1, keepdims=True) + 1e-30
            w = _weights(r2 / (s.robust_relative * np.abs(p) ** 2 + floor), 1.0)
        pred[np.ix_(sel, live)] = p
    return pred
