"""The therapist's main window: a thin shell that composes the panels behind the PIN lock.

Pages: the lock screen, then tabs (Session, Patients, Phrase sets, Progress, Settings). Ctrl+L locks,
Ctrl+1..5 switch tabs, F11 puts the patient view full screen, Ctrl+Shift+V shows it. The window builds
no services itself: :mod:`mit_trainer.gui.app` constructs them and passes them in.
"""

from __future__ import annotations

import functools
from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from mit_trainer.app import access
from mit_trainer.gui.keys import shortcut
from mit_trainer.gui.therapist.lock import LockScreen
from mit_trainer.gui.therapist.session_panel import SessionPanel

PATIENT_SHARE = 0.5  # of a single screen's width, when both windows share it


def side_by_side(
    avail: QRect, *, therapist_min_w: int = 0, patient_min_w: int = 0, patient_share: float = PATIENT_SHARE
) -> tuple[QRect, QRect]:
    """(therapist, patient) rectangles splitting ``avail`` left and right without overlap.

    Each gets its share, widened to its minimum where the other has room to spare; when both minimums do
    not fit, the therapist's controls win (the patient's window is then narrower than it would like)."""
    therapist_w = round(avail.width() * (1.0 - patient_share))
    therapist_w = max(therapist_w, therapist_min_w)
    therapist_w = min(therapist_w, max(therapist_min_w, avail.width() - patient_min_w))
    therapist_w = min(therapist_w, avail.width())
    therapist = QRect(avail.left(), avail.top(), therapist_w, avail.height())
    patient = QRect(avail.left() + therapist_w, avail.top(), avail.width() - therapist_w, avail.height())
    return therapist, patient


class MainWindow(QMainWindow):
    def __init__(self, services: Any) -> None:
        super().__init__()
        self.s = services
        self.setWindowTitle("MIT Trainer")
        self.setAccessibleName("MIT Trainer therapist window")
        self.therapist: Any = None
        self.calibration: QDialog | None = None  # the calibration wizard, while open
        self.lock_screen = LockScreen()
        self.lock_screen.unlock_requested.connect(self._try_unlock)
        self.lock_screen.create_requested.connect(self._create_therapist)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Sections")
        self.pages: dict[str, QWidget] = {}
        self._holders: dict[str, QScrollArea] = {}
        self.stack = QStackedWidget()
        self.stack.addWidget(self.lock_screen)
        self.stack.addWidget(self.tabs)
        self.setCentralWidget(self.stack)
        self.statusBar().setAccessibleName("Status")
        # The theme's sheet goes on each page and bar, not on the window: a theme change then restyles
        # one page per event-loop turn. Dialogs are parented to a page (dialog_parent) to inherit it.
        for part in (self.lock_screen, self.tabs.tabBar(), self.statusBar()):
            self.s.add_themed(part)
        shortcut("Ctrl+L", self, self.lock)
        shortcut("F11", self, self.toggle_patient_full_screen)
        shortcut("Ctrl+Shift+V", self, self.show_patient_view)
        for i in range(9):
            shortcut(f"Ctrl+{i + 1}", self, functools.partial(self.tabs.setCurrentIndex, i))
        self.s.idle_lock.lock_now.connect(self.lock)
        self.s.tasks.failed.connect(self.say)

    def add_page(self, key: str, title: str, widget: QWidget) -> None:
        """A tab holding ``widget`` in a scroll area: a wide page (settings) then never makes the whole
        window too wide to share one screen with the patient's window."""
        self.pages[key] = widget
        self.s.add_themed(widget)  # before it is shown: polished once
        holder = QScrollArea()
        holder.setFrameShape(QFrame.Shape.NoFrame)
        holder.setWidgetResizable(True)
        holder.setWidget(widget)
        self._holders[key] = holder
        self.tabs.addTab(holder, title)

    def dialog_parent(self) -> QWidget:
        """The visible page: a dialog parented to it inherits the theme's style sheet."""
        if self.is_locked():
            return self.lock_screen
        current = self.tabs.currentWidget()
        if isinstance(current, QScrollArea):
            return current.widget() or self.lock_screen
        return current or self.lock_screen

    def show_page(self, key: str) -> None:
        self.tabs.setCurrentWidget(self._holders[key])

    def say(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    # --- lock ---------------------------------------------------------------------------------------
    def is_locked(self) -> bool:
        return self.stack.currentWidget() is self.lock_screen

    def lock(self) -> None:
        self.lock_screen.reset()
        self.stack.setCurrentWidget(self.lock_screen)
        self.s.idle_lock.disarm()
        self.refresh_therapists()

    def unlock_as(self, therapist: Any) -> None:
        self.therapist = therapist
        self.s.therapist = therapist
        self.stack.setCurrentWidget(self.tabs)
        self.say(f"Unlocked: {therapist.display_name}")
        self.s.idle_lock.arm()

    def refresh_therapists(self) -> None:
        store = self.s.store
        if store is None:
            return
        select = self.therapist.id if self.therapist is not None else None
        self.s.tasks.run_in_background(
            store.list_therapists, lambda ts: self.lock_screen.set_therapists(ts, select_id=select)
        )

    def _refused(self, exc: BaseException) -> None:
        self.lock_screen.show_error(str(exc), getattr(exc, "wait_s", 0.0))

    def _try_unlock(self, therapist: Any, pin: str) -> None:
        store = self.s.store
        if store is None:
            self.lock_screen.show_error("The database is still opening.")
            return

        def check() -> Any:  # throttled and written to the access audit (app.access)
            return access.check_pin(store, therapist.id, pin)

        self.s.tasks.run_in_background(check, self.unlock_as, self._refused)

    def _create_therapist(self, name: str, pin: str, approver: Any, approver_pin: str) -> None:
        store = self.s.store
        if store is None:
            self.lock_screen.show_error("The database is still opening.")
            return
        approver_id = None if approver is None else approver.id

        def make() -> Any:
            return access.add_therapist(store, name, pin, approver_id=approver_id, approver_pin=approver_pin)

        def done(t: Any) -> None:
            self.therapist = t
            self.refresh_therapists()
            self.lock_screen.message.setText(f"Added {t.display_name}. Enter the PIN to unlock.")

        self.s.tasks.run_in_background(make, done, self._refused)

    # --- patient view -------------------------------------------------------------------------------
    def show_patient_view(self) -> None:
        """The patient's window on the second screen when there is one; on a single screen (or when the
        chosen screen is the therapist's own) the two windows are laid out side by side, so that the
        patient's window never covers the therapist's controls."""
        pv = self.s.patient_window
        st = self.s.settings
        screens = QGuiApplication.screens()
        own = self.screen()
        others = [i for i, sc in enumerate(screens) if sc is not own]
        # the chosen screen when it is another one than the therapist's; else the first other screen
        wanted = st.patient_screen if st.patient_screen in others else (others[0] if others else -1)
        if wanted >= 0:
            pv.show_on_screen(wanted, full_screen=st.patient_full_screen)
        else:
            screen = own or QGuiApplication.primaryScreen()
            frame = self.frameGeometry().width() - self.geometry().width()
            # the session page is what the therapist works with while the patient sings
            page = self.pages.get("session")
            page_w = page.minimumSizeHint().width() + 16 if page is not None else 0  # (+ the tab's frame)
            mine, theirs = side_by_side(
                screen.availableGeometry(),
                therapist_min_w=max(self.minimumSizeHint().width(), page_w) + frame,
                patient_min_w=pv.minimumSizeHint().width() + frame,
            )
            if self.isFullScreen() or self.isMaximized():
                self.showNormal()
            self.setGeometry(mine)
            pv.setScreen(screen)
            pv.showNormal()
            pv.setGeometry(theirs)
        pv.raise_()
        self.s.idle_lock.watch_window(pv.windowHandle())  # a patient's tap on the second screen is activity

    def toggle_patient_full_screen(self) -> None:
        pv = self.s.patient_window
        if pv.isFullScreen():
            pv.showNormal()
        else:
            pv.showFullScreen()

    # --- end ----------------------------------------------------------------------------------------
    def ask_end_session(self) -> None:
        fatigue, ok = QInputDialog.getInt(
            self.dialog_parent(), "End session", "Fatigue now (0 none - 10 exhausted)", 5, 0, 10
        )
        if ok:
            page = self.pages.get("session")
            notes = page.notes.toPlainText() if isinstance(page, SessionPanel) else ""
            self.s.controller.end_session(fatigue, notes)

    def show_summary(self, end: Any) -> None:
        summary = getattr(end, "summary", end)
        proposal = getattr(end, "proposal", None)
        fraction = getattr(summary, "score_fraction", None)
        lines = [
            f"Items: {getattr(summary, 'n_items', '–')}, attempts: {getattr(summary, 'n_attempts', '–')}",
            f"Points: {getattr(summary, 'points_earned', '–')} of {getattr(summary, 'points_possible', '–')}"
            + (f" ({100 * fraction:.0f} %)" if fraction is not None else ""),
            f"Therapist overrides: {getattr(summary, 'n_overrides', '–')}",
        ]
        if proposal is not None:
            lines.append(f"Advancement: {getattr(proposal.kind, 'value', proposal.kind)}: {proposal.reason}")
        for step in getattr(summary, "steps", ()) or ():
            lines.append(f"  step {step.step_id}: {step.points} points in {step.n_attempts} attempts")
        box = QMessageBox(self.dialog_parent())
        box.setWindowTitle("Session summary")
        box.setText("\n".join(lines))
        box.setAccessibleName("Session summary")
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()
        self.summary_box = box

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.s.idle_lock.watch_window(self.windowHandle())  # input here postpones the auto-lock

    def closeEvent(self, event: QCloseEvent) -> None:
        self.lock_screen.stop_waiting()
        self.s.shutdown()
        event.accept()
