"""The unusable-audio list of issue 3, end to end (file -> load_audio -> default tracker): each case gives a
clear one-line AudioInputError or a usable track (all unvoiced where there is no voice); never a crash or
a hang."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from pitch_signals import cents_error, harmonic_tone

from mit_trainer.analysis.audio_input import AudioInputError, load_audio
from mit_trainer.analysis.pitch import DEFAULT_TRACKER, LIVE_TRACKER, PitchTracker, get_tracker

F0 = 196.0


def _write(path: Path, kind: str) -> None:
    rate = {"8k": 8000, "96k": 96000}.get(kind, 16000)
    tone = harmonic_tone(F0, duration_s=0.6, sample_rate_hz=rate)
    if kind == "empty":
        soundfile.write(path, np.zeros(0), rate)
    elif kind == "10ms":
        soundfile.write(path, tone[: rate // 100], rate)
    elif kind == "zeros":
        soundfile.write(path, np.zeros(rate), rate)
    elif kind in ("nan", "inf"):
        tone[500] = np.nan if kind == "nan" else -np.inf
        soundfile.write(path, tone, rate, subtype="FLOAT")
    elif kind == "clipped":
        soundfile.write(path, np.clip(tone * 8, -1, 1), rate)
    elif kind in ("8k", "96k"):
        soundfile.write(path, tone, rate)
    elif kind == "stereo":
        soundfile.write(path, np.stack([tone, 0.5 * tone], axis=1), rate)
    elif kind == "24bit":
        soundfile.write(path, tone, rate, subtype="PCM_24")
    elif kind == "truncated":
        soundfile.write(path, tone, rate)
        path.write_bytes(path.read_bytes()[:-4000])
    elif kind == "text":
        path.write_text("RIFF? no: just text pretending to be a WAV file\n")


ERRORS = {
    "empty": "no samples",
    "10ms": "too short",
    "nan": "NaN or infinite",
    "inf": "NaN or infinite",
    "truncated": "truncated",
    "text": "not a readable audio file",
}
VOICED = ("clipped", "8k", "96k", "stereo", "24bit")


@pytest.fixture(scope="module")
def trackers() -> dict[str, PitchTracker]:
    return {name: get_tracker(name) for name in {DEFAULT_TRACKER, LIVE_TRACKER}}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", [*ERRORS, "zeros", *VOICED])
def test_unusable_audio(tmp_path: Path, trackers: dict[str, PitchTracker], kind: str) -> None:
    path = tmp_path / f"{kind}.wav"
    _write(path, kind)
    if kind in ERRORS:
        with pytest.raises(AudioInputError) as info:
            load_audio(path)
        assert ERRORS[kind] in str(info.value) and "\n" not in str(info.value)
        return
    clip = load_audio(path)
    assert (clip.clipped_fraction > 0.1) == (kind == "clipped")
    for tracker in trackers.values():
        track = tracker.track(clip.samples, sample_rate_hz=clip.sample_rate_hz)
        assert len(track) >= int(clip.duration_s / track.hop_s)
        if kind == "zeros":
            assert not track.voiced.any()
        else:
            inner = (track.times_s > 0.1) & (track.times_s < 0.5)
            assert track.voiced[inner].mean() > 0.9
            assert np.median(cents_error(track.f0_hz[inner & track.voiced], F0)) < 20
