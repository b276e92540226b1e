"""One therapy session as a use case: protocol engine + stimulus + analysis + store (no Qt, no device).

:class:`TrainingSession` is what the therapist panel and ``mit-trainer demo`` drive. It asks the pure
engine (:mod:`mit_trainer.core.engine`) what comes next, renders the model for the current step's cue,
analyses a recorded response with the step's analysis mode, stores every attempt as it happens
(append-only, one transaction with its syllables and taps), and turns the therapist's decisions into
engine events. The automatic score only *advises*: with the protocol's ``confirm_auto_scores`` (the
default) every analysed attempt waits for the therapist's score, which is stored as a separate row.

Cue to model (PROTOCOL.md §2-3): ``hum`` hums the melody; ``intone`` and ``unison`` intone it (in unison
the patient sings along while it plays); ``unison-fade`` intones it with the step's fade; ``sprechgesang``
renders speech-song (with the step's fade if any); ``spoken`` has no speech synthesiser, so it renders
speech-song at a quarter of the interval (the patient hears rhythm and stress with little pitch movement);
``none`` plays nothing (the therapist asks the probe question). A protocol without melody (``melody:
false``, e.g. ``rhythm-only``) renders every cue as monotone speech-song.

Methods that analyse or touch the database take tens to hundreds of milliseconds: the GUI calls them from
a worker, never from its own thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf

from mit_trainer.analysis.stimulus import Stimulus
from mit_trainer.analysis.words import word_checker_for
from mit_trainer.app.model_cache import ModelCache, ModelRequest
from mit_trainer.app.recorded_model import RecordedModelError
from mit_trainer.app.recorded_playback import RecordedModelPlayer
from mit_trainer.app.session_model import (
    OUTCOME_TO_VERDICT,
    SCORE_WORDS,
    VERDICT_TO_OUTCOME,
    AttemptOutcome,
    SessionEnd,
    SessionError,
    SessionView,
    VoiceSettings,
)
from mit_trainer.app.session_plan import PlanRow, plan_rows, planned_items
from mit_trainer.app.session_rules import (
    expected_spans,
    model_voice_name,
    model_voice_params,
    parse_outcome,
    plan_session,
    points_for,
    session_percentages,
    taps_with_asynchrony,
    utc_now,
)
from mit_trainer.core.advancement import ProposalKind
from mit_trainer.core.engine import Replan, SessionState, Transition, advance, replan, start_session
from mit_trainer.core.engine_events import (
    AcceptProposal,
    AttemptRecorded,
    AttemptRef,
    AttemptScored,
    BackupRole,
    Continue,
    DeclineProposal,
    Effect,
    EndItem,
    EndSession,
    EngineError,
    Event,
    ItemKind,
    ModelPlayed,
    Outcome,
    OverrideScore,
    Phase,
    Repeat,
    ScoreOverridden,
    ScoreSource,
    Skip,
)
from mit_trainer.core.engine_item import item_sequence
from mit_trainer.core.protocol import Cue, Protocol, StepDef, Taps
from mit_trainer.core.records import Phrase, PhraseSet
from mit_trainer.core.selection import SessionPlan
from mit_trainer.scoring.attempt import AttemptAnalysis, analyze_attempt
from mit_trainer.scoring.settings import ScoringSettings
from mit_trainer.storage import (
    Attempt,
    AttemptInput,
    Patient,
    SessionRecord,
    SessionSummary,
    Store,
    attempt_from_analysis,
)

__all__ = [
    "OUTCOME_TO_VERDICT",
    "SCORE_WORDS",
    "VERDICT_TO_OUTCOME",
    "AttemptOutcome",
    "SessionEnd",
    "SessionError",
    "SessionView",
    "TrainingSession",
    "VoiceSettings",
    "model_voice_name",
    "model_voice_params",
    "plan_session",
    "session_percentages",
]


@dataclass
class _Bookkeeping:
    attempt_ids: dict[tuple[int, int], int] = field(default_factory=dict)
    stored_points: dict[tuple[int, int], int | None] = field(default_factory=dict)
    stored_outcome: dict[tuple[int, int], str | None] = field(default_factory=dict)
    last: AttemptOutcome | None = None
    n_recordings: int = 0


class TrainingSession:
    """A running session. Create it with :meth:`start`."""

    def __init__(
        self,
        store: Store,
        *,
        patient: Patient,
        record: SessionRecord,
        protocol: Protocol,
        phrase_set: PhraseSet,
        state: SessionState,
        voice: VoiceSettings,
        therapist_id: int | None,
        tracker: str | None,
        scoring: ScoringSettings,
        clock: Any = utc_now,
        models: ModelCache | None = None,
    ) -> None:
        self._store = store
        self.patient = patient
        self.record = record
        self.protocol = protocol
        self.phrase_set = phrase_set
        self._state = state
        self.voice = voice
        self.therapist_id = therapist_id
        self.tracker = tracker
        self.scoring = scoring
        self._clock = clock
        self._book = _Bookkeeping()
        self._phrases = {p.id: p for p in phrase_set.phrases}
        self._ended: SessionEnd | None = None
        self._model_cache: tuple[tuple[Any, ...], Stimulus] | None = None
        #: Rendered models (shared with whoever passes one in); closed when the session ends.
        self.models = models if models is not None else ModelCache()
        #: How many planned items ahead :meth:`prefetch_models` renders (0: none, the default).
        self.prefetch_items = 0
        self._recorded = RecordedModelPlayer(store)
        self._recorded_model_id: int | None = None  # the recorded model the current model plays

    # ------------------------------------------------------------------ creation
    @classmethod
    def start(
        cls,
        store: Store,
        *,
        patient_code: str,
        protocol: Protocol,
        phrase_set: PhraseSet,
        level: int | None = None,
        therapist_id: int | None = None,
        voice: VoiceSettings | None = None,
        fatigue_before: int | None = None,
        items_per_session: int | None = None,
        probe_items: int | None = None,
        seed: int | None = None,
        tracker: str | None = None,
        scoring: ScoringSettings | None = None,
        clock: Any = utc_now,
        plan_items: Sequence[str] | None = None,
    ) -> TrainingSession:
        """Plan and open a session for the patient (level and voice default to their settings).

        ``plan_items``: the therapist's own list of phrase ids for today (else the planner proposes)."""
        patient = store.get_patient_by_code(patient_code)
        ps = store.get_patient_settings(patient.id)
        level = level or ps.level
        if voice is None:
            voice = VoiceSettings(
                low_note_hz=ps.low_note_hz or VoiceSettings.low_note_hz,
                interval_semitones=ps.interval_semitones,
                tempo_bpm=ps.tempo_bpm,
            )
        if ps.model_voice:  # the patient's own model voice wins over the workstation's
            voice = replace(voice, model_voice=ps.model_voice)
        model_voice_name(voice.model_voice, voice.low_note_hz)  # an unknown voice: SessionError now
        if not protocol.stimulus.melody:
            voice = replace(voice, interval_semitones=0.0)
        now = clock()
        if seed is None:
            seed = int.from_bytes(
                hashlib.sha256(f"{patient.code}|{now.isoformat()}".encode()).digest()[:4], "big"
            )
        if plan_items is not None:
            try:
                chosen = tuple(planned_items(phrase_set, plan_items, level=level))
            except ValueError as exc:
                raise SessionError(str(exc)) from None
            plan = SessionPlan(chosen, dropped=(), blocked=(), shortfall_trained=0, shortfall_untrained=0,
                               seed=seed)  # fmt: skip
        else:
            plan = plan_session(
                store,
                patient,
                protocol,
                phrase_set,
                level=level,
                now=now,
                seed=seed,
                items_per_session=items_per_session,
                probe_items=probe_items,
            )
        if not plan.items:
            raise SessionError(
                f"no phrase of level {level} can be practised now in {phrase_set.name!r} "
                f"({len(plan.blocked)} practised in the last {protocol.session.repeat_block_hours:g} h, "
                f"{len(plan.dropped)} dropped after repeated failures)"
            )
        word_checker_for(phrase_set.language)  # load the word model now (0.3 s CPU), not at the first attempt
        prior = session_percentages(store, patient.id, protocol_id=protocol.id, level=level)
        t = start_session(protocol, level, plan.items, prior_percentages=prior)
        record = store.start_session(
            patient.id,
            protocol_id=protocol.id,
            protocol_version=protocol.version,
            level=level,
            therapist_id=therapist_id,
            phrase_set_name=phrase_set.name,
            phrase_set_sha256=phrase_set.sha256,
            fatigue_before=fatigue_before,
            started_at=now,
        )
        store.log_event("session_planned", plan.to_dict(), session_id=record.id)
        session = cls(
            store,
            patient=patient,
            record=record,
            protocol=protocol,
            phrase_set=phrase_set,
            state=t.new_state,
            voice=voice,
            therapist_id=therapist_id,
            tracker=tracker,
            scoring=scoring or ScoringSettings(),
            clock=clock,
        )
        session._log_effects(t.effects)
        return session

    # ------------------------------------------------------------------ reading
    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def session_id(self) -> int:
        return self.record.id

    def current_phrase(self) -> Phrase | None:
        item = self._state.current_item
        return None if item is None else self._phrases[item.phrase_id]

    def current_step(self) -> StepDef | None:
        item = self._state.current_item
        return None if item is None else item.step

    def summary(self) -> SessionSummary:
        """The store's summary of this session (attempts, points, overrides)."""
        return self._store.session_summary(self.record.id)

    def view(self) -> SessionView:
        item = self._state.current_item
        if item is None:
            awaiting = "done"
        else:
            awaiting = {Phase.MODEL: "model", Phase.RESPONSE: "response", Phase.CONFIRM: "confirm"}.get(
                item.phase, "done"
            )
        prop = self._state.proposal
        return SessionView(
            panel=self._state.panel(),
            phrase=self.current_phrase(),
            step=self.current_step(),
            awaiting=awaiting,
            backup_role=item.backup_role.value if item is not None else "none",
            totals=self._state.totals(),
            proposal=prop,
            decision_pending=prop is not None and prop.requires_decision and self._state.decision is None,
            last_outcome=self._book.last,
            session_id=self.record.id,
            patient_code=self.patient.code,
            protocol_id=self.protocol.id,
            level=self._state.level.level,
            plan=tuple(self.plan_rows()),
        )

    def plan_rows(self) -> list[PlanRow]:
        """Today's plan: the items done, the one running, and those to come."""
        running = self._state.current_item is not None
        return plan_rows(self.phrase_set, self._state.plan, len(self._state.items), running)

    def replan(self, phrase_ids: Sequence[str]) -> SessionView:
        """The therapist's new list of the items still to come (order, phrases, how many); logged."""
        items = planned_items(self.phrase_set, phrase_ids)
        self._state = replan(self._state, Replan(tuple(items)))
        self._store.log_event("session_replanned", Replan(tuple(items)).to_dict(), session_id=self.record.id)
        return self.view()

    # ------------------------------------------------------------------ the model
    def stimulus_parameters(self, step: StepDef | None = None) -> dict[str, Any]:
        """The render arguments of the current step's model, or of ``step`` (for logging and replay)."""
        step = step if step is not None else self._need_step()
        interval = self.voice.interval_semitones
        mode = {Cue.HUM: "hum", Cue.SPRECHGESANG: "sprechgesang", Cue.SPOKEN: "sprechgesang"}.get(
            step.cue, "intone"
        )
        if step.cue is Cue.SPOKEN:
            interval = interval / 4.0
        if interval < 1.0:  # no melody: monotone speech-song
            mode, interval = "sprechgesang", 0.0
        fade = (step.fade.start, step.fade.end) if step.fade is not None else None
        return {
            "mode": mode,
            "low_hz": self.voice.low_note_hz,
            "interval_semitones": interval,
            "tempo_bpm": self.voice.tempo_bpm,
            "taps": "none" if step.taps is Taps.OFF else "mix",
            "fade": fade,
            "stress_lengthening": self.voice.stress_lengthening,
            "sample_rate_hz": self.voice.sample_rate_hz,
            "voice": model_voice_name(self.voice.model_voice, self.voice.low_note_hz),
        }

    def model_request(self, phrase: Phrase, step: StepDef) -> ModelRequest | None:
        """What the model of ``phrase`` at ``step`` depends on; None when the step plays no model."""
        if step.cue is Cue.NONE:
            return None
        p = self.stimulus_parameters(step)
        return ModelRequest(
            phrase=phrase,
            voice=p["voice"],
            low_hz=p["low_hz"],
            interval_semitones=p["interval_semitones"],
            tempo_bpm=p["tempo_bpm"],
            mode=p["mode"],
            taps=p["taps"],
            fade=p["fade"],
            stress_lengthening=p["stress_lengthening"],
            sample_rate_hz=p["sample_rate_hz"],
            monotone=p["interval_semitones"] < 1.0,
        )

    def render_model(self) -> Stimulus | None:
        """The model of the current step, or None when the cue is ``none`` (a probe question).

        Models come from the session's :class:`ModelCache` (rendered once per phrase, voice, notes, tempo
        and mode; ahead of time when :attr:`prefetch_items` is set)."""
        step = self._need_step()
        phrase = self.current_phrase()
        assert phrase is not None
        req = self.model_request(phrase, step)
        if req is None:
            return None
        gain = float(self.voice.model_gain)
        key = (req, gain, self.voice.model_source)
        if self._model_cache is not None and self._model_cache[0] == key:
            return self._model_cache[1]  # the same model again (played, then analysed against)
        recorded = self._recorded_stimulus(phrase, step, self.stimulus_parameters(step))
        self._recorded_model_id = None if recorded is None else recorded[0]
        if recorded is not None:
            self._model_cache = (key, recorded[1])
            return recorded[1]
        stim = self.models.get(req)
        if gain != 1.0:
            stim = replace(stim, samples=(stim.samples * gain).astype(np.float32))
        self._model_cache = (key, stim)
        self.prefetch_models()
        return stim

    def prefetch_models(self) -> int:
        """Queue the models of this item's remaining steps and of the next :attr:`prefetch_items` planned
        items for the background renderer; returns how many were queued (0 when prefetching is off)."""
        if self.prefetch_items <= 0 or self._ended is not None:
            return 0
        wanted: list[ModelRequest] = []
        item = self._state.current_item
        done = len(self._state.items)
        upcoming: list[tuple[str, tuple[StepDef, ...]]] = []
        if item is not None:
            upcoming.append((item.phrase_id, item.sequence[item.seq_pos + 1 :]))
        for planned in self._state.plan[done : done + self.prefetch_items]:
            upcoming.append((planned.phrase_id, item_sequence(self._state.level, planned.kind)))
        for phrase_id, steps in upcoming:
            phrase = self._phrases.get(phrase_id)
            for step in steps if phrase is not None else ():
                req = self.model_request(phrase, step)  # type: ignore[arg-type]
                if req is not None and req not in wanted:
                    wanted.append(req)
        return self.models.prefetch(wanted)

    def forget_rendered_model(self) -> None:
        """Render the model afresh next time (a recorded model was kept or deleted since)."""
        self._model_cache = None

    def _recorded_stimulus(
        self, phrase: Phrase, step: StepDef, p: dict[str, Any]
    ) -> tuple[int, Stimulus] | None:
        """The therapist's recorded model for this cue when the setting asks for it and one fits."""
        if self.voice.model_source != "recorded" or step.cue is Cue.SPOKEN or p["interval_semitones"] < 1.0:
            return None
        try:
            return self._recorded.stimulus(
                phrase,
                phrase_set=self.phrase_set.name,
                therapist_id=self.therapist_id,
                mode=p["mode"],
                tempo_bpm=p["tempo_bpm"],
                sample_rate_hz=p["sample_rate_hz"],
                taps=p["taps"],
                fade=p["fade"],
                gain=self.voice.model_gain,
            )
        except RecordedModelError as exc:  # a missing or altered file: fall back, and say so in the log
            self._store.log_event("recorded_model_unusable", {"reason": str(exc)}, session_id=self.record.id)
            return None

    def is_unison(self) -> bool:
        """True when the patient responds while the model plays (rhythm is judged against the model)."""
        step = self.current_step()
        if step is None:
            return False
        return step.cue in (Cue.UNISON, Cue.UNISON_FADE) or (
            step.cue is Cue.SPRECHGESANG and step.fade is not None
        )

    # ------------------------------------------------------------------ events
    def model_played(self) -> SessionView:
        """The model finished (scored steps now wait for the response; listen-only steps move on)."""
        return self._apply(ModelPlayed())

    def continue_(self) -> SessionView:
        return self._apply(Continue())

    def skip(self) -> SessionView:
        return self._apply(Skip())

    def repeat(self) -> SessionView:
        return self._apply(Repeat())

    def end_item(self) -> SessionView:
        return self._apply(EndItem())

    def next_recording_path(self) -> Path:
        """Where the next attempt's recording goes: the patient's opaque folder beside the database."""
        folder = self._store.patient_recordings_dir(self.patient.id)
        self._book.n_recordings += 1
        stamp = self._clock().strftime("%Y%m%dT%H%M%S")
        return folder / f"s{self.record.id}-{stamp}-{self._book.n_recordings:03d}.wav"

    def submit_recording(self, result: Any) -> AttemptOutcome:
        """Analyse a finished recording (the audio layer's ``RecordingResult``) and store the attempt."""
        path = Path(result.path)
        try:
            samples, sr = sf.read(str(path), dtype="float32", always_2d=False)
        except (OSError, RuntimeError, sf.LibsndfileError) as exc:
            raise SessionError(f"cannot read the recording {path.name}: {exc}") from exc
        return self.submit_audio(
            samples,
            sample_rate_hz=int(sr),
            audio_path=path,
            model_offset_s=getattr(result, "offset_s", None),
            taps_s=tuple(getattr(result, "taps_s", ()) or ()),
            interrupted=bool(getattr(result, "interrupted", False)),
        )

    def submit_audio(
        self,
        samples: npt.ArrayLike,
        *,
        sample_rate_hz: int,
        audio_path: Path | None = None,
        model_offset_s: float | None = None,
        stimulus: Stimulus | None = None,
        taps_s: Sequence[float] = (),
        interrupted: bool = False,
        started_at: datetime | None = None,
    ) -> AttemptOutcome:
        """Analyse a response and store it as an attempt; the automatic verdict goes to the engine.

        ``model_offset_s`` is where the model's first sample lies on the recording's clock (unison steps
        judge rhythm against the model's own timing, repetition steps get the response latency from it).
        """
        item = self._state.current_item
        if item is None or item.phase is not Phase.RESPONSE:
            raise SessionError("no response is expected now")
        step = item.step
        phrase = self._phrases[item.phrase_id]
        if stimulus is None and step.cue is not Cue.NONE:
            stimulus = self.render_model()
        offset = model_offset_s if model_offset_s is not None else 0.0
        model_sylls: list[Any] | None = None
        prompt_end = None
        if stimulus is not None:
            shifted = [
                replace(s, onset_s=s.onset_s + offset, offset_s=s.offset_s + offset)
                for s in stimulus.syllables
            ]
            if self.is_unison():
                model_sylls = shifted
            elif model_offset_s is not None:
                prompt_end = offset + stimulus.duration_s
        mode = step.analysis_mode.value if step.analysis_mode is not None else "sung"
        # clicks the microphone may have heard: the model's mixed-in taps and the patient's own taps
        heard_taps = list(taps_s)
        if stimulus is not None and stimulus.tap_mode == "mix":
            heard_taps += [t + offset for t in stimulus.tap_times_s]
        analysis = analyze_attempt(
            samples,
            sample_rate_hz=sample_rate_hz,
            phrase=phrase,
            mode=mode,
            tracker=self.tracker,
            settings=self.scoring,
            tempo_bpm=self.voice.tempo_bpm,
            model_syllables=model_sylls,
            prompt_end_s=prompt_end,
            interval_semitones=self.voice.interval_semitones or None,
            audio_name=audio_path.name if audio_path is not None else None,
            # the model in the microphone: cancelled, never credited (None offset: searched)
            played=None if stimulus is None else stimulus.samples,
            played_rate_hz=None if stimulus is None else stimulus.sample_rate_hz,
            played_offset_s=model_offset_s,
            language=self.phrase_set.language,
            low_hz=self.voice.low_note_hz or None,
            tap_times_s=heard_taps or None,
        )
        suggested = VERDICT_TO_OUTCOME[analysis.verdict]
        attempt_no = item.next_attempt_no
        auto_points = points_for(step, item.backup_role, suggested)
        duration = float(np.asarray(samples).shape[0]) / float(sample_rate_hz)
        expected = expected_spans(analysis, phrase, stimulus, offset, self.is_unison(), self.voice.tempo_bpm)
        row = self._store_attempt(
            expected_spans=expected,
            item_index=item.index,
            attempt_no=attempt_no,
            step=step,
            phrase=phrase,
            analysis=analysis,
            auto_verdict=analysis.verdict,
            auto_points=auto_points,
            audio_path=audio_path,
            duration_s=duration,
            taps_s=taps_s,
            interrupted=interrupted,
            started_at=started_at,
        )
        self._apply(AttemptScored(suggested, ScoreSource.AUTO))
        item_after = self._state.items[item.index]
        waiting = item_after.phase is Phase.CONFIRM
        out = AttemptOutcome(
            row.id, item.index, attempt_no, step.id, analysis, suggested, auto_points, waiting
        )
        self._book.last = out
        return out

    def score(
        self, outcome: str | Outcome, *, source: str = "therapist", reason: str | None = None
    ) -> SessionView:
        """The therapist's score of the attempt waiting for it, or of a response given without a recording."""
        oc = parse_outcome(outcome)
        item = self._state.current_item
        if item is None:
            raise SessionError("the session has no current item")
        if source != "therapist":
            raise SessionError("only the therapist's score is final; automatic scores come from analysis")
        if item.phase is Phase.RESPONSE:  # scored live, without a recording
            step = item.step
            attempt_no = item.next_attempt_no
            row = self._store_attempt(
                item_index=item.index,
                attempt_no=attempt_no,
                step=step,
                phrase=self._phrases[item.phrase_id],
                analysis=None,
                auto_verdict=None,
                auto_points=None,
                audio_path=None,
                duration_s=None,
                taps_s=(),
                interrupted=False,
                started_at=None,
            )
            self._book.last = AttemptOutcome(row.id, item.index, attempt_no, step.id, None, None, None, False)
        elif item.phase is not Phase.CONFIRM:
            raise SessionError("no attempt is waiting for a score")
        self._pending_reason = reason
        return self._apply(AttemptScored(oc, ScoreSource.THERAPIST))

    def override(
        self, item_index: int, attempt_no: int, outcome: str | Outcome, *, reason: str
    ) -> SessionView:
        """Correct an earlier attempt's final score; the reason is required and kept with the new row."""
        if not reason or not reason.strip():
            raise SessionError("an override needs a reason")
        ev = OverrideScore(
            AttemptRef(item_index, attempt_no),
            parse_outcome(outcome),
            reason.strip(),
            None if self.therapist_id is None else str(self.therapist_id),
        )
        self._pending_reason = reason.strip()
        return self._apply(ev)

    def take_break(self, fatigue: int | None = None, note: str | None = None) -> None:
        """Log a break (with an optional 0-10 fatigue rating); the session waits where it is."""
        if fatigue is not None and not 0 <= fatigue <= 10:
            raise SessionError("fatigue is rated from 0 to 10")
        self._store.log_event(
            "break", {"fatigue": fatigue, "note_given": bool(note)}, session_id=self.record.id
        )

    def end(self, fatigue_after: int | None = None, notes: str | None = None) -> SessionEnd:
        """End the session (early or after the last item) and store its totals and proposal."""
        if self._ended is not None:  # completed by its last item: add the therapist's fatigue and notes
            if fatigue_after is None and notes is None:
                return self._ended
            return self._close(fatigue_after, notes)
        if self._state.current_item is not None:
            self._apply(EndSession("ended by therapist"))
        return self._close(fatigue_after, notes)

    def decide(self, accept: bool, reason: str = "") -> SessionView:
        """Accept or decline the advancement proposal (an accepted advance changes the patient's level)."""
        ev: Event = AcceptProposal(reason) if accept else DeclineProposal(reason)
        view = self._apply(ev)
        prop = self._state.proposal
        self._store.set_advancement_decision(
            self.record.id, "accepted" if accept else "declined", therapist_id=self.therapist_id
        )
        if accept and prop is not None and prop.kind is ProposalKind.ADVANCE and prop.to_level:
            self._store.update_patient_settings(self.patient.id, level=prop.to_level)
        return view

    # ------------------------------------------------------------------ internals
    _pending_reason: str | None = None

    def _need_step(self) -> StepDef:
        step = self.current_step()
        if step is None:
            raise SessionError("the session is complete")
        return step

    def _apply(self, event: Event) -> SessionView:
        try:
            t: Transition[SessionState] = advance(self._state, event)
        except EngineError as exc:
            raise SessionError(str(exc)) from exc
        self._state = t.new_state
        self._store.log_event(f"engine.{event.kind}", event.to_dict(), session_id=self.record.id)
        self._log_effects(t.effects)
        self._pending_reason = None
        if self._ended is None and self._state.current_item is None and not isinstance(event, EndSession):
            self._close(None, None)
        return self.view()

    def _log_effects(self, effects: Sequence[Effect]) -> None:
        for eff in effects:
            if isinstance(eff, AttemptRecorded):
                self._sync_attempt(
                    eff.item_index, eff.attempt_no, eff.outcome, eff.points, eff.therapist_outcome
                )
            elif isinstance(eff, ScoreOverridden):
                self._sync_item(eff.attempt_ref.item_index)
            if eff.kind in (
                "item_started",
                "item_ended",
                "backup_started",
                "step_scored",
                "session_ended",
                "proposal_made",
                "proposal_decided",
                "score_overridden",
            ):
                self._store.log_event(f"effect.{eff.kind}", eff.to_dict(), session_id=self.record.id)

    def _sync_attempt(
        self, item_index: int, attempt_no: int, outcome: Outcome, points: int, therapist: Outcome | None
    ) -> None:
        """Store the therapist's final score of an attempt as its own row (the automatic one stays)."""
        key = (item_index, attempt_no)
        aid = self._book.attempt_ids.get(key)
        if aid is None:
            return
        verdict = OUTCOME_TO_VERDICT[outcome]
        same = self._book.stored_outcome.get(key) == verdict and self._book.stored_points.get(key) == points
        if therapist is None and same:
            return  # the automatic score is final as stored (protocols that do not ask for confirmation)
        self._store.add_therapist_score(
            aid, outcome=verdict, points=points, reason=self._pending_reason, therapist_id=self.therapist_id
        )
        self._book.stored_outcome[key] = verdict
        self._book.stored_points[key] = points

    def _sync_item(self, item_index: int) -> None:
        """After an override the engine replays the item: bring every stored attempt of it in line."""
        item = self._state.items[item_index]
        for a in item.attempts:
            key = (item_index, a.no)
            if key not in self._book.attempt_ids:
                continue
            final_verdict = None if a.outcome is None else OUTCOME_TO_VERDICT[a.outcome]
            points = a.points if a.outcome is not None and not a.superseded else 0
            if a.superseded:
                final_verdict = final_verdict or self._book.stored_outcome.get(key)
            if final_verdict is None:
                continue
            if (
                self._book.stored_outcome.get(key) != final_verdict
                or self._book.stored_points.get(key) != points
            ):
                reason = self._pending_reason if a.override_reason is None else a.override_reason
                if a.superseded:
                    reason = f"superseded by an override: {reason}" if reason else "superseded by an override"
                self._store.add_therapist_score(
                    self._book.attempt_ids[key],
                    outcome=final_verdict,
                    points=points,
                    reason=reason,
                    therapist_id=self.therapist_id,
                )
                self._book.stored_outcome[key] = final_verdict
                self._book.stored_points[key] = points

    def _store_attempt(
        self,
        *,
        expected_spans: Sequence[tuple[float, float]] | None = None,
        item_index: int,
        attempt_no: int,
        step: StepDef,
        phrase: Phrase,
        analysis: AttemptAnalysis | None,
        auto_verdict: str | None,
        auto_points: int | None,
        audio_path: Path | None,
        duration_s: float | None,
        taps_s: Sequence[float],
        interrupted: bool,
        started_at: datetime | None,
    ) -> Attempt:
        item = self._state.items[item_index]
        params = self.stimulus_parameters()
        fade = params["fade"]
        stim_voiced = phrase.duration_s(self.voice.tempo_bpm)
        voiced_from = 0.3  # the synthesized model's lead-in
        if self._recorded_model_id is not None and self._model_cache is not None:  # a recorded model's span
            sylls = self._model_cache[1].syllables
            voiced_from, stim_voiced = sylls[0].onset_s, sylls[-1].offset_s - sylls[0].onset_s
        fields: dict[str, Any] = {
            "item_index": item_index,
            "phrase_id": phrase.id,
            "level": self._state.level.level,
            "step_id": step.id,
            "step_index": self._state.level.step_number(step.id) or 0,
            "try_number": item.try_no,
            "trained": item.kind is ItemKind.TRAINED,
            "backup": item.backup_role is not BackupRole.NONE,
            "cue": step.cue.value,
            "fade_start_s": None if fade is None else round(voiced_from + fade[0] * stim_voiced, 4),
            "fade_end_s": None if fade is None else round(voiced_from + fade[1] * stim_voiced, 4),
            "tempo_bpm": self.voice.tempo_bpm,
            "interval_semitones": self.voice.interval_semitones,
            "low_note_hz": self.voice.low_note_hz,
            "delay_s": step.delay_s,
            "analysis_mode": None if step.analysis_mode is None else step.analysis_mode.value,
            "started_at": started_at or self._clock(),
            "audio_path": None if audio_path is None else str(audio_path),
            "duration_s": duration_s,
            "points_awarded": auto_points,
            "auto_verdict": auto_verdict,
            "interrupted": interrupted,
            "taps": taps_with_asynchrony(taps_s, analysis),
        }
        if analysis is not None:
            js = analysis.to_json()
            js["response_latency_s"] = analysis.measures.get("latency_s")
            js["version"] = analysis.analysis_version
            js["protocol"] = {"id": self.protocol.id, "version": self.protocol.version}
            js["stimulus"] = {k: v for k, v in params.items() if k != "fade"} | {"fade": fade}
            js["stimulus"]["recorded_model_id"] = self._recorded_model_id
            for syl, span in zip(js["syllables"], expected_spans or (), strict=False):
                syl["target_onset_s"], syl["target_offset_s"] = round(span[0], 4), round(span[1], 4)
            ai: AttemptInput = attempt_from_analysis(js, **fields)
        else:
            ai = AttemptInput(**fields)
        row = self._store.record_attempt(self.record.id, ai)
        key = (item_index, attempt_no)
        self._book.attempt_ids[key] = row.id
        self._book.stored_outcome[key] = auto_verdict
        self._book.stored_points[key] = auto_points
        return row

    def _close(self, fatigue_after: int | None, notes: str | None) -> SessionEnd:
        if self._ended is not None and fatigue_after is None and notes is None:
            return self._ended
        tot = self._state.totals()
        prop = self._state.proposal
        decision = "none"
        if self._state.decision is not None:
            decision = "accepted" if self._state.decision.accepted else "declined"
        elif prop is not None and prop.requires_decision:
            decision = "flagged" if prop.kind is ProposalKind.REVIEW else "proposed"
        if fatigue_after is None and self._ended is not None:
            fatigue_after = self._ended.summary.session.fatigue_after
        self._store.end_session(
            self.record.id,
            ended_at=self._clock(),
            fatigue_after=fatigue_after,
            notes=notes,
            points_possible=tot.possible + tot.untrained_possible,
            advancement_decision=decision,
        )
        summary = self._store.session_summary(self.record.id)
        self._ended = SessionEnd(summary, tot, prop)
        self.models.close(wait=False)  # no more rendering ahead; cached models stay readable
        return self._ended
