"""CREPE on onnxruntime: the built graph equals an independent numpy forward pass of the same weights,
the models agree with tones to within 10 cents, and the graph is cached in the user cache folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from pitch_signals import cents_error, harmonic_tone, step_f0

from mit_trainer.analysis.pitch import get_tracker
from mit_trainer.analysis.pitch.crepe import CrepeTracker
from mit_trainer.analysis.pitch.crepe_model import CrepeWeights, build_graph, load_weights

SR = 16000


def numpy_forward(w: CrepeWeights, frames: np.ndarray) -> np.ndarray:
    """Keras semantics written out: (batch, time, channel) maps, TF "same" padding, time-major flatten."""
    x = frames.astype(np.float64)
    x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)
    x = x[:, :, None]
    for i in range(6):
        kernel = w.conv_kernels[i].astype(np.float64)  # (width, in, out)
        width, stride = kernel.shape[0], 4 if i == 0 else 1
        length = x.shape[1]
        out = int(np.ceil(length / stride))
        pad = max((out - 1) * stride + width - length, 0)
        xp = np.pad(x, ((0, 0), (pad // 2, pad - pad // 2), (0, 0)))
        windows = sliding_window_view(xp, width, axis=1)[:, ::stride][:, :out]  # (n, out, in, width)
        y = np.einsum("nocw,wcd->nod", windows, kernel) + w.conv_biases[i]
        y = np.maximum(y, 0.0)
        y = (y - w.bn_mean[i]) / np.sqrt(w.bn_var[i] + 0.001) * w.bn_gamma[i] + w.bn_beta[i]
        x = y.reshape(y.shape[0], y.shape[1] // 2, 2, y.shape[2]).max(axis=2)
    logits = x.reshape(x.shape[0], -1) @ w.dense_kernel + w.dense_bias
    return 1.0 / (1.0 + np.exp(-logits))


@pytest.mark.parametrize("model", ["tiny", "small"])
def test_onnx_graph_matches_numpy_forward_pass(model: str) -> None:
    rng = np.random.default_rng(3)
    t = np.arange(1024) / SR
    frames = np.stack(
        [
            np.sin(2 * np.pi * 220 * t) + 0.3 * np.sin(2 * np.pi * 440 * t),
            harmonic_tone(131.0, duration_s=1024 / SR, sample_rate_hz=SR),
            rng.standard_normal(1024),
            np.sin(2 * np.pi * 700 * t) * np.hanning(1024),
        ]
    ).astype(np.float32)
    tracker = CrepeTracker(model=model)
    got = tracker.salience(frames)
    want = numpy_forward(load_weights(model), frames)
    assert got.shape == (4, 360)
    onnx.checker.check_model(build_graph(load_weights(model)))
    assert np.max(np.abs(got - want)) < 2e-4
    assert np.argmax(got[0]) == np.argmax(want[0])


@pytest.mark.parametrize("model", ["tiny", "small", "medium", "full"])
def test_models_on_tones_within_ten_cents(model: str) -> None:
    duration_s = 1.0 if model in ("tiny", "small") else 0.5  # H then L
    truth = step_f0(165.0, 3.0, duration_s=duration_s, sample_rate_hz=SR)
    x = harmonic_tone(truth, duration_s=duration_s, sample_rate_hz=SR)
    track = get_tracker(f"crepe-{model}").track(x, sample_rate_hz=SR)
    mid = duration_s / 2
    expected = np.where(track.times_s < mid, truth[0], truth[-1])
    inner = (
        (np.abs(track.times_s - mid) > 0.05) & (track.times_s > 0.05) & (track.times_s < duration_s - 0.05)
    )
    assert track.voiced[inner].all()
    err = cents_error(track.f0_hz[inner], expected[inner])
    assert np.median(err) < 10 and np.percentile(err, 90) < 15


def test_viterbi_decoding_and_its_stream() -> None:
    truth = step_f0(220.0, 3.0, duration_s=0.8, sample_rate_hz=SR)
    x = harmonic_tone(truth, duration_s=0.8, sample_rate_hz=SR)
    tracker = get_tracker("crepe-tiny", viterbi=True)
    track = tracker.track(x, sample_rate_hz=SR)
    assert track.version.endswith("+viterbi") and tracker.window_s == pytest.approx(0.132)
    expected = np.where(track.times_s < 0.4, truth[0], truth[-1])
    inner = (np.abs(track.times_s - 0.4) > 0.05) & (track.times_s > 0.05) & (track.times_s < 0.75)
    assert np.median(cents_error(track.f0_hz[inner], expected[inner])) < 10
    stream = tracker.stream(sample_rate_hz=SR)
    parts = [stream.push(x[i : i + 1600]) for i in range(0, x.size, 1600)]
    parts.append(stream.flush())
    f0 = np.concatenate([p.f0_hz for p in parts])
    assert f0.size == len(track)
    assert np.nanmax(cents_error(f0[inner], track.f0_hz[inner])) < 5


def test_graph_is_cached_in_the_user_cache_folder() -> None:
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "mit-trainer" / "crepe"
    assert not list(cache.glob("*.onnx"))
    first = get_tracker("crepe-tiny")
    first.track(harmonic_tone(220.0, duration_s=0.2, sample_rate_hz=SR), sample_rate_hz=SR)
    files = list(cache.glob("crepe-tiny-*.onnx"))
    assert len(files) == 1 and files[0].stat().st_size > 100_000
    stamp = files[0].stat().st_mtime_ns
    second = get_tracker("crepe-tiny")
    second.track(harmonic_tone(220.0, duration_s=0.2, sample_rate_hz=SR), sample_rate_hz=SR)
    assert files[0].stat().st_mtime_ns == stamp  # reused, not rebuilt


def test_gating_skips_silence_without_changing_the_result() -> None:
    x = np.concatenate([np.zeros(SR // 2), harmonic_tone(300.0, duration_s=0.5, sample_rate_hz=SR)])
    gated = get_tracker("crepe-tiny").track(x, sample_rate_hz=SR)
    ungated = get_tracker("crepe-tiny", gate=False).track(x, sample_rate_hz=SR)
    np.testing.assert_array_equal(gated.voiced, ungated.voiced)
    np.testing.assert_allclose(gated.f0_hz[gated.voiced], ungated.f0_hz[ungated.voiced], rtol=1e-5)
    assert np.all(gated.confidence[:40] == 0.0) and np.all(ungated.confidence[:40] > 0.0)
