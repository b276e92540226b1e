"""The trainer on the real PortAudio path: a private PulseAudio server with null sinks (DESIGN.md §4).

The model is played into sink ``speaker``; the simulated patient is played into sink ``patient`` by
``paplay`` (a separate process, like a person in the room); the trainer records ``patient.monitor``.
Two steps of a Level I item run through the GUI: the listen-only humming step (the model's syllables
are lit on the real stream clock), then unison intoning, whose recording must be analysed with the
patient's syllables found and the patient's pitch (not the model's) measured.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mit_trainer.audio.pulseserver import PrivatePulseServer, pulseaudio_available
from mit_trainer.gui.settings_store import GuiSettings

pytestmark = [pytest.mark.slow, pytest.mark.pulseaudio]
PATIENT_HZ = 220.0  # the simulated patient's own pitch, >= 6 semitones above the model (130-155 Hz)


@pytest.fixture(scope="module")
def pulse() -> Iterator[PrivatePulseServer]:
    if not pulseaudio_available() or shutil.which("paplay") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pulseaudio/paplay are not installed, but CI must run the real audio tests")
        pytest.skip("pulseaudio is not installed")
    server = PrivatePulseServer(default_source="patient.monitor").start()
    saved = {k: os.environ.get(k) for k in server.env}
    os.environ.update(server.env)
    try:
        from mit_trainer.audio.backend import PortAudioBackend

        PortAudioBackend().rescan()
        yield server
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


def test_two_steps_through_real_portaudio(qtbot: Any, pulse: PrivatePulseServer, tmp_path: Path) -> None:
    from mit_trainer.app.simulated_patient import PatientProfile, SimulatedPatient
    from mit_trainer.gui import wiring
    from mit_trainer.gui.app import build
    from mit_trainer.storage import PatientSettings

    settings = GuiSettings(input_device="pulse", output_device="pulse")
    audio = wiring.make_audio(settings)
    s, window = build(QApplication.instance(), db=str(tmp_path / "r.sqlite3"), settings=settings, audio=audio)
    players: list[subprocess.Popen[bytes]] = []
    try:
        qtbot.waitUntil(lambda: s.store is not None, timeout=30000)
        s.store.add_patient("P300", settings=PatientSettings(low_note_hz=130.0, level=1))
        s.store.add_therapist("T")
        window.unlock_as(s.store.list_therapists()[0])
        patients = window.pages["patients"]
        patients.reload(select_code="P300")
        qtbot.waitUntil(lambda: patients.settings is not None, timeout=20000)
        idx = next(
            i
            for i in range(patients.phrase_set.count())
            if patients.phrase_set.itemText(i).startswith("level1")
        )
        patients.phrase_set.setCurrentIndex(idx)
        patients.start.click()
        c = s.controller
        qtbot.waitUntil(lambda: c.view is not None and c.session is not None, timeout=30000)
        sim = SimulatedPatient(PatientProfile(comfortable_hz=PATIENT_HZ, initial_skill=0.97), seed=5)

        def answer(view: Any, stimulus: Any) -> None:
            if not view.step.scored:
                return
            resp = sim.respond(
                view.phrase,
                session_index=0,
                mode="sung",
                sample_rate_hz=44100,
                stimulus=stimulus,
                unison=True,
            )
            path = tmp_path / f"patient-{len(players)}.wav"
            sf.write(str(path), resp.samples, 44100)
            players.append(subprocess.Popen(["paplay", "-d", "patient", str(path)], env=dict(os.environ)))

        c.before_attempt = answer
        lit: list[int] = []
        s.patient_model.subscribe(lambda _o, n: n.lit_index is not None and lit.append(n.lit_index))
        n_sylls = c.view.phrase.n_syllables
        # Step 1, humming: the model plays through the speaker; its syllables light up in order.
        assert c.view.step.id == "humming"
        window.pages["session"].buttons["play"].click()
        qtbot.waitUntil(c.is_recording, timeout=20000)
        qtbot.waitUntil(lambda: c.recording is None and not c.is_busy(), timeout=30000)
        assert sorted(set(lit)) == list(range(n_sylls))
        assert c.view.step.id == "unison"
        # Step 2, unison: the patient sings along; the recording is analysed.
        window.pages["session"].buttons["play"].click()
        qtbot.waitUntil(c.is_recording, timeout=20000)
        qtbot.waitUntil(lambda: c.outcome is not None, timeout=60000)
        analysis = c.outcome.analysis
        heard = [x for x in analysis.syllables if x.f0_hz is not None]
        assert len(heard) >= n_sylls - 1
        # The patient's own pitch was measured (within a few semitones of their voice, not the model's).
        med = float(np.median([x.f0_hz for x in heard]))
        assert -0.5 < 12 * math.log2(med / PATIENT_HZ) < 3.5  # their low and high notes (3 semitones apart)
        assert c.view.awaiting == "confirm"
        with qtbot.waitSignal(c.scored, timeout=20000):
            window.pages["session"].buttons["score1"].click()
        qtbot.waitUntil(lambda: c.view.step.id == "unison-fade", timeout=20000)
    finally:
        for p in players:
            p.wait(timeout=20)
        s.shutdown()
        window.close()
        QTimer.singleShot(0, lambda: None)
