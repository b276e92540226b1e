"""The calibration wizard on the fake device: a synthetic "ah" at a known pitch gives the low note."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from mit_trainer.gui.therapist.calibration_math import estimate_voice, round_to_semitone_hz

AH_HZ = 200.0


def semitones(a: float, b: float) -> float:
    return 12.0 * math.log2(a / b)


def test_estimate_voice_arithmetic() -> None:
    ah = np.full(300, AH_HZ)
    ah[:20] = np.nan
    glide = np.geomspace(150.0, 400.0, 200)
    est = estimate_voice(ah, glide)
    assert est.comfortable_hz == pytest.approx(AH_HZ)
    assert est.range_low_hz < AH_HZ < est.range_high_hz <= 400.0
    assert est.proposed_low_hz == pytest.approx(round_to_semitone_hz(AH_HZ * 2 ** (-2 / 12)))
    assert round_to_semitone_hz(440.0) == 440.0 and round_to_semitone_hz(450.0) == pytest.approx(440.0)
    with pytest.raises(ValueError, match="too little voice"):
        estimate_voice(np.full(50, np.nan))


def test_wizard_proposes_the_low_note_from_a_known_ah(qtbot: Any, rig: Any) -> None:
    from mit_trainer.demo.tools import synthetic_ah, synthetic_glide
    from mit_trainer.gui.panels import open_calibration

    s, window = rig.services, rig.window
    patient = s.store.add_patient("P200")
    s.calibration_feed = lambda kind: rig.mic.say(
        synthetic_ah(AH_HZ, 4.5) if kind == "ah" else synthetic_glide(160.0, 320.0, 5.5), after_s=0.05
    )
    open_calibration(window, s, patient)
    wiz = window.calibration
    wiz.next()
    assert not wiz.ah_page.isComplete()
    wiz.ah_page.button.click()
    assert wiz.is_recording()
    qtbot.waitUntil(lambda: wiz.ah_page.f0 is not None, timeout=30000)
    voiced = wiz.ah_page.f0[np.isfinite(wiz.ah_page.f0)]
    assert abs(semitones(float(np.median(voiced)), AH_HZ)) < 0.25
    wiz.next()
    wiz.glide_page.button.click()
    qtbot.waitUntil(lambda: wiz.glide_page.f0 is not None, timeout=30000)
    wiz.next()
    est = wiz.result_page.estimate
    assert est is not None
    expected = AH_HZ * 2 ** (-2 / 12)  # two semitones below the comfortable pitch
    assert abs(semitones(est.proposed_low_hz, expected)) <= 1.0
    assert est.range_low_hz < AH_HZ < est.range_high_hz
    # The therapist confirms (Finish): the low note is stored with the patient.
    wiz.result_page.low.setValue(175.0)
    with qtbot.waitSignal(wiz.saved, timeout=15000):
        wiz.accept()
    assert s.store.get_patient_settings(patient.id).low_note_hz == pytest.approx(175.0)
