"""Canonical dump, atomic save, load round trip and the content hash."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mit_trainer.core.phrases import (
    PhraseSetError,
    dump_phrase_set,
    load_phrase_set,
    load_phrase_sets,
    parse_phrase_set,
    phrase_set_sha256,
    save_phrase_set,
    shipped_phrases_dir,
)
from mit_trainer.core.records import Phrase, PhraseSet

TRICKY = PhraseSet(
    name="Tricky: names, quotes # and yes/no",
    language="en",
    defaults={"tempo_bpm": 55, "interval_semitones": 4},
    extras={"x-author": "SLT team", "x-tags": ["a", "b"]},
    phrases=(
        Phrase("no", "No", 1, ("no", "no"), ("H", "L"), (1.0, 2.0), probe="Say: 'no'", trained=False),
        Phrase(
            "yes-please",
            "Yes, please",
            1,
            ("yes", "please"),
            ("H", "H"),
            (1.0, 1.5),
            category="requests",
            extras={"x-matches": "thank-you", "x-note": {"k": 1}},
        ),
        Phrase("n-1", "- dash: colon", 2, ("null", "true", "1.5", "[x]"), ("L", "H", "L", "H"), (1, 1, 1, 1)),
    ),
)


def test_dump_parse_round_trip_is_equal() -> None:
    text = dump_phrase_set(TRICKY)
    ps, issues = parse_phrase_set(text)
    assert ps is not None, [str(i) for i in issues]
    assert ps == TRICKY
    assert ps.extras == TRICKY.extras and ps.defaults == TRICKY.defaults
    assert [p.extras for p in ps.phrases] == [p.extras for p in TRICKY.phrases]
    assert dump_phrase_set(ps) == text  # canonical text is a fixed point


def test_canonical_text_is_explicit_and_ordered() -> None:
    ps, _ = parse_phrase_set(
        "format: mit-phrases/1\nname: T\nlanguage: en\nphrases:\n- {level: 1, text: Thank you, id: t}\n"
    )
    assert ps is not None
    assert dump_phrase_set(ps) == (
        "format: mit-phrases/1\nname: T\nlanguage: en\nphrases:\n"
        "  - id: t\n    text: Thank you\n    level: 1\n    syllables: [thank, you]\n"
        "    pattern: [H, L]\n    beats: [1, 1]\n    trained: true\n"
    )


def test_hash_follows_content_not_formatting() -> None:
    a, _ = parse_phrase_set(
        "format: mit-phrases/1\nname: T\nlanguage: en\nphrases:\n- {id: t, text: Thank you, level: 1}\n"
    )
    b, _ = parse_phrase_set(
        "# comment\nformat: mit-phrases/1\nlanguage: en\nname: T\nphrases:\n"
        "  - id: t\n    level: 1\n    text: Thank you\n    syllables: [thank, you]\n    pattern: HL\n"
    )
    assert a is not None and b is not None
    assert a.sha256 == b.sha256 == phrase_set_sha256(a)
    changed = dataclasses.replace(a, phrases=(dataclasses.replace(a.phrases[0], pattern=("L", "H")),))
    assert phrase_set_sha256(changed) != a.sha256


def test_save_is_atomic_and_loads_back(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    target.write_text("old content")
    save_phrase_set(TRICKY, target)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.yaml"]  # no temporary file left
    loaded = load_phrase_set(target)
    assert loaded == TRICKY and loaded.path == target and loaded.sha256 == phrase_set_sha256(TRICKY)


def test_load_phrase_sets_folder_and_missing(tmp_path: Path) -> None:
    save_phrase_set(TRICKY, tmp_path / "b.yaml")
    save_phrase_set(dataclasses.replace(TRICKY, name="Second"), tmp_path / "a.yaml")
    (tmp_path / "notes.txt").write_text("not a phrase set")
    assert [ps.name for ps in load_phrase_sets(tmp_path)] == ["Second", TRICKY.name]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PhraseSetError, match=r"no \*\.yaml"):
        load_phrase_sets(empty)
    with pytest.raises(PhraseSetError, match="no such file"):
        load_phrase_sets(tmp_path / "missing.yaml")


def test_shipped_dir_and_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MIT_TRAINER_PHRASES", raising=False)
    assert (shipped_phrases_dir() / "level1.yaml").is_file()
    monkeypatch.setenv("MIT_TRAINER_PHRASES", str(tmp_path))
    assert shipped_phrases_dir() == tmp_path
