"""The tap pad: a large target the patient taps once per syllable (mouse, touch, Space or Enter).

Its physical size is computed from the screen's logical DPI so that it is at least ``MIN_SIDE_MM``
millimetres on any monitor. Each tap emits :attr:`TapPad.tapped`; the session controller stamps it on
the audio clock (``mark_tap``), so the pad itself never measures time.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QKeyEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from mit_trainer.gui.icons import pixmap
from mit_trainer.gui.theme import LIGHT, Theme

MIN_SIDE_MM = 25.0
DEFAULT_SIDE_MM = 45.0
TAP_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)


def mm_to_px(mm: float, logical_dpi: float) -> int:
    """Pixels needed for at least ``mm`` millimetres (rounded up)."""
    return math.ceil(mm / 25.4 * logical_dpi - 1e-9)


class TapPad(QWidget):
    tapped = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, theme: Theme = LIGHT, side_mm: float = DEFAULT_SIDE_MM
    ):
        super().__init__(parent)
        self._theme = theme
        self._side_mm = max(MIN_SIDE_MM, side_mm)
        self._flash = False
        self.taps = 0
        self._label = "Tap"
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setAccessibleName("Tap pad")
        self.setAccessibleDescription("Tap once for every syllable (mouse, touch, Space or Enter)")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._flash_timer = QTimer(self)
        self._flash_timer.setObjectName("mit-tap-flash")
        self._flash_timer.setSingleShot(True)
        self._flash_timer.setInterval(120)
        self._flash_timer.timeout.connect(self._end_flash)
        self._apply_size()

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.update()

    def set_side_mm(self, side_mm: float) -> None:
        self._side_mm = max(MIN_SIDE_MM, side_mm)
        self._apply_size()

    def side_px(self) -> int:
        return mm_to_px(self._side_mm, self.logicalDpiX())

    def physical_side_mm(self) -> float:
        """The pad's smaller side in millimetres on the current screen."""
        return min(self.width() / self.logicalDpiX(), self.height() / self.logicalDpiY()) * 25.4

    def _apply_size(self) -> None:
        self.setFixedSize(QSize(self.side_px(), mm_to_px(self._side_mm, self.logicalDpiY())))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.ScreenChangeInternal, QEvent.Type.DevicePixelRatioChange):
            self._apply_size()
        super().changeEvent(event)

    # --- input ------------------------------------------------------------------------------------------
    def tap(self) -> None:
        self.taps += 1
        self._flash = True
        self._flash_timer.start()
        self.update()
        self.tapped.emit()

    def _end_flash(self) -> None:
        self._flash = False
        self.update()

    def hideEvent(self, event: QHideEvent) -> None:
        """A hidden pad (its window closed) does not flash on."""
        self._flash_timer.stop()
        self._flash = False
        super().hideEvent(event)

    def set_label(self, text: str) -> None:
        """The word under the hand (the patient's language)."""
        self._label = text
        self.update()

    def label(self) -> str:
        return self._label

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.tap()
            event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in TAP_KEYS and not event.isAutoRepeat():
            self.tap()
            event.accept()
            return
        super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.TouchBegin:
            self.tap()
            event.accept()
            return True
        return super().event(event)

    def paintEvent(self, event: object) -> None:
        t = self._theme
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(3, 3, -3, -3)
        p.setBrush(QColor(t.lit if self._flash else t.tap_pad))
        p.setPen(QPen(QColor(t.accent if self.hasFocus() else t.muted_text), 3))
        p.drawRoundedRect(r, 18, 18)
        side = int(min(r.width(), r.height()) * 0.45)
        colour = t.lit_text if self._flash else t.tap_pad_text
        pm = pixmap("tap", colour, side, self.devicePixelRatioF())
        p.drawPixmap(int(r.center().x() - side / 2), int(r.top() + r.height() * 0.12), pm)
        font = self.font()
        font.setPointSizeF(max(14.0, font.pointSizeF() * 1.6))
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(colour))
        text_rect = QRectF(r.left(), r.top() + r.height() * 0.62, r.width(), r.height() * 0.3)
        p.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, self._label)
        p.end()
