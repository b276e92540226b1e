"""The patient's window: one task at a time, large and calm (PROTOCOL.md §7).

A separate top-level window that can go full screen on a second monitor. It shows a cue banner
(icon + word + colour), the phrase on two lanes, the live pitch trace, the tap pad (left by default)
and a Pause button. It has no timers or countdowns and never shows a red or "wrong" mark; after an
attempt it says "Well done" or "Let's try again together". It renders :class:`PatientScreenModel`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from mit_trainer.gui.icons import icon, pixmap
from mit_trainer.gui.keys import shortcut
from mit_trainer.gui.patient.i18n import PatientTexts
from mit_trainer.gui.patient.lanes import PhraseLanes
from mit_trainer.gui.patient.model import FEEDBACK_TEXT, Feedback, PatientScreen, PatientScreenModel, Phase
from mit_trainer.gui.patient.pitch_trace import PitchTrace
from mit_trainer.gui.patient.tap_pad import TAP_KEYS, TapPad
from mit_trainer.gui.theme import LIGHT, Theme

CUE_WORDS = {
    Phase.IDLE: ("", "Get ready"),
    Phase.LISTEN: ("listen", "Listen"),
    Phase.TOGETHER: ("your_turn", "Sing together"),
    Phase.YOUR_TURN: ("your_turn", "Your turn"),
    Phase.PAUSED: ("pause", "Paused"),
    Phase.REST: ("pause", "Time for a rest"),
}


class CueBanner(QWidget):
    """Icon + word on a coloured band."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._shown: tuple[object, ...] | None = None
        self.icon_label = QLabel()
        # A cue without an icon keeps the icon's room: the band's height never changes with the phase,
        # so a phase change does not lay out the window again (and rebuild the trace's drawing).
        keep = self.icon_label.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.icon_label.setSizePolicy(keep)
        self.word_label = QLabel()
        self.word_label.setAccessibleName("Cue")
        font = self.word_label.font()
        font.setPointSizeF(34)
        font.setBold(True)
        self.word_label.setFont(font)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(24, 10, 24, 10)
        lay.addWidget(self.icon_label)
        lay.addSpacing(16)
        lay.addWidget(self.word_label, 1)

    def show_cue(self, icon_name: str, word: str, bg: str, fg: str) -> None:
        """Show a cue; the same cue again changes nothing (the patient view re-renders at every lit
        syllable, and restyling the band and redrawing its icon each time cost the GUI thread 5-20 ms)."""
        cue = (icon_name, word, bg, fg, self.devicePixelRatioF())
        if cue == self._shown:
            return
        self._shown = cue
        self.setStyleSheet(f"background: {bg}; color: {fg};")
        self.word_label.setStyleSheet(f"background: {bg}; color: {fg};")
        self.icon_label.setStyleSheet(f"background: {bg};")
        self.icon_label.setPixmap(pixmap(icon_name, fg, 64, self.devicePixelRatioF()))
        self.icon_label.setVisible(bool(icon_name))
        self.word_label.setText(word)
        self.setAccessibleName(f"Cue: {word}")


class PatientWindow(QWidget):
    tapped = Signal()
    pause_clicked = Signal()

    def __init__(self, model: PatientScreenModel, *, theme: Theme = LIGHT, tap_side: str = "left") -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle("MIT Trainer: patient view")
        self.setAccessibleName("Patient view")
        # Showing it never takes the keyboard from the therapist's window (their shortcuts and notes).
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self._model = model
        self._theme = theme
        self._texts = PatientTexts("en")
        self.banner = CueBanner(self)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setAccessibleName("Pause")
        self.pause_button.setMinimumSize(180, 72)
        bf = self.pause_button.font()
        bf.setPointSizeF(20)
        self.pause_button.setFont(bf)
        self.pause_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.pause_button.clicked.connect(self._on_pause)
        self.prompt = QLabel()
        self.prompt.setAccessibleName("Question")
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt.setWordWrap(True)
        pf = self.prompt.font()
        pf.setPointSizeF(26)
        self.prompt.setFont(pf)
        self.lanes = PhraseLanes(self, theme=theme)
        self.feedback = QLabel()
        self.feedback.setAccessibleName("Feedback")
        self.feedback.setAlignment(Qt.AlignmentFlag.AlignCenter)
        ff = self.feedback.font()
        ff.setPointSizeF(40)
        ff.setBold(True)
        self.feedback.setFont(ff)
        self.feedback_icon = QLabel()
        self.feedback_icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.trace = PitchTrace(self, theme=theme)
        self.trace.setMinimumHeight(200)
        self.tap_pad = TapPad(self, theme=theme)
        self.tap_pad.tapped.connect(self.tapped)

        keep = self.trace.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # hidden during a pause: the lanes keep their size
        self.trace.setSizePolicy(keep)

        top = QHBoxLayout()
        top.addWidget(self.banner, 1)
        top.addWidget(self.pause_button)
        self._body = QHBoxLayout()
        self._centre = QVBoxLayout()
        self._centre.addWidget(self.prompt)
        # The task (lanes and trace) and the praise after an attempt are two pages of one stack: switching
        # between them never resizes the lanes or the trace (a resize redraws the trace from scratch).
        self.work_page = QWidget()
        work = QVBoxLayout(self.work_page)
        work.setContentsMargins(0, 0, 0, 0)
        work.addWidget(self.lanes, 3)
        work.addWidget(self.trace, 2)
        self.praise_page = QWidget()
        praise = QVBoxLayout(self.praise_page)
        praise.addStretch(1)
        praise.addWidget(self.feedback_icon)
        praise.addWidget(self.feedback)
        praise.addStretch(1)
        self.stage = QStackedWidget()
        self.stage.addWidget(self.work_page)
        self.stage.addWidget(self.praise_page)
        self._centre.addWidget(self.stage, 1)
        self._pad_column = QVBoxLayout()
        self._pad_column.addStretch(1)
        self._pad_column.addWidget(self.tap_pad)
        self._pad_column.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addLayout(top)
        outer.addLayout(self._body, 1)
        self.set_tap_side(tap_side)
        shortcut("P", self, self._on_pause)
        model.subscribe(self._on_change)
        self.apply_theme(theme)
        self._render(model.state, force=True)
        self.tap_pad.setFocus()

    # --- configuration ---------------------------------------------------------------------------------
    def set_tap_side(self, side: str) -> None:
        while self._body.count():
            self._body.takeAt(0)
        if side == "right":
            self._body.addLayout(self._centre, 1)
            self._body.addLayout(self._pad_column)
        else:
            self._body.addLayout(self._pad_column)
            self._body.addLayout(self._centre, 1)
        self.tap_side = side

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        pal = self.palette()
        pal.setColor(self.backgroundRole(), QColor(theme.window))
        self.setPalette(pal)
        self.lanes.set_theme(theme)
        self.trace.set_theme(theme)
        self.tap_pad.set_theme(theme)
        self.pause_button.setIcon(icon("pause", theme.button_text))
        self._render(self._model.state, force=True)

    def show_on_screen(self, index: int, *, full_screen: bool) -> None:
        """Move to screen ``index`` (e.g. the second monitor facing the patient), optionally full screen."""
        screens = QGuiApplication.screens()
        screen = screens[index] if 0 <= index < len(screens) else QGuiApplication.primaryScreen()
        self.setScreen(screen)
        self.move(screen.availableGeometry().topLeft())
        if full_screen:
            self.showFullScreen()
        else:
            self.showNormal()

    # --- model -> view -------------------------------------------------------------------------------
    def _on_change(self, old: PatientScreen, new: PatientScreen) -> None:
        self._render(new, force=False, old=old)

    def set_language(self, language: str) -> None:
        """The patient's language for every word on this screen (the phrase itself is the set's)."""
        texts = PatientTexts(language)
        if texts.language == self._texts.language:
            return
        self._texts = texts
        self.pause_button.setText(texts("Pause"))
        self.pause_button.setAccessibleName(texts("Pause"))
        self.tap_pad.set_label(texts("Tap"))
        self.trace.set_words(title=texts("Your voice"), high=texts("high"), low=texts("low"))

    def _render(self, s: PatientScreen, *, force: bool, old: PatientScreen | None = None) -> None:
        t = self._theme
        if force or old is None or old.language != s.language:
            self.set_language(s.language)
        phrase_changed = (
            force
            or old is None
            or (old.syllables, old.pattern, old.beats, old.text) != (s.syllables, s.pattern, s.beats, s.text)
        )
        if phrase_changed:
            self.lanes.set_phrase(s.syllables, s.pattern, s.beats, s.text)
        self.lanes.set_words_hidden(s.words_hidden)
        if force or old is None or old.notes != s.notes or old.low_note_hz != s.low_note_hz:
            self.trace.set_targets(
                s.notes, low_note_hz=s.low_note_hz, interval_semitones=s.interval_semitones
            )
        self.lanes.set_lit(s.lit_index)
        self.prompt.setText(s.prompt or "")
        self.prompt.setVisible(bool(s.prompt))
        if s.phase is Phase.FEEDBACK:
            fb = s.feedback or Feedback.WELL_DONE
            name = "well_done" if fb is not Feedback.TRY_TOGETHER else "together"
            self.banner.show_cue("", "", t.window, t.text)
            self.feedback.setText(self._texts(FEEDBACK_TEXT[fb]))
            self.feedback_icon.setPixmap(pixmap(name, t.accent, 120, self.devicePixelRatioF()))
        else:
            icon_name, word = CUE_WORDS[s.phase]
            bg, fg = {
                Phase.LISTEN: (t.listen, t.listen_text),
                Phase.TOGETHER: (t.turn, t.turn_text),
                Phase.YOUR_TURN: (t.turn, t.turn_text),
            }.get(s.phase, (t.panel, t.text))
            self.banner.show_cue(icon_name, self._texts(word), bg, fg)
        page = self.praise_page if s.phase is Phase.FEEDBACK else self.work_page
        if self.stage.currentWidget() is not page:
            self.stage.setCurrentWidget(page)
        self.trace.setVisible(s.phase in (Phase.LISTEN, Phase.TOGETHER, Phase.YOUR_TURN, Phase.IDLE))

    # --- input ---------------------------------------------------------------------------------------
    def _on_pause(self) -> None:
        self.pause_clicked.emit()
        self._model.request_pause()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in TAP_KEYS and not event.isAutoRepeat() and not self.pause_button.hasFocus():
            self.tap_pad.tap()
            event.accept()
            return
        super().keyPressEvent(event)
