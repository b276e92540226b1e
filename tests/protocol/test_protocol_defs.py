"""Protocol definition files: the shipped ones load with the right structure, bad files list every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from mit_trainer.core.protocol import AnalysisMode, Cue, ProtocolError, Taps
from mit_trainer.core.protocol_files import load_protocol, shipped_protocols, validate_protocol_file

SHIPPED_IDS = ["HE1989", "NS2009", "melody-only", "rhythm-only"]


def test_shipped_protocols_are_all_valid_and_versioned() -> None:
    protocols = shipped_protocols()
    assert [p.id for p in protocols] == SHIPPED_IDS
    for p in protocols:
        assert p.version == "1"
        assert p.source and p.description and p.name
        assert p.sha256 is not None and len(p.sha256) == 64
        assert [lv.level for lv in p.levels] == [1, 2, 3]


def test_he1989_matches_protocol_md_section_2() -> None:
    p = load_protocol("HE1989")
    assert [lv.max_points for lv in p.levels] == [4, 5, 8]
    assert [(lv.syllables_min, lv.syllables_max) for lv in p.levels] == [(2, 3), (4, 6), (6, 9)]
    l1, l2, l3 = p.levels
    assert [s.id for s in l1.sequence] == [
        "humming",
        "unison",
        "unison-fade",
        "immediate-repetition",
        "probe-response",
    ]
    assert [s.scored for s in l1.sequence] == [False, True, True, True, True]
    assert [s.tries for s in l1.sequence] == [1, 4, 4, 1, 1]
    assert all(s.backup_to is None for s in l1.steps)
    assert [s.cue for s in l1.sequence] == [Cue.HUM, Cue.UNISON, Cue.UNISON_FADE, Cue.INTONE, Cue.NONE]
    assert l1.step("probe-response").probe
    # Level II: 1-point unison-fade, then 2/1/0 steps backing up to the preceding step, 6 s delay.
    assert [(s.id, s.max_points) for s in l2.sequence] == [
        ("introduction", 0),
        ("unison-fade", 1),
        ("delayed-repetition", 2),
        ("probe-response", 2),
    ]
    assert l2.step("delayed-repetition").backup_to == "unison-fade"
    assert l2.step("delayed-repetition").delay_s == 6
    assert l2.step("probe-response").backup_to == "delayed-repetition"
    pts = l2.step("delayed-repetition").points
    assert pts is not None and (pts.first, pts.after_backup) == (2, 1)
    # Level III: song -> Sprechgesang -> speech; the backup-only support step is outside the sequence.
    assert [s.id for s in l3.sequence] == [
        "delayed-repetition",
        "sprechgesang-intro",
        "sprechgesang-fade",
        "delayed-spoken-repetition",
        "probe-response-spoken",
    ]
    assert l3.step("unison-fade-backup").backup_only
    assert l3.step_number("unison-fade-backup") is None
    assert [s.analysis_mode for s in l3.sequence] == [
        AnalysisMode.SUNG,
        None,
        AnalysisMode.SPRECHGESANG,
        AnalysisMode.SPOKEN,
        AnalysisMode.SPOKEN,
    ]
    assert (p.session.items_per_session, p.session.repeat_block_hours, p.session.drop_after_failures) == (
        12,
        24,
        4,
    )
    assert (
        p.advancement.criterion_percent,
        p.advancement.consecutive_sessions,
        p.advancement.stay_window,
    ) == (
        90,
        5,
        3,
    )
    assert (p.stimulus.interval_semitones, p.stimulus.tempo_bpm) == (3, 60)


def test_variants_differ_where_they_should() -> None:
    ns = load_protocol("ns2009")
    assert all(s.taps is Taps.HAND_OVER_HAND for s in ns.level(1).steps)
    assert "inner-rehearsal" in [s.id for s in ns.level(1).sequence]
    assert not ns.level(1).step("inner-rehearsal").scored
    mel = load_protocol("melody-only")
    assert all(s.taps is Taps.OFF for lv in mel.levels for s in lv.steps)
    assert mel.stimulus.melody
    rhy = load_protocol("rhythm-only")
    assert not rhy.stimulus.melody and rhy.stimulus.n_pitches == 1 and rhy.stimulus.interval_semitones == 0
    assert all(s.cue is not Cue.HUM for lv in rhy.levels for s in lv.steps)
    assert all(
        s.analysis_mode in (None, AnalysisMode.SPRECHGESANG, AnalysisMode.SPOKEN)
        for lv in rhy.levels
        for s in lv.steps
    )
    assert all(s.taps is not Taps.OFF for s in rhy.level(1).steps)


def test_load_protocol_by_path_and_unknown_id(tmp_path: Path) -> None:
    src = load_protocol("HE1989").path
    assert src is not None
    copy = tmp_path / "mine.yaml"
    copy.write_text(
        src.read_text(encoding="utf-8").replace("id: HE1989", "id: HE1989-local"), encoding="utf-8"
    )
    assert load_protocol(copy).id == "HE1989-local"
    assert load_protocol(str(copy)).id == "HE1989-local"
    with pytest.raises(ProtocolError, match=r"unknown protocol .XYZ.*HE1989"):
        load_protocol("XYZ")
    with pytest.raises(ProtocolError, match="no such file"):
        load_protocol(tmp_path / "missing.yaml")


BAD = """\
format: mit-protocol/1
id: bad one
version: one
name: Broken
source: test
description: a file with many mistakes
colour: blue
stimulus:
  interval_semitones: 30
  tempo_bpm: 60
session:
  items_per_session: 0
advancement:
  criterion_percent: 90
levels:
  - level: 1
    name: Elementary
    syllables: [3, 2]
    steps:
      - id: hum
        name: Humming
        cue: whistle
        taps: on
        scored: false
        points: {first: 1, after_backup: null}
        prompt: Hum.
      - id: rep
        name: Repetition
        cue: intone
        taps: sometimes
        scored: true
        points: {first: 2, after_backup: 1}
        backup_to: later
        analysis_mode: sung
        prompt: Repeat.
      - id: fade
        name: Fading
        cue: unison-fade
        taps: off
        scored: true
        points: {first: 1, after_backup: 1}
        backup_to: hum
        fade: {start: 0.9, end: 0.2}
        prompt: Fade.
      - id: later
        name: Later
        cue: spoken
        taps: off
        scored: true
        tries: 0
        points: {first: 1, after_backup: 0}
        analysis_mode: singing
        prompt: ""
"""

EXPECTED = [
    (2, "id", "'bad one'"),
    (3, "version", "'one'"),
    (7, "colour", "unknown key"),
    (9, "stimulus.interval_semitones", "out of range"),
    (12, "session.items_per_session", "out of range"),
    (18, "levels[0].syllables", "[min, max]"),
    (22, "levels[0].steps[0].cue", "'whistle' is not one of"),
    (25, "levels[0].steps[0].points", "unscored step cannot give points"),
    (30, "levels[0].steps[1].taps", "'sometimes' is not one of"),
    (33, "levels[0].steps[1].backup_to", "'later' is not an earlier step"),
    (41, "levels[0].steps[2].points.after_backup", "must be less than first"),
    (43, "levels[0].steps[2].fade", "start (0.9) must be before end (0.2)"),
    (36, "levels[0].steps[2].analysis_mode", "a scored step needs one of"),
    (50, "levels[0].steps[3].tries", "out of range"),
    (51, "levels[0].steps[3].points.after_backup", "set only when backup_to names a step"),
    (52, "levels[0].steps[3].analysis_mode", "'singing' is not one of"),
    (53, "levels[0].steps[3].prompt", "expected non-empty text"),
]


def test_bad_file_lists_every_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    proto, issues = validate_protocol_file(path)
    assert proto is None
    rendered = [str(i) for i in issues]
    for line, fld, fragment in EXPECTED:
        hits = [
            r
            for r in rendered
            if r.startswith(f"{path}:{line}: error: {fld}: ") and fragment in r.split(f"{fld}: ", 1)[1]
        ]
        assert hits, f"missing {line} {fld} {fragment!r} in:\n" + "\n".join(rendered)
    lines = [i.line or 0 for i in issues]
    assert lines == sorted(lines)
    with pytest.raises(ProtocolError) as err:
        load_protocol(path)
    assert len(err.value.issues) == len(issues) >= len(EXPECTED)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("format: mit-protocol/2\n", 1, "format: must be 'mit-protocol/1'"),
        ("a: [1, 2\n", 2, "YAML syntax error"),
        ("- just\n- a list\n", 1, "expected a mapping at the top"),
        ("format: mit-protocol/1\nid: x\nid: y\n", 3, "id: duplicate key"),
    ],
)
def test_structural_errors(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    proto, issues = validate_protocol_file(path)
    assert proto is None
    assert any(str(i).startswith(f"{path}:{line}: ") and fragment in str(i) for i in issues), issues


def test_step_consistency_rules(tmp_path: Path) -> None:
    he = load_protocol("HE1989").path
    assert he is not None
    text = he.read_text(encoding="utf-8")
    # backup_to on a step with after_backup removed; a level-II step backing up to itself; x- keys allowed.
    broken = text.replace("backup_to: unison-fade\n", "backup_to: delayed-repetition\n", 1)
    broken = broken.replace("stimulus:\n", "x-note: fine\nstimulus:\n", 1)
    path = tmp_path / "p.yaml"
    path.write_text(broken, encoding="utf-8")
    proto, issues = validate_protocol_file(path)
    assert proto is None
    assert [i.field for i in issues] == ["levels[1].steps[2].backup_to"]
    assert "cannot back up to itself" in issues[0].message
    line = broken.splitlines().index("        backup_to: delayed-repetition") + 1
    assert issues[0].line == line
