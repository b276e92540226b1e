"""Store methods about people: therapists, patients, their identity, consents and settings."""

from __future__ import annotations

import dataclasses
import re
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from mit_trainer.storage import convert
from mit_trainer.storage.base import StoreBase, utc_now
from mit_trainer.storage.errors import DuplicatePatientCode, InvalidValue, UnknownPatient, UnknownRecord
from mit_trainer.storage.models import (
    EventRow,
    PatientIdentityRow,
    PatientRow,
    PatientSettingsRow,
    TherapistRow,
)
from mit_trainer.storage.records import (
    TAP_SIDES,
    Consents,
    Patient,
    PatientIdentity,
    PatientSettings,
    Therapist,
)

#: Pseudonymous patient codes: letters and digits only (they become BIDS ``sub-<code>`` labels).
CODE_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")
_SETTING_FIELDS = {f.name for f in dataclasses.fields(PatientSettings)} - {"updated_at"}


def validate_code(code: str) -> str:
    if not CODE_RE.fullmatch(code):
        raise InvalidValue(f"patient code {code!r} must be 1-32 letters or digits (no names, no spaces)")
    return code


class PeopleMixin(StoreBase):
    # -- therapists ------------------------------------------------------------------------
    def add_therapist(self, display_name: str, *, pin_hash: str | None = None) -> Therapist:
        """Add a therapist; ``pin_hash`` is an argon2 hash string made by the app."""
        if not display_name.strip():
            raise InvalidValue("a therapist needs a display name")
        with self._tx() as orm:
            row = TherapistRow(display_name=display_name.strip(), pin_hash=pin_hash, created_at=utc_now())
            orm.add(row)
            orm.flush()
            return convert.therapist(row)

    def get_therapist(self, therapist_id: int) -> Therapist:
        with self._tx() as orm:
            row = self._get(orm, TherapistRow, therapist_id)
            if row is None:
                raise UnknownRecord(f"no therapist with id {therapist_id}")
            return convert.therapist(row)

    def list_therapists(self) -> list[Therapist]:
        with self._tx() as orm:
            rows = self._tolerant(
                orm, select(TherapistRow).order_by(TherapistRow.id), TherapistRow, "therapists"
            )
            return self._converted(rows, convert.therapist, "therapists")

    def set_therapist_pin(self, therapist_id: int, pin_hash: str | None) -> None:
        with self._tx() as orm:
            row = self._get(orm, TherapistRow, therapist_id)
            if row is None:
                raise UnknownRecord(f"no therapist with id {therapist_id}")
            row.pin_hash = pin_hash

    # -- patients --------------------------------------------------------------------------
    def add_patient(
        self,
        code: str,
        consents: Consents | None = None,
        identity: PatientIdentity | None = None,
        settings: PatientSettings | None = None,
    ) -> Patient:
        """Add a patient under a pseudonymous ``code``; identifying details go to their own table."""
        validate_code(code)
        consents = consents or Consents()
        settings = settings or PatientSettings()
        _check_settings(settings)
        now = utc_now()
        try:
            with self._tx() as orm:
                if orm.scalar(select(func.count()).where(PatientRow.code == code)):
                    raise DuplicatePatientCode(f"a patient with code {code!r} already exists")
                row = PatientRow(
                    code=code,
                    recordings_key=secrets.token_hex(8),
                    created_at=now,
                    consent_clinical=consents.clinical,
                    consent_research=consents.research,
                    consent_share_audio=consents.share_audio,
                )
                orm.add(row)
                orm.flush()
                values = dataclasses.asdict(settings) | {"updated_at": now}
                orm.add(PatientSettingsRow(patient_id=row.id, **values))
                if identity is not None:
                    orm.add(PatientIdentityRow(patient_id=row.id, **dataclasses.asdict(identity)))
                orm.add(_consent_event(row.id, consents, now))
                orm.flush()
                return convert.patient(row)
        except InvalidValue as exc:
            if isinstance(exc.__cause__, IntegrityError) and "code" in str(exc):
                raise DuplicatePatientCode(f"a patient with code {code!r} already exists") from exc
            raise

    def get_patient(self, patient_id: int) -> Patient:
        with self._tx() as orm:
            return convert.patient(self._patient_row(orm, patient_id))

    def get_patient_by_code(self, code: str) -> Patient:
        """The patient with pseudonymous ``code``; raises :class:`UnknownPatient`."""
        with self._tx() as orm:
            pid = orm.scalar(select(PatientRow.id).where(PatientRow.code == code))
            row = None if pid is None else self._get(orm, PatientRow, pid)
            if row is None:
                raise UnknownPatient(f"unknown patient {code!r}")
            return convert.patient(row)

    def patient_id_for_code(self, code: str) -> int:
        """The id of the patient with ``code`` (reads no other value: works on a damaged row too)."""
        with self._tx() as orm:
            pid = orm.scalar(select(PatientRow.id).where(PatientRow.code == code))
            if pid is None:
                raise UnknownPatient(f"unknown patient {code!r}")
            return pid

    def list_patients(self) -> list[Patient]:
        with self._tx() as orm:
            rows = self._tolerant(orm, select(PatientRow).order_by(PatientRow.code), PatientRow, "patients")
            return self._converted(rows, convert.patient, "patients")

    def update_consents(self, patient_id: int, consents: Consents) -> Patient:
        """Change the consent flags; the change is logged as a ``consent`` event."""
        with self._tx() as orm:
            row = self._patient_row(orm, patient_id)
            row.consent_clinical = consents.clinical
            row.consent_research = consents.research
            row.consent_share_audio = consents.share_audio
            orm.add(_consent_event(patient_id, consents, utc_now()))
            return convert.patient(row)

    def get_identity(self, patient_id: int) -> PatientIdentity | None:
        with self._tx() as orm:
            self._patient_row(orm, patient_id)
            row = self._get(orm, PatientIdentityRow, patient_id)
            return None if row is None else convert.identity(row)

    def set_identity(self, patient_id: int, identity: PatientIdentity | None) -> None:
        """Replace (or with None, remove) the identifying details of a patient."""
        with self._tx() as orm:
            self._patient_row(orm, patient_id)
            row = self._get(orm, PatientIdentityRow, patient_id)
            if row is not None:
                orm.delete(row)
                orm.flush()
            if identity is not None:
                orm.add(PatientIdentityRow(patient_id=patient_id, **dataclasses.asdict(identity)))

    def get_patient_settings(self, patient_id: int) -> PatientSettings:
        with self._tx() as orm:
            self._patient_row(orm, patient_id)
            row = self._get(orm, PatientSettingsRow, patient_id)
            assert row is not None  # created with the patient
            return convert.settings(row)

    def update_patient_settings(self, patient_id: int, **changes: Any) -> PatientSettings:
        """Change some settings (``low_note_hz=196.0, tempo_bpm=50`` ...) and return all of them."""
        unknown = set(changes) - _SETTING_FIELDS
        if unknown:
            raise InvalidValue(f"unknown patient setting(s): {', '.join(sorted(unknown))}")
        with self._tx() as orm:
            self._patient_row(orm, patient_id)
            row = self._get(orm, PatientSettingsRow, patient_id)
            assert row is not None
            new = dataclasses.replace(convert.settings(row), **changes)
            _check_settings(new)
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = utc_now()
            return convert.settings(row)

    def patient_recordings_dir(self, patient_id: int, *, create: bool = True) -> Path:
        """The patient's folder under the recordings folder, named by an opaque key (not the code)."""
        folder = self.patient_folder(self.get_patient(patient_id).recordings_key)
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        return folder


def _check_settings(s: PatientSettings) -> None:
    if s.model_voice is not None and not (isinstance(s.model_voice, str) and 0 < len(s.model_voice) <= 32):
        raise InvalidValue(f"model voice must be a short name, not {s.model_voice!r}")
    if s.tap_side not in TAP_SIDES:
        raise InvalidValue(f"tap side must be one of {', '.join(TAP_SIDES)}, not {s.tap_side!r}")
    if not 0 < s.interval_semitones <= 12:
        raise InvalidValue(f"interval must be in (0, 12] semitones, not {s.interval_semitones}")
    if s.tempo_bpm <= 0:
        raise InvalidValue(f"tempo must be positive, not {s.tempo_bpm} BPM")
    if s.low_note_hz is not None and s.low_note_hz <= 0:
        raise InvalidValue(f"low note must be positive, not {s.low_note_hz} Hz")
    if s.level not in (1, 2, 3):
        raise InvalidValue(f"level must be 1, 2 or 3, not {s.level}")


def _consent_event(patient_id: int, consents: Consents, now: Any) -> EventRow:
    payload = convert.dump_json(dataclasses.asdict(consents))
    assert payload is not None
    return EventRow(patient_id=patient_id, created_at=now, kind="consent", payload_json=payload)
