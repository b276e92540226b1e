"""Alignment of produced to target syllables and legato segmentation, against exact known truth."""

from __future__ import annotations

import numpy as np

from mit_trainer.analysis.alignment import align_syllables
from mit_trainer.analysis.segmentation import SegmentationSettings, segment_syllables
from mit_trainer.core.records import PitchTrack

BEATS = (1.0, 1.0, 2.0, 1.0, 1.0)
PATTERN = ("L", "H", "L", "H", "L")
F0 = {"L": 120.0, "H": 120.0 * 2 ** (3 / 12)}


def test_alignment_identity_at_another_tempo():
    beat = 1.37  # ~44 BPM, and a late start
    onsets = [2.0 + b * beat for b in (0, 1, 2, 4, 5)]
    al = align_syllables(BEATS, PATTERN, onsets, [F0[p] for p in PATTERN], tempo_bpm=60.0)
    assert al.target_to_detected == (0, 1, 2, 3, 4)
    assert al.extra == ()
    assert abs(al.beat_s - beat) < 0.01


def test_alignment_missing_middle_and_extra_blip():
    beat = 0.8
    truth = [0.5 + b * beat for b in (0, 1, 2, 4, 5)]
    produced = [truth[0], truth[0] + 0.2, truth[1], truth[3], truth[4]]  # a blip after 0; target 2 missing
    f0s = [F0["L"], F0["L"], F0["H"], F0["H"], F0["L"]]
    al = align_syllables(BEATS, PATTERN, produced, f0s)
    assert al.target_to_detected == (0, 2, None, 3, 4)
    assert al.extra == (1,)


def test_alignment_of_nothing():
    al = align_syllables(BEATS, PATTERN, [])
    assert al.target_to_detected == (None,) * 5 and al.n_matched == 0


def _legato_track(steps_s, notes_hz, *, hop_s=0.01, total_s=4.0):
    times = np.arange(0, total_s, hop_s)
    f0 = np.full(times.size, np.nan)
    bounds = [*steps_s, total_s - 0.5]
    for a, b, hz in zip(bounds[:-1], bounds[1:], notes_hz, strict=False):
        f0[(times >= a) & (times < b)] = hz
    return PitchTrack(times, f0, np.where(np.isnan(f0), 0.1, 0.95), hop_s, "truth", "0")


def test_legato_pitch_steps_start_new_syllables():
    sr = 16000
    steps = [0.5, 1.3, 2.1, 2.9]
    track = _legato_track(steps, [F0["L"], F0["H"], F0["L"], F0["H"]])
    t = np.arange(int(4.0 * sr)) / sr
    voiced = np.interp(t, track.times_s, (~np.isnan(track.f0_hz)).astype(float))
    samples = 0.3 * np.sin(2 * np.pi * 120 * t) * voiced + 1e-4 * np.random.default_rng(0).standard_normal(
        t.size
    )
    sylls = segment_syllables(track, samples, sample_rate_hz=sr, settings=SegmentationSettings())
    assert len(sylls) == 4
    for s, on, hz in zip(sylls, steps, [F0["L"], F0["H"], F0["L"], F0["H"]], strict=True):
        assert abs(s.onset_s - on) <= 0.03
        assert abs(1200 * np.log2(s.f0_hz / hz)) < 1
    spoken = segment_syllables(
        track, samples, sample_rate_hz=sr, settings=SegmentationSettings(), mode="spoken"
    )
    assert len(spoken) == 1  # no energy dip: speech segmentation does not split on pitch


def test_octave_errors_do_not_split_a_note():
    sr = 16000
    track = _legato_track([0.5], [150.0])
    f0 = track.f0_hz.copy()
    f0[150:153] = 300.0  # a tracker's octave slip inside the note
    track = PitchTrack(track.times_s, f0, track.confidence, 0.01, "truth", "0")
    t = np.arange(int(4.0 * sr)) / sr
    samples = 0.3 * np.sin(2 * np.pi * 150 * t) * ((t > 0.5) & (t < 3.5))
    sylls = segment_syllables(track, samples, sample_rate_hz=sr, settings=SegmentationSettings())
    assert len(sylls) == 1 and abs(sylls[0].f0_hz - 150.0) < 1.0
