"""Run in a subprocess with an offscreen screen layout (QT_QPA_PLATFORM=offscreen:configfile=...): build
the trainer, show the patient's window as a session does, print where both windows are (JSON)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).parent))


def main() -> None:
    from conftest import make_rig

    app = QApplication(sys.argv[:1])
    rig = make_rig(Path(tempfile.mkdtemp()))
    rig.window.show()
    app.processEvents()
    rig.window.show_patient_view()
    for _ in range(5):
        app.processEvents()
    w, p = rig.window, rig.services.patient_window
    out = {
        "therapist": w.frameGeometry().getRect(),
        "patient": p.frameGeometry().getRect(),
        "patient_screen": p.screen().name(),
        "therapist_screen": w.screen().name(),
        "session_page_min_w": w.pages["session"].minimumSizeHint().width(),
        "patient_min_w": p.minimumSizeHint().width(),
    }
    shots = os.environ.get("MIT_SCREENSHOT_DIR")
    if shots:  # both windows as a one-screen clinic would see them, side by side
        from PySide6.QtGui import QPainter, QPixmap

        canvas = QPixmap(w.screen().geometry().size())
        canvas.fill()
        painter = QPainter(canvas)
        painter.drawPixmap(w.geometry().topLeft(), w.grab())
        painter.drawPixmap(p.geometry().topLeft(), p.grab())
        painter.end()
        canvas.save(str(Path(shots) / f"one-screen-{canvas.width()}x{canvas.height()}.png"))
    print(json.dumps(out))
    rig.close()


if __name__ == "__main__":
    main()
