"""The therapist PIN gate and the idle auto-lock.

PINs are hashed with argon2 (``argon2-cffi``) and kept in the store's therapist record; the GUI never
stores a PIN. Verification is ~50 ms of deliberate work, so it runs on the database executor. Who may
pass, the throttle on wrong PINs and the audit are :mod:`mit_trainer.app.access`; this screen shows its
answers and keeps the buttons off while a wait runs. A new therapist needs the PIN of the therapist
chosen above (only the very first one does not).
:class:`IdleLock` locks the therapist panel after a configurable idle time, but never while a
recording is running (it re-arms instead), so a session is never interrupted by the lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mit_trainer.app.access import MIN_PIN_DIGITS, hash_pin, pin_problem, verify_pin

__all__ = ["MIN_PIN_DIGITS", "IdleLock", "LockScreen", "hash_pin", "pin_problem", "verify_pin"]


class IdleLock(QObject):
    """Emits :attr:`lock_now` after ``timeout_s`` without keyboard, mouse or touch input.

    ``is_busy()`` is asked when the time is up: while it is true (a recording runs) the lock waits and
    checks again after another full idle period.

    Input is watched on the top-level *windows* (``QWindow``), which receive every key, mouse and touch
    event before Qt hands it to a widget, and few other events. An event filter on the application
    would run this Python method for every event to every widget (style, layout, paint, timers): that
    made a theme change take 500 ms instead of 160 ms. :meth:`watch_application` follows the focus, so
    dialogs are watched as soon as they are used.
    """

    lock_now = Signal()

    def __init__(
        self, *, timeout_s: float, is_busy: Callable[[], bool], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._is_busy = is_busy
        self._timer = QTimer(self)
        self._timer.setObjectName("mit-idle-lock")
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._expired)
        self.set_timeout_s(timeout_s)

    def watch_application(self, app: QGuiApplication) -> None:
        """Watch every window that gets the focus (main window, patient window, dialogs)."""
        app.focusWindowChanged.connect(self.watch_window)
        for window in app.topLevelWindows():
            self.watch_window(window)

    def unwatch_application(self, app: QGuiApplication) -> None:
        app.focusWindowChanged.disconnect(self.watch_window)
        for window in app.topLevelWindows():
            window.removeEventFilter(self)

    def watch_window(self, window: QWindow | None) -> None:
        """Count input to ``window`` as activity (installing twice is harmless: Qt keeps one filter)."""
        if window is not None:
            window.installEventFilter(self)

    def set_timeout_s(self, timeout_s: float) -> None:
        self._timer.setInterval(max(1, int(timeout_s * 1000)))

    def timeout_s(self) -> float:
        return self._timer.interval() / 1000.0

    def arm(self) -> None:
        self._timer.start()

    def disarm(self) -> None:
        self._timer.stop()

    def is_armed(self) -> bool:
        return self._timer.isActive()

    def poke(self) -> None:
        """User activity: restart the idle period (if armed)."""
        if self._timer.isActive():
            self._timer.start()

    def _expired(self) -> None:
        if self._is_busy():
            self._timer.start()
            return
        self.lock_now.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseMove,
            QEvent.Type.Wheel,
            QEvent.Type.TouchBegin,
        ):
            self.poke()
        return False


class LockScreen(QWidget):
    """Choose a therapist and enter the PIN; or add a therapist with a new PIN, approved by the PIN of
    the therapist chosen above (no approval only while no therapist exists).

    ``unlock_requested(therapist, pin)`` and ``create_requested(name, pin, approver, approver_pin)`` are
    handled by the main window (off the GUI thread); it calls :meth:`show_error` (with the wait of the
    throttle, during which the buttons are off) or unlocks.
    """

    unlock_requested = Signal(object, str)
    create_requested = Signal(str, str, object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Therapist lock")
        title = QLabel("MIT Trainer is locked")
        f = title.font()
        f.setPointSizeF(f.pointSizeF() * 1.8)
        f.setBold(True)
        title.setFont(f)
        self.therapist_box = QComboBox()
        self.therapist_box.setAccessibleName("Therapist")
        self.pin_edit = QLineEdit()
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setAccessibleName("PIN")
        self.pin_edit.setPlaceholderText("PIN")
        self.pin_edit.returnPressed.connect(self._unlock)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.setProperty("primary", True)
        self.unlock_button.clicked.connect(self._unlock)
        self.message = QLabel()
        self.message.setAccessibleName("Lock message")
        self.message.setWordWrap(True)
        self.new_name = QLineEdit()
        self.new_name.setAccessibleName("New therapist name")
        self.new_pin = QLineEdit()
        self.new_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_pin.setAccessibleName("New PIN")
        self.new_pin_repeat = QLineEdit()
        self.new_pin_repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_pin_repeat.setAccessibleName("Repeat new PIN")
        self.approver_pin = QLineEdit()
        self.approver_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.approver_pin.setAccessibleName("PIN of the approving therapist")
        self.approver_pin.setPlaceholderText("PIN of the therapist chosen above")
        self.create_button = QPushButton("&Add therapist")
        self.create_button.setAccessibleName("Add therapist")
        self.create_button.clicked.connect(self._create)
        for entry in (self.new_name, self.new_pin, self.new_pin_repeat, self.approver_pin):
            entry.returnPressed.connect(self._create)  # Enter submits the form, as it unlocks above

        form = QFormLayout()
        form.addRow("&Therapist", self.therapist_box)
        form.addRow("&PIN", self.pin_edit)
        new_form = QFormLayout()
        new_form.addRow("&Name", self.new_name)
        new_form.addRow("New P&IN", self.new_pin)
        new_form.addRow("&Repeat PIN", self.new_pin_repeat)
        new_form.addRow("Appro&ved by", self.approver_pin)
        self._approver_label = new_form.labelForField(self.approver_pin)
        for lay in (form, new_form):
            for i in range(lay.rowCount()):
                item = lay.itemAt(i, QFormLayout.ItemRole.LabelRole)
                field = lay.itemAt(i, QFormLayout.ItemRole.FieldRole)
                label = item.widget() if item is not None else None
                buddy = field.widget() if field is not None else None
                if isinstance(label, QLabel) and buddy is not None:
                    label.setBuddy(buddy)
        new_box = QGroupBox("New therapist")
        self.new_box = new_box
        new_box.setLayout(new_form)
        new_form.addRow("", self.create_button)
        box = QVBoxLayout()
        box.addStretch(1)
        box.addWidget(title)
        box.addSpacing(12)
        box.addLayout(form)
        box.addWidget(self.unlock_button)
        box.addWidget(self.message)
        box.addSpacing(24)
        box.addWidget(new_box)
        box.addStretch(2)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(box, 2)
        outer.addStretch(1)
        self.setTabOrder(self.therapist_box, self.pin_edit)
        self.setTabOrder(self.pin_edit, self.unlock_button)
        self._first_run = True
        self._wait_text = ""
        self._wait_left_s = 0
        self._countdown = QTimer(self)
        self._countdown.setObjectName("mit-lock-wait")
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        # The wait belongs to the therapist chosen: choosing another one (to lift a lockout) ends it here;
        # the store's throttle still answers for each therapist.
        self.therapist_box.currentIndexChanged.connect(self._chosen)

    def set_therapists(self, therapists: list[Any], *, select_id: int | None = None) -> None:
        self.therapist_box.clear()
        for t in therapists:
            self.therapist_box.addItem(t.display_name, t)
            if t.id == select_id:
                self.therapist_box.setCurrentIndex(self.therapist_box.count() - 1)
        self._first_run = first_run = not any(getattr(t, "pin_hash", None) for t in therapists)
        self.approver_pin.setVisible(not first_run)
        if self._approver_label is not None:
            self._approver_label.setVisible(not first_run)
        self.new_box.setTitle(
            "First therapist (set-up)"
            if first_run
            else "New therapist (needs the PIN of the therapist above)"
        )
        if not therapists:
            self.message.setText("No therapist yet: add the first one below.")
            self.new_name.setFocus()
        else:
            self.pin_edit.setFocus()

    def show_error(self, text: str, wait_s: float = 0.0) -> None:
        """Say why the PIN was refused; with ``wait_s`` the buttons stay off and a countdown runs."""
        self.message.setText(text)
        self.pin_edit.clear()
        self.approver_pin.clear()
        self.pin_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        if wait_s > 0:
            self._wait_text = text
            self._wait_left_s = int(wait_s + 0.999)
            self._set_waiting(True)
            self._countdown.start()

    def is_waiting(self) -> bool:
        return self._countdown.isActive()

    def reset(self) -> None:
        self.pin_edit.clear()
        self.message.clear()
        self.new_pin.clear()
        self.new_pin_repeat.clear()
        self.approver_pin.clear()

    def stop_waiting(self) -> None:
        self._countdown.stop()
        self._set_waiting(False)

    def _set_waiting(self, on: bool) -> None:
        self.unlock_button.setEnabled(not on)
        self.create_button.setEnabled(not on)

    def _tick(self) -> None:
        self._wait_left_s -= 1
        if self._wait_left_s <= 0:
            self.stop_waiting()
            self.message.setText("You may try again.")
            return
        self.message.setText(f"{self._wait_text} ({self._wait_left_s} s)")

    def _chosen(self, _index: int) -> None:
        if self.is_waiting():
            self.stop_waiting()
            self.message.clear()

    def _unlock(self) -> None:
        therapist = self.therapist_box.currentData()
        if therapist is None:
            self.show_error("Choose a therapist first.")
            return
        self.unlock_requested.emit(therapist, self.pin_edit.text())

    def _create(self) -> None:
        name = self.new_name.text().strip()
        if not name:
            self.message.setText("Enter the new therapist's name.")
            return
        problem = pin_problem(self.new_pin.text(), self.new_pin_repeat.text())
        if problem:
            self.message.setText(problem)
            return
        approver = None if self._first_run else self.therapist_box.currentData()
        self.create_requested.emit(name, self.new_pin.text(), approver, self.approver_pin.text())
        self.new_name.clear()
        self.new_pin.clear()
        self.new_pin_repeat.clear()
        self.approver_pin.clear()
