"""Store methods about access and pseudonyms: the PIN audit and the research-id key.

The audit (``access_log``) never holds a PIN, only who was chosen, when, for what and whether the
PIN was right; the throttle of :mod:`mit_trainer.app.access` is computed from it. The research-id
key maps a patient to a random id per export key and stays in the clinic's database.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select

from mit_trainer.storage.base import StoreBase, utc_now
from mit_trainer.storage.errors import InvalidValue
from mit_trainer.storage.models import AccessLogRow, PatientRow, ResearchIdRow
from mit_trainer.storage.records import ACCESS_ACTIONS, AccessAttempt

#: Export keys name a study or a recipient: letters, digits, '-' and '_'.
EXPORT_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: Research ids: 10 characters of lowercase letters and digits (about 51 bits), valid BIDS labels.
_RID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
_RID_LENGTH = 10


class AccessMixin(StoreBase):
    # -- the PIN audit ---------------------------------------------------------------------
    def log_access(
        self, therapist_id: int | None, action: str, success: bool, *, at: datetime | None = None
    ) -> AccessAttempt:
        """Append one attempt to the audit (``action`` in :data:`ACCESS_ACTIONS`)."""
        if action not in ACCESS_ACTIONS:
            raise InvalidValue(f"access action must be one of {', '.join(ACCESS_ACTIONS)}, not {action!r}")
        with self._tx() as orm:
            row = AccessLogRow(
                therapist_id=therapist_id, action=action, success=bool(success), created_at=at or utc_now()
            )
            orm.add(row)
            orm.flush()
            return _attempt(row)

    def access_log(self, *, since: datetime | None = None, limit: int | None = None) -> list[AccessAttempt]:
        """Audit rows, oldest first (``since``: from that time on; ``limit``: only the newest n)."""
        stmt = select(AccessLogRow).order_by(AccessLogRow.id.desc())
        if since is not None:
            stmt = stmt.where(AccessLogRow.created_at >= since)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._tx() as orm:
            return [_attempt(r) for r in reversed(list(orm.scalars(stmt)))]

    # -- research ids ----------------------------------------------------------------------
    def research_id(self, patient_id: int, export_key: str) -> str:
        """The patient's research id under ``export_key``: made at random on first use, then stable."""
        if not EXPORT_KEY_RE.fullmatch(export_key):
            raise InvalidValue(f"export key {export_key!r} must be 1-64 letters, digits, '-' or '_'")
        with self._tx() as orm:
            self._patient_row(orm, patient_id)
            found = orm.scalar(
                select(ResearchIdRow.research_id).where(
                    ResearchIdRow.patient_id == patient_id, ResearchIdRow.export_key == export_key
                )
            )
            if found is not None:
                return found
            taken = set(
                orm.scalars(select(ResearchIdRow.research_id).where(ResearchIdRow.export_key == export_key))
            )
            rid = _new_research_id()
            while rid in taken:  # pragma: no cover - 1 in 10^15 per pair
                rid = _new_research_id()
            orm.add(
                ResearchIdRow(
                    patient_id=patient_id, export_key=export_key, research_id=rid, created_at=utc_now()
                )
            )
            return rid

    def research_key(self, export_key: str) -> dict[str, str]:
        """The key of one export key: patient code -> research id (for the clinic only)."""
        with self._tx() as orm:
            stmt = (
                select(PatientRow.code, ResearchIdRow.research_id)
                .join(ResearchIdRow, ResearchIdRow.patient_id == PatientRow.id)
                .where(ResearchIdRow.export_key == export_key)
                .order_by(PatientRow.code)
            )
            return {code: rid for code, rid in orm.execute(stmt)}


def _new_research_id() -> str:
    return "".join(secrets.choice(_RID_ALPHABET) for _ in range(_RID_LENGTH))


def _attempt(row: AccessLogRow) -> AccessAttempt:
    return AccessAttempt(
        id=row.id,
        therapist_id=row.therapist_id,
        action=row.action,
        success=row.success,
        created_at=row.created_at,
    )
