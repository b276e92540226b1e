"""The phrase-set editor: browse sets and phrases, edit one phrase, validate live, play, save, import/export.

Editing works on a list of frozen :class:`Phrase` values; each edit replaces the current phrase. The
live validation runs the project's own parser on the canonical text of the edited set
(``parse_phrase_set(dump_phrase_set(...))``), so the messages are exactly what the command line and
the session would report. Saving writes the canonical YAML atomically (``save_phrase_set``).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mit_trainer.core.phrase_comments import id_from_text
from mit_trainer.core.phrases import (
    CATEGORIES,
    dump_phrase_set,
    parse_phrase_set,
    save_phrase_set,
    validate_phrase_file,
)
from mit_trainer.core.records import Phrase, PhraseSet
from mit_trainer.gui.editor.fields import derive_syllables, import_phrase_file, parse_beats, split_syllables
from mit_trainer.gui.editor.syllable_chips import SyllableChips


class PhraseEditor(QWidget):
    play_requested = Signal(object)  # Phrase: the main window renders and plays it
    record_model_requested = Signal(object, str)  # Phrase, its set's name: "Record my model"
    saved = Signal(object)  # Path

    def __init__(
        self, *, folders: Callable[[], list[Path]], tasks: Any = None, parent: QWidget | None = None
    ) -> None:
        """``tasks`` (the GUI's TaskRunner): read and validate a set's file on a worker; without it,
        at once (tests). The sets are listed when the page is first shown."""
        super().__init__(parent)
        self.setAccessibleName("Phrase-set editor")
        self._folders = folders
        self._tasks = tasks
        self._listed = False
        self._note: tuple[Path | None, str] = (None, "")  # a message for when that set is open
        self._lead = ""  # shown above the next check's messages (the note of the set just opened)
        self.phrase_set: PhraseSet | None = None
        self.phrases: list[Phrase] = []
        self._loading = False
        # The id and the syllables follow the text as it is typed until the therapist edits them.
        self._auto_id = False
        self._auto_syllables = False
        self._derive_note = ""
        self.set_list = QListWidget()
        self.set_list.setAccessibleName("Phrase sets")
        self.set_list.currentRowChanged.connect(self._open_set_row)
        self.phrase_list = QListWidget()
        self.phrase_list.setAccessibleName("Phrases")
        self.phrase_list.currentRowChanged.connect(self._show_phrase)
        self.f_id = QLineEdit()
        self.f_text = QLineEdit()
        self.f_syll = QLineEdit()
        self.f_syll.setPlaceholderText("syllables, e.g. good-bye or thank you")
        self.chips = SyllableChips()
        self.chips.pattern_changed.connect(lambda _p: self._edited())
        self.f_beats = QLineEdit()
        self.f_beats.setPlaceholderText("e.g. 2 1 (empty: one beat each)")
        self.f_probe = QLineEdit()
        self.f_level = QSpinBox()
        self.f_level.setRange(1, 3)
        self.f_category = QComboBox()
        self.f_category.setEditable(True)
        self.f_category.addItems(["", *CATEGORIES])
        self.f_trained = QCheckBox("Trained (untick for an untrained generalisation probe)")
        form = QFormLayout()
        for label, w, name in (
            ("&Id", self.f_id, "Phrase id"),
            ("&Text", self.f_text, "Phrase text"),
            ("S&yllables", self.f_syll, "Syllables"),
            ("H/L (click)", self.chips, "Syllable tones"),
            ("&Beats", self.f_beats, "Beats per syllable"),
            ("P&robe question", self.f_probe, "Probe question"),
            ("&Level", self.f_level, "Level"),
            ("&Category", self.f_category, "Category"),
            ("", self.f_trained, "Trained"),
        ):
            w.setAccessibleName(name)
            form.addRow(label, w)
        for w in (self.f_beats, self.f_probe):
            w.textEdited.connect(lambda _t: self._edited())
        self.f_text.textEdited.connect(lambda _t: self._text_edited())
        self.f_id.textEdited.connect(lambda _t: self._id_edited())
        self.f_syll.textEdited.connect(lambda _t: self._syllables_edited())
        self.f_level.valueChanged.connect(lambda _v: self._edited())
        self.f_category.currentTextChanged.connect(lambda _t: self._edited())
        self.f_trained.toggled.connect(lambda _b: self._edited())
        self.messages = QLabel()
        self.messages.setAccessibleName("Validation messages")
        self.messages.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for i, (key, text, slot) in enumerate(
            (
                ("new", "&New phrase", self.new_phrase),
                ("delete", "&Delete phrase", self.delete_phrase),
                ("play", "&Play model", self._play),
                ("save", "&Save", self.save),
                ("import", "I&mport…", self._import),
                ("export", "E&xport…", self._export),
                ("record_model", "Rec&ord my model…", self._record_model),
            )
        ):
            b = QPushButton(text)
            b.setAccessibleName(text.replace("&", "").rstrip("…"))
            b.clicked.connect(slot)
            self.buttons[key] = b
            grid.addWidget(b, i // 3, i % 3)
        lists = QVBoxLayout()
        lists.addWidget(QLabel("Phrase sets"))
        lists.addWidget(self.set_list, 1)
        lists.addWidget(QLabel("Phrases"))
        lists.addWidget(self.phrase_list, 2)
        detail = QGroupBox("Phrase")
        dl = QVBoxLayout(detail)
        dl.addLayout(form)
        dl.addLayout(grid)
        dl.addWidget(QLabel("Checks"))
        dl.addWidget(self.messages)
        dl.addStretch(1)
        outer = QHBoxLayout(self)
        outer.addLayout(lists, 1)
        outer.addWidget(detail, 2)

    # --- sets ---------------------------------------------------------------------------------------
    def reload_sets(self) -> None:
        self._listed = True
        self.set_list.blockSignals(True)
        self.set_list.clear()
        self._paths: list[Path] = []
        for folder in self._folders():
            if folder.is_dir():
                for path in sorted(folder.glob("*.y*ml")):
                    self._paths.append(path)
                    self.set_list.addItem(f"{path.stem}  ({folder.name})")
        self.set_list.blockSignals(False)
        if self._paths:
            self.set_list.setCurrentRow(0)

    def _open_set_row(self, row: int) -> None:
        if 0 <= row < len(self._paths):
            self.open_path(self._paths[row])

    def showEvent(self, event: Any) -> None:
        if not self._listed:
            self.reload_sets()
        super().showEvent(event)

    def open_path(self, path: Path) -> None:
        if self._tasks is None:
            self._opened(*validate_phrase_file(path))
            return
        self.messages.setText(f"Opening {path.name}…")
        self._tasks.run_in_background(
            lambda: validate_phrase_file(path),
            lambda result: self._opened(*result),
            lambda e: self.messages.setText(f"Cannot open {path.name}: {e}"),
            executor="analysis",
        )

    def _opened(self, ps: PhraseSet | None, issues: Any) -> None:
        if ps is None:
            self.messages.setText("\n".join(str(i) for i in issues))
            return
        self.open_set(ps)
        path, note = self._note
        if note and ps.path is not None and path is not None and ps.path.resolve() == path.resolve():
            self.messages.setText(note)
            self._lead = note  # and above the set's messages, which follow in the next turn
            self._note = (None, "")

    def open_set(self, ps: PhraseSet) -> None:
        self.phrase_set = ps
        self.phrases = list(ps.phrases)
        self._fill_phrase_list()
        self.phrase_list.setCurrentRow(0 if self.phrases else -1)

    def _fill_phrase_list(self) -> None:
        row = self.phrase_list.currentRow()
        self.phrase_list.blockSignals(True)
        self.phrase_list.clear()
        for p in self.phrases:
            self.phrase_list.addItem(f"L{p.level}  {p.text}  [{''.join(p.pattern)}]")
        self.phrase_list.blockSignals(False)
        if 0 <= row < len(self.phrases):
            self.phrase_list.setCurrentRow(row)

    def current_set(self) -> PhraseSet | None:
        if self.phrase_set is None:
            return None
        return dataclasses.replace(self.phrase_set, phrases=tuple(self.phrases))

    # --- one phrase ----------------------------------------------------------------------------------
    def current_index(self) -> int:
        return self.phrase_list.currentRow()

    def _show_phrase(self, row: int) -> None:
        if not 0 <= row < len(self.phrases):
            return
        p = self.phrases[row]
        self._loading = True
        self.f_id.setText(p.id)
        self.f_text.setText(p.text)
        self.f_syll.setText(" ".join(p.syllables))
        self.chips.set_syllables(p.syllables, p.pattern)
        self.f_beats.setText(" ".join(f"{b:g}" for b in p.beats))
        self.f_probe.setText(p.probe or "")
        self.f_level.setValue(p.level)
        self.f_category.setCurrentText(p.category or "")
        self.f_trained.setChecked(p.trained)
        self._loading = False
        taken = {q.id for i, q in enumerate(self.phrases) if i != row}
        self._auto_id = not p.id or p.id == id_from_text(p.text, taken)
        self._auto_syllables = not p.syllables
        self._derive_note = ""
        # The messages follow in the next event-loop turn: checking the whole set (write and parse it
        # again, ~8 ms) and filling the fields in one turn, with the page's repaint, held the GUI thread
        # for up to 49 ms when a set was opened. Edits are checked at once (see _edited).
        QTimer.singleShot(0, self, self.validate)

    def _id_edited(self) -> None:
        self._auto_id = False
        self._edited()

    def _text_edited(self) -> None:
        """A new text: a fresh id and the syllables and H/L pattern derived from it (while the therapist
        has not typed their own). Deriving reads the pronouncing dictionary (about 1 s the first time), so
        it runs on a worker; a result for a text that has changed since is dropped."""
        row = self.current_index()
        text = self.f_text.text().strip()
        if self._auto_id and 0 <= row < len(self.phrases):
            taken = {q.id for i, q in enumerate(self.phrases) if i != row}
            self.f_id.setText(id_from_text(text, taken) if text else "")
        self._edited()
        if not self._auto_syllables or not text:
            return
        language = self.phrase_set.language if self.phrase_set is not None else "en"
        if self._tasks is None:
            self._derived(text, derive_syllables(text, language))
        else:
            self._tasks.run_in_background(
                lambda: derive_syllables(text, language), lambda got: self._derived(text, got),
                executor="analysis",
            )  # fmt: skip

    def _derived(self, text: str, got: tuple[tuple[str, ...], tuple[str, ...]] | str) -> None:
        if text != self.f_text.text().strip() or not self._auto_syllables:
            return  # typed on since, or the therapist took the syllables over
        if isinstance(got, str):
            self._derive_note = got
            self._edited()
            return
        syllables, pattern = got
        self._derive_note = ""
        self.f_syll.setText(" ".join(syllables))
        self.chips.set_syllables(syllables, pattern)
        if len(parse_beats(self.f_beats.text(), len(syllables)) or ()) != len(syllables):
            self.f_beats.setText(" ".join("1" for _ in syllables))
        self._edited()

    def _syllables_edited(self) -> None:
        self._auto_syllables = False
        self._derive_note = ""
        syll = split_syllables(self.f_syll.text())
        old = self.chips.pattern()
        self.chips.set_syllables(syll, tuple(old[i] if i < len(old) else "L" for i in range(len(syll))))
        self._edited()

    def _edited(self) -> None:
        row = self.current_index()
        if self._loading or not 0 <= row < len(self.phrases):
            return
        old = self.phrases[row]
        syll = split_syllables(self.f_syll.text())
        beats = parse_beats(self.f_beats.text(), len(syll))
        self.phrases[row] = dataclasses.replace(
            old,
            id=self.f_id.text().strip(),
            text=self.f_text.text().strip(),
            syllables=syll,
            pattern=self.chips.pattern(),
            beats=beats if beats is not None else old.beats,
            probe=self.f_probe.text().strip() or None,
            level=self.f_level.value(),
            category=self.f_category.currentText().strip() or None,
            trained=self.f_trained.isChecked(),
        )
        item = self.phrase_list.item(row)
        if item is not None:
            p = self.phrases[row]
            item.setText(f"L{p.level}  {p.text}  [{''.join(p.pattern)}]")
        self.validate(beats_ok=beats is not None)

    def validate(self, *, beats_ok: bool = True) -> list[Any]:
        """Run the phrase-set parser on the canonical text of the edited set; show its messages."""
        ps = self.current_set()
        if ps is None:
            return []
        try:
            text = dump_phrase_set(ps)
        except Exception as exc:  # a field the canonical writer cannot express
            self.messages.setText(f"Cannot write this set: {exc}")
            return [exc]
        _parsed, issues = parse_phrase_set(text, source=ps.path.name if ps.path else ps.name)
        lines = [] if beats_ok else ["Beats: type numbers separated by spaces, e.g. 2 1."]
        if self._derive_note:
            lines.append(self._derive_note)
        lines += [f"{i.severity}: {i.field + ': ' if i.field else ''}{i.message}" for i in issues]
        text = "\n".join(lines) if lines else "No problems found."
        if self._lead:
            text, self._lead = f"{self._lead}\n{text}", ""
        self.messages.setText(text)
        self.buttons["save"].setEnabled(not any(getattr(i, "severity", "") == "error" for i in issues))
        return list(issues)

    def new_phrase(self) -> None:
        if self.phrase_set is None:
            return
        level = (
            self.phrases[self.current_index()].level if 0 <= self.current_index() < len(self.phrases) else 1
        )
        # Blank: the id, syllables and H/L pattern follow the text as it is typed.
        self.phrases.append(Phrase(id="", text="", level=level, syllables=(), pattern=(), beats=()))
        self._fill_phrase_list()
        self.phrase_list.setCurrentRow(len(self.phrases) - 1)
        self.f_text.setFocus()

    def delete_phrase(self) -> None:
        row = self.current_index()
        if 0 <= row < len(self.phrases):
            del self.phrases[row]
            self._fill_phrase_list()
            self.phrase_list.setCurrentRow(min(row, len(self.phrases) - 1))
            self.validate()

    def _play(self) -> None:
        row = self.current_index()
        if 0 <= row < len(self.phrases):
            self.play_requested.emit(self.phrases[row])

    def _record_model(self) -> None:
        row = self.current_index()
        if 0 <= row < len(self.phrases) and self.phrase_set is not None:
            self.record_model_requested.emit(self.phrases[row], self.phrase_set.name)

    # --- files ---------------------------------------------------------------------------------------
    def save(self, path: Path | None = None) -> Path | None:
        ps = self.current_set()
        if ps is None:
            return None
        original = ps.path
        target = path or (None if original is None else self._own_copy(original))
        if target is None:
            return self._export()
        before: str | None = None
        if original is not None:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                before = original.read_text(encoding="utf-8")
        written = save_phrase_set(ps, target, comments_from=before)
        self.phrase_set = dataclasses.replace(ps, path=written)
        copied = original is not None and path is None and written != original
        self.messages.setText(
            f"Saved a copy as {written.name} in your phrase folder (the shipped set is kept as it was)."
            if copied
            else f"Saved {written.name}."
        )
        if copied:
            self.reload_sets()
            with contextlib.suppress(ValueError):
                self.set_list.setCurrentRow(self._paths.index(written))
        self.saved.emit(written)
        return written

    def _own_copy(self, path: Path) -> Path:
        """Where an edit of ``path`` is saved: the file itself in the user's own folder; for any other set
        (the shipped ones), a new file of the same name in the user's folder (never the shipped file)."""
        own = self._folders()[-1]
        if path.resolve().parent == own.resolve():
            return path
        own.mkdir(parents=True, exist_ok=True)
        target, n = own / path.name, 2
        while target.exists():
            target = own / f"{path.stem}-{n}{path.suffix}"
            n += 1
        return target

    def _import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import a phrase set", "", "Phrase sets (*.yaml *.yml)")
        if name:
            self.import_file(Path(name))

    def import_file(self, path: Path) -> Path | None:
        """Validate ``path`` and copy it into the user's phrase folder (the last folder), then open it."""
        target, problems = import_phrase_file(path, self._folders()[-1])
        if target is None:
            self.messages.setText("Not imported:\n" + "\n".join(problems))
            return None
        # shown above the set's own messages once it is open (on a worker in the application)
        extra = "\n" + "\n".join(problems) if problems else ""
        self._note = (target, f"Imported as {target.name}.{extra}")
        self.reload_sets()
        self.set_list.setCurrentRow(self._paths.index(target))
        return target

    def _export(self) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(self, "Export the phrase set", "", "Phrase sets (*.yaml)")
        return self.save(Path(name)) if name else None
