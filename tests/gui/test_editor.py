"""Phrase-set editor: edit a phrase, toggle a syllable's tone, save as YAML, reload equal; live validation."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

from mit_trainer.core.phrases import load_phrase_set, shipped_phrases_dir
from mit_trainer.gui.editor.fields import parse_beats, split_syllables
from mit_trainer.gui.editor.phrase_editor import PhraseEditor


def _editor(qtbot: Any, folder: Path) -> PhraseEditor:
    shutil.copy(shipped_phrases_dir() / "level1.yaml", folder / "mine.yaml")
    editor = PhraseEditor(folders=lambda: [folder])
    qtbot.addWidget(editor)
    editor.reload_sets()
    return editor


def test_edit_toggle_save_reload_round_trip(qtbot: Any, tmp_path: Path) -> None:
    editor = _editor(qtbot, tmp_path)
    original = load_phrase_set(tmp_path / "mine.yaml")
    assert editor.phrases == list(original.phrases)
    editor.phrase_list.setCurrentRow(1)
    before = editor.phrases[1]
    chip = editor.chips.chips[0]
    qtbot.mouseClick(chip, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton)
    flipped = "L" if before.pattern[0] == "H" else "H"
    assert editor.phrases[1].pattern[0] == flipped
    editor.f_probe.setText("What do you say now?")
    editor.f_probe.textEdited.emit("What do you say now?")
    editor.f_category.setCurrentText("social")
    assert editor.buttons["save"].isEnabled()
    written = editor.save()
    assert written == tmp_path / "mine.yaml"
    reloaded = load_phrase_set(written)
    expected = dataclasses.replace(
        before, pattern=(flipped, *before.pattern[1:]), probe="What do you say now?", category="social"
    )
    assert reloaded.phrases[1] == expected
    assert reloaded.phrases[0] == original.phrases[0] and len(reloaded.phrases) == len(original.phrases)


def test_live_validation_reports_and_blocks_saving(qtbot: Any, tmp_path: Path) -> None:
    editor = _editor(qtbot, tmp_path)
    editor.phrase_list.setCurrentRow(0)
    editor.f_id.setText("Bad Id!")
    editor.f_id.textEdited.emit("Bad Id!")
    assert "error" in editor.messages.text() and "id" in editor.messages.text()
    assert not editor.buttons["save"].isEnabled()
    editor.f_id.setText("good-id")
    editor.f_id.textEdited.emit("good-id")
    assert "error" not in editor.messages.text()
    editor.f_beats.setText("2 x")
    editor.f_beats.textEdited.emit("2 x")
    assert "Beats" in editor.messages.text()


def test_syllable_and_beat_parsing() -> None:
    assert split_syllables("good-bye") == ("good", "bye")
    assert split_syllables(" thank  you ") == ("thank", "you")
    assert parse_beats("", 3) == (1.0, 1.0, 1.0)
    assert parse_beats("2, 1", 2) == (2.0, 1.0)
    assert parse_beats("two", 1) is None


def test_import_copies_valid_sets_and_refuses_broken_ones(qtbot: Any, tmp_path: Path) -> None:
    shipped, mine = tmp_path / "shipped", tmp_path / "mine"
    shipped.mkdir()
    shutil.copy(shipped_phrases_dir() / "level2.yaml", shipped / "level2.yaml")
    editor = PhraseEditor(folders=lambda: [shipped, mine])
    qtbot.addWidget(editor)
    editor.reload_sets()
    outside = tmp_path / "from-a-colleague.yaml"
    shutil.copy(shipped_phrases_dir() / "level1.yaml", outside)
    target = editor.import_file(outside)
    assert target == mine / "from-a-colleague.yaml" and target.read_bytes() == outside.read_bytes()
    assert editor.phrase_set is not None and editor.phrase_set.path == target
    assert editor.messages.text().startswith("Imported as from-a-colleague.yaml.")
    assert editor.import_file(outside) == mine / "from-a-colleague-2.yaml"  # never overwrites
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "format: mit-phrases/1\nname: x\nlanguage: en\nphrases:\n  - id: Bad Id\n    text: Hi\n"
    )
    assert editor.import_file(broken) is None
    assert "Not imported" in editor.messages.text() and not (mine / "broken.yaml").exists()


def test_sets_are_listed_when_shown_and_read_on_a_worker(qtbot: Any, tmp_path: Path) -> None:
    from mit_trainer.gui.tasks import TaskRunner

    shutil.copy(shipped_phrases_dir() / "level1.yaml", tmp_path / "mine.yaml")
    tasks = TaskRunner()
    editor = PhraseEditor(folders=lambda: [tmp_path], tasks=tasks)
    qtbot.addWidget(editor)
    assert editor.set_list.count() == 0  # nothing is read before the page is shown
    editor.show()
    assert editor.set_list.count() == 1 and editor.phrase_set is None  # the file is being read
    qtbot.waitUntil(lambda: editor.phrase_set is not None, timeout=10000)
    assert editor.phrases == list(load_phrase_set(tmp_path / "mine.yaml").phrases)
    (tmp_path / "broken.yaml").write_text("format: mit-phrases/1\nname: x\nphrases: 3\n")
    editor.reload_sets()
    editor.set_list.setCurrentRow(0)  # broken.yaml sorts first
    qtbot.waitUntil(lambda: "broken.yaml" in editor.messages.text(), timeout=10000)
    outside = tmp_path.parent / f"{tmp_path.name}-colleague.yaml"
    shutil.copy(shipped_phrases_dir() / "level2.yaml", outside)
    target = editor.import_file(outside)  # opened on the worker; the note waits for it
    qtbot.waitUntil(lambda: editor.phrase_set is not None and editor.phrase_set.path == target, timeout=10000)
    assert editor.messages.text().startswith(f"Imported as {target.name}.")
    tasks.wait_idle()


def test_an_imported_set_keeps_its_note_above_its_messages(qtbot: Any, tmp_path: Path) -> None:
    """The set's messages follow a shown phrase one event-loop turn later; the import note stays on top."""
    editor = PhraseEditor(folders=lambda: [tmp_path / "mine"])
    qtbot.addWidget(editor)
    outside = tmp_path / "from-a-colleague.yaml"
    shutil.copy(shipped_phrases_dir() / "level1.yaml", outside)
    editor.import_file(outside)
    qtbot.waitUntil(lambda: "No problems found." in editor.messages.text(), timeout=5000)
    assert editor.messages.text().startswith("Imported as from-a-colleague.yaml.")
    editor.f_id.setText("good-id")
    editor.f_id.textEdited.emit("good-id")  # the next check shows the set's messages alone
    assert editor.messages.text() == "No problems found."


def _type(qtbot: Any, field: Any, text: str) -> None:
    field.clear()
    qtbot.keyClicks(field, text)


def test_a_new_phrase_takes_its_id_syllables_and_pattern_from_the_text(qtbot: Any, tmp_path: Path) -> None:
    from mit_trainer.core.syllabify import derive_english

    editor = _editor(qtbot, tmp_path)
    editor.new_phrase()
    assert editor.f_text.text() == "" and editor.f_syll.text() == ""  # no template left to clean up
    _type(qtbot, editor.f_text, "Please open the door")
    p = editor.phrases[editor.current_index()]
    d = derive_english("Please open the door")
    assert p.id == "please-open-the-door"
    assert p.syllables == d.syllables == ("please", "o", "pen", "the", "door")
    assert p.pattern == d.pattern and p.beats == (1.0,) * 5
    assert editor.f_syll.text() == "please o pen the door"
    # an id that already exists in the set gets a number
    editor.new_phrase()
    _type(qtbot, editor.f_text, "Thank you")
    assert editor.phrases[editor.current_index()].id == "thank-you-2"


def test_typed_syllables_and_id_are_kept_when_the_text_changes(qtbot: Any, tmp_path: Path) -> None:
    editor = _editor(qtbot, tmp_path)
    editor.new_phrase()
    _type(qtbot, editor.f_text, "Water please")
    _type(qtbot, editor.f_syll, "wa-ter please")
    _type(qtbot, editor.f_id, "drink")
    _type(qtbot, editor.f_text, "Water, please!")
    p = editor.phrases[editor.current_index()]
    assert (p.id, p.syllables, p.text) == ("drink", ("wa", "ter", "please"), "Water, please!")


def test_an_unknown_word_asks_for_syllables(qtbot: Any, tmp_path: Path) -> None:
    editor = _editor(qtbot, tmp_path)
    editor.new_phrase()
    _type(qtbot, editor.f_text, "Hello Zorblax")
    assert "Type the syllables yourself" in editor.messages.text() and "zorblax" in editor.messages.text()


def test_saving_a_shipped_set_writes_a_copy_with_its_comments(qtbot: Any, tmp_path: Path) -> None:
    shipped, mine = tmp_path / "shipped", tmp_path / "mine"
    shipped.mkdir()
    shutil.copy(shipped_phrases_dir() / "level1.yaml", shipped / "level1.yaml")
    raw = (shipped / "level1.yaml").read_text(encoding="utf-8")
    annotated = raw.replace("  - id: good-morning", "  # said on arrival\n  - id: good-morning", 1)
    (shipped / "level1.yaml").write_text(annotated + "# end of the set\n", encoding="utf-8")
    before = (shipped / "level1.yaml").read_bytes()
    editor = PhraseEditor(folders=lambda: [shipped, mine])
    qtbot.addWidget(editor)
    editor.reload_sets()
    editor.phrase_list.setCurrentRow(0)
    _type(qtbot, editor.f_probe, "What do you say to a friend who helps?")
    written = editor.save()
    assert written == mine / "level1.yaml"
    assert (shipped / "level1.yaml").read_bytes() == before  # the shipped set is never overwritten
    text = written.read_text(encoding="utf-8")
    assert text.startswith("# MIT Trainer phrase set")  # the header comments
    assert "  # said on arrival\n  - id: good-morning" in text and text.endswith("# end of the set\n")
    assert load_phrase_set(written).phrases[0].probe == "What do you say to a friend who helps?"
    assert "copy" in editor.messages.text()
    # the copy is now the set being edited; saving again writes the copy itself
    assert editor.save() == written and not (mine / "level1-2.yaml").exists()
