"""The model-voice setting: its values, their labels and what ``auto`` means (no heavy imports).

Kept apart from :mod:`mit_trainer.app.model_cache` so that the GUI's settings and patients pages can list
the voices without importing the renderer (numpy, soxr, WORLD) at start-up.

``male`` and ``female`` are the word voices of :mod:`mit_trainer.analysis.sung_words` (a test checks the two
lists agree); ``formant-male`` and ``formant-female`` the vowel-only voices; ``auto`` is the male word
voice below 160 Hz and the female one from there: the low note follows the patient's range, the voice
follows the low note.
"""

from __future__ import annotations

#: Model-voice setting values, in the order the settings list them.
MODEL_VOICES: tuple[str, ...] = ("auto", "male", "female", "formant-male", "formant-female")
#: Labels for the settings and the patients page.
MODEL_VOICE_LABELS: dict[str, str] = {
    "auto": "automatic: sung words, male or female from the low note",
    "male": "male, sings the words",
    "female": "female, sings the words",
    "formant-male": "male, one vowel per syllable (no words)",
    "formant-female": "female, one vowel per syllable (no words)",
}
FEMALE_FROM_HZ = 160.0


def resolve_voice(choice: str, low_hz: float) -> str:
    """The concrete voice for a setting: a word voice name or ``formant-male``/``formant-female``.

    ``ValueError`` for an unknown setting (the message lists the known ones)."""
    if choice not in MODEL_VOICES:
        raise ValueError(f"unknown model voice {choice!r}; use one of: {', '.join(MODEL_VOICES)}")
    if choice == "auto":
        return "male" if low_hz < FEMALE_FROM_HZ else "female"
    return choice
