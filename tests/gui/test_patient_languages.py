"""The patient's screen in German, Dutch, Spanish and French (issue 18, item 4): the cues, praise, pause
button, tap pad and chart words come from the compiled Qt translations; English stays the source."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from mit_trainer.gui.patient.i18n import PatientTexts, available_languages
from mit_trainer.gui.patient.model import Feedback, PatientScreenModel, Phase, TargetNote
from mit_trainer.gui.patient.window import PatientWindow

EXPECTED = {
    "de": ("Zuhören", "Gut gemacht", "Tippen", "Ihre Stimme", "hoch"),
    "nl": ("Luisteren", "Goed gedaan", "Tik", "Uw stem", "hoog"),
    "es": ("Escuche", "Muy bien", "Toque", "Su voz", "alto"),
    "fr": ("Écoutez", "Bravo", "Tapez", "Votre voix", "haut"),
    "en": ("Listen", "Well done", "Tap", "Your voice", "high"),
}


def test_every_shipped_translation_loads() -> None:
    assert set(available_languages()) == set(EXPECTED)
    for lang in EXPECTED:
        texts = PatientTexts(lang)
        assert texts.translated == (lang != "en"), lang
    assert PatientTexts("de-AT")("Listen") == "Zuhören"  # a regional code falls back to the language
    assert PatientTexts("ja")("Listen") == "Listen"  # no translation: English


@pytest.mark.parametrize("lang", sorted(EXPECTED))
def test_the_patient_window_speaks_the_patients_language(qtbot: Any, lang: str) -> None:
    listen, praise, tap, title, high = EXPECTED[lang]
    model = PatientScreenModel()
    w = PatientWindow(model)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    notes = tuple(
        TargetNote(s, t, i * 1.0, i * 1.0 + 0.9) for i, (s, t) in enumerate([("mer", "L"), ("ci", "H")])
    )
    model.update(phase=Phase.LISTEN, syllables=("mer", "ci"), text="Merci", pattern=("L", "H"),
                 beats=(1.0, 1.0), notes=notes, lit_index=0, language=lang)  # fmt: skip
    assert w.banner.word_label.text() == listen
    assert w.tap_pad.label() == tap and w.trace.y_title == title
    assert w.trace.y_label(w.trace.y_range()[1]) == high
    shots = os.environ.get("MIT_SCREENSHOT_DIR")
    if shots:
        w.grab().save(str(Path(shots) / f"patient-{lang}-1280x800.png"))
    model.update(phase=Phase.FEEDBACK, feedback=Feedback.WELL_DONE)
    assert w.feedback.text() == praise
