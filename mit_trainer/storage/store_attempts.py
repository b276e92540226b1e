"""Store methods about attempts: the append-only record, therapist scores, summaries, history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import defer

from mit_trainer.storage import convert
from mit_trainer.storage.base import StoreBase, sha256_file, utc_now
from mit_trainer.storage.errors import InvalidValue, UnknownRecord
from mit_trainer.storage.models import (
    AttemptRow,
    SessionRow,
    SyllableRow,
    TapRow,
    TherapistRow,
    TherapistScoreRow,
)
from mit_trainer.storage.records import (
    CUES,
    OUTCOMES,
    Attempt,
    AttemptInput,
    HistoryEntry,
    SessionSummary,
    StepSummary,
    TherapistScore,
)


def _check_attempt(a: AttemptInput) -> None:
    if a.cue not in CUES:
        raise InvalidValue(f"cue must be one of {', '.join(CUES)}, not {a.cue!r}")
    if a.auto_verdict is not None and a.auto_verdict not in OUTCOMES:
        raise InvalidValue(f"automatic verdict must be one of {', '.join(OUTCOMES)}, not {a.auto_verdict!r}")
    if a.try_number < 1:
        raise InvalidValue(f"try number starts at 1, not {a.try_number}")
    if a.level not in (1, 2, 3):
        raise InvalidValue(f"level must be 1, 2 or 3, not {a.level}")
    if a.points_awarded is not None and a.points_awarded < 0:
        raise InvalidValue("points cannot be negative")
    seen: set[int] = set()
    for s in a.syllables:
        if s.target not in ("H", "L") or s.produced not in (None, "H", "L"):
            raise InvalidValue(f"syllable {s.index}: target and produced must be 'H' or 'L'")
        if s.index in seen:
            raise InvalidValue(f"syllable index {s.index} given twice")
        seen.add(s.index)


class AttemptsMixin(StoreBase):
    def record_attempt(self, session_id: int, attempt: AttemptInput) -> Attempt:
        """Write one attempt with its syllables and taps in a single transaction.

        Attempts are never updated: a therapist's correction is :meth:`add_therapist_score`.
        """
        _check_attempt(attempt)
        audio_path = sha = None
        if attempt.audio_path is not None:
            audio_path = self._relative_audio(attempt.audio_path)
            sha = attempt.audio_sha256
            file = self.resolve_audio(audio_path)
            if sha is None and file.is_file():
                sha = sha256_file(file)
        s = attempt.scores
        with self._tx() as orm:
            session = self._session_row(orm, session_id)
            row = AttemptRow(
                session_id=session_id,
                item_index=attempt.item_index,
                phrase_id=attempt.phrase_id,
                trained=attempt.trained,
                level=attempt.level,
                step_id=attempt.step_id,
                step_index=attempt.step_index,
                try_number=attempt.try_number,
                backup=attempt.backup,
                cue=attempt.cue,
                fade_start_s=attempt.fade_start_s,
                fade_end_s=attempt.fade_end_s,
                tempo_bpm=attempt.tempo_bpm,
                interval_semitones=attempt.interval_semitones,
                low_note_hz=attempt.low_note_hz,
                delay_s=attempt.delay_s,
                analysis_mode=attempt.analysis_mode,
                started_at=attempt.started_at or utc_now(),
                audio_path=audio_path,
                audio_sha256=sha,
                duration_s=attempt.duration_s,
                response_latency_s=attempt.response_latency_s,
                analysis_json=convert.dump_json(attempt.analysis),
                analysis_version=attempt.analysis_version,
                tracker=attempt.tracker,
                score_contour=s.contour,
                score_rhythm=s.rhythm,
                score_completeness=s.completeness,
                score_voicing=s.voicing,
                score_overall=s.overall,
                auto_verdict=attempt.auto_verdict,
                points_awarded=attempt.points_awarded,
                interrupted=attempt.interrupted,
            )
            if row.started_at < session.started_at:
                raise InvalidValue("an attempt cannot start before its session")
            orm.add(row)
            orm.flush()
            syllables = [
                SyllableRow(
                    attempt_id=row.id,
                    syllable_index=y.index,
                    text=y.text,
                    target=y.target,
                    onset_s=y.onset_s,
                    offset_s=y.offset_s,
                    duration_s=y.duration_s,
                    f0_hz=y.f0_hz,
                    produced=y.produced,
                    error_cents=y.error_cents,
                )
                for y in attempt.syllables
            ]
            taps = [
                TapRow(
                    attempt_id=row.id,
                    t_s=t.t_s,
                    syllable_index=t.syllable_index,
                    asynchrony_ms=t.asynchrony_ms,
                )
                for t in attempt.taps
            ]
            orm.add_all(syllables)
            orm.add_all(taps)
            orm.flush()
            return convert.attempt(row, syllables, taps)

    def add_therapist_score(
        self,
        attempt_id: int,
        *,
        outcome: str,
        points: int | None = None,
        reason: str | None = None,
        therapist_id: int | None = None,
        created_at: datetime | None = None,
    ) -> TherapistScore:
        """Add the therapist's judgement of an attempt as a new row; the automatic score stays."""
        if outcome not in OUTCOMES:
            raise InvalidValue(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
        if points is not None and points < 0:
            raise InvalidValue("points cannot be negative")
        with self._tx() as orm:
            if self._get(orm, AttemptRow, attempt_id) is None:
                raise UnknownRecord(f"no attempt with id {attempt_id}")
            if therapist_id is not None and self._get(orm, TherapistRow, therapist_id) is None:
                raise UnknownRecord(f"no therapist with id {therapist_id}")
            row = TherapistScoreRow(
                attempt_id=attempt_id,
                therapist_id=therapist_id,
                outcome=outcome,
                points=points,
                reason=reason,
                created_at=created_at or utc_now(),
            )
            orm.add(row)
            orm.flush()
            return convert.therapist_score(row)

    def get_attempt(self, attempt_id: int) -> Attempt:
        with self._tx() as orm:
            row = self._get(orm, AttemptRow, attempt_id)
            if row is None:
                raise UnknownRecord(f"no attempt with id {attempt_id}")
            return _load_attempts(orm, [row])[0]

    def attempts_for_session(self, session_id: int) -> list[Attempt]:
        """A session's attempts in order, each with syllables, taps and therapist scores."""
        with self._tx() as orm:
            self._session_row(orm, session_id)
            stmt = (
                select(AttemptRow)
                .where(AttemptRow.session_id == session_id)
                .order_by(AttemptRow.started_at, AttemptRow.id)
            )
            rows = self._tolerant(orm, stmt, AttemptRow, "attempts")
            return _load_attempts(orm, rows, self._report)

    def session_summary(self, session_id: int) -> SessionSummary:
        """Points (final: therapist score when present), attempts, items and per-step totals."""
        with self._tx() as orm:
            session = convert.session(self._session_row(orm, session_id))
            rows = self._tolerant(
                orm, _light_stmt(AttemptRow.session_id == session_id), AttemptRow, "attempts"
            )
            scores = _scores_by_attempt(orm, [r.id for r in rows])
        steps: dict[str, list[int]] = {}
        total = 0
        for r in rows:
            points = _final(r, scores.get(r.id))[1] or 0
            entry = steps.setdefault(r.step_id, [0, 0])
            entry[0] += 1
            entry[1] += points
            total += points
        return SessionSummary(
            session=session,
            n_attempts=len(rows),
            n_items=len({r.item_index for r in rows}),
            points_earned=total,
            points_possible=session.points_possible,
            n_overrides=sum(1 for r in rows if scores.get(r.id)),
            steps=tuple(StepSummary(step_id=k, n_attempts=v[0], points=v[1]) for k, v in steps.items()),
        )

    def history_for_selection(self, patient_id: int) -> list[HistoryEntry]:
        """Every attempt of a patient, oldest first, with its final outcome (for item selection)."""
        with self._tx() as orm:
            self._patient_row(orm, patient_id)
            session_ids = select(SessionRow.id).where(SessionRow.patient_id == patient_id)
            stmt = _light_stmt(AttemptRow.session_id.in_(session_ids))
            rows = self._tolerant(orm, stmt, AttemptRow, "attempts")
            scores = _scores_by_attempt(orm, [r.id for r in rows])
        out = []
        for r in rows:
            outcome, points = _final(r, scores.get(r.id))
            out.append(
                HistoryEntry(
                    phrase_id=r.phrase_id,
                    started_at=r.started_at,
                    outcome=outcome,
                    points=points,
                    level=r.level,
                    step_id=r.step_id,
                    trained=r.trained,
                    session_id=r.session_id,
                )
            )
        return out


def _light_stmt(where: ColumnElement[bool]) -> Select[AttemptRow]:
    """Attempt rows without their (large) analysis JSON, in order."""
    return (
        select(AttemptRow)
        .options(defer(AttemptRow.analysis_json))
        .where(where)
        .order_by(AttemptRow.started_at, AttemptRow.id)
    )


def _final(row: AttemptRow, scores: list[TherapistScoreRow] | None) -> tuple[str | None, int | None]:
    """(outcome, points): the therapist's latest score when there is one, else the automatic one."""
    if scores:
        return scores[-1].outcome, scores[-1].points
    return row.auto_verdict, row.points_awarded


def _scores_by_attempt(orm: OrmSession, ids: Sequence[int]) -> dict[int, list[TherapistScoreRow]]:
    out: dict[int, list[TherapistScoreRow]] = defaultdict(list)
    for chunk in _chunks(ids):
        stmt = (
            select(TherapistScoreRow)
            .where(TherapistScoreRow.attempt_id.in_(chunk))
            .order_by(TherapistScoreRow.id)
        )
        for row in orm.scalars(stmt):
            out[row.attempt_id].append(row)
    return out


def _load_attempts(
    orm: OrmSession,
    rows: Sequence[AttemptRow],
    report: Callable[[str, object, BaseException], None] | None = None,
) -> list[Attempt]:
    """Attempts with their syllables, taps and scores; with ``report``, an attempt whose analysis JSON
    cannot be read is reported and left out (without it, the error is raised)."""
    ids = [r.id for r in rows]
    syllables: dict[int, list[SyllableRow]] = defaultdict(list)
    taps: dict[int, list[TapRow]] = defaultdict(list)
    for chunk in _chunks(ids):
        for y in orm.scalars(select(SyllableRow).where(SyllableRow.attempt_id.in_(chunk))):
            syllables[y.attempt_id].append(y)
        for t in orm.scalars(select(TapRow).where(TapRow.attempt_id.in_(chunk))):
            taps[t.attempt_id].append(t)
    scores = _scores_by_attempt(orm, ids)
    out = []
    for r in rows:
        try:
            out.append(convert.attempt(r, syllables[r.id], taps[r.id], scores[r.id]))
        except ValueError as exc:
            if report is None:
                raise
            report("attempts", r.id, exc)
    return out


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
