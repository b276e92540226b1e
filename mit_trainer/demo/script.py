"""The scripted demo session (see :mod:`mit_trainer.demo.desktop`): what a therapist would click, in order.

Each ``yield`` hands the runner a condition to wait for; widgets are driven through their public
buttons and signals, exactly as a user would, so the demo exercises the real paths.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from mit_trainer.audio.fake_clock import DemoMicrophone
from mit_trainer.demo.tools import (
    DEMO_PIN,
    RATE_HZ,
    Script,
    StallMonitor,
    shoot,
    synthetic_ah,
    synthetic_glide,
)
from mit_trainer.gui.patient.model import Phase

HISTORY_SESSIONS = 3
PATIENT_INDEX = 6  # how far the simulated patient has come (skill grows with sessions)
VOICE_HZ = 118.0  # the simulated patient's comfortable pitch (app.demo's profile)


def demo_script(
    s: Any, window: Any, mic: DemoMicrophone, shots: Path | None, monitor: StallMonitor
) -> Script:
    # The script's own heavy imports happen on a worker (an import on the GUI thread would stall it).
    imported: list[Any] = []
    s.tasks.run_in_background(
        lambda: [
            importlib.import_module(m) for m in ("mit_trainer.app.demo", "mit_trainer.app.simulated_patient")
        ],
        imported.append,
        executor="analysis",
    )
    yield lambda: s.store is not None and bool(imported)
    # The start-up imports (queued on the analysis worker once the store opened) end before the demo
    # makes its practice history: that history is the demo's own set-up, not work a clinic's trainer
    # does, and two workers running Python at once beside the GUI thread is not what a user meets.
    warmed: list[Any] = []
    s.tasks.run_in_background(lambda: None, warmed.append, executor="analysis")  # after what is queued
    yield lambda: bool(warmed)
    from mit_trainer.app import demo as app_demo
    from mit_trainer.app.simulated_patient import PatientProfile, SimulatedPatient
    from mit_trainer.gui.therapist.lock import hash_pin

    monitor.phase = "demo history"
    store = s.store
    shoot(window, shots, "therapist-lock", monitor)
    history: list[Any] = []
    s.tasks.run_in_background(
        lambda: app_demo.run_demo(store, sessions=HISTORY_SESSIONS, items_per_session=2), history.append
    )
    yield lambda: bool(history)

    # The demo therapist gets a PIN and unlocks.
    def set_pin() -> Any:
        t = next(t for t in store.list_therapists() if t.display_name == app_demo.DEMO_THERAPIST)
        store.set_therapist_pin(t.id, hash_pin(DEMO_PIN))
        return t

    monitor.phase = "unlock"
    therapist: list[Any] = []
    s.tasks.run_in_background(set_pin, therapist.append)
    yield lambda: bool(therapist)
    window.refresh_therapists()
    box = window.lock_screen.therapist_box
    yield lambda: box.count() > 0
    box.setCurrentIndex(box.findText(app_demo.DEMO_THERAPIST))
    window.lock_screen.pin_edit.setText(DEMO_PIN)
    window.lock_screen.unlock_button.click()
    yield lambda: not window.is_locked()

    # Choose the simulated patient and start a Level I session.
    monitor.phase = "patients, start"
    patients = window.pages["patients"]
    window.show_page("patients")
    patients.reload(select_code=app_demo.DEMO_PATIENT)
    yield lambda: patients.settings is not None and patients.patient.code == app_demo.DEMO_PATIENT
    idx = next(
        (i for i in range(patients.phrase_set.count()) if "level1" in patients.phrase_set.itemText(i)), 0
    )
    patients.phrase_set.setCurrentIndex(idx)
    patients.level.setValue(1)
    patients.fatigue.setValue(3)
    shoot(window, shots, "therapist-patients", monitor)
    patients.start.click()
    c = s.controller
    yield lambda: c.session is not None and c.view is not None

    pv = s.patient_window
    pv.resize(1280, 800)
    pv.show()
    sim = SimulatedPatient(PatientProfile(female=False, comfortable_hz=VOICE_HZ), seed=11)
    taps: list[float] = []  # pending taps, seconds after the attempt started
    truth: list[Any] = []

    def answer(view: Any, stimulus: Any) -> None:
        """The simulated patient responds through the fake microphone (and taps on the pad)."""
        step = view.step
        taps.clear()
        if step is None or not step.scored:
            return
        unison = c.session.is_unison()
        mode = step.analysis_mode.value if step.analysis_mode is not None else "sung"
        after = 0.0 if unison or stimulus is None else stimulus.duration_s + step.delay_s
        phrase, interval = view.phrase, c.interval_semitones

        def respond() -> Any:
            """The patient's voice is made on the fake device's clock thread (15-40 ms of synthesis): a
            real patient's voice costs the trainer's GUI thread nothing."""
            resp = sim.respond(
                phrase, session_index=PATIENT_INDEX, mode=mode, sample_rate_hz=RATE_HZ, stimulus=stimulus,
                unison=unison, tempo_bpm=60.0, interval_semitones=interval,
            )  # fmt: skip
            taps[:] = sorted(after + t for t in resp.taps_s)
            truth[:] = [resp.truth]
            return resp.samples

        mic.say_later(respond, after_s=after)

    c.before_attempt = answer
    panel = window.pages["session"]
    window.show_page("session")

    def tap_when_due() -> None:
        rec = c.recording
        while rec is not None and taps and rec.position_s() >= taps[0]:
            taps.pop(0)
            pv.tap_pad.tap()

    def attempt_over() -> bool:
        tap_when_due()
        return c.recording is None and not c.is_busy()

    shots_taken: set[str] = set()

    def snap_during_attempt() -> bool:
        tap_when_due()
        st = pv.lanes.lit_index() is not None
        if "patient-model" not in shots_taken and s.patient_model.state.phase is Phase.LISTEN and st:
            shots_taken.add("patient-model")
            shoot(pv, shots, "patient-model", monitor)
        if (
            "patient-your-turn" not in shots_taken
            and s.patient_model.state.phase is Phase.YOUR_TURN
            and pv.trace.voiced_frames() > 60
        ):
            shots_taken.add("patient-your-turn")
            shoot(pv, shots, "patient-your-turn", monitor)
        return attempt_over()

    monitor.phase = "Level I item"
    first_item = c.view.panel.item_no
    for _ in range(40):  # the steps of one item (with tries and backups); bounded for safety
        view = c.view
        if view is None or view.awaiting == "done" or view.panel.item_no != first_item:
            break
        if view.awaiting in ("model", "response"):
            panel.buttons["play"].click()
            yield lambda: c.is_recording()
            yield snap_during_attempt
            continue
        if view.awaiting == "confirm":
            if "therapist-session" not in shots_taken:
                shots_taken.add("therapist-session")
                shoot(window, shots, "therapist-session", monitor)
            judged, _why = app_demo.therapist_judgement(truth[0], view.phrase, c.outcome.analysis.mode)
            key = {"correct": "score1", "incorrect": "score3"}.get(judged.value, "score3")
            panel.buttons[key].click()
            yield lambda: s.patient_model.state.phase is Phase.FEEDBACK and not c.is_busy()
            if "patient-after" not in shots_taken:
                shots_taken.add("patient-after")
                shoot(pv, shots, "patient-after", monitor)
            continue
        panel.buttons["continue"].click()
        yield lambda: not c.is_busy()
    shoot(window, shots, "therapist-next-item", monitor)
    missing = {"patient-model", "patient-your-turn", "patient-after", "therapist-session"} - shots_taken
    if missing:
        raise RuntimeError(f"the demo item did not reach: {', '.join(sorted(missing))}")

    # Calibration: a sustained "ah" and a glide from the simulated patient.
    from mit_trainer.gui.panels import open_calibration

    monitor.phase = "calibration"
    open_calibration(window, s, patients.patient)
    wiz = window.calibration
    s.calibration_feed = lambda kind: mic.say_later(
        (lambda: synthetic_ah(VOICE_HZ, 4.5))
        if kind == "ah"
        else (lambda: synthetic_glide(VOICE_HZ * 0.8, VOICE_HZ * 2.0, 5.5)),
        after_s=0.05,
    )
    wiz.next()
    wiz.ah_page.button.click()
    yield lambda: wiz.ah_page.f0 is not None
    wiz.next()
    wiz.glide_page.button.click()
    yield lambda: wiz.glide_page.f0 is not None
    wiz.next()
    shoot(wiz, shots, "calibration", monitor)
    wiz.reject()

    # Phrase-set editor, progress (with the PDF report), settings.
    monitor.phase = "editor"
    window.show_page("editor")
    editor = window.pages["editor"]
    yield lambda: editor.phrase_list.count() > 0
    editor.phrase_list.setCurrentRow(min(2, editor.phrase_list.count() - 1))
    shoot(window, shots, "editor", monitor)
    monitor.phase = "progress, PDF report"
    window.show_page("progress")
    progress = window.pages["progress"]
    progress.reload_patients()
    yield lambda: progress.patient_box.findText(app_demo.DEMO_PATIENT) >= 0
    progress.patient_box.setCurrentIndex(progress.patient_box.findText(app_demo.DEMO_PATIENT))
    progress.load()
    yield (
        lambda: (
            (len(progress.points) >= HISTORY_SESSIONS or bool(progress.info.text()))
            and not (progress.charts_pending())
        )
    )
    import logging

    logging.getLogger(__name__).warning(
        "progress: %d points, info %r", len(progress.points), progress.info.text()
    )
    shoot(window, shots, "progress", monitor)
    if shots is not None and progress.selected_session_id() is not None:
        written: list[Path] = []
        progress.write_report(progress.selected_session_id(), shots / "session-report.pdf", written.append)
        yield lambda: bool(written)
    monitor.phase = "settings, theme"
    window.show_page("settings")
    shoot(window, shots, "settings", monitor)
    # The patient's view in the high-contrast theme, during the model of the next step.
    import dataclasses

    s.settings = dataclasses.replace(s.settings, theme="high-contrast")  # shown, not saved
    s.apply_settings()
    yield lambda: not s.theme_work.pending()
    c.before_attempt = None
    monitor.phase = "model, high contrast"
    panel.buttons["play"].click()
    yield lambda: c.is_recording() and pv.lanes.lit_index() is not None
    shoot(pv, shots, "patient-model-high-contrast", monitor)
    c.stop_attempt(discard=True)
    yield lambda: not c.is_busy()
