"""The therapist's decisions during a session, as a mixin of :class:`SessionController`.

Each decision (score, override with a reason, continue, repeat, skip, end the item, accept or decline
an advancement proposal, break, pause, end the session) is one call into the app's session on the
database executor, followed by a fresh view; the patient sees neutral, encouraging feedback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mit_trainer.gui.patient.model import Feedback, Phase

GOOD_OUTCOMES = ("correct", "correct_after_backup", "pass")


def _awaiting(view: Any) -> str | None:
    return None if view is None else getattr(view, "awaiting", None)


class DecisionsMixin:
    """Needs ``session``, ``recording``, ``outcome``, ``_patient``, ``_run``, ``_show_view``, ``awaiting``,
    ``stop_attempt`` and the ``scored``/``message``/``summary_ready``/``view_changed`` signals."""

    session: Any
    recording: Any
    outcome: Any
    _patient: Any
    _run: Any
    _show_view: Any
    awaiting: Any
    stop_attempt: Any
    scored: Any
    message: Any
    summary_ready: Any
    view_changed: Any

    def score(self, outcome: str, *, reason: str | None = None) -> None:
        session = self.session
        if session is None or self.recording is not None or self.awaiting() not in ("response", "confirm"):
            return

        def done(view: Any) -> None:
            good = outcome in GOOD_OUTCOMES
            self._patient.update(
                phase=Phase.FEEDBACK, feedback=Feedback.WELL_DONE if good else Feedback.TRY_TOGETHER
            )
            self.scored.emit(outcome)
            self._show_view(view)

        self._run(lambda: session.score(outcome, source="therapist", reason=reason), done)

    def override(self, outcome: str, *, reason: str) -> None:
        """The therapist's score with a reason: of the attempt waiting for a score, else of the last one."""
        session = self.session
        if session is None or self.recording is not None:
            return
        if self.awaiting() in ("response", "confirm"):
            self.score(outcome, reason=reason)
            return
        last = getattr(getattr(self, "view", None), "last_outcome", None)
        if last is None:
            return
        self._decide(lambda: session.override(last.item_index, last.attempt_no, outcome, reason=reason))

    def _decide(self, action: Callable[[], Any]) -> None:
        session = self.session
        if session is None or self.recording is not None:
            return

        def do() -> Any:
            action()
            return session.view()

        self._run(do, self._after_decision)

    def _after_decision(self, view: Any) -> None:
        self.outcome = None
        if (
            self._patient.state.phase in (Phase.FEEDBACK, Phase.REST, Phase.PAUSED)
            and _awaiting(view) != "done"
        ):
            self._patient.update(phase=Phase.IDLE, feedback=None)
        self._show_view(view)

    def replan(self, phrase_ids: list[str]) -> None:
        """The therapist's new list of the items still to come (on the database worker)."""
        session = self.session
        if session is not None and hasattr(session, "replan"):
            self._run(lambda: session.replan(list(phrase_ids)), self._show_view)

    def continue_(self) -> None:
        if self.session is not None:
            self._decide(self.session.continue_)

    def skip(self) -> None:
        if self.session is not None:
            self._decide(self.session.skip)

    def repeat(self) -> None:
        if self.session is not None:
            self._decide(self.session.repeat)

    def end_item(self) -> None:
        if self.session is not None:
            self._decide(self.session.end_item)

    def decide_advancement(self, accept: bool) -> None:
        session = self.session
        if session is not None:
            self._decide(lambda: session.decide(accept))  # type: ignore[attr-defined]

    def take_break(self, fatigue: int) -> None:
        session = self.session
        if session is None:
            return
        self.stop_attempt()
        self._patient.update(phase=Phase.REST)
        self._run(
            lambda: session.take_break(fatigue), lambda _r: self.message.emit(f"Break (fatigue {fatigue}).")
        )

    def pause(self) -> None:
        """Pause from either screen: a running attempt is stopped (and kept); the patient sees "Paused"."""
        self.stop_attempt()
        self._patient.update(phase=Phase.PAUSED, lit_index=None)

    def resume(self) -> None:
        self._patient.update(phase=Phase.IDLE, feedback=None)

    def toggle_pause(self) -> None:
        if self._patient.state.phase in (Phase.PAUSED, Phase.REST):
            self.resume()
        else:
            self.pause()

    def end_session(self, fatigue_after: int, notes: str) -> None:
        session = self.session
        if session is None:
            return
        self.stop_attempt(discard=True)

        def done(end: Any) -> None:
            self._patient.update(phase=Phase.FEEDBACK, feedback=Feedback.THANK_YOU)
            self.summary_ready.emit(end)
            self.session = None
            self.view_changed.emit(None)

        self._run(lambda: session.end(fatigue_after, notes), done)
