"""Colour themes (light and high contrast), the WCAG contrast check, and the Qt style sheet.

Every foreground/background pair a theme uses for text is listed in ``Theme.text_pairs`` so the
contrast of each can be computed and tested (WCAG 2.x: ratio >= 4.5:1 for normal text).
The cue colours are calm (blue for "Listen", green for "Your turn"); there is no red anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget


def _linear(channel: int) -> float:
    c = channel / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    q = QColor(hex_colour)
    return 0.2126 * _linear(q.red()) + 0.7152 * _linear(q.green()) + 0.0722 * _linear(q.blue())


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG contrast ratio between two colours, from 1 (same) to 21 (black on white)."""
    a, b = relative_luminance(fg), relative_luminance(bg)
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    text: str
    muted_text: str
    panel: str
    button: str
    button_text: str
    accent: str  # selection, focus ring, primary buttons
    accent_text: str
    listen: str  # "Listen" cue background
    listen_text: str
    turn: str  # "Your turn" cue background
    turn_text: str
    lit: str  # current syllable background in the patient view
    lit_text: str
    lane_high: str
    lane_low: str
    trace: str  # the patient's live pitch trace
    target: str  # target notes in the plots
    tap_pad: str
    tap_pad_text: str

    def text_pairs(self) -> dict[str, tuple[str, str]]:
        """Every (foreground, background) pair the theme draws text with."""
        return {
            "body": (self.text, self.window),
            "muted": (self.muted_text, self.window),
            "panel": (self.text, self.panel),
            "button": (self.button_text, self.button),
            "accent": (self.accent_text, self.accent),
            "listen": (self.listen_text, self.listen),
            "turn": (self.turn_text, self.turn),
            "lit": (self.lit_text, self.lit),
            "lane_high": (self.text, self.lane_high),
            "lane_low": (self.text, self.lane_low),
            "tap_pad": (self.tap_pad_text, self.tap_pad),
        }


LIGHT = Theme(
    name="light",
    window="#f7f7f4",
    text="#1d232a",
    muted_text="#4f5964",
    panel="#ffffff",
    button="#e4e8ec",
    button_text="#1d232a",
    accent="#1f5f99",
    accent_text="#ffffff",
    listen="#1f5f99",
    listen_text="#ffffff",
    turn="#1e6b3a",
    turn_text="#ffffff",
    lit="#f3d36b",
    lit_text="#1d232a",
    lane_high="#e8f0f8",
    lane_low="#f1f4ee",
    trace="#c05a00",
    target="#1f5f99",
    tap_pad="#dde7f0",
    tap_pad_text="#1d232a",
)

HIGH_CONTRAST = Theme(
    name="high-contrast",
    window="#000000",
    text="#ffffff",
    muted_text="#e0e0e0",
    panel="#101010",
    button="#1a1a1a",
    button_text="#ffffff",
    accent="#ffd400",
    accent_text="#000000",
    listen="#66c2ff",
    listen_text="#000000",
    turn="#7dff8a",
    turn_text="#000000",
    lit="#ffd400",
    lit_text="#000000",
    lane_high="#1c2633",
    lane_low="#1e2a1e",
    trace="#ff9d3c",
    target="#66c2ff",
    tap_pad="#24303c",
    tap_pad_text="#ffffff",
)

THEMES: dict[str, Theme] = {LIGHT.name: LIGHT, HIGH_CONTRAST.name: HIGH_CONTRAST}


def style_sheet(theme: Theme) -> str:
    return f"""
    QWidget {{ background: {theme.window}; color: {theme.text}; }}
    QGroupBox {{ background: {theme.panel}; border: 1px solid {theme.muted_text}; border-radius: 6px;
                 margin-top: 14px; padding: 8px; font-weight: bold; }}
    QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
    QPushButton {{ background: {theme.button}; color: {theme.button_text};
                   border: 1px solid {theme.muted_text}; border-radius: 5px; padding: 5px 12px; }}
    QPushButton:focus {{ border: 2px solid {theme.accent}; }}
    QPushButton:checked {{ background: {theme.accent}; color: {theme.accent_text}; }}
    QPushButton:disabled {{ color: {theme.muted_text}; }}
    QPushButton[primary="true"] {{ background: {theme.accent}; color: {theme.accent_text}; }}
    QPushButton[primary="true"]:disabled {{ background: {theme.button}; color: {theme.muted_text}; }}
    QLineEdit, QComboBox, QSpinBox, QDoubleSpinBox, QPlainTextEdit, QTextEdit, QListWidget, QTableWidget {{
        background: {theme.panel}; color: {theme.text}; border: 1px solid {theme.muted_text}; }}
    QListWidget::item:selected, QTableWidget::item:selected {{ background: {theme.accent};
        color: {theme.accent_text}; }}
    QTabBar::tab {{ background: {theme.button}; color: {theme.button_text}; padding: 6px 14px; }}
    QTabBar::tab:selected {{ background: {theme.accent}; color: {theme.accent_text}; }}
    QLabel[role="muted"] {{ color: {theme.muted_text}; }}
    """


def theme_palette(base: QPalette, theme: Theme) -> QPalette:
    """``base`` with the theme's colours for windows, text, fields, buttons and selections."""
    pal = QPalette(base)
    for role, colour in (
        (QPalette.ColorRole.Window, theme.window),
        (QPalette.ColorRole.WindowText, theme.text),
        (QPalette.ColorRole.Base, theme.panel),
        (QPalette.ColorRole.Text, theme.text),
        (QPalette.ColorRole.Button, theme.button),
        (QPalette.ColorRole.ButtonText, theme.button_text),
        (QPalette.ColorRole.Highlight, theme.accent),
        (QPalette.ColorRole.HighlightedText, theme.accent_text),
    ):
        pal.setColor(role, QColor(colour))
    return pal


def theme_steps(
    app: QApplication,
    theme: Theme,
    *,
    widgets: Sequence[QWidget],
    font_scale: float = 1.0,
    base_pt: float = 10.0,
) -> list[Callable[[], None]]:
    """The steps that apply a theme: palette and font scale, then the style sheet of each of ``widgets``.

    ``widgets`` are the patient window and the main window's pages and bars: Qt re-polishes everything
    under a changed sheet, so one sheet per page makes each step one page's restyle (10-20 ms), and a
    theme change can run one step per event-loop turn (:class:`~mit_trainer.gui.tasks.StagedWork`).
    The sheet is never set on the application, which also owns pyqtgraph's hidden plot menus (about
    half of all widgets, never shown: their menus are disabled). A step that would change nothing
    does nothing.
    """

    def palette_and_font() -> None:
        pal = theme_palette(app.palette(), theme)
        if pal != app.palette():
            app.setPalette(pal)
        size_pt = base_pt * font_scale
        if app.font().pointSizeF() != size_pt:
            font = QFont(app.font())
            font.setPointSizeF(size_pt)
            app.setFont(font)

    sheet = style_sheet(theme)

    def sheet_on(widget: QWidget) -> Callable[[], None]:
        def step() -> None:
            if widget.styleSheet() != sheet:
                widget.setStyleSheet(sheet)

        return step

    return [palette_and_font, *(sheet_on(w) for w in widgets)]
