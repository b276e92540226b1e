"""``mit-trainer demo``: complete sessions with a simulated patient through the real pipeline.

For each session: plan items from the patient's history, render each step's model, let the
:class:`~mit_trainer.app.simulated_patient.SimulatedPatient` respond (a synthetic voice written to a WAV
in the store's recordings folder), analyse it, store the attempt, and let a simulated therapist give the
final score from what the patient really produced (overriding the automatic advice, with a reason,
where they disagree), then end the session with fatigue ratings and answer the advancement proposal.
Sessions are one simulated day apart, so the 24-hour repeat block applies as in a clinic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import soundfile as sf

from mit_trainer.app.session import SessionEnd, TrainingSession, VoiceSettings
from mit_trainer.app.simulated_patient import PatientProfile, ResponseTruth, SimulatedPatient
from mit_trainer.core.advancement import ProposalKind
from mit_trainer.core.engine_events import Outcome
from mit_trainer.core.phrases import load_phrase_sets, shipped_phrases_dir
from mit_trainer.core.protocol import AnalysisMode, Cue, Protocol
from mit_trainer.core.protocol_files import load_protocol
from mit_trainer.core.records import Phrase, PhraseSet
from mit_trainer.storage import Consents, PatientSettings, Store, UnknownPatient

DEMO_PATIENT = "DEMO001"
DEMO_THERAPIST = "Demo therapist"


class SimClock:
    """A clock the demo moves forward by hand (attempts take seconds, sessions are days apart)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=float(seconds))


@dataclass
class DemoReport:
    patient_code: str
    sessions: list[SessionEnd] = field(default_factory=list)
    n_attempts: int = 0
    n_overrides: int = 0
    audio_seconds: float = 0.0

    def lines(self) -> list[str]:
        out = []
        for end in self.sessions:
            s = end.summary.session
            pct = end.totals.percent
            prop = end.proposal.kind.value if end.proposal is not None else "-"
            t = end.totals
            probes = f", probes {t.untrained_points}/{t.untrained_possible}" if t.untrained_possible else ""
            out.append(
                f"session {s.number}: level {s.level}, {end.summary.n_attempts} attempts, "
                f"trained points {t.points}/{t.possible} ({'n/a' if pct is None else f'{pct:.0f}%'})"
                f"{probes}, "
                f"proposal: {prop}, decision: {s.advancement_decision}"
            )
        return out


def combined_phrase_set(folder: Path | None = None) -> PhraseSet:
    """All shipped (or given) phrase sets as one set: trained phrases and their untrained twins."""
    sets = load_phrase_sets(folder or shipped_phrases_dir())
    phrases: list[Phrase] = []
    seen: set[str] = set()
    for ps in sets:
        for p in ps.phrases:
            if p.id not in seen:
                phrases.append(p)
                seen.add(p.id)
    digest = hashlib.sha256("".join((ps.sha256 or "") for ps in sets).encode()).hexdigest()
    return PhraseSet(name="Shipped English phrases", language="en", phrases=tuple(phrases), sha256=digest)


def therapist_judgement(truth: ResponseTruth, phrase: Phrase, mode: str) -> tuple[Outcome, str]:
    """What a clinician would score: an intelligible, complete production (with a melody when sung)."""
    if not truth.responded:
        return Outcome.NO_RESPONSE, "no response"
    if not truth.complete(phrase.n_syllables):
        return Outcome.INCORRECT, "a syllable was left out"
    if mode == "sung" and truth.interval_semitones < 0.8:
        return Outcome.INCORRECT, "complete but not intoned: the melody was flat"
    return Outcome.CORRECT, "complete and intelligible"


def ensure_demo_patient(store: Store, code: str, profile: PatientProfile) -> int:
    """The demo patient (created with research and audio-sharing consent) and a demo therapist."""
    try:
        return store.get_patient_by_code(code).id
    except UnknownPatient:
        pass
    settings = PatientSettings(
        low_note_hz=round(profile.comfortable_hz, 2),
        interval_semitones=3.0,
        tempo_bpm=60.0,
        protocol_id="HE1989",
        level=1,
    )
    patient = store.add_patient(
        code, Consents(clinical=True, research=True, share_audio=True), settings=settings
    )
    return patient.id


def run_demo(
    store: Store,
    *,
    sessions: int = 8,
    items_per_session: int | None = None,
    probe_items: int | None = None,
    patient_code: str = DEMO_PATIENT,
    protocol: Protocol | None = None,
    phrase_set: PhraseSet | None = None,
    seed: int = 7,
    sample_rate_hz: int = 16000,
    tracker: str | None = None,
    start: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    profile: PatientProfile | None = None,
) -> DemoReport:
    """Run ``sessions`` complete sessions for the simulated patient; returns what happened."""
    protocol = protocol or load_protocol("HE1989")
    phrase_set = phrase_set or combined_phrase_set()
    profile = profile or PatientProfile(female=False, comfortable_hz=118.0)
    ensure_demo_patient(store, patient_code, profile)
    therapists = [t for t in store.list_therapists() if t.display_name == DEMO_THERAPIST]
    therapist = therapists[0] if therapists else store.add_therapist(DEMO_THERAPIST)
    patient_sim = SimulatedPatient(profile, seed=seed)
    clock = SimClock((start or datetime.now(UTC)).replace(microsecond=0) - timedelta(days=sessions + 1))
    report = DemoReport(patient_code)
    for index in range(sessions):
        clock.now = clock.now.replace(hour=10, minute=0, second=0) + timedelta(days=1)
        pset = store.get_patient_settings(store.get_patient_by_code(patient_code).id)
        voice = VoiceSettings(
            low_note_hz=pset.low_note_hz or 120.0,
            interval_semitones=pset.interval_semitones,
            tempo_bpm=pset.tempo_bpm,
            sample_rate_hz=sample_rate_hz,
        )
        session = TrainingSession.start(
            store,
            patient_code=patient_code,
            protocol=protocol,
            phrase_set=phrase_set,
            level=pset.level,
            therapist_id=therapist.id,
            voice=voice,
            fatigue_before=int(np.clip(6 - index // 2, 1, 10)),
            items_per_session=items_per_session,
            probe_items=probe_items,
            seed=seed * 1000 + index,
            tracker=tracker,
            clock=clock,
        )
        end = _run_session(session, patient_sim, index, clock, report)
        report.sessions.append(end)
        if progress is not None:
            progress(report.lines()[-1])
    return report


def _run_session(
    session: TrainingSession, patient: SimulatedPatient, index: int, clock: SimClock, report: DemoReport
) -> SessionEnd:
    while True:
        view = session.view()
        if view.awaiting == "done":
            break
        step = view.step
        phrase = view.phrase
        assert step is not None and phrase is not None
        if view.awaiting == "model":
            stim = session.render_model()
            clock.advance(stim.duration_s if stim is not None else 2.0)
            session.model_played()
            continue
        if view.awaiting == "response":
            stim = session.render_model() if step.cue is not Cue.NONE else None
            unison = session.is_unison()
            mode = step.analysis_mode.value if step.analysis_mode is not None else AnalysisMode.SUNG.value
            resp = patient.respond(
                phrase,
                session_index=index,
                mode=mode,
                sample_rate_hz=session.voice.sample_rate_hz,
                stimulus=stim,
                unison=unison,
                tempo_bpm=session.voice.tempo_bpm,
                interval_semitones=max(session.voice.interval_semitones, 1.0),
            )
            path = session.next_recording_path()
            sf.write(str(path), resp.samples, resp.sample_rate_hz, subtype="PCM_16")
            offset = 0.0 if unison or stim is None else -stim.duration_s
            clock.advance(step.delay_s)
            outcome = session.submit_audio(
                resp.samples,
                sample_rate_hz=resp.sample_rate_hz,
                audio_path=path,
                model_offset_s=None if stim is None else offset,
                stimulus=stim,
                taps_s=resp.taps_s,
            )
            clock.advance(resp.samples.shape[0] / resp.sample_rate_hz + 3.0)
            report.n_attempts += 1
            report.audio_seconds += resp.samples.shape[0] / resp.sample_rate_hz
            judged, why = therapist_judgement(resp.truth, phrase, mode)
            if outcome.awaiting_confirmation:
                if judged is not outcome.suggested:
                    report.n_overrides += 1
                    advice = outcome.suggested.value if outcome.suggested is not None else "none"
                    session.score(judged, reason=f"therapist: {why} (automatic advice: {advice})")
                else:
                    session.score(judged)
            continue
        raise RuntimeError(f"the demo cannot act while the session awaits {view.awaiting!r}")
    end = session.end(fatigue_after=int(np.clip(7 - index // 2, 1, 10)), notes="Simulated session (demo).")
    prop = end.proposal
    if prop is not None and prop.requires_decision:
        accept = prop.kind is ProposalKind.ADVANCE
        session.decide(accept, "criterion met: advance" if accept else "continue at this level and review")
        end = replace(end, summary=session.summary())
    return end
