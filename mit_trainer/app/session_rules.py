"""Pure helpers of a training session: planning from history, points, taps, expected spans, the model voice.

Split from :mod:`mit_trainer.app.session`; each function is small and has no state of its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from mit_trainer.analysis.stimulus import Stimulus
from mit_trainer.analysis.voice import VoiceParams
from mit_trainer.app.model_cache import voice_argument
from mit_trainer.app.session_model import SCORE_WORDS, SessionError
from mit_trainer.app.voices import resolve_voice
from mit_trainer.core.engine_events import BackupRole, ItemKind, Outcome
from mit_trainer.core.protocol import Protocol, StepDef
from mit_trainer.core.records import Phrase, PhraseSet
from mit_trainer.core.selection import PracticeRecord, SessionPlan, select_items
from mit_trainer.scoring.attempt import AttemptAnalysis
from mit_trainer.storage import Patient, Store, Tap


def utc_now() -> datetime:
    return datetime.now(UTC)


def plan_session(
    store: Store,
    patient: Patient,
    protocol: Protocol,
    phrase_set: PhraseSet,
    *,
    level: int,
    now: datetime,
    seed: int,
    items_per_session: int | None = None,
    probe_items: int | None = None,
) -> SessionPlan:
    """Select the session's items from the phrase set and the patient's practice history."""
    history = store.history_for_selection(patient.id)
    per_item: dict[tuple[int, str], list[Any]] = {}
    for h in history:
        per_item.setdefault((h.session_id, h.phrase_id), []).append(h)
    records = []
    for (_sid, pid), rows in per_item.items():
        scored = [r for r in rows if r.outcome is not None]
        passed = None if not scored else scored[-1].outcome == "pass"
        kind = ItemKind.TRAINED if rows[0].trained else ItemKind.UNTRAINED
        records.append(PracticeRecord(pid, rows[0].started_at, passed, kind))
    rules = protocol.session
    if items_per_session is not None:
        rules = replace(rules, items_per_session=items_per_session)
    if probe_items is not None:
        rules = replace(rules, probe_items=probe_items)
    return select_items(phrase_set.phrases, records, level=level, now=now, rules=rules, seed=seed)


def session_percentages(store: Store, patient_id: int, *, protocol_id: str, level: int) -> list[float | None]:
    """The session score (trained items' points / possible, %) of the patient's ended sessions at a level.

    Taken from the engine's own totals logged when each session ended (untrained probes excluded, as
    PROTOCOL.md §4 asks); oldest first. This is what the advancement rule is evaluated on.
    """
    out: list[float | None] = []
    for rec in store.list_sessions(patient_id):
        if rec.level != level or rec.protocol_id != protocol_id or rec.ended_at is None:
            continue
        ended = [e for e in store.list_events(session_id=rec.id) if e.kind == "effect.session_ended"]
        if ended:
            out.append(ended[-1].payload.get("percent"))
    return out


def parse_outcome(value: str | Outcome) -> Outcome:
    if isinstance(value, Outcome):
        return value
    try:
        return SCORE_WORDS[value.strip().lower().replace(" ", "_").replace("-", "_")]
    except KeyError:
        raise SessionError(
            f"unknown score {value!r}; use correct, correct after backup, incorrect or no response"
        ) from None


def points_for(step: StepDef, role: BackupRole, outcome: Outcome) -> int | None:
    """The points the engine gives this outcome on this step (None for unscored steps)."""
    if not step.scored or step.points is None:
        return None
    if role is BackupRole.SUPPORT or outcome is not Outcome.CORRECT:
        return 0
    if role is BackupRole.RETRY and step.points.after_backup is not None:
        return step.points.after_backup
    return step.points.first


def taps_with_asynchrony(taps_s: Sequence[float], analysis: AttemptAnalysis | None) -> tuple[Tap, ...]:
    """Taps with their nearest produced syllable and the tap-to-syllable asynchrony (ms)."""
    onsets = []
    if analysis is not None:
        onsets = [(s.index, s.onset_s) for s in analysis.syllables if s.onset_s is not None]
    out = []
    for t in sorted(float(x) for x in taps_s):
        if not math.isfinite(t) or t < 0:
            continue
        if onsets:
            idx, onset = min(onsets, key=lambda o: abs(t - float(o[1])))
            out.append(
                Tap(t_s=round(t, 4), syllable_index=idx, asynchrony_ms=round((t - float(onset)) * 1000, 1))
            )
        else:
            out.append(Tap(t_s=round(t, 4)))
    return tuple(out)


def model_voice_name(choice: str, low_hz: float) -> str:
    """The concrete model voice for a setting (``auto`` follows the low note); SessionError if unknown."""
    try:
        return resolve_voice(choice, low_hz)
    except ValueError as exc:
        raise SessionError(str(exc)) from None


def model_voice_params(choice: str, low_hz: float = 130.81) -> str | VoiceParams:
    """What :func:`render_stimulus` takes for a model-voice setting: a word voice name or the formant
    voice's parameters."""
    return voice_argument(model_voice_name(choice, low_hz))


def expected_spans(
    analysis: AttemptAnalysis,
    phrase: Phrase,
    stimulus: Stimulus | None,
    offset_s: float,
    unison: bool,
    tempo_bpm: float,
) -> list[tuple[float, float]] | None:
    """Where each target syllable was expected on the recording's clock (for the TextGrid's target tier).

    Unison: the model's own syllables. Repetition: the model's timing (or the beats at the tempo when no
    model was played), anchored at the first produced syllable. None when nothing was produced.
    """
    if stimulus is not None:
        rel = [(s.onset_s, s.offset_s) for s in stimulus.syllables]
    else:
        beat = 60.0 / tempo_bpm
        starts = np.concatenate([[0.0], np.cumsum(np.asarray(phrase.beats, dtype=float))[:-1]]) * beat
        rel = [(float(a), float(a + b * beat)) for a, b in zip(starts, phrase.beats, strict=True)]
    if unison and stimulus is not None:
        return [(a + offset_s, b + offset_s) for a, b in rel]
    produced = [s for s in analysis.syllables if s.onset_s is not None]
    if not produced:
        return None
    anchor = produced[0]
    shift = float(anchor.onset_s) - rel[anchor.index][0]  # type: ignore[arg-type]
    return [(a + shift, b + shift) for a, b in rel]


def propose_plan(
    store: Store,
    *,
    patient_code: str,
    protocol: Protocol,
    phrase_set: PhraseSet,
    level: int | None = None,
    items_per_session: int | None = None,
    probe_items: int | None = None,
    now: datetime | None = None,
    seed: int = 0,
) -> SessionPlan:
    """What the planner would choose for today (shown to the therapist before the session starts)."""
    patient = store.get_patient_by_code(patient_code)
    level = level or store.get_patient_settings(patient.id).level
    return plan_session(
        store, patient, protocol, phrase_set, level=level, now=now or utc_now(), seed=seed,
        items_per_session=items_per_session, probe_items=probe_items,
    )  # fmt: skip
