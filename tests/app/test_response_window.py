"""When a response recording ends: on silence, at the limit, with "start on voice" (known times in s)."""

from __future__ import annotations

from mit_trainer.app.response_window import (
    MAX_RESPONSE_S,
    MAX_WAIT_FOR_VOICE_S,
    SILENCE_STOP_S,
    ResponseWindow,
)

# The model ends at 3.0 s and the patient is expected from 4.0 s (a 1 s delay).
DELAYED = ResponseWindow(response_from_s=4.0, model_end_s=3.0)


def test_stops_once_the_answer_is_followed_by_silence() -> None:
    assert not DELAYED.over(6.0, first_voice_s=4.2, last_voice_s=5.9)  # still answering
    assert not DELAYED.over(5.9 + SILENCE_STOP_S - 0.01, first_voice_s=4.2, last_voice_s=5.9)
    assert DELAYED.over(5.9 + SILENCE_STOP_S + 0.01, first_voice_s=4.2, last_voice_s=5.9)


def test_voice_during_the_model_is_not_an_answer() -> None:
    # Humming along at 2.0 s (before 4.0 - 0.5) does not end the recording after 1.5 s of silence.
    assert not DELAYED.counts_as_answer(2.0) and DELAYED.counts_as_answer(3.6)
    assert not DELAYED.over(8.0, first_voice_s=None, last_voice_s=2.0)


def test_without_stop_on_silence_only_the_limit_ends_it() -> None:
    w = ResponseWindow(response_from_s=4.0, model_end_s=3.0, stop_on_silence=False)
    assert not w.over(10.0, first_voice_s=4.2, last_voice_s=5.0)
    assert w.over(4.0 + MAX_RESPONSE_S + 0.01, first_voice_s=4.2, last_voice_s=5.0)


def test_a_slow_starter_is_cut_off_without_start_on_voice() -> None:
    # The patient begins 14 s after the expected start: the default limit ends the recording first.
    assert DELAYED.over(4.0 + MAX_RESPONSE_S + 0.01, first_voice_s=None, last_voice_s=None)


def test_start_on_voice_waits_for_the_first_voice_and_counts_the_limit_from_it() -> None:
    w = ResponseWindow(response_from_s=4.0, model_end_s=3.0, start_on_voice=True)
    assert not w.over(4.0 + MAX_RESPONSE_S + 5.0, first_voice_s=None, last_voice_s=None)  # still waiting
    assert w.over(4.0 + MAX_WAIT_FOR_VOICE_S + 0.01, first_voice_s=None, last_voice_s=None)  # safety net
    first = 18.0  # the answer starts 14 s late and lasts 3 s
    assert not w.over(first + 2.0, first_voice_s=first, last_voice_s=first + 2.0)
    assert w.over(first + 3.0 + SILENCE_STOP_S + 0.01, first_voice_s=first, last_voice_s=first + 3.0)
    assert w.over(first + MAX_RESPONSE_S + 0.01, first_voice_s=first, last_voice_s=first + MAX_RESPONSE_S)


def test_singing_along_counts_from_the_start() -> None:
    unison = ResponseWindow(response_from_s=0.0, model_end_s=3.0)
    assert unison.counts_as_answer(0.1)
    # Silence is measured from the end of the model at the earliest (the patient may stop before it).
    assert not unison.over(3.0 + SILENCE_STOP_S - 0.01, first_voice_s=0.2, last_voice_s=2.0)
    assert unison.over(3.0 + SILENCE_STOP_S + 0.01, first_voice_s=0.2, last_voice_s=2.0)
