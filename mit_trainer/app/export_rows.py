"""Rows of the export tables for one participant, computed from the store's records.

Dates become whole UTC calendar days since the participant's first session; identifying columns
are filled only when not de-identifying (the writer drops them otherwise, see codebook.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

from mit_trainer.storage import Attempt, Patient, SessionRecord, Store


@dataclass(frozen=True)
class AudioJob:
    attempt: Attempt
    attempt_label: str
    base: PurePosixPath  # relative to the export root, without suffix
    sidecar: dict[str, Any]
    row: dict[str, Any]  # the attempts.tsv row, whose audio_file is cleared if the copy fails


@dataclass
class ParticipantRows:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    audio_jobs: list[AudioJob] = field(default_factory=list)


def _label(prefix: str, value: int | None) -> str | None:
    return None if value is None else f"{prefix}-{value}"


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def voicing_continuity(attempt: Attempt) -> float | None:
    """Voiced fraction of pitch frames between the first detected onset and the last offset."""
    pitch = (attempt.analysis or {}).get("pitch") or {}
    onsets = [s.onset_s for s in attempt.syllables if s.onset_s is not None]
    offsets = [s.offset_s for s in attempt.syllables if s.offset_s is not None]
    if not pitch.get("times_s") or not onsets or not offsets:
        return None
    start, stop = min(onsets), max(offsets)
    frames = [f for t, f in zip(pitch["times_s"], pitch.get("f0_hz", []), strict=False) if start <= t <= stop]
    if not frames:
        return None
    return sum(1 for f in frames if f is not None) / len(frames)


#: Audio suffixes an export may write (anything else read from the database becomes ``.wav``).
AUDIO_SUFFIXES = (".wav", ".flac")


def attempt_words(attempt: Attempt) -> list[dict[str, Any]] | None:
    """The word tier of the attempt's analysis JSON (None when the word check did not run)."""
    words = (attempt.analysis or {}).get("words")
    return [w for w in words if isinstance(w, dict)] if isinstance(words, list) else None


def participant_rows(
    store: Store,
    patient: Patient,
    *,
    participant_id: str,
    since: date | None,
    with_audio: bool,
    deidentify: bool,
) -> ParticipantRows:
    """Rows of every table for ``patient``, labelled ``participant_id`` (``sub-<research id>`` in a
    de-identified export: the patient code appears nowhere)."""
    pid = participant_id
    all_sessions = store.list_sessions(patient.id)
    assessments = store.list_assessments(patient.id)
    ref_times = [s.started_at for s in all_sessions] or [a.assessed_at for a in assessments]
    ref = min(ref_times).date() if ref_times else None

    def day(ts: datetime) -> int | None:
        return None if ref is None else (ts.date() - ref).days

    sessions = [s for s in all_sessions if since is None or s.started_at.date() >= since]
    audio_ok = with_audio and patient.consents.share_audio
    out = ParticipantRows(
        tables={name: [] for name in ("participants", "sessions", "attempts", "syllables", "words", "taps")}
    )
    for session in sessions:
        attempts = store.attempts_for_session(session.id)
        out.tables["sessions"].append(_session_row(pid, session, attempts, day(session.started_at)))
        for n, attempt in enumerate(attempts, start=1):
            _attempt_rows(out, pid, session, n, attempt, day(attempt.started_at), audio_ok)
    settings = store.get_patient_settings(patient.id)
    identity = None if deidentify else store.get_identity(patient.id)
    out.tables["participants"].append(
        {
            "participant_id": pid,
            "consent_research": patient.consents.research,
            "consent_share_audio": patient.consents.share_audio,
            "audio_included": audio_ok,
            "n_sessions": len(sessions),
            "low_note_hz": settings.low_note_hz,
            "interval_semitones": settings.interval_semitones,
            "tempo_bpm": settings.tempo_bpm,
            "tap_side": settings.tap_side,
            "protocol_id": settings.protocol_id,
            "level": settings.level,
            "full_name": identity.full_name if identity else None,
            "date_of_birth": _iso(identity.date_of_birth) if identity else None,
            "identity_notes": identity.notes if identity else None,
        }
    )
    out.tables["assessments"] = [
        {
            "participant_id": pid,
            "test": a.test,
            "subtest": a.subtest,
            "score": a.score,
            "time_point": a.time_point,
            "day": day(a.assessed_at),
            "assessed_at": _iso(a.assessed_at),
            "blinded": a.blinded,
            "assessor_id": _label("thr", a.assessor_id),
            "notes": a.notes,
        }
        for a in assessments
        if since is None or a.assessed_at.date() >= since
    ]
    return out


def _session_row(pid: str, s: SessionRecord, attempts: list[Attempt], day: int | None) -> dict[str, Any]:
    earned = sum(a.final_points or 0 for a in attempts)
    return {
        "participant_id": pid,
        "session_id": f"ses-{s.number:02d}",
        "session_number": s.number,
        "day": day,
        "started_at": _iso(s.started_at),
        "ended_at": _iso(s.ended_at),
        "duration_s": s.duration_s,
        "therapist_id": _label("thr", s.therapist_id),
        "protocol_id": s.protocol_id,
        "protocol_version": s.protocol_version,
        "phrase_set_name": s.phrase_set_name,
        "phrase_set_sha256": s.phrase_set_sha256,
        "level": s.level,
        "fatigue_before": s.fatigue_before,
        "fatigue_after": s.fatigue_after,
        "n_attempts": len(attempts),
        "n_items": len({a.item_index for a in attempts}),
        "points_earned": earned,
        "points_possible": s.points_possible,
        "score_fraction": earned / s.points_possible if s.points_possible else None,
        "advancement_decision": s.advancement_decision,
        "notes": s.notes,
    }


def _attempt_rows(
    out: ParticipantRows, pid: str, s: SessionRecord, n: int, a: Attempt, day: int | None, audio_ok: bool
) -> None:
    ses = f"ses-{s.number:02d}"
    label = f"{pid}_{ses}_att-{n:03d}"
    keys = {"participant_id": pid, "session_id": ses, "attempt_id": label}
    latest = a.latest_therapist_score
    words = attempt_words(a)
    audio_file = None
    if audio_ok and a.audio_path:
        base = PurePosixPath("audio", pid, ses, label)
        suffix = PurePosixPath(a.audio_path).suffix.lower()
        audio_file = f"{base}{suffix if suffix in AUDIO_SUFFIXES else '.wav'}"
    row = keys | {
        "attempt_number": n,
        "item_index": a.item_index,
        "phrase_id": a.phrase_id,
        "trained": a.trained,
        "level": a.level,
        "step_id": a.step_id,
        "step_index": a.step_index,
        "try_number": a.try_number,
        "backup": a.backup,
        "cue": a.cue,
        "fade_start_s": a.fade_start_s,
        "fade_end_s": a.fade_end_s,
        "tempo_bpm": a.tempo_bpm,
        "interval_semitones": a.interval_semitones,
        "low_note_hz": a.low_note_hz,
        "delay_s": a.delay_s,
        "analysis_mode": a.analysis_mode,
        "day": day,
        "time_in_session_s": (a.started_at - s.started_at).total_seconds(),
        "started_at": _iso(a.started_at),
        "response_latency_s": a.response_latency_s,
        "duration_s": a.duration_s,
        "syllables_targeted": len(a.syllables),
        "syllables_detected": sum(1 for y in a.syllables if y.onset_s is not None),
        "voicing_continuity": voicing_continuity(a),
        "words_targeted": None if words is None else len(words),
        "words_said": None if words is None else sum(1 for w in words if w.get("status") == "said"),
        "score_contour": a.scores.contour,
        "score_rhythm": a.scores.rhythm,
        "score_completeness": a.scores.completeness,
        "score_voicing": a.scores.voicing,
        "score_overall": a.scores.overall,
        "auto_verdict": a.auto_verdict,
        "auto_points": a.points_awarded,
        "therapist_outcome": latest.outcome if latest else None,
        "therapist_points": latest.points if latest else None,
        "therapist_id": _label("thr", latest.therapist_id) if latest else None,
        "therapist_reason": latest.reason if latest else None,
        "n_therapist_scores": len(a.therapist_scores),
        "final_outcome": a.final_outcome,
        "final_points": a.final_points,
        "interrupted": a.interrupted,
        "audio_file": audio_file,
        "audio_sha256": a.audio_sha256,
        "tracker": a.tracker,
        "analysis_version": a.analysis_version,
        "protocol_id": s.protocol_id,
        "protocol_version": s.protocol_version,
    }
    out.tables["attempts"].append(row)
    if audio_file is not None:
        out.audio_jobs.append(AudioJob(a, label, base, _sidecar(label, a, s), row))
    for y in a.syllables:
        out.tables["syllables"].append(
            keys
            | {
                "syllable_index": y.index,
                "text": y.text,
                "target": y.target,
                "produced": y.produced,
                "detected": y.onset_s is not None,
                "onset_s": y.onset_s,
                "offset_s": y.offset_s,
                "duration_s": y.duration_s,
                "f0_median_hz": y.f0_hz,
                "pitch_error_cents": y.error_cents,
            }
        )
    for w in words or ():
        sy = [int(i) for i in w.get("syllables") or ()]
        out.tables["words"].append(
            keys
            | {
                "word_index": w.get("index"),
                "text": w.get("text"),
                "status": w.get("status"),
                "onset_s": w.get("onset_s"),
                "offset_s": w.get("offset_s"),
                "confidence": w.get("confidence"),
                "gop": w.get("gop"),
                "first_syllable_index": min(sy) if sy else None,
                "last_syllable_index": max(sy) if sy else None,
            }
        )
    for i, t in enumerate(a.taps):
        out.tables["taps"].append(
            keys
            | {
                "tap_index": i,
                "t_s": t.t_s,
                "nearest_syllable_index": t.syllable_index,
                "asynchrony_ms": t.asynchrony_ms,
            }
        )


def _sidecar(label: str, a: Attempt, s: SessionRecord) -> dict[str, Any]:
    """JSON sidecar of a recording: the attempt's parameters and scores, no dates or names."""
    return {
        "attempt_id": label,
        "phrase_id": a.phrase_id,
        "trained": a.trained,
        "level": a.level,
        "step_id": a.step_id,
        "try_number": a.try_number,
        "backup": a.backup,
        "cue": a.cue,
        "tempo_bpm": a.tempo_bpm,
        "interval_semitones": a.interval_semitones,
        "low_note_hz": a.low_note_hz,
        "analysis_mode": a.analysis_mode,
        "tracker": a.tracker,
        "analysis_version": a.analysis_version,
        "protocol_id": s.protocol_id,
        "protocol_version": s.protocol_version,
        "auto_verdict": a.auto_verdict,
        "scores": dataclasses.asdict(a.scores),
        "final_outcome": a.final_outcome,
        "final_points": a.final_points,
        "audio_sha256": a.audio_sha256,
        "words": attempt_words(a),
        "syllables": [
            {
                "index": y.index,
                "text": y.text,
                "target": y.target,
                "onset_s": y.onset_s,
                "offset_s": y.offset_s,
            }
            for y in a.syllables
        ],
    }
