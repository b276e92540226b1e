"""The GUI's phrase-set list offers the shipped sets of every language, the user's folder last."""

from __future__ import annotations

from pathlib import Path

import pytest

from mit_trainer.gui import wiring


def test_language_folders_are_listed_between_shipped_and_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIT_TRAINER_PHRASES", raising=False)
    folders = wiring.phrase_folders()
    shipped = folders[0]
    assert [f.name for f in folders[1:-1]] == ["de", "es", "fr", "nl"]
    assert all(f.parent == shipped for f in folders[1:-1])
    assert folders[-1] == wiring.user_phrases_dir()
    labels = {label for label, _ in wiring.phrase_set_choices()}
    assert {"level1 (de)", "untrained (fr)", "level3 (nl)", "level2 (es)", "level1 (phrases)"} <= labels


def test_a_shipped_folder_without_language_folders_still_lists(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "only.yaml").write_text("format: mit-phrases/1\n", encoding="utf-8")
    monkeypatch.setenv("MIT_TRAINER_PHRASES", str(tmp_path))
    assert wiring.phrase_folders()[:-1] == [tmp_path]
    monkeypatch.setenv("MIT_TRAINER_PHRASES", str(tmp_path / "missing"))
    assert wiring.phrase_folders()[:-1] == [tmp_path / "missing"]


def test_editor_derives_in_the_sets_language_or_says_why_not() -> None:
    from mit_trainer.gui.editor.fields import derive_syllables

    assert derive_syllables("Buenos días", "es") == (("Bue", "nos", "dí", "as"), ("H", "L", "H", "L"))
    assert derive_syllables("Bonne nuit", "fr") == (("Bonne", "nuit"), ("L", "H"))
    note = derive_syllables("Ich habe 3 Katzen", "de")
    assert isinstance(note, str) and "'3'" in note
    note = derive_syllables("Buongiorno", "it")
    assert isinstance(note, str) and "type them" in note
