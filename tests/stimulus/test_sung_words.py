"""The words model voice (issue 13): espeak-ng phones, syllable mapping, sung notes and timing.

Truth comes from the renderer's inputs (the notes and beats it was asked for) and from espeak-ng's own phone
events. The voicing (hence the voiced span) comes from librosa's pYIN, the pitch from librosa's yin
(continuous, where pYIN is quantised to its bins); neither shares anything with the renderer (WORLD) or
the trainer's trackers (CREPE, SwiftF0).
"""

from __future__ import annotations

import math
from pathlib import Path

import librosa
import numpy as np
import pytest
import soxr

from mit_trainer.analysis.espeak import EspeakError, speak, voice_exists
from mit_trainer.analysis.stimulus import VOICE_NAMES, Stimulus, render_stimulus
from mit_trainer.analysis.sung_words import (
    SourceSyllable,
    _nuclei,
    _word_groups,
    source_syllables,
    sung_timing,
    word_voice,
)
from mit_trainer.cli.main import main
from mit_trainer.core.phrases import load_phrase_set
from mit_trainer.core.records import Phrase

ROOT = Path(__file__).resolve().parents[2]
SHIPPED: list[Phrase] = [
    p for f in sorted((ROOT / "phrases").glob("*.yaml")) for p in load_phrase_set(f).phrases
]
LOW_HZ = {"male": 130.81, "female": 196.0}
#: A sample for the fast tier: one per level, a two-beat syllable, an apostrophe, an untrained probe.
SAMPLE_IDS = ("thank-you", "i-want-water", "its-cold-in-here", "i-want-to-go-home")


def _phrase(pid: str) -> Phrase:
    return next(p for p in SHIPPED if p.id == pid)


def _pyin(stim: Stimulus) -> tuple[np.ndarray, np.ndarray]:
    """pYIN voicing and yin pitch at 16 kHz, 20 ms hop: (frame times s, f0 Hz, NaN where unvoiced)."""
    y = soxr.resample(stim.samples.astype(np.float64), stim.sample_rate_hz, 16000)
    lo = min(s.f0_hz for s in stim.syllables)
    kw = {"sr": 16000, "frame_length": 512, "hop_length": 320}
    _, voiced, _ = librosa.pyin(y, fmin=lo / 1.6, fmax=lo * 2.2, resolution=0.1, **kw)  # type: ignore[arg-type]
    f0 = librosa.yin(y, fmin=lo / 1.6, fmax=lo * 2.2, **kw)  # type: ignore[arg-type]
    return np.arange(f0.shape[0]) * 0.02, np.where(voiced, f0, np.nan)


def _check_notes_and_span(stim: Stimulus, phrase: Phrase, tempo_bpm: float) -> None:
    times, f0 = _pyin(stim)
    for s in stim.syllables:  # the sustained vowel, away from the glides at its ends
        a, b = s.beat_s + 0.12, min(s.offset_s, s.beat_s + (s.offset_s - s.beat_s) * 0.8)
        m = (times >= a) & (times <= b) & np.isfinite(f0)
        assert m.sum() >= 3, (phrase.id, s.text, "no voiced frames in the vowel")
        err = 1200.0 * math.log2(float(np.median(f0[m])) / s.f0_hz)
        assert abs(err) <= 20.0, (phrase.id, stim.voice_name, s.text, round(err, 1))
    voiced = np.flatnonzero(np.isfinite(f0))
    span = times[voiced[-1]] - times[voiced[0]]
    asked = phrase.total_beats * 60.0 / tempo_bpm
    assert abs(span - asked) <= 0.05 * asked, (phrase.id, stim.voice_name, round(span, 3), asked)


def _render(phrase: Phrase, voice: str, **kw: object) -> Stimulus:
    return render_stimulus(phrase, sample_rate_hz=22050, low_hz=LOW_HZ[voice], voice=voice, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("voice", VOICE_NAMES)
@pytest.mark.parametrize("pid", SAMPLE_IDS)
def test_sample_phrases_sing_their_notes_over_the_asked_span(pid: str, voice: str) -> None:
    phrase = _phrase(pid)
    stim = _render(phrase, voice)
    assert stim.voice_name == voice
    _check_notes_and_span(stim, phrase, 60.0)


@pytest.mark.slow
@pytest.mark.parametrize("voice", VOICE_NAMES)
def test_every_shipped_phrase_sings_its_notes_over_the_asked_span(voice: str) -> None:
    for phrase in SHIPPED:
        _check_notes_and_span(_render(phrase, voice), phrase, 60.0)


def test_vowels_start_on_the_beats_and_syllables_tile_the_phrase() -> None:
    phrase = _phrase("i-want-water")
    stim = _render(phrase, "male", tempo_bpm=75.0, stress_lengthening=1.5, taps="separate")
    beat = 60.0 / 75.0
    t = 0.3
    for s, b in zip(stim.syllables, phrase.beats, strict=True):
        assert s.beat_s == pytest.approx(t, abs=1 / 22050)
        assert s.onset_s <= s.beat_s < s.offset_s
        t += b * beat * (1.5 if s.target == "H" else 1.0)
    last = stim.syllables[-1]  # "ter": the vowel ends with the last beat, nothing follows it
    assert last.offset_s == pytest.approx(t, abs=1 / 22050)
    for a, b in zip(stim.syllables[:-1], stim.syllables[1:], strict=True):
        assert a.offset_s == pytest.approx(b.onset_s)
    assert stim.tap_times_s == tuple(s.beat_s for s in stim.syllables)
    assert stim.taps is not None
    first_click = np.flatnonzero(stim.taps)[0]
    assert first_click == round(0.3 * 22050)


def test_consonants_keep_their_spoken_length() -> None:
    speech = speak("good morning")
    src = source_syllables(speech, ("good", "mor", "ning"))
    dst = sung_timing(src, [0.3, 1.3, 2.3, 3.3], lead_in_s=0.3, tail_s=0.3)
    for s, d in zip(src, dst, strict=True):
        assert d.vowel_s - d.onset_s == pytest.approx(s.vowel_start_s - s.start_s)
        assert d.offset_s - d.vowel_end_s == pytest.approx(s.end_s - s.vowel_end_s)
        assert d.vowel_end_s - d.vowel_s > 0.5  # the vowel takes the rest of the beat
    # a fast tempo shortens the consonants so that a vowel keeps half of its syllable
    fast = sung_timing(src, [0.3, 0.4, 0.5, 0.6], lead_in_s=0.3, tail_s=0.3)
    for d in fast:
        assert d.vowel_end_s - d.vowel_s >= 0.05 - 1e-9


def test_espeak_phones_are_monotone_and_cover_the_audio() -> None:
    speech = speak("I need the bathroom", voice="en-us")
    assert speech.sample_rate_hz == 22050 and speech.duration_s > 0.5
    assert speech.phones[0].start_s == 0.0
    assert speech.phones[-1].end_s == pytest.approx(speech.duration_s)
    for a, b in zip(speech.phones[:-1], speech.phones[1:], strict=True):
        assert a.end_s == b.start_s and a.start_s < a.end_s
    vowels = [p for p in speech.phones if p.is_vowel]
    assert len(vowels) == 5  # I, need, the, bath, room
    assert [p.word_index for p in vowels] == [0, 1, 2, 3, 3]
    assert speech.words == ("I", "need", "the", "bathroom")
    assert any(p.stress == 1 for p in vowels)
    # phones are where the sound is: every vowel is loud, the audio after the last vowel fades out
    sr = speech.sample_rate_hz
    for v in vowels:
        seg = speech.samples[round(v.start_s * sr) : round(v.end_s * sr)]
        assert np.sqrt(np.mean(seg**2)) > 0.02, v
    assert float(np.max(np.abs(speech.samples[-50:]))) < 0.02


def test_espeak_errors_are_clear() -> None:
    with pytest.raises(EspeakError, match="no voice 'zz-nope'"):
        speak("hello", voice="zz-nope")
    with pytest.raises(EspeakError, match="non-empty"):
        speak("   ")
    with pytest.raises(ValueError, match="rate_wpm"):
        speak("hello", rate_wpm=10)
    assert voice_exists("en-us+f3") and not voice_exists("zz-nope") and not voice_exists("")


def test_unknown_voice_name_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="unknown voice 'tenor'; use one of: male, female"):
        render_stimulus(_phrase("thank-you"), sample_rate_hz=16000, low_hz=130.0, voice="tenor")
    with pytest.raises(ValueError, match="unknown voice"):
        word_voice("")
    out = tmp_path / "x.wav"
    argv = ["synth", "--phrases", str(ROOT / "phrases" / "level1.yaml"), "--phrase", "thank-you"]
    assert main([*argv, "-o", str(out), "--voice", "tenor"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown voice 'tenor'" in err[0] and not out.exists()


def test_hum_with_a_word_voice_stays_closed_mouth() -> None:
    phrase = _phrase("thank-you")
    hum = render_stimulus(phrase, sample_rate_hz=16000, low_hz=130.81, mode="hum", voice="male")
    ref = render_stimulus(phrase, sample_rate_hz=16000, low_hz=130.81, mode="hum")
    assert hum.voice_name == "" and np.array_equal(hum.samples, ref.samples)


def test_same_arguments_same_samples_and_sprechgesang_has_words() -> None:
    phrase = _phrase("thank-you")
    a = _render(phrase, "female")
    b = _render(phrase, "female")
    assert np.array_equal(a.samples, b.samples)
    sg = _render(phrase, "female", mode="sprechgesang")
    assert sg.voice_name == "female" and sg.syllables == a.syllables
    assert not np.array_equal(sg.samples, a.samples)


def test_syllables_map_to_words_by_letters() -> None:
    assert _word_groups(["It's", "cold"], ["it's", "cold"]) == [([0], 1), ([1], 1)]
    assert _word_groups(["Good", "morning"], ["good", "mor", "ning"]) == [([0], 1), ([1], 2)]
    # syllables that do not spell the words: one group for the whole phrase
    assert _word_groups(["Good", "morning"], ["gud", "mor", "ning"]) == [([0, 1], 3)]


class _P:
    def __init__(self, a: float, b: float, vowel: bool) -> None:
        self.start_s, self.end_s, self.is_vowel = a, b, vowel
        self.duration_s = b - a


def test_nuclei_are_merged_or_split_to_the_syllable_count() -> None:
    phones = [_P(0.0, 0.1, False), _P(0.1, 0.3, True), _P(0.3, 0.35, False), _P(0.35, 0.4, True)]
    assert _nuclei(phones, 2) == [(0.1, 0.3), (0.35, 0.4)]
    assert _nuclei(phones, 1) == [(0.1, 0.4)]
    assert _nuclei(phones, 3) == [(0.1, 0.2), (0.2, 0.3), (0.35, 0.4)]
    assert _nuclei([_P(0.0, 0.2, False)], 1) == [(0.0, 0.2)]  # no vowel: the longest phone


def test_source_syllables_follow_espeak_phones() -> None:
    speech = speak("Thank you")
    src = source_syllables(speech, ("thank", "you"))
    assert len(src) == 2
    vowels = [p for p in speech.phones if p.is_vowel]
    assert [s.vowel_start_s for s in src] == [v.start_s for v in vowels]
    first = next(p for p in speech.phones if not p.is_pause)
    assert src[0].start_s == first.start_s and src[0].end_s == src[1].start_s
    assert all(
        isinstance(s, SourceSyllable) and s.start_s <= s.vowel_start_s < s.vowel_end_s <= s.end_s for s in src
    )
