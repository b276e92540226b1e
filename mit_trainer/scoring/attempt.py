"""Analysis of one attempt: pitch, syllables, alignment to the phrase, scores and verdict.

:func:`analyze_attempt` is what the trainer, the command line and the benchmark call.
Its result, :class:`~mit_trainer.scoring.results.AttemptAnalysis`, is frozen and
round-trips through the JSON of DESIGN.md §3 (``to_json`` / ``from_json``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from mit_trainer.analysis.alignment import align_syllables
from mit_trainer.analysis.conditioning import condition
from mit_trainer.analysis.echo import EchoSettings, cancel_echo
from mit_trainer.analysis.segmentation import DetectedSyllable, frame_activity, segment_syllables
from mit_trainer.core.records import Phrase, PitchTrack
from mit_trainer.scoring.results import ANALYSIS_VERSION, VERDICTS, AttemptAnalysis, SyllableResult
from mit_trainer.scoring.scores import Scores, contour_score, overall_score, rhythm_score, voicing_score
from mit_trainer.scoring.settings import MODES, ScoringSettings, ramp_down, ramp_up
from mit_trainer.scoring.words import with_words

__all__ = ["ANALYSIS_VERSION", "VERDICTS", "AttemptAnalysis", "SyllableResult", "analyze_attempt"]


class Tracker(Protocol):
    name: str

    def track(self, samples: npt.ArrayLike, *, sample_rate_hz: int) -> PitchTrack: ...


class TimedSyllable(Protocol):
    onset_s: float


def _resolve_tracker(tracker: str | Tracker | None) -> Tracker:
    if tracker is not None and not isinstance(tracker, str):
        return tracker
    from mit_trainer.analysis.pitch import DEFAULT_TRACKER, shared_tracker

    return shared_tracker(tracker or DEFAULT_TRACKER)


def _mono_float(samples: npt.ArrayLike) -> np.ndarray:
    x = np.asarray(samples)
    if x.ndim == 2:
        x = x.mean(axis=1) if x.shape[1] <= 8 else x.mean(axis=0)
    if np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float64) / float(np.iinfo(x.dtype).max)
    x = np.asarray(x, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x)):
        raise ValueError("audio contains NaN or infinite samples")
    return x


def _empty_track(name: str) -> PitchTrack:
    z = np.zeros(0)
    return PitchTrack(z, z, z, 0.01, name, "")


def _silent_result(
    phrase: Phrase, mode: str, name: str, dur: float, track: PitchTrack, audio: str | None, warn: list[str]
) -> AttemptAnalysis:
    sylls = tuple(
        SyllableResult(i, t, p, None, None, None, None, None)
        for i, (t, p) in enumerate(zip(phrase.syllables, phrase.pattern, strict=True))
    )
    return AttemptAnalysis(
        audio, phrase.id, mode, name, dur, track, sylls, Scores(None, None, 0.0, None, 0.0),
        {"n_targets": phrase.n_syllables, "n_detected": 0, "n_matched": 0, "n_extra": 0},
        "no_response", ANALYSIS_VERSION, tuple(warn),
    )  # fmt: skip


def analyze_attempt(
    samples: npt.ArrayLike,
    *,
    sample_rate_hz: float,
    phrase: Phrase,
    mode: str = "sung",
    tracker: str | Tracker | None = None,
    settings: ScoringSettings | None = None,
    tempo_bpm: float | None = None,
    model_syllables: Sequence[TimedSyllable] | None = None,
    prompt_end_s: float | None = None,
    interval_semitones: float | None = None,
    audio_name: str | None = None,
    track: PitchTrack | None = None,
    played: npt.ArrayLike | None = None,
    played_rate_hz: float | None = None,
    played_offset_s: float | None = 0.0,
    words: bool | None = None,
    language: str | None = "en",
    low_hz: float | None = None,
    tap_times_s: Sequence[float] | None = None,
) -> AttemptAnalysis:
    """Judge one recorded attempt at ``phrase``.

    ``samples`` (mono or channels-last, float or integer) at ``sample_rate_hz``;
    ``mode`` is ``sung``, ``sprechgesang`` or ``spoken``; ``tracker`` a tracker name
    or object (default: the package's default tracker); ``tempo_bpm`` the model's
    tempo (helps alignment, rhythm stays tempo-free); ``model_syllables`` the model's
    own syllable onsets on the recording's clock (unison steps: rhythm is judged
    against them); ``prompt_end_s`` the end of the model/prompt (gives latency);
    ``interval_semitones`` the target H-L interval (default from settings); ``track``
    a pitch track already computed for these samples (skips tracking); ``words`` runs the word check
    (None: when a model exists for ``language``, the phrase set's language; see
    :mod:`mit_trainer.scoring.words`); ``low_hz`` the low note the patient was asked for (anchors which
    voice is the patient's when several are heard; the attempt may still be sung in its own key);
    ``tap_times_s`` when taps were heard (the model's tap clicks, the patient's taps, on the recording's
    clock): their clicks are taken out before analysis.

    ``played`` is the model as the trainer played it (at ``played_rate_hz``), its first
    sample ``played_offset_s`` after the recording's start (negative: before it; None:
    unknown, searched). The played model is then cancelled from the recording
    (:mod:`mit_trainer.analysis.echo`), the analysis (and the word check) runs on what is left, frames
    the model explains count as unvoiced, a given ``track`` is ignored (it heard the model),
    and the result carries an ``echo`` summary.

    The samples (after the played model is cancelled) are conditioned first
    (:func:`mit_trainer.analysis.conditioning.condition`: DC removed,
    tap clicks taken out, level normalised), so the gates are relative to the recording's own level.
    """
    if played is not None:
        return _analyze_cancelled(
            samples, sample_rate_hz=sample_rate_hz, phrase=phrase, mode=mode, tracker=tracker,
            settings=settings, tempo_bpm=tempo_bpm, model_syllables=model_syllables,
            prompt_end_s=prompt_end_s, interval_semitones=interval_semitones, audio_name=audio_name,
            played=played, played_rate_hz=played_rate_hz, played_offset_s=played_offset_s,
            words=words, language=language, low_hz=low_hz, tap_times_s=tap_times_s,
        )  # fmt: skip
    res = _analyze(samples, sample_rate_hz=sample_rate_hz, phrase=phrase, mode=mode, tracker=tracker,
                   settings=settings, tempo_bpm=tempo_bpm, model_syllables=model_syllables,
                   prompt_end_s=prompt_end_s, interval_semitones=interval_semitones,
                   audio_name=audio_name, track=track, low_hz=low_hz, tap_times_s=tap_times_s)  # fmt: skip
    return with_words(
        res, _mono_float(samples), sample_rate_hz=sample_rate_hz, phrase=phrase, language=language,
        enabled=words,
    )  # fmt: skip


def _analyze(
    samples: npt.ArrayLike,
    *,
    sample_rate_hz: float,
    phrase: Phrase,
    mode: str,
    tracker: str | Tracker | None,
    settings: ScoringSettings | None,
    tempo_bpm: float | None,
    model_syllables: Sequence[TimedSyllable] | None,
    prompt_end_s: float | None,
    interval_semitones: float | None,
    audio_name: str | None,
    track: PitchTrack | None,
    low_hz: float | None = None,
    tap_times_s: Sequence[float] | None = None,
) -> AttemptAnalysis:
    s = settings or ScoringSettings()
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    x = _mono_float(samples)
    dur = x.size / float(sample_rate_hz)
    warn: list[str] = []
    if dur < s.min_duration_s:
        warn.append(f"recording too short to analyse ({dur * 1000:.0f} ms)")
        name = tracker if isinstance(tracker, str) else getattr(tracker, "name", "none")
        res = _silent_result(
            phrase, mode, str(name or "none"), dur, _empty_track(str(name)), audio_name, warn
        )
        res.measures["no_response_reasons"] = ["recording too short"]
        return res
    if np.max(np.abs(x)) >= 0.999 and np.mean(np.abs(x) >= 0.999) > 0.001:
        warn.append("recording is clipped")
    cond = condition(x, sample_rate_hz=sample_rate_hz, settings=s.conditioning, tap_times_s=tap_times_s)
    x = cond.samples
    if track is None:
        track = _resolve_tracker(tracker).track(x, sample_rate_hz=round(sample_rate_hz))
    act = frame_activity(track, x, sample_rate_hz=sample_rate_hz, settings=s.segmentation)
    detected = segment_syllables(
        track, x, sample_rate_hz=sample_rate_hz, settings=s.segmentation, mode=mode, activity=act,
        expected_beats=phrase.beats,
    )  # fmt: skip
    detected = [
        d
        for d in detected
        if d.voiced_fraction >= s.min_voiced_fraction
        and (d.f0_spread_st is None or d.f0_spread_st <= s.max_syllable_spread_st)
    ]
    interval = s.interval_semitones if interval_semitones is None else float(interval_semitones)
    detected, dropped = main_voice(detected, s, interval_st=interval, low_hz=low_hz)
    voiced_s = sum(d.duration_s * d.voiced_fraction for d in detected)
    span_s = detected[-1].offset_s - detected[0].onset_s if detected else 0.0
    sparse = voiced_s < s.no_response_sparse_max_s and voiced_s < s.no_response_sparse_fraction * span_s
    reasons = [
        why
        for why, hit in (
            ("no voiced syllable", not detected),
            ("only scattered blips", bool(detected) and sparse),
            ("too little voice", voiced_s < s.no_response_min_voiced_s),
            ("no level above the noise floor", act.dynamic_range_db < s.no_response_dynamic_db),
            ("too quiet", cond.raw_peak_dbfs < s.no_response_peak_dbfs),
        )
        if hit
    ]
    if reasons:
        res = _silent_result(phrase, mode, track.tracker, dur, track, audio_name, warn)
        res.measures.update(
            {
                "n_detected": len(detected),
                "dynamic_range_db": round(act.dynamic_range_db, 1),
                "voiced_s": round(voiced_s, 3),
                "n_background": dropped,
                "no_response_reasons": reasons,
            }
        )
        return res
    res = _score(phrase, mode, s, x, dur, track, act, detected, tempo_bpm, model_syllables,
                 prompt_end_s, interval_semitones, audio_name, warn)  # fmt: skip
    res.measures["n_background"] = dropped
    res.measures["input_gain_db"] = round(cond.gain_db, 1)
    if cond.clicks_s:
        res.measures["clicks_removed"] = len(cond.clicks_s)
    if low_hz is not None and res.measures.get("low_note_hz"):
        res.measures["key_offset_st"] = round(12.0 * math.log2(res.measures["low_note_hz"] / low_hz), 2)
    return res


_VOWELS = frozenset("aeiouAEIOU")


def _ends_in_consonant(text: str) -> bool:
    w = "".join(c for c in text.lower() if c.isalpha())
    if not w:
        return False
    if w[-1] == "e" and len(w) >= 4 and w[-2] not in "aeiouy":  # a silent e: "please", "time"
        return True
    return w[-1] not in "aeiouyw"


def _starts_with_consonant(text: str) -> bool:
    w = "".join(c for c in text if c.isalpha())
    return bool(w) and w[0] not in _VOWELS


def _place_onsets(
    matched: list[DetectedSyllable | None], syllables: Sequence[str]
) -> list[DetectedSyllable | None]:
    """Put each onset that follows a consonant gap where the target's spelling says its consonants start.

    A gap between two produced syllables holds the coda of the first and the onset of the second: all onset
    after a vowel ("me-ter"), all coda before a vowel ("it-up"), shared otherwise ("thank-you" is split in
    the middle)."""
    out = list(matched)
    for i, d in enumerate(matched):
        if d is None or d.voice_onset_s is None or i == 0 or matched[i - 1] is None:
            continue
        coda = _ends_in_consonant(syllables[i - 1])
        onset = _starts_with_consonant(syllables[i])
        share = 0.0 if not coda else (0.5 if onset else 1.0)
        if share > 0:
            out[i] = dataclasses.replace(d, onset_s=d.onset_s + share * (d.voice_onset_s - d.onset_s))
    return out


def held_note_s(track: PitchTrack, sylls: Sequence[DetectedSyllable], range_st: float) -> float:
    """Median over the syllables of the longest stretch (s) whose pitch stays within ``range_st``: a sung
    note holds its pitch, speech glides through every syllable."""
    if not sylls or len(track) == 0:
        return 0.0
    hop = float(track.hop_s)
    out = []
    for d in sylls:
        sel = (track.times_s >= d.onset_s) & (track.times_s < d.offset_s)
        f0 = track.f0_hz[sel]
        st = 12.0 * np.log2(f0[~np.isnan(f0)]) if f0.size else f0
        best, lo = 0, 0
        for hi in range(st.size):  # two pointers over frames: a window whose range stays within range_st
            while st[lo : hi + 1].max() - st[lo : hi + 1].min() > range_st:
                lo += 1
            best = max(best, hi - lo + 1)
        out.append(best * hop)
    return float(np.median(out))


def main_voice(
    detected: list[DetectedSyllable], s: ScoringSettings, *, interval_st: float, low_hz: float | None
) -> tuple[list[DetectedSyllable], int]:
    """The syllables of the main voice: sound far below its level or far outside its pitch range (background
    speech, a radio) is dropped. The main voice's level and pitch are the duration-weighted medians of the
    syllables (held notes outweigh speech syllables); ``low_hz``, when given, picks the voice nearest it.
    Returns the kept syllables and how many were dropped."""
    if len(detected) < 2:
        return detected, 0
    w = np.array([d.duration_s * d.voiced_fraction for d in detected])
    lv = np.array([d.energy_db for d in detected])
    ref_db = _weighted_median(lv, w)
    f0 = np.array([np.nan if d.f0_hz is None else 12.0 * math.log2(d.f0_hz) for d in detected])
    ok = ~np.isnan(f0)
    ref_st = math.nan
    if ok.any():
        cand = ok & (lv >= ref_db - s.background_below_db)
        if low_hz is not None:  # the voice nearest the asked-for notes, within an octave of them
            near = cand & (np.abs(f0 - 12.0 * math.log2(low_hz) - interval_st / 2) <= 12.0)
            cand = near if near.any() else cand
        cand = cand if cand.any() else ok
        ref_st = _weighted_median(f0[cand], w[cand])
    keep = []
    for level, st in zip(lv, f0, strict=True):
        quiet = level < ref_db - s.background_below_db
        far = (
            not math.isnan(ref_st)
            and not math.isnan(st)
            and abs(st - ref_st) > interval_st / 2 + s.background_pitch_st
        )
        keep.append(not (quiet or far))
    kept = [d for d, k in zip(detected, keep, strict=True) if k]
    return kept, len(detected) - len(kept)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cw = np.cumsum(weights[order])
    k = int(np.searchsorted(cw, 0.5 * cw[-1]))
    return float(values[order][min(k, values.size - 1)])


def _analyze_cancelled(
    samples: npt.ArrayLike,
    *,
    played: npt.ArrayLike,
    played_rate_hz: float | None,
    played_offset_s: float | None,
    sample_rate_hz: float,
    tracker: str | Tracker | None,
    echo_settings: EchoSettings | None = None,
    **kw: Any,
) -> AttemptAnalysis:
    """:func:`analyze_attempt` on the recording with the played model cancelled and its frames masked."""
    if played_rate_hz is None:
        raise ValueError("played_rate_hz is required with a played model")
    echo = cancel_echo(
        _mono_float(samples), sample_rate_hz=sample_rate_hz, played=played,
        played_rate_hz=played_rate_hz, played_offset_s=played_offset_s, settings=echo_settings,
    )  # fmt: skip
    tr = _resolve_tracker(tracker)
    heard = tr.track(echo.cleaned, sample_rate_hz=echo.sample_rate_hz)
    explained = echo.explained_at(heard.times_s)
    track = dataclasses.replace(
        heard,
        f0_hz=np.where(explained, np.nan, heard.f0_hz),
        confidence=np.where(explained, 0.0, heard.confidence),
    )
    res = analyze_attempt(echo.cleaned, sample_rate_hz=echo.sample_rate_hz, tracker=tr, track=track, **kw)
    return dataclasses.replace(res, echo=echo.to_json())


def _score(
    phrase: Phrase,
    mode: str,
    s: ScoringSettings,
    x: np.ndarray,
    dur: float,
    track: PitchTrack,
    act: Any,
    detected: list[DetectedSyllable],
    tempo_bpm: float | None,
    model_syllables: Sequence[TimedSyllable] | None,
    prompt_end_s: float | None,
    interval_semitones: float | None,
    audio_name: str | None,
    warn: list[str],
) -> AttemptAnalysis:
    n = phrase.n_syllables
    interval = s.interval_semitones if interval_semitones is None else float(interval_semitones)
    model_onsets = [float(m.onset_s) for m in model_syllables] if model_syllables else None
    if model_onsets is not None and len(model_onsets) != n:
        warn.append("model syllables do not match the phrase; rhythm judged tempo-free")
        model_onsets = None
    al = align_syllables(
        phrase.beats, phrase.pattern, [d.onset_s for d in detected], [d.f0_hz for d in detected],
        tempo_bpm=tempo_bpm, model_onsets_s=model_onsets, interval_st=interval,
        use_pitch=mode != "spoken", settings=s.alignment,
        durations_s=[d.duration_s for d in detected], levels_db=[d.energy_db for d in detected],
    )  # fmt: skip
    matched = [None if j is None else detected[j] for j in al.target_to_detected]
    matched = _place_onsets(matched, phrase.syllables)
    f0s = [None if d is None else d.f0_hz for d in matched]
    spreads = [None if d is None else d.f0_spread_st for d in matched]
    measures: dict[str, Any] = {
        "n_targets": n,
        "n_detected": len(detected),
        "n_matched": al.n_matched,
        "n_extra": len(al.extra),
        "dynamic_range_db": round(act.dynamic_range_db, 1),
    }
    judged = s.weights(mode)
    onsets = [None if d is None else d.onset_s for d in matched]
    lenient = s.spoken_rhythm_tolerance_factor if mode == "spoken" else 1.0
    rhythm, rm = rhythm_score(
        phrase.beats, onsets, model_onsets_s=model_onsets, s=s, tolerance_factor=lenient
    )
    if judged.rhythm <= 0:
        rhythm = None
    measures.update(rm)
    contour = None
    labels: list[str | None] = [None] * n
    cents: list[float | None] = [None] * n
    if judged.contour > 0:
        strict = mode == "sung"
        step = s.contour_min_step_st if strict else s.sprechgesang_min_step_st
        contour, labels, cents, cm = contour_score(
            phrase.pattern, f0s, spreads, interval_st=interval, strict=strict, min_step_st=step, s=s
        )
        measures.update(cm)
        if strict and contour is not None:  # speech rate, or pitch that never holds, is not intoning
            intoned = 1.0
            if "tempo_bpm" in rm:
                intoned = ramp_down(rm["tempo_bpm"], s.intoned_full_credit_bpm, s.intoned_zero_credit_bpm)
            held = held_note_s(track, [d for d in matched if d is not None], s.segmentation.plateau_st)
            measures["held_note_s"] = round(held, 3)
            intoned = min(intoned, ramp_up(held, s.held_zero_credit_s, s.held_full_credit_s))
            measures["intoned"] = round(intoned, 3)
            contour *= intoned
    completeness = al.n_matched / n if n else None
    voicing = None
    produced = [d for d in matched if d is not None]
    if judged.voicing > 0 and produced:
        voicing, vm = voicing_score(
            act.voiced, track.times_s, produced[0].onset_s, produced[-1].offset_s, s=s
        )
        measures.update(vm)
    if prompt_end_s is not None:
        measures["latency_s"] = round(detected[0].onset_s - prompt_end_s, 3)
    parts = {"contour": contour, "rhythm": rhythm, "completeness": completeness, "voicing": voicing}
    overall = overall_score(parts, judged)
    gates = {"contour": s.min_contour, "rhythm": s.min_rhythm, "completeness": s.min_completeness,
             "voicing": s.min_voicing}  # fmt: skip
    ok = overall is not None and overall >= s.pass_overall
    ok = ok and all(v is None or v >= gates[k] for k, v in parts.items())
    sylls = tuple(
        SyllableResult(
            index=i,
            text=phrase.syllables[i],
            target=phrase.pattern[i],
            onset_s=None if d is None else d.onset_s,
            offset_s=None if d is None else d.offset_s,
            f0_hz=None if d is None else d.f0_hz,
            produced=labels[i],
            error_cents=cents[i],
        )
        for i, d in enumerate(matched)
    )
    return AttemptAnalysis(
        audio=audio_name, phrase_id=phrase.id, mode=mode, tracker=track.tracker, duration_s=dur, pitch=track,
        syllables=sylls, scores=Scores(contour, rhythm, completeness, voicing, overall), measures=measures,
        verdict="pass" if ok else "fail", warnings=tuple(warn), detected=tuple(detected),
    )  # fmt: skip
