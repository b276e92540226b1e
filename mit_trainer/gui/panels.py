"""Creates the therapist panels and connects them to each other and to the services.

Kept apart from :mod:`main_window` so the window stays a thin shell: this module is the one place
that knows which panel reacts to which other panel's signal.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer

from mit_trainer.core import defaults
from mit_trainer.gui import wiring
from mit_trainer.gui.editor.phrase_editor import PhraseEditor
from mit_trainer.gui.main_window import MainWindow
from mit_trainer.gui.therapist.patients_panel import PatientsPanel, SessionRequest
from mit_trainer.gui.therapist.session_panel import SessionPanel


def add_panels(window: MainWindow, s: Any) -> None:
    session = SessionPanel(s.controller, theme=s.theme)
    patients = PatientsPanel(
        tasks=s.tasks,
        store=lambda: s.store,
        protocols=wiring.protocol_ids,
        phrase_sets=wiring.phrase_set_choices,
        new_patient_defaults=lambda: {
            "interval_semitones": s.settings.interval_semitones,
            "tempo_bpm": s.settings.tempo_bpm,
            "protocol_id": s.settings.default_protocol,
            "tap_side": s.settings.tap_side,
        },
    )
    editor = PhraseEditor(folders=wiring.phrase_folders, tasks=s.tasks)
    window.add_page("session", "Session", session)
    window.add_page("patients", "Patients", patients)
    window.add_page("editor", "Phrase sets", editor)
    _add_optional_pages(window, s)

    s.theme_changed.connect(session.attempt_view.set_theme)
    session.end_requested.connect(window.ask_end_session)
    s.controller.summary_ready.connect(window.show_summary)
    s.controller.message.connect(window.say)
    s.audio_message.connect(window.say)
    patients.message.connect(window.say)
    patients.start_requested.connect(lambda req: start_session(window, s, req))
    patients.calibrate_requested.connect(lambda p: open_calibration(window, s, p))
    editor.play_requested.connect(lambda phrase: play_phrase(window, s, phrase))
    editor.record_model_requested.connect(
        lambda phrase, set_name: open_record_model(window, s, phrase, set_name, patient_voice=None)
    )
    session.record_model_requested.connect(lambda: record_model_in_session(window, s))
    editor.saved.connect(lambda _p: patients.reload())

    s.store_ready.connect(lambda _store: patients.reload())  # the editor lists its sets when first shown


def _add_optional_pages(window: MainWindow, s: Any) -> None:
    from mit_trainer.gui.progress.progress_panel import ProgressPanel
    from mit_trainer.gui.settings_panel import SettingsPanel

    progress = ProgressPanel(s)
    window.add_page("progress", "Progress", progress)
    s.theme_changed.connect(progress.apply_theme)
    window.add_page("settings", "Settings", SettingsPanel(s))


def start_session(window: MainWindow, s: Any, req: SessionRequest) -> None:
    """Start a training session (off the GUI thread), attach it, show the session page and patient view."""
    store, therapist = s.store, s.therapist

    def make() -> Any:
        return wiring.start_session(
            store, req, therapist_id=getattr(therapist, "id", None), settings=s.settings
        )

    def started(session: Any) -> None:
        c = s.controller
        c.low_note_hz, c.interval_semitones = req.low_note_hz, req.interval_semitones
        c.set_record_dir(store.patient_recordings_dir(req.patient.id))
        s.patient_window.set_tap_side(req.tap_side)
        c.attach(session)
        window.show_page("session")
        # The patient's window appears in the next event-loop turn: the session page and a whole new
        # window painted in one turn held the GUI thread for 35-50 ms.
        QTimer.singleShot(0, window, window.show_patient_view)
        window.say(f"Session started for {req.patient.code}.")

    s.tasks.run_in_background(make, started, lambda e: window.say(f"Cannot start the session: {e}"))


def open_calibration(window: MainWindow, s: Any, patient: Any) -> None:
    from mit_trainer.gui.therapist.calibration import CalibrationWizard

    wizard = CalibrationWizard(s, patient, parent=window.dialog_parent())
    window.calibration = wizard
    s.calibration_recording = wizard.is_recording
    patients = window.pages["patients"]
    if isinstance(patients, PatientsPanel):
        wizard.saved.connect(lambda _hz: patients.reload(select_code=patient.code))
    wizard.open()


def play_phrase(window: MainWindow, s: Any, phrase: Any) -> None:
    """Render a phrase with the workstation's defaults and play it (no recording)."""
    if s.audio is None:
        window.say("No audio output is available.")
        return

    def render() -> Any:
        return wiring.render_phrase(phrase, settings=s.settings, low_note_hz=defaults.LOW_NOTE_HZ)

    s.tasks.run_in_background(
        render, lambda stim: wiring.play(s.audio, stim), lambda e: window.say(str(e)), executor="analysis"
    )


def open_record_model(window: MainWindow, s: Any, phrase: Any, set_name: str, *, patient_voice: Any) -> Any:
    """The "Record my model" dialog for ``phrase`` of the set ``set_name``: at the session's tempo and
    interval (``patient_voice``, a session's VoiceSettings) or the workstation's defaults."""
    from mit_trainer.app.recorded_model import ModelTarget
    from mit_trainer.gui.therapist.record_model import RecordModelDialog

    if s.store is None:
        window.say("The database is not open yet.")
        return None
    voice = patient_voice or s.settings
    target = ModelTarget(
        phrase,
        set_name,
        tempo_bpm=float(voice.tempo_bpm),
        interval_semitones=float(voice.interval_semitones) or 3.0,
        low_hz=getattr(voice, "low_note_hz", None),
    )
    dialog = RecordModelDialog(
        s, target, therapist_id=getattr(s.therapist, "id", None), parent=window.dialog_parent(), theme=s.theme
    )
    window.record_model_dialog = dialog  # type: ignore[attr-defined]
    s.record_model_recording = dialog.is_recording
    dialog.finished.connect(lambda _r: setattr(s, "record_model_recording", lambda: False))
    dialog.open()
    return dialog


def record_model_in_session(window: MainWindow, s: Any) -> Any:
    """ "Record my model" from the session panel: the current item's phrase, at the session's voice."""
    session = s.controller.session
    phrase = session.current_phrase() if session is not None else None
    if phrase is None:
        window.say("Start a session and reach an item first.")
        return None
    dialog = open_record_model(window, s, phrase, session.phrase_set.name, patient_voice=session.voice)
    if dialog is not None:  # a model kept or deleted now is played from the next render on
        dialog.kept.connect(lambda _m: session.forget_rendered_model())
        dialog.deleted.connect(lambda _i: session.forget_rendered_model())
    return dialog
