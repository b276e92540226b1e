"""The trainer's SVG icons (drawn for this project, in ``assets/icons``), tinted to a theme colour.

The SVG files use ``currentColor``; it is replaced by the requested colour before rendering, so
one file serves every theme. Icons are rendered at the device pixel ratio (crisp on high-DPI).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

ICON_NAMES = ("listen", "your_turn", "tap", "pause", "play", "well_done", "together")


def icons_dir() -> Path:
    """``assets/icons`` of the source tree, or the copy a wheel carries in ``mit_trainer/data/assets``."""
    package = Path(__file__).resolve().parents[1]
    repo = package.parent / "assets" / "icons"
    return repo if repo.is_dir() else package / "data" / "assets" / "icons"


def svg_text(name: str, colour: str) -> str | None:
    path = icons_dir() / f"{name}.svg"
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8").replace("currentColor", colour)


def pixmap(name: str, colour: str, size_px: int, device_pixel_ratio: float = 1.0) -> QPixmap:
    """Render icon ``name`` in ``colour`` at ``size_px`` logical pixels; empty pixmap if missing."""
    text = svg_text(name, colour)
    side = max(1, round(size_px * device_pixel_ratio))
    pm = QPixmap(side, side)
    pm.fill(Qt.GlobalColor.transparent)
    if text is not None:
        renderer = QSvgRenderer(QByteArray(text.encode("utf-8")))
        painter = QPainter(pm)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, side, side))
        painter.end()
    pm.setDevicePixelRatio(device_pixel_ratio)
    return pm


def icon(name: str, colour: str, size_px: int = 32) -> QIcon:
    return QIcon(pixmap(name, colour, size_px, 2.0))
