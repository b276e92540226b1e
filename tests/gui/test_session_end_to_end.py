"""One whole Level I item through the real GUI, session, analysis and store, on the fake audio device.

The simulated patient's voice is "sung" into the fake microphone at the right moment and taps on the
patient's pad; the therapist scores with the number keys. Checked against ground truth: the lit
syllable follows the model, every scored step produces an analysed and stored attempt with the
therapist's score, every tap is stored on the recording clock, and the item ends after step 5.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt

from mit_trainer.gui.patient.model import Phase

VOICE_HZ = 120.0


def _start_level1_session(qtbot: Any, rig: Any) -> None:
    from mit_trainer.storage import PatientSettings

    s, window = rig.services, rig.window
    s.store.add_patient("P100", settings=PatientSettings(low_note_hz=VOICE_HZ, level=1))
    s.store.add_therapist("T", pin_hash=None)
    window.unlock_as(s.store.list_therapists()[0])
    patients = window.pages["patients"]
    patients.reload(select_code="P100")
    qtbot.waitUntil(lambda: patients.settings is not None, timeout=20000)
    idx = next(
        i for i in range(patients.phrase_set.count()) if patients.phrase_set.itemText(i).startswith("level1")
    )
    patients.phrase_set.setCurrentIndex(idx)
    patients.start.click()
    qtbot.waitUntil(lambda: s.controller.session is not None and s.controller.view is not None, timeout=30000)
    qtbot.waitUntil(s.patient_window.isVisible, timeout=5000)  # shown in the turn after the session page


@pytest.mark.slow
def test_one_level1_item_end_to_end(qtbot: Any, rig: Any) -> None:
    from mit_trainer.app.demo import therapist_judgement
    from mit_trainer.app.simulated_patient import PatientProfile, SimulatedPatient
    from mit_trainer.audio.fake_clock import RATE_HZ

    _start_level1_session(qtbot, rig)
    s, window, c = rig.services, rig.window, rig.services.controller
    pv, panel = s.patient_window, window.pages["session"]
    window.show_page("session")
    window.activateWindow()  # the shortcuts belong to the therapist's window
    qtbot.waitUntil(window.isActiveWindow)
    sim = SimulatedPatient(PatientProfile(comfortable_hz=VOICE_HZ, initial_skill=0.97), seed=3)
    lit_seen: list[int] = []
    phases: list[Phase] = []
    s.patient_model.subscribe(lambda old, new: (new.lit_index is not None and lit_seen.append(new.lit_index),
                                                phases.append(new.phase)))  # fmt: skip
    pending_taps: list[float] = []
    judged: list[Any] = []
    taps_made: list[int] = []

    def answer(view: Any, stimulus: Any) -> None:
        pending_taps.clear()
        if not view.step.scored:
            return
        unison = c.session.is_unison()
        mode = view.step.analysis_mode.value
        resp = sim.respond(view.phrase, session_index=0, mode=mode, sample_rate_hz=RATE_HZ, stimulus=stimulus,
                           unison=unison, interval_semitones=3.0)  # fmt: skip
        after = 0.0 if unison or stimulus is None else stimulus.duration_s + view.step.delay_s
        rig.mic.say(resp.samples, after_s=after)
        pending_taps.extend(sorted(after + t for t in resp.taps_s))
        judged.append(therapist_judgement(resp.truth, view.phrase, mode)[0])

    def tap_when_due() -> bool:
        rec = c.recording
        while rec is not None and pending_taps and rec.position_s() >= pending_taps[0]:
            pending_taps.pop(0)
            pv.tap_pad.tap()
            taps_made.append(1)
        return c.recording is None and not c.is_busy()

    c.before_attempt = answer
    # Where each model is brought to the stream's rate: on the worker that renders it, not where the
    # attempt starts on the GUI thread (resampling a model takes milliseconds).
    engine = s.audio.engine
    prepared: list[tuple[bool, int]] = []
    real_prepare = engine.prepare_stimulus

    def spy_prepare(samples: Any, rate_hz: int) -> Any:
        prepared.append((threading.current_thread() is threading.main_thread(), rate_hz))
        return real_prepare(samples, rate_hz)

    engine.prepare_stimulus = spy_prepare
    first = c.view
    assert first.panel.item_no == 1 and first.step.id == "humming" and first.awaiting == "model"
    n_sylls = first.phrase.n_syllables
    steps_scored: list[str] = []
    for _ in range(20):
        view = c.view
        if view.awaiting == "done" or view.panel.item_no != 1:
            break
        if view.awaiting in ("model", "response"):
            screen = s.patient_model.state
            if view.step.id == "probe-response":  # the question is shown, never its written answer
                assert screen.prompt and screen.words_hidden and not pv.lanes.words()
            else:
                assert not screen.words_hidden and pv.lanes.words()
            qtbot.keyClick(window, Qt.Key.Key_M)
            qtbot.waitUntil(c.is_recording, timeout=20000)
            # the last attempt's analysis leaves the therapist's panel once the new attempt runs
            qtbot.waitUntil(lambda: panel.attempt_view.labels["overall"].text() == "–", timeout=5000)
            qtbot.waitUntil(tap_when_due, timeout=60000)
            continue
        assert view.awaiting == "confirm"
        outcome = c.outcome
        assert outcome is not None and outcome.analysis is not None
        # The automatic scores appear on the therapist panel, each part as a percentage.
        assert panel.attempt_view.labels["overall"].text().endswith("%")
        assert len(outcome.analysis.syllables) == n_sylls
        steps_scored.append(view.step.id)
        key = Qt.Key.Key_1 if judged[-1].value == "correct" else Qt.Key.Key_3
        with qtbot.waitSignal(c.scored, timeout=20000):
            qtbot.keyClick(window, key)
        qtbot.waitUntil(lambda: not c.is_busy(), timeout=20000)
        assert s.patient_model.state.phase is Phase.FEEDBACK
    # Models were resampled on the worker; the GUI thread only passed on samples already at the rate.
    assert any(not on_gui and rate != engine.sample_rate_hz for on_gui, rate in prepared)
    assert all(rate == engine.sample_rate_hz for on_gui, rate in prepared if on_gui)
    # The model lit every syllable in order while it played.
    assert sorted(set(lit_seen)) == list(range(n_sylls))
    assert Phase.LISTEN in phases and Phase.TOGETHER in phases and Phase.YOUR_TURN in phases
    # Steps 2-5 of Level I were scored, and the session moved on to the next item.
    assert steps_scored[:1] == ["unison"] and "probe-response" in steps_scored
    assert c.view.awaiting == "done" or c.view.panel.item_no == 2
    attempts = s.store.attempts_for_session(c.session.session_id if c.session else 1)
    scored = [a for a in attempts if a.therapist_scores]
    assert [a.step_id for a in scored] == steps_scored
    for a, j in zip(scored, judged, strict=True):
        assert a.therapist_scores[-1].outcome == ("pass" if j.value == "correct" else "fail")
    # Every tap on the pad was stored with its attempt, on the recording clock.
    stored_taps = [t for a in attempts for t in a.taps]
    assert len(stored_taps) == len(taps_made) > 0
    assert all(0.0 <= t.t_s <= (a.duration_s or 99) for a in attempts for t in a.taps)


def test_start_on_voice_is_a_therapist_setting_of_the_attempt(qtbot: Any, rig: Any) -> None:
    """The checkbox reaches the controller's response window (the rule: tests/app/test_response_window)."""
    panel, c = rig.window.pages["session"], rig.services.controller
    assert not c.start_on_voice and panel.stop_on_silence.isChecked()
    panel.start_on_voice.setChecked(True)
    assert c.start_on_voice and c._window().start_on_voice
    panel.stop_on_silence.setChecked(False)
    assert not c._window().stop_on_silence
    assert panel.start_on_voice.accessibleName()
