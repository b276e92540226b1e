"""``mit-trainer demo`` then ``export --with-audio``: tables that pandas, pyarrow and praatio read back.

Runs the simulated patient through the real pipeline for 8 sessions (few items each, to keep the test
short) and checks the export against the database and the protocol's rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from praatio import textgrid

from mit_trainer.app.demo import run_demo
from mit_trainer.app.session import session_percentages
from mit_trainer.app.simulated_patient import PatientProfile
from mit_trainer.cli.main import main
from mit_trainer.core.advancement import evaluate_advancement
from mit_trainer.core.protocol_files import load_protocol
from mit_trainer.storage import open_store

pytestmark = pytest.mark.slow  # (the fast tier: pytest -m 'not slow')

PROTOCOL_6_COLUMNS = [  # PROTOCOL.md §6, per attempt
    "step_id",
    "try_number",
    "backup",
    "cue",
    "fade_start_s",
    "fade_end_s",
    "tempo_bpm",
    "interval_semitones",
    "low_note_hz",
    "delay_s",
    "score_overall",
    "auto_verdict",
    "therapist_outcome",
    "therapist_id",
    "n_therapist_scores",
    "response_latency_s",
    "duration_s",
    "syllables_targeted",
    "syllables_detected",
    "voicing_continuity",
    "audio_file",
    "audio_sha256",
    "analysis_version",
    "protocol_id",
    "protocol_version",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("demo")
    db = root / "db.sqlite3"
    assert main(["demo", "--db", str(db), "--sessions", "8", "--items", "2", "--probes", "1"]) == 0
    out = root / "export"
    assert main(["export", "--db", str(db), "--out", str(out), "--with-audio"]) == 0
    return db, out


def _tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", na_values=["n/a"], keep_default_na=False)


def test_attempts_table_has_one_row_per_attempt_with_the_protocol_fields(exported):
    db, out = exported
    attempts = _tsv(out / "attempts.tsv")
    with open_store(db) as store:
        sessions = store.list_sessions()
        n_db = sum(len(store.attempts_for_session(s.id)) for s in sessions)
    assert len(sessions) == 8
    assert len(attempts) == n_db > 8
    missing = [c for c in PROTOCOL_6_COLUMNS if c not in attempts.columns]
    assert not missing, missing
    assert set(attempts["auto_verdict"].dropna()) <= {"pass", "fail", "no_response"}
    parquet = pq.read_table(out / "attempts.parquet").to_pandas()
    assert len(parquet) == len(attempts)
    assert list(parquet.columns) == list(attempts.columns)


def test_session_points_equal_the_sum_over_their_attempts(exported):
    _db, out = exported
    sessions = _tsv(out / "sessions.tsv")
    attempts = _tsv(out / "attempts.tsv")
    sums = attempts.groupby("session_id")["final_points"].sum()
    for _, row in sessions.iterrows():
        assert row["points_earned"] == sums.get(row["session_id"], 0)


def test_trained_and_untrained_points_are_apart(exported):
    """Issue 16: the session score is over trained items; untrained probes (one per session here) apart."""
    _db, out = exported
    sessions = _tsv(out / "sessions.tsv")
    attempts = _tsv(out / "attempts.tsv")
    assert (sessions.points_earned_trained + sessions.points_earned_untrained == sessions.points_earned).all()
    assert (
        sessions.points_possible_trained + sessions.points_possible_untrained == sessions.points_possible
    ).all()
    assert (sessions.points_possible_untrained > 0).all() and (sessions.points_possible_trained > 0).all()
    probes = attempts[~attempts.trained.astype(bool)]
    for _, row in sessions.iterrows():
        mine = probes[probes.session_id == row.session_id]
        assert row.points_earned_untrained == mine.final_points.fillna(0).sum()


def test_every_attempt_has_audio_sidecar_textgrid_and_f0_that_readers_open(exported):
    _db, out = exported
    attempts = _tsv(out / "attempts.tsv")
    syllables = _tsv(out / "syllables.tsv")
    checked = 0
    for _, a in attempts.iterrows():
        wav = out / a["audio_file"]
        assert wav.is_file()
        stem = wav.with_suffix("")
        tg = textgrid.openTextgrid(str(stem) + ".TextGrid", includeEmptyIntervals=False)
        names = set(tg.tierNames)
        assert len(names) >= 4
        sidecar = json.loads(Path(str(stem) + ".json").read_text())
        assert sidecar
        f0 = pd.read_csv(str(stem) + "_f0.csv")
        assert list(f0.columns)[:3] == ["time_s", "frequency_hz", "confidence"]
        assert abs(float(f0["time_s"].diff().median()) - 0.01) < 1e-6
        detected = syllables[(syllables["attempt_id"] == a["attempt_id"]) & syllables["detected"]]
        intervals = [e for name in names if "detect" in name for e in tg.getTier(name).entries]
        assert len(intervals) == len(detected)
        for (_start, _end, _label), (_, syl) in zip(
            sorted(intervals), detected.sort_values("onset_s").iterrows(), strict=True
        ):
            assert abs(_start - syl["onset_s"]) < 0.002
        if a["syllables_detected"] > 0:  # expected spans for every target syllable, produced or not
            assert len(tg.getTier("target_syllables").entries) == a["syllables_targeted"]
        checked += 1
    assert checked == len(attempts)


def test_export_is_deidentified(exported):
    _db, out = exported
    text = "\n".join(
        p.read_text(errors="ignore") for p in out.rglob("*") if p.suffix in {".tsv", ".json", ".md"}
    )
    assert "Simulated session (demo)." not in text  # free-text session notes never exported
    assert "Demo therapist" not in text
    sessions = _tsv(out / "sessions.tsv")
    assert "day" in sessions.columns


def test_advancement_proposal_appears_exactly_when_the_rule_is_met(tmp_path: Path):
    protocol = load_protocol("HE1989")
    skilled = PatientProfile(initial_skill=0.9, skill_gain_per_session=0.05, comfortable_hz=118.0)
    with open_store(tmp_path / "db.sqlite3") as store:
        report = run_demo(store, sessions=6, items_per_session=2, probe_items=0, profile=skilled, seed=11)
        patient = store.get_patient_by_code(report.patient_code)
        level1 = session_percentages(store, patient.id, protocol_id="HE1989", level=1)
        for k, end in enumerate(report.sessions[: len(level1)]):
            expected = evaluate_advancement(level1[: k + 1], level=1, max_level=3, rule=protocol.advancement)
            assert end.proposal is not None
            assert end.proposal.kind == expected.kind, (k, level1)
        kinds = [e.proposal.kind.value for e in report.sessions]
        streak5 = any(
            all(p is not None and p >= 90 for p in level1[i : i + 5]) for i in range(len(level1) - 4)
        )
        assert ("advance" in kinds) == streak5
        if "advance" in kinds:  # accepted: the patient moves to Level II for the next session
            first = kinds.index("advance")
            assert report.sessions[first].summary.session.advancement_decision == "accepted"
            if first + 1 < len(report.sessions):
                assert report.sessions[first + 1].summary.session.level == 2
