"""Validation rules of mit-phrases/1 files: each problem reported with its line, field and severity."""

from __future__ import annotations

import textwrap

import pytest

from mit_trainer.core.phrases import PhraseIssue, PhraseSetError, load_phrase_set, parse_phrase_set

HEAD = "format: mit-phrases/1\nname: Test\nlanguage: en\nphrases:\n"  # phrases start on line 5


def _set(phrases_yaml: str, head: str = HEAD) -> str:
    return head + textwrap.indent(textwrap.dedent(phrases_yaml).strip("\n"), "  ") + "\n"


def _only(text: str) -> PhraseIssue:
    ps, issues = parse_phrase_set(text, source="t.yaml")
    assert len(issues) == 1, [str(i) for i in issues]
    if issues[0].severity == "error":
        assert ps is None
    return issues[0]


GOOD = """\
- id: thank-you
  text: Thank you
  level: 1
  syllables: [thank, you]
  pattern: [H, L]
"""


def test_good_file_has_no_issue() -> None:
    ps, issues = parse_phrase_set(_set(GOOD), source="t.yaml")
    assert issues == []
    assert ps is not None and ps.get("thank-you").pattern == ("H", "L")
    assert ps.get("thank-you").line == 5
    assert ps.get("thank-you").beats == (1.0, 1.0)


# (phrase yaml, expected line, field, severity, words in the message)
CASES = [
    ("- id: a\n  text: Hi there\n  level: 1\n  colour: red\n", 8, "a.colour", "error", "unknown key"),
    ("- id: a\n  text: Thank you\n  level: 1\n  x-note: fine\n", None, None, None, None),
    ("- id: Thank_You\n  text: Thank you\n  level: 1\n", 5, "phrases[0].id", "error", "bad id"),
    ("- id: -a\n  text: Thank you\n  level: 1\n", 5, "phrases[0].id", "error", "bad id"),
    ("- text: Thank you\n  level: 1\n", 5, "phrases[0]", "error", "missing id"),
    ("- id: a\n  level: 1\n", 5, "a.text", "error", "missing or empty text"),
    ("- id: a\n  text: ''\n  level: 1\n", 6, "a.text", "error", "missing or empty text"),
    ("- id: a\n  text: [Thank, you]\n  level: 1\n", 6, "a.text", "error", "must be text"),
    ("- id: a\n  text: Thank you\n  level: 0\n", 7, "a.level", "error", "must be the number 1, 2 or 3"),
    ("- id: a\n  text: Thank you\n  level: two\n", 7, "a.level", "error", "must be the number 1, 2 or 3"),
    ("- id: a\n  text: Thank you\n", 5, "a.level", "error", "missing level"),
    ("- id: a\n  text: Thank you\n  level: '1'\n", 7, "a.level", "error", "(no quotes), not '1'"),
    (
        "- id: a\n  text: Thank you\n  level: 1\n  syllables: [thank, you]\n  pattern: [H, L, L]\n",
        9,
        "a.pattern",
        "error",
        "has 3 values but there are 2 syllables",
    ),
    (
        "- id: a\n  text: Thank you\n  level: 1\n  syllables: [thank, you]\n  pattern: [H, h]\n",
        9,
        "a.pattern",
        "error",
        "value 2 is 'h'",
    ),
    ("- id: a\n  text: Thank you\n  level: 1\n  beats: [1]\n", 8, "a.beats", "error", "has 1 values"),
    ("- id: a\n  text: Thank you\n  level: 1\n  beats: [1, -2]\n", 8, "a.beats", "error", "value 2 is '-2'"),
    ("- id: a\n  text: Thank you\n  level: 1\n  beats: [1, x]\n", 8, "a.beats", "error", "positive numbers"),
    (
        "- id: a\n  text: Thank you\n  level: 2\n",
        7,
        "a.syllables",
        "warning",
        "outside level 2's range of 4-6",
    ),
    (
        "- id: a\n  text: I want a cup of tea\n  level: 1\n",
        7,
        "a.syllables",
        "warning",
        "6 syllables is outside level 1's range of 2-3",
    ),
    ("- id: a\n  text: Thank you\n  level: 1\n  trained: maybe\n", 8, "a.trained", "error", "true or false"),
    (
        "- id: a\n  text: Thank you\n  level: 1\n  category: chores\n",
        8,
        "a.category",
        "warning",
        "not one of",
    ),
    (
        "- id: a\n  text: Thank you\n  level: 1\n  syllables: [thonk, you]\n  pattern: [H, L]\n",
        8,
        "a.syllables",
        "warning",
        "does not spell",
    ),
    (
        "- id: a\n  text: Thank you\n  level: 1\n  syllables: []\n",
        8,
        "a.syllables",
        "error",
        "non-empty list",
    ),
    ("- just a string\n", 5, "phrases[0]", "error", "must be a mapping"),
    ("- id: a\n  id: b\n  text: Thank you\n  level: 1\n", 6, "phrases[0].id", "error", "duplicate key"),
]


@pytest.mark.parametrize(("phrase", "line", "fld", "severity", "words"), CASES)
def test_rule(
    phrase: str, line: int | None, fld: str | None, severity: str | None, words: str | None
) -> None:
    ps, issues = parse_phrase_set(_set(phrase), source="t.yaml")
    if severity is None:
        assert issues == [] and ps is not None
        assert ps.phrases[0].extras == {"x-note": "fine"}
        return
    issue = _only(_set(phrase))
    assert (issue.line, issue.field, issue.severity) == (line, fld, severity)
    assert words in issue.message
    assert (ps is None) == (severity == "error")


def test_duplicate_id_points_at_second_and_names_first() -> None:
    issue = _only(_set(GOOD + GOOD))
    assert (issue.line, issue.field) == (10, "thank-you.id")
    assert "duplicate id (first on line 5)" in issue.message


@pytest.mark.parametrize(
    ("head", "line", "fld", "words"),
    [
        ("format: mit-phrases/2\nname: T\nlanguage: en\nphrases:\n", 1, "format", "unknown format version"),
        ("name: T\nlanguage: en\nx-ok: 1\nphrases:\n", 1, "format", "missing format version"),
        ("format: mit-phrases/1\nnaem: T\nlanguage: en\nphrases:\n", 2, "naem", "did you mean 'name'"),
        ("format: mit-phrases/1\nname: T\nlanguage: 'english!'\nphrases:\n", 3, "language", "language code"),
    ],
)
def test_top_level_rules(head: str, line: int, fld: str, words: str) -> None:
    _, issues = parse_phrase_set(_set(GOOD, head=head), source="t.yaml")
    errors = [i for i in issues if i.severity == "error"]
    assert len(errors) == 1, [str(i) for i in issues]
    assert (errors[0].line, errors[0].field) == (line, fld)
    assert words in errors[0].message


def test_bad_yaml_reports_its_line() -> None:
    text = _set(GOOD) + "  - id: b\n    text: [unclosed\n    level: 1\n"
    issue = _only(text)
    assert issue.severity == "error" and issue.message.startswith("bad YAML")
    assert issue.line is not None and 11 <= issue.line <= 13


def test_tab_indentation_is_bad_yaml_with_line() -> None:
    issue = _only("format: mit-phrases/1\nname: T\nphrases:\n\t- id: a\n")
    assert issue.line == 4 and "bad YAML" in issue.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("- a\n- b\n", "top level must be a mapping"),
        (HEAD.replace("phrases:\n", "phrases: 3\n"), "list"),
    ],
)
def test_unusable_documents(text: str, words: str) -> None:
    _, issues = parse_phrase_set(text, source="t.yaml")
    assert any(words in i.message and i.severity == "error" for i in issues), [str(i) for i in issues]


def test_defaults_are_checked() -> None:
    head = "format: mit-phrases/1\nname: T\nlanguage: en\ndefaults: {tempo_bpm: -60, tempo: 3}\nphrases:\n"
    _, issues = parse_phrase_set(_set(GOOD, head=head), source="t.yaml")
    assert sorted(i.field or "" for i in issues) == ["defaults.tempo", "defaults.tempo_bpm"]
    assert all(i.line == 4 for i in issues)


def test_missing_name_and_language_are_warnings_with_defaults() -> None:
    ps, issues = parse_phrase_set(
        _set(GOOD, head="format: mit-phrases/1\nphrases:\n"), source="dir/my-set.yaml"
    )
    assert [i.severity for i in issues] == ["warning", "warning"]
    assert ps is not None and ps.name == "my-set" and ps.language == "en"


def test_plain_scalars_are_text_as_written() -> None:
    ps, issues = parse_phrase_set(
        _set("- id: no\n  text: No\n  level: 1\n  syllables: [no, 'on']\n  pattern: HL\n")
    )
    assert ps is not None, [str(i) for i in issues]
    assert ps.phrases[0].text == "No" and ps.phrases[0].syllables == ("no", "on")
    assert ps.phrases[0].pattern == ("H", "L")  # compact pattern string accepted


def test_every_problem_is_reported_at_once() -> None:
    bad = """\
    - id: a
      text: Thank you
      level: 9
      beats: [0, 1]
    - id: A
      text: ''
      level: 1
    """
    _, issues = parse_phrase_set(_set(bad), source="t.yaml")
    assert [(i.line, i.field) for i in issues] == [
        (7, "a.level"),
        (8, "a.beats"),
        (9, "phrases[1].id"),
        (10, "phrases[1].text"),
    ]


def test_issue_str_format() -> None:
    assert (
        str(PhraseIssue("f.yaml", 3, "a.level", "must be 1, 2 or 3", "error"))
        == "f.yaml:3: error: a.level: must be 1, 2 or 3"
    )
    assert str(PhraseIssue("f.yaml", None, None, "no such file", "error")) == "f.yaml: error: no such file"


def test_load_raises_with_all_issues_and_allows_warnings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text(_set("- id: a\n  text: Thank you\n  level: 7\n- id: a\n  text: Hi\n  level: 1\n"))
    with pytest.raises(PhraseSetError) as exc:
        load_phrase_set(bad)
    assert [i.line for i in exc.value.issues] == [7, 8, 10]  # (the duplicate's fields are checked too)
    warn = tmp_path / "warn.yaml"
    warn.write_text(_set("- id: a\n  text: Thank you\n  level: 3\n"))
    ps = load_phrase_set(warn)
    assert ps.path == warn and ps.sha256 is not None and len(ps.sha256) == 64


def test_languages_without_derivation_need_explicit_syllables() -> None:
    head = "format: mit-phrases/1\nname: T\nlanguage: it\nphrases:\n"
    issue = _only(_set("- id: grazie\n  text: Grazie mille\n  level: 2\n", head=head))
    assert (issue.line, issue.field) == (6, "grazie.syllables") and "explicitly" in issue.message
    ok = "- id: grazie\n  text: Grazie\n  level: 1\n  syllables: [gra, zie]\n  pattern: [H, L]\n"
    ps, issues = parse_phrase_set(_set(ok, head=head))
    assert ps is not None and issues == []


def test_python_tags_are_refused_not_executed() -> None:
    text = _set(
        GOOD, head=HEAD.replace("phrases:\n", "x-evil: !!python/object/apply:os.system [exit 3]\nphrases:\n")
    )
    issue = _only(text)
    assert (issue.line, issue.field, issue.severity) == (4, "x-evil", "error")
    assert "unsupported YAML value" in issue.message


def test_same_text_twice_is_a_warning() -> None:
    other = "- id: thanks\n  text: thank you!\n  level: 1\n"
    issue = _only(_set(GOOD + other))
    assert (issue.line, issue.field, issue.severity) == (10, "thanks.text", "warning")
    assert "same words as 'thank-you' (line 5)" in issue.message


def test_issue16_validation_misses_are_reported_with_lines(tmp_path) -> None:
    """A default tempo of 200 or interval of 15, an all-L pattern, and a pattern-length error in a phrase
    whose id is also bad: each reported with its line."""
    from mit_trainer.core.phrases import validate_phrase_file

    path = tmp_path / "misses.yaml"
    path.write_text(
        "format: mit-phrases/1\nname: t\nlanguage: en\n"
        "defaults: {tempo_bpm: 200, interval_semitones: 15}\n"
        "phrases:\n"
        "  - id: thank-you\n    text: Thank you\n    level: 1\n    syllables: [thank, you]\n"
        "    pattern: [L, L]\n"
        "  - id: Bad_Id\n    text: Good morning\n    level: 1\n    syllables: [good, mor, ning]\n"
        "    pattern: [L, H]\n",
        encoding="utf-8",
    )
    _ps, issues = validate_phrase_file(path)
    found = {(i.line, i.field.split(".")[-1]) for i in issues if i.severity == "error"}
    assert {
        (4, "tempo_bpm"),
        (4, "interval_semitones"),
        (10, "pattern"),
        (11, "id"),
        (15, "pattern"),
    } <= found
    texts = " ".join(i.message for i in issues)
    assert "40 to 90" in texts and "2 to 7" in texts and "no stressed syllable" in texts
