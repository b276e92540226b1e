"""WORLD time-scaling: duration scales by the factor, pitch stays (librosa yin on Festival singing)."""

from __future__ import annotations

import math
from typing import Any

import librosa
import numpy as np
import pytest
import soxr

from mit_trainer.analysis.timescale import time_scale
from mit_trainer.core.records import Phrase
from tests.app.festival_singer import sing

PHRASE = Phrase(
    id="la-la", text="la la", level=1, syllables=("la", "lo"), pattern=("H", "L"), beats=(1.0, 1.0)
)


@pytest.mark.parametrize(
    ("factor", "options"),
    [(0.6, {}), (1.5, {}), (1.5, {"f0_method": "dio"}), (0.6, {"f0_method": "dio", "work_rate_hz": 16000})],
    ids=["harvest-0.6", "harvest-1.5", "dio-1.5", "dio-at-16kHz-of-32kHz-0.6"],
)
def test_duration_scales_and_notes_keep_their_pitch(factor: float, options: dict[str, Any]) -> None:
    sung = sing(PHRASE, low_midi=50, interval=4, tempo_bpm=60.0)
    sr, x = sung.sample_rate_hz, sung.samples
    if "work_rate_hz" in options:  # a recording at twice the rate WORLD works at
        sr, x = 2 * sr, soxr.resample(x, sr, 2 * sr).astype(np.float32)
    y = time_scale(x, sample_rate_hz=sr, factor=factor, **options)
    assert y.dtype == np.float32 and y.size == round(x.size * factor)
    # each note's middle half (Festival sings note i over beat i), timed on the scaled clock
    for i, truth_hz in enumerate(sung.sounding_hz):
        a, b = round((i + 0.25) * factor * sr), round((i + 0.75) * factor * sr)
        f0 = librosa.yin(y[a:b].astype(float), fmin=60, fmax=400, sr=sr, frame_length=1024)
        assert abs(1200 * math.log2(float(np.median(f0)) / truth_hz)) < 20, (i, factor)


def test_factor_one_is_a_copy_and_bad_arguments_are_refused() -> None:
    x = np.linspace(-0.5, 0.5, 1000)
    y = time_scale(x, sample_rate_hz=16000, factor=1.0)
    assert y.dtype == np.float32 and np.allclose(y, x, atol=1e-7) and y is not x
    with pytest.raises(ValueError, match="factor must be in"):
        time_scale(x, sample_rate_hz=16000, factor=5.0)
    with pytest.raises(ValueError, match="mono"):
        time_scale(np.zeros((100, 2)), sample_rate_hz=16000, factor=2.0)
    with pytest.raises(ValueError, match="f0_method must be"):
        time_scale(x, sample_rate_hz=16000, factor=2.0, f0_method="yin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sample_rate_hz must be positive"):
        time_scale(x, sample_rate_hz=0, factor=2.0)
