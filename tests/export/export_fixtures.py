"""The export tests' clinic and helpers (imported by name: every test folder has a conftest, so
``from conftest import`` would pick whichever folder's loaded first).

A small clinic database built through the Store, with recordings written by soundfile.

P01: research + share-audio consent, 2 sessions (days 0 and 3), a therapist override, an assessment.
P02: research consent only (no audio sharing), 1 session. P03: no research consent.
Every attempt's analysis JSON has the DESIGN.md §3 shape; syllable 0 spans 0.50-1.30 s and
syllable 1 spans 1.50-2.30 s, voiced only inside the syllables (10 ms hop).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import text

from mit_trainer.storage import (
    Consents,
    PatientIdentity,
    RecordedModelInput,
    Store,
    Tap,
    attempt_from_analysis,
    open_store,
)

SR = 16000
SECRETS = {
    "name": "Alice Zebrafinch",
    "dob": "1950-04-01",
    "identity_notes": "neighbour-keyholder-7731",
    "session_notes": "session-note-secret-5521",
    "reason": "override-reason-secret-9912",
    "assessment_notes": "assessment-note-secret-3310",
    "model_reason": "model-kept-anyway-secret-4417",
    "date1": "2026-03-02",
    "date2": "2026-03-05",
}
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 5, 10, 30, tzinfo=UTC)


def analysis(texts: tuple[str, str] = ("thank", "you"), *, second_produced: bool = True) -> dict[str, Any]:
    times = [round(0.01 * k, 2) for k in range(250)]
    spans = [(0.5, 1.3), (1.5, 2.3)] if second_produced else [(0.5, 1.3)]
    f0 = [
        next((220.0 if i == 0 else 185.0 for i, (a, b) in enumerate(spans) if a <= t <= b), None)
        for t in times
    ]
    return {
        "audio": "x.wav",
        "phrase_id": "thank-you",
        "mode": "sung",
        "tracker": "yin",
        "duration_s": 2.5,
        "pitch": {
            "hop_s": 0.01,
            "times_s": times,
            "f0_hz": f0,
            "confidence": [0.1 if v is None else 0.9 for v in f0],
        },
        "syllables": [
            {
                "index": 0,
                "text": texts[0],
                "target": "H",
                "onset_s": 0.5,
                "offset_s": 1.3,
                "f0_hz": 220.0,
                "produced": "H",
            },
            {
                "index": 1,
                "text": texts[1],
                "target": "L",
                "onset_s": 1.5 if second_produced else None,
                "offset_s": 2.3 if second_produced else None,
                "f0_hz": 185.0 if second_produced else None,
                "produced": "L" if second_produced else None,
            },
        ],
        "scores": {
            "contour": 1.0,
            "rhythm": 0.9,
            "completeness": 1.0 if second_produced else 0.5,
            "voicing": 0.95,
            "overall": 0.9,
        },
        "verdict": "pass" if second_produced else "fail",
    }


@dataclass(frozen=True)
class Clinic:
    db: Path
    store: Store
    n_attempts: dict[str, int]


def _record(
    store: Store, pid: int, session_id: int, item: int, started: datetime, *, points: int, ok: bool = True
) -> int:
    folder = store.patient_recordings_dir(pid)
    wav = folder / f"s{session_id}-i{item}.wav"
    t = np.arange(int(2.5 * SR)) / SR
    sf.write(wav, 0.1 * np.sin(2 * np.pi * (200 + 10 * item) * t), SR, subtype="PCM_16")
    attempt = attempt_from_analysis(
        analysis(second_produced=ok),
        item_index=item,
        phrase_id="thank-you",
        level=1,
        step_id="unison",
        step_index=2,
        cue="unison",
        tempo_bpm=60.0,
        interval_semitones=3.0,
        low_note_hz=185.0,
        delay_s=0.0,
        response_latency_s=0.25,
        started_at=started,
        audio_path=str(wav),
        points_awarded=points,
        analysis_version="test-1",
        taps=(Tap(0.52, 0, 20.0), Tap(1.46, 1, -40.0)),
    )
    return store.record_attempt(session_id, attempt).id


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    db = tmp_path / "clinic" / "mit-trainer.sqlite3"
    store = open_store(db)
    thr = store.add_therapist("Dr. Therapist")
    p1 = store.add_patient(
        "P01",
        Consents(clinical=True, research=True, share_audio=True),
        PatientIdentity(
            full_name=SECRETS["name"], date_of_birth=date(1950, 4, 1), notes=SECRETS["identity_notes"]
        ),
    )
    p2 = store.add_patient("P02", Consents(clinical=True, research=True, share_audio=False))
    p3 = store.add_patient("P03", Consents(clinical=True, research=False, share_audio=True))
    # P01 session 1: three attempts, the second overridden 1 -> 0 by the therapist.
    s = store.start_session(
        p1.id,
        protocol_id="HE1989",
        protocol_version="1.0",
        level=1,
        therapist_id=thr.id,
        started_at=T1,
        fatigue_before=2,
    )
    a = [_record(store, p1.id, s.id, i, T1 + timedelta(seconds=10 * (i + 1)), points=1) for i in range(3)]
    store.add_therapist_score(a[1], outcome="fail", points=0, reason=SECRETS["reason"], therapist_id=thr.id)
    store.end_session(
        s.id,
        fatigue_after=4,
        notes=SECRETS["session_notes"],
        points_possible=3,
        ended_at=T1 + timedelta(minutes=20),
    )
    # P01 session 2 (3 days later): two attempts, one failed (second syllable missing).
    s = store.start_session(
        p1.id, protocol_id="HE1989", protocol_version="1.0", level=1, therapist_id=thr.id, started_at=T2
    )
    _record(store, p1.id, s.id, 0, T2 + timedelta(seconds=5), points=1)
    _record(store, p1.id, s.id, 1, T2 + timedelta(seconds=15), points=0, ok=False)
    store.end_session(
        s.id,
        fatigue_after=3,
        points_possible=2,
        advancement_decision="proposed",
        ended_at=T2 + timedelta(minutes=15),
    )
    store.add_assessment(
        p1.id,
        test="WAB",
        subtest="repetition",
        score=55.0,
        time_point="baseline",
        assessed_at=T1 - timedelta(days=7),
        blinded=True,
        assessor_id=thr.id,
        notes=SECRETS["assessment_notes"],
    )
    for pid in (p2.id, p3.id):
        s = store.start_session(pid, protocol_id="HE1989", protocol_version="1.0", level=1, started_at=T1)
        _record(store, pid, s.id, 0, T1 + timedelta(seconds=5), points=1)
        store.end_session(s.id, points_possible=1, ended_at=T1 + timedelta(minutes=5))
    # The therapist's recorded model of the phrase, kept although it failed (with a reason).
    model_wav = store.recorded_models_dir() / "take-1.wav"
    t = np.arange(int(2.5 * SR)) / SR
    sf.write(model_wav, 0.2 * np.sin(2 * np.pi * 196 * t), SR, subtype="PCM_16")
    store.add_recorded_model(
        RecordedModelInput(
            phrase_set="Everyday phrases",
            phrase_id="thank-you",
            therapist_id=thr.id,
            tempo_bpm=60.0,
            low_hz=185.0,
            interval_semitones=3.0,
            mode="sung",
            audio_path=model_wav,
            sample_rate_hz=SR,
            duration_s=2.5,
            analysis=analysis(second_produced=False),
            verdict="fail",
            insisted_reason=SECRETS["model_reason"],
            created_at=T1 - timedelta(days=1),
        )
    )
    # Known research ids under the default export key, so the tests can name the labels; a patient's
    # first export would otherwise make a random one (tests/export/test_research_ids.py).
    with store.engine.begin() as conn:
        for pid, rid in ((p1.id, "r01"), (p2.id, "r02"), (p3.id, "r03")):
            conn.execute(
                text(
                    "INSERT INTO research_ids (patient_id, export_key, research_id, created_at) "
                    "VALUES (:p, 'research', :r, '2026-03-01 00:00:00')"
                ),
                {"p": pid, "r": rid},
            )
    yield Clinic(db=db, store=store, n_attempts={"P01": 5, "P02": 1, "P03": 1})
    store.close()
