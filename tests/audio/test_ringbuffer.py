"""Ring buffer and block-clock fitting."""

from __future__ import annotations

import numpy as np
import pytest

from mit_trainer.audio.ringbuffer import BlockClockLog, SampleRing


def test_ring_wraps_and_reads_back_exact_samples() -> None:
    ring = SampleRing(100)
    data = np.arange(250, dtype=np.float32)
    for block in np.array_split(data, 9):
        ring.write(block)
    out, lost = ring.read(170, 250)
    assert lost == 0
    np.testing.assert_array_equal(out, data[170:250])


def test_ring_reports_overwritten_samples_as_lost() -> None:
    ring = SampleRing(100)
    ring.write(np.arange(250, dtype=np.float32))
    out, lost = ring.read(100, 250)
    assert lost == 50
    np.testing.assert_array_equal(out, np.arange(150, 250, dtype=np.float32))


def test_latest_returns_newest() -> None:
    ring = SampleRing(64)
    ring.write(np.arange(10, dtype=np.float32))
    np.testing.assert_array_equal(ring.latest(3), [7, 8, 9])
    assert ring.latest(100).size == 10


def test_clock_fit_ignores_startup_garbage_and_xrun_blocks() -> None:
    sr = 48000.0
    log = BlockClockLog(4096)
    offset = 123.456
    for k in range(300):
        idx = k * 480
        t = offset + idx / sr + (0.0003 if k % 2 else -0.0003)  # jitter
        if k < 60:
            t -= 0.5 - k * 0.005  # start-up: wrong by hundreds of ms, converging
        log.add(idx, t, ok=k != 200)
    log.add(300 * 480, offset + 9.0, ok=False)  # an xrun block with a silly time is ignored
    fit = log.time_at(0, sample_rate_hz=sr)
    assert fit is not None
    assert fit.time_s == pytest.approx(offset, abs=0.0005)
    assert fit.spread_s < 0.001
    assert fit.span_s > 2.0


def test_clock_fit_follows_skew() -> None:
    sr = 44100.0
    log = BlockClockLog(1024)
    for k in range(400):
        idx = k * 1024
        log.add(idx, 5.0 + idx / sr * (1 + 300e-6), ok=True)  # sound card 300 ppm slow
    fit = log.time_at(400 * 1024, sample_rate_hz=sr)
    assert fit is not None
    assert fit.time_s == pytest.approx(5.0 + 400 * 1024 / sr * (1 + 300e-6), abs=1e-5)
    assert BlockClockLog(4).time_at(0, sample_rate_hz=sr) is None


def test_clock_step_splits_segments_and_maps_both_sides() -> None:
    sr = 44100.0
    log = BlockClockLog(4096)
    for k in range(200):
        idx = k * 1024
        t = 50.0 + idx / sr + (0.025 if k >= 100 else 0.0)  # the server dropped 25 ms of input at block 100
        log.add(idx, t + (0.0004 if k % 3 else 0.0), ok=True)
    segs = log.segments(sample_rate_hz=sr)
    assert len(segs) == 2
    early, late = log.time_at(10 * 1024, sample_rate_hz=sr), log.time_at(150 * 1024, sample_rate_hz=sr)
    assert early is not None and late is not None
    assert early.time_s == pytest.approx(50.0 + 10 * 1024 / sr, abs=0.0005)
    assert late.time_s == pytest.approx(50.025 + 150 * 1024 / sr, abs=0.0005)
    i = log.index_at(50.025 + 150 * 1024 / sr, sample_rate_hz=sr)
    assert i == pytest.approx(150 * 1024, abs=30)
    assert log.jumps_between(0, 199 * 1024, sample_rate_hz=sr) == 1
    assert log.jumps_between(0, 90 * 1024, sample_rate_hz=sr) == 0
