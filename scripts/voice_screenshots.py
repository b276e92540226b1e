"""Screenshots of the model-voice settings (issue 13): the Settings page and a patient's own voice.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/voice_screenshots.py docs/screenshots``
(a temporary database with one patient whose own voice is "female").
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication

from mit_trainer.gui.app import build
from mit_trainer.gui.settings_store import GuiSettings
from mit_trainer.storage import Consents, PatientSettings, open_store


def pump(app: QApplication, seconds: float, until: Callable[[], bool] = lambda: False) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        app.processEvents()
        time.sleep(0.02)


def main(out: Path) -> None:
    app = QApplication([])
    db = str(Path(tempfile.mkdtemp()) / "voices.sqlite3")
    with open_store(db) as store:
        settings = PatientSettings(low_note_hz=196.0, model_voice="female")
        store.add_patient("P07", Consents(clinical=True), settings=settings)
    services, window = build(app, db=db, settings=GuiSettings(auto_lock_min=60.0, model_voice="auto"))
    window.resize(1280, 800)
    window.show()
    pump(app, 8.0)
    page = window.pages["settings"]
    page.resize(1280, 460)
    pump(app, 0.2)
    page.grab().save(str(out / "voice-settings-1280x460.png"))
    patients = window.pages["patients"]
    patients.reload(select_code="P07")
    pump(app, 10.0, lambda: patients.settings is not None)
    patients.resize(1280, 640)
    pump(app, 0.4)
    patients.grab().save(str(out / "voice-patient-1280x640.png"))
    print("patient's voice:", patients.model_voice.currentText())
    services.shutdown()
    window.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
