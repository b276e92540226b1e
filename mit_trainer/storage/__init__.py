"""Session store: therapists, patients, sessions, append-only attempts, assessments, events.

SQLAlchemy 2 models with Alembic migrations; SQLite in the user data folder by default, PostgreSQL
by URL. Use :func:`open_store` and the frozen records of :mod:`mit_trainer.storage.records`.
"""

from mit_trainer.storage.deletion import DeletionReport
from mit_trainer.storage.errors import (
    BadDatabaseUrl,
    DamagedDatabase,
    DatabaseUnreachable,
    DuplicatePatientCode,
    InvalidValue,
    StoreError,
    UnknownPatient,
    UnknownRecord,
    UnreadableValue,
    UnsafePath,
)
from mit_trainer.storage.from_analysis import (
    attempt_from_analysis,
    scores_from_analysis,
    syllables_from_analysis,
)
from mit_trainer.storage.records import (
    AccessAttempt,
    Assessment,
    Attempt,
    AttemptInput,
    AutoScores,
    Consents,
    Event,
    HistoryEntry,
    Patient,
    PatientIdentity,
    PatientSettings,
    SessionRecord,
    SessionSummary,
    Syllable,
    Tap,
    Therapist,
    TherapistScore,
)
from mit_trainer.storage.store import Store, open_store
from mit_trainer.storage.store_recorded import (
    RECORDED_MODEL_MODES,
    RecordedModel,
    RecordedModelDeletion,
    RecordedModelInput,
)

__all__ = [
    "RECORDED_MODEL_MODES",
    "AccessAttempt",
    "Assessment",
    "Attempt",
    "AttemptInput",
    "AutoScores",
    "BadDatabaseUrl",
    "Consents",
    "DamagedDatabase",
    "DatabaseUnreachable",
    "DeletionReport",
    "DuplicatePatientCode",
    "Event",
    "HistoryEntry",
    "InvalidValue",
    "Patient",
    "PatientIdentity",
    "PatientSettings",
    "RecordedModel",
    "RecordedModelDeletion",
    "RecordedModelInput",
    "SessionRecord",
    "SessionSummary",
    "Store",
    "StoreError",
    "Syllable",
    "Tap",
    "Therapist",
    "TherapistScore",
    "UnknownPatient",
    "UnknownRecord",
    "UnreadableValue",
    "UnsafePath",
    "attempt_from_analysis",
    "open_store",
    "scores_from_analysis",
    "syllables_from_analysis",
]
