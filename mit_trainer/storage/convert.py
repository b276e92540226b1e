"""Row-to-record conversion and JSON encoding shared by the store's modules."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from mit_trainer.storage.models import (
    AssessmentRow,
    AttemptRow,
    EventRow,
    PatientIdentityRow,
    PatientRow,
    PatientSettingsRow,
    SessionRow,
    SyllableRow,
    TapRow,
    TherapistRow,
    TherapistScoreRow,
)
from mit_trainer.storage.records import (
    Assessment,
    Attempt,
    AutoScores,
    Consents,
    Event,
    Patient,
    PatientIdentity,
    PatientSettings,
    SessionRecord,
    Syllable,
    Tap,
    Therapist,
    TherapistScore,
)


def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars and arrays become Python values, NaN becomes None."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dump_json(value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(_plain(value), allow_nan=False, separators=(",", ":"), ensure_ascii=False)


def load_json(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))


def therapist(row: TherapistRow) -> Therapist:
    return Therapist(
        id=row.id, display_name=row.display_name, pin_hash=row.pin_hash, created_at=row.created_at
    )


def patient(row: PatientRow) -> Patient:
    return Patient(
        id=row.id,
        code=row.code,
        created_at=row.created_at,
        consents=Consents(
            clinical=row.consent_clinical, research=row.consent_research, share_audio=row.consent_share_audio
        ),
        recordings_key=row.recordings_key,
    )


def identity(row: PatientIdentityRow) -> PatientIdentity:
    return PatientIdentity(full_name=row.full_name, date_of_birth=row.date_of_birth, notes=row.notes)


def settings(row: PatientSettingsRow) -> PatientSettings:
    return PatientSettings(
        low_note_hz=row.low_note_hz,
        interval_semitones=row.interval_semitones,
        tempo_bpm=row.tempo_bpm,
        tap_side=row.tap_side,
        font_scale=row.font_scale,
        protocol_id=row.protocol_id,
        phrase_set=row.phrase_set,
        level=row.level,
        updated_at=row.updated_at,
        model_voice=row.model_voice,
    )


def session(row: SessionRow) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        patient_id=row.patient_id,
        number=row.number,
        therapist_id=row.therapist_id,
        protocol_id=row.protocol_id,
        protocol_version=row.protocol_version,
        phrase_set_name=row.phrase_set_name,
        phrase_set_sha256=row.phrase_set_sha256,
        level=row.level,
        started_at=row.started_at,
        ended_at=row.ended_at,
        fatigue_before=row.fatigue_before,
        fatigue_after=row.fatigue_after,
        notes=row.notes,
        points_earned=row.points_earned,
        points_possible=row.points_possible,
        advancement_decision=row.advancement_decision,
    )


def syllable(row: SyllableRow) -> Syllable:
    return Syllable(
        index=row.syllable_index,
        text=row.text,
        target=row.target,
        onset_s=row.onset_s,
        offset_s=row.offset_s,
        f0_hz=row.f0_hz,
        produced=row.produced,
        error_cents=row.error_cents,
    )


def tap(row: TapRow) -> Tap:
    return Tap(t_s=row.t_s, syllable_index=row.syllable_index, asynchrony_ms=row.asynchrony_ms)


def therapist_score(row: TherapistScoreRow) -> TherapistScore:
    return TherapistScore(
        id=row.id,
        attempt_id=row.attempt_id,
        therapist_id=row.therapist_id,
        outcome=row.outcome,
        points=row.points,
        reason=row.reason,
        created_at=row.created_at,
    )


def attempt(
    row: AttemptRow,
    syllables: Iterable[SyllableRow] = (),
    taps: Iterable[TapRow] = (),
    scores: Iterable[TherapistScoreRow] = (),
) -> Attempt:
    return Attempt(
        id=row.id,
        session_id=row.session_id,
        item_index=row.item_index,
        phrase_id=row.phrase_id,
        trained=row.trained,
        level=row.level,
        step_id=row.step_id,
        step_index=row.step_index,
        try_number=row.try_number,
        backup=row.backup,
        cue=row.cue,
        fade_start_s=row.fade_start_s,
        fade_end_s=row.fade_end_s,
        tempo_bpm=row.tempo_bpm,
        interval_semitones=row.interval_semitones,
        low_note_hz=row.low_note_hz,
        delay_s=row.delay_s,
        analysis_mode=row.analysis_mode,
        started_at=row.started_at,
        audio_path=row.audio_path,
        audio_sha256=row.audio_sha256,
        duration_s=row.duration_s,
        response_latency_s=row.response_latency_s,
        analysis=load_json(row.analysis_json),
        analysis_version=row.analysis_version,
        tracker=row.tracker,
        scores=AutoScores(
            contour=row.score_contour,
            rhythm=row.score_rhythm,
            completeness=row.score_completeness,
            voicing=row.score_voicing,
            overall=row.score_overall,
        ),
        auto_verdict=row.auto_verdict,
        points_awarded=row.points_awarded,
        interrupted=row.interrupted,
        syllables=tuple(syllable(s) for s in sorted(syllables, key=lambda s: s.syllable_index)),
        taps=tuple(tap(t) for t in sorted(taps, key=lambda t: t.t_s)),
        therapist_scores=tuple(therapist_score(s) for s in sorted(scores, key=lambda s: s.id)),
    )


def assessment(row: AssessmentRow) -> Assessment:
    return Assessment(
        id=row.id,
        patient_id=row.patient_id,
        test=row.test,
        subtest=row.subtest,
        score=row.score,
        time_point=row.time_point,
        assessed_at=row.assessed_at,
        blinded=row.blinded,
        assessor_id=row.assessor_id,
        notes=row.notes,
    )


def event(row: EventRow) -> Event:
    return Event(
        id=row.id,
        session_id=row.session_id,
        patient_id=row.patient_id,
        created_at=row.created_at,
        kind=row.kind,
        payload=load_json(row.payload_json) or {},
    )
