"""The therapist's session panel: where the session is, the controls, the analysis, the decisions.

Everything works from the keyboard: M plays the model, S stops the attempt, 1/2/3 score (correct,
correct after backup, incorrect), O overrides with a reason, N continues, R repeats, K skips,
E ends the item, B takes a break, P pauses. The panel only calls the :class:`SessionController`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mit_trainer.gui import wiring
from mit_trainer.gui.keys import shortcut as make_shortcut
from mit_trainer.gui.session_controller import SessionController, vget
from mit_trainer.gui.theme import LIGHT, Theme
from mit_trainer.gui.therapist.attempt_view import AttemptView
from mit_trainer.gui.therapist.plan_editor import PlanEditor, PlanEntry

#: key -> (outcome passed to the session, button text)
SCORE_KEYS = {
    "1": ("correct", "1  Correct"),
    "2": ("correct_after_backup", "2  Correct after backup"),
    "3": ("incorrect", "3  Incorrect"),
}
OVERRIDE_CHOICES = {
    "Correct": "correct",
    "Correct after backup": "correct_after_backup",
    "Incorrect": "incorrect",
    "No response": "no_response",
}


class SessionPanel(QWidget):
    end_requested = Signal()  # the main window asks for fatigue and notes, then ends
    record_model_requested = Signal()  # "Record my model" of the current phrase

    def __init__(self, controller: SessionController, parent: QWidget | None = None, *, theme: Theme = LIGHT):
        super().__init__(parent)
        self.setAccessibleName("Session panel")
        self.c = controller
        self.status = {k: QLabel("–") for k in ("patient", "level", "step", "try", "cue", "next", "points")}
        form = QFormLayout()
        for key, lab in self.status.items():
            lab.setAccessibleName(key)
            lab.setWordWrap(True)
            form.addRow(key.capitalize(), lab)
        where = QGroupBox("Where we are")
        where.setLayout(form)
        self.phrase_label = QLabel()
        f = self.phrase_label.font()
        f.setPointSizeF(f.pointSizeF() * 1.6)
        f.setBold(True)
        self.phrase_label.setFont(f)
        self.phrase_label.setAccessibleName("Phrase")

        self.buttons: dict[str, QPushButton] = {}
        self._shown_item: tuple[object, object] | None = None

        def button(key: str, text: str, shortcut: str, slot: Any, name: str | None = None) -> QPushButton:
            b = QPushButton(text)
            b.setAccessibleName(name or text.replace("&", "").strip())
            b.setToolTip(f"Shortcut: {shortcut}")
            b.clicked.connect(slot)
            make_shortcut(shortcut, self, b.click)
            self.buttons[key] = b
            return b

        play = button("play", "Play model  (M)", "M", self.c.play_model, "Play or replay the model")
        play.setProperty("primary", True)
        stop = button("stop", "Stop attempt  (S)", "S", self.c.stop_attempt)
        self.stop_on_silence = QCheckBox("Stop when the patient has finished")
        self.stop_on_silence.setAccessibleName("Stop automatically after the response")
        self.stop_on_silence.setChecked(True)
        self.stop_on_silence.toggled.connect(lambda on: setattr(self.c, "stop_on_silence", on))
        self.start_on_voice = QCheckBox("Start on &voice: wait for the patient to begin")
        self.start_on_voice.setAccessibleName("Start the response's time limit at the patient's first voice")
        self.start_on_voice.setToolTip(
            "The patient may take as long as needed to begin;"
            " the recording is never cut off before the answer."
        )
        self.start_on_voice.toggled.connect(lambda on: setattr(self.c, "start_on_voice", on))
        attempt = QGroupBox("Attempt")
        al = QGridLayout(attempt)
        al.addWidget(play, 0, 0)
        al.addWidget(stop, 0, 1)
        al.addWidget(self.stop_on_silence, 1, 0, 1, 2)
        al.addWidget(self.start_on_voice, 2, 0, 1, 2)

        score_box = QGroupBox("Your score (final)")
        sl = QGridLayout(score_box)
        for i, (key, (outcome, text)) in enumerate(SCORE_KEYS.items()):
            sl.addWidget(button(f"score{key}", text, key, lambda _=False, o=outcome: self.c.score(o)), 0, i)
        sl.addWidget(button("override", "Override with a reason…  (O)", "O", self._override), 1, 0, 1, 3)

        flow = QGroupBox("Then")
        fl = QGridLayout(flow)
        fl.addWidget(button("continue", "Continue  (N)", "N", self.c.continue_), 0, 0)
        fl.addWidget(button("repeat", "Repeat step  (R)", "R", self.c.repeat), 0, 1)
        fl.addWidget(button("skip", "Skip item…  (K)", "K", self._skip), 1, 0)
        fl.addWidget(button("end_item", "End item…  (E)", "E", self._end_item), 1, 1)
        fl.addWidget(button("break", "Break…  (B)", "B", self._break), 2, 0)
        fl.addWidget(button("pause", "Pause / resume  (P)", "P", self.c.toggle_pause), 2, 1)
        fl.addWidget(
            button("end", "End session…", "Ctrl+E", self.end_requested.emit, "End session"), 3, 0, 1, 2
        )
        fl.addWidget(
            button(
                "record_model",
                "Record my model…",
                "Ctrl+M",
                self.record_model_requested.emit,
                "Record my model",
            ),
            4,
            0,
            1,
            2,
        )

        self.proposal = QGroupBox("Advancement proposal")
        pl = QHBoxLayout(self.proposal)
        self.proposal_label = QLabel()
        self.proposal_label.setWordWrap(True)
        pl.addWidget(self.proposal_label, 1)
        pl.addWidget(button("accept", "Accept", "Ctrl+Y", lambda: self.c.decide_advancement(True)))
        pl.addWidget(button("decline", "Decline", "Ctrl+D", lambda: self.c.decide_advancement(False)))
        self.proposal.hide()

        self.plan = PlanEditor()
        self.plan.changed.connect(self.c.replan)
        self._plan_for: object = None  # the session whose phrases the plan offers
        plan_box = QGroupBox("Today's plan")
        QVBoxLayout(plan_box).addWidget(self.plan)

        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName("Session notes")
        self.notes.setPlaceholderText(
            "Notes for this session (kept with the session, not exported by default)"
        )
        self.notes.setMaximumHeight(90)
        self.attempt_view = AttemptView(theme=theme)

        left = QVBoxLayout()
        left.addWidget(self.phrase_label)
        left.addWidget(where)
        left.addWidget(attempt)
        left.addWidget(score_box)
        left.addWidget(flow)
        left.addWidget(self.proposal)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.attempt_view, 1)
        right.addWidget(plan_box)
        right.addWidget(QLabel("Notes"))
        right.addWidget(self.notes)
        outer = QHBoxLayout(self)
        outer.addLayout(left, 1)
        outer.addLayout(right, 1)

        self.c.view_changed.connect(self.show_view)
        self.c.outcome_ready.connect(self._show_outcome)
        self.c.recording_changed.connect(lambda _on: self._update_enabled())
        self.c.attempt_started.connect(self.attempt_view.clear)
        self._update_enabled()

    # --- controller -> panel -------------------------------------------------------------------------
    def show_view(self, view: Any) -> None:
        phrase = vget(view, "phrase")
        panel = vget(view, "panel")
        self.phrase_label.setText(phrase.text if phrase is not None else "")
        self.status["patient"].setText(str(vget(view, "patient_code", "–")))
        level = vget(panel, "level")
        self.status["level"].setText("–" if level is None else f"{level} {vget(panel, 'level_name', '')}")
        item_no, n_items = vget(panel, "item_no"), vget(panel, "n_items")
        step_no, n_steps = vget(panel, "step_no"), vget(panel, "n_steps")
        step_text = "–" if step_no is None else f"{step_no} of {n_steps}: {vget(panel, 'step_name', '')}"
        backup = vget(panel, "backup_role")
        if backup and backup != "none":
            step_text += f" (backup: {backup})"
        self.status["step"].setText(f"item {item_no} of {n_items}, step {step_text}" if item_no else "–")
        try_no = vget(panel, "try_no")
        self.status["try"].setText("–" if try_no is None else f"{try_no} of {vget(panel, 'tries', '–')}")
        step = vget(view, "step")
        cue = vget(step, "cue")
        awaiting = vget(view, "awaiting", "–")
        self.status["cue"].setText("–" if cue is None else f"{cue}; waiting for: {awaiting}")
        self.status["next"].setText(str(vget(panel, "next", "–")))
        totals = vget(view, "totals")
        pct = vget(totals, "percent")
        self.status["points"].setText(
            "–"
            if totals is None
            else f"{totals.points} of {totals.possible}" + ("" if pct is None else f" ({pct:.0f} %)")
        )
        proposal = vget(view, "proposal")
        pending = bool(vget(view, "decision_pending", False))
        self.proposal.setVisible(proposal is not None)
        if proposal is not None:
            kind = getattr(proposal.kind, "value", proposal.kind)
            self.proposal_label.setText(f"{kind}: {proposal.reason}")
        self.buttons["accept"].setEnabled(pending)
        self.buttons["decline"].setEnabled(pending)
        self._show_plan(view)
        item = (item_no, getattr(phrase, "id", None))
        if view is None or item != self._shown_item:
            self.attempt_view.clear()  # the last item's analysis never stands beside a new item
        self._shown_item = item
        self._update_enabled()

    def _show_plan(self, view: Any) -> None:
        rows = vget(view, "plan", ()) or ()
        entries = [PlanEntry(r.phrase_id, r.text, r.trained, r.status) for r in rows]
        session = self.c.session
        choices: list[PlanEntry] = []
        if session is not None and session is not self._plan_for and hasattr(session, "phrase_set"):
            self._plan_for = session
            level = vget(view, "level")
            choices = [
                PlanEntry(p.id, p.text, p.trained) for p in session.phrase_set.phrases if p.level == level
            ]
            self.plan.set_warnings(wiring.plan_warner(session.phrase_set))
        self.plan.set_plan(entries, choices)

    def _show_outcome(self, outcome: Any) -> None:
        self.attempt_view.show_outcome(
            outcome, low_note_hz=self.c.low_note_hz, interval_semitones=self.c.interval_semitones
        )
        self._update_enabled()

    def _update_enabled(self) -> None:
        awaiting = self.c.awaiting()
        recording = self.c.is_recording()
        live = self.c.session is not None and awaiting != "done"
        self.buttons["play"].setEnabled(live and not recording and awaiting in ("model", "response"))
        self.buttons["stop"].setEnabled(recording)
        can_score = live and not recording and awaiting in ("response", "confirm")
        for key in ("score1", "score2", "score3"):
            self.buttons[key].setEnabled(can_score)
        last = getattr(self.c.view, "last_outcome", None)
        self.buttons["override"].setEnabled(not recording and (can_score or last is not None))
        for key in ("continue", "repeat", "skip", "end_item", "break"):
            self.buttons[key].setEnabled(live and not recording)
        self.buttons["end"].setEnabled(self.c.session is not None)
        self.buttons["record_model"].setEnabled(live and not recording)

    # --- dialogs -------------------------------------------------------------------------------------
    def _override(self) -> None:
        choice, ok = QInputDialog.getItem(self, "Override", "Your score", list(OVERRIDE_CHOICES), 0, False)
        if not ok:
            return
        reason, ok = QInputDialog.getText(self, "Override", "Reason (kept with the attempt)")
        if ok and reason.strip():
            self.c.override(OVERRIDE_CHOICES[choice], reason=reason.strip())

    def confirm(self, title: str, question: str) -> bool:
        """Ask once before something that cannot be undone (a stray key must never end an item)."""
        answer = QMessageBox.question(
            self, title, question, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )  # fmt: skip
        return answer == QMessageBox.StandardButton.Yes

    def _skip(self) -> None:
        if self.confirm("Skip item", "Skip this item? Its remaining steps are not presented."):
            self.c.skip()

    def _end_item(self) -> None:
        if self.confirm("End item", "End this item now? Its remaining steps are not presented."):
            self.c.end_item()

    def _break(self) -> None:
        fatigue, ok = QInputDialog.getInt(self, "Break", "Fatigue now (0 none - 10 exhausted)", 5, 0, 10)
        if ok:
            self.c.take_break(fatigue)
