"""When a patient's response recording ends: after the answer, on silence, or at a safety limit.

Times are seconds on the attempt's recording clock (0 = the recording's first sample). The response is
expected from ``response_from_s`` (the end of the model plus the step's delay; 0 when singing along
with the model). Two therapist settings shape it:

- *stop on silence*: end ``SILENCE_STOP_S`` after the patient's voice stops;
- *start on voice*: the patient may take as long as they need to begin; the response's time limit
  counts from the first voiced frame instead of from ``response_from_s``, so a slow starter is never
  cut off before answering. Without a voice, the recording ends only after ``MAX_WAIT_FOR_VOICE_S``
  (or when the therapist stops it).

Neither limit is shown to the patient: there are no timers on the patient's screen (PROTOCOL.md §7).
No Qt here: the desktop controller asks :meth:`ResponseWindow.over` on its clock tick.
"""

from __future__ import annotations

from dataclasses import dataclass

#: End this long after the voice stops (when "stop on silence" is on).
SILENCE_STOP_S = 1.5
#: A response never runs longer than this (from the expected start, or from the first voice).
MAX_RESPONSE_S = 12.0
#: With "start on voice", how long the trainer waits for a first voice before ending the recording.
MAX_WAIT_FOR_VOICE_S = 120.0
#: Voice this much before the expected start still counts as the answer (an eager patient).
EARLY_VOICE_S = 0.5


@dataclass(frozen=True)
class ResponseWindow:
    """One attempt's response: where it is expected and the therapist's two settings."""

    response_from_s: float
    model_end_s: float
    stop_on_silence: bool = True
    start_on_voice: bool = False

    def counts_as_answer(self, voice_s: float) -> bool:
        """Voice at ``voice_s`` belongs to the answer (not to singing along with the model)."""
        return voice_s >= self.response_from_s - EARLY_VOICE_S

    def over(self, pos_s: float, *, first_voice_s: float | None, last_voice_s: float | None) -> bool:
        """Whether the recording should end at ``pos_s``, given the answer's first and last voiced frame."""
        if self.start_on_voice and first_voice_s is None:
            return pos_s > self.response_from_s + MAX_WAIT_FOR_VOICE_S
        limit_from = (
            first_voice_s if self.start_on_voice and first_voice_s is not None else self.response_from_s
        )
        if pos_s > limit_from + MAX_RESPONSE_S:
            return True
        if not self.stop_on_silence or last_voice_s is None or not self.counts_as_answer(last_voice_s):
            return False
        return pos_s - max(last_voice_s, self.model_end_s) > SILENCE_STOP_S
