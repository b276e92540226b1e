"""Named, documented thresholds of the attempt scorer.

Every number that decides a score or a verdict lives here, so that a clinic or a
study can change it, log it and report it. Pitch is in semitones (st), rhythm
deviations in log2 units of a duration ratio (0.32 = 25 % longer or shorter), times
in seconds, levels in dB. A "ramp" is full credit up to its first value, none beyond
its second, linear in between (as Performous credits a sung note: full within
0.5 st, none beyond 1.5 st).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mit_trainer.analysis.alignment import AlignmentSettings
from mit_trainer.analysis.conditioning import ConditioningSettings
from mit_trainer.analysis.segmentation import SegmentationSettings

MODES = ("sung", "sprechgesang", "spoken")


@dataclass(frozen=True)
class ModeWeights:
    """Weights of the scores in ``overall`` for one mode (0 = not judged, reported as null)."""

    contour: float
    rhythm: float
    completeness: float
    voicing: float


@dataclass(frozen=True)
class ScoringSettings:
    """Thresholds and weights of :func:`mit_trainer.scoring.analyze_attempt`."""

    segmentation: SegmentationSettings = field(default_factory=SegmentationSettings)
    alignment: AlignmentSettings = field(default_factory=AlignmentSettings)
    conditioning: ConditioningSettings = field(default_factory=ConditioningSettings)

    # --- what counts as a response -------------------------------------------------------------
    #: A detected syllable counts only if at least this fraction of its frames is voiced.
    min_voiced_fraction: float = 0.3
    #: ... and only if its pitch is voice-like: the inter-quartile range of its f0 at most this
    #: (semitones; trackers' false alarms in noise jump around, a voice glides at most a few semitones).
    max_syllable_spread_st: float = 3.0
    #: Less voiced sound than this (s, summed over syllables) is ``no_response``.
    no_response_min_voiced_s: float = 0.2
    #: Scattered blips are ``no_response`` too: less than ``no_response_sparse_max_s`` of voice that
    #: also fills less than ``no_response_sparse_fraction`` of the span from the first to the last blip.
    no_response_sparse_max_s: float = 0.6
    no_response_sparse_fraction: float = 0.3
    #: A recording whose loud frames are less than this above its noise floor is ``no_response``.
    no_response_dynamic_db: float = 6.0
    #: A recording whose raw peak (before level normalisation) is below this (dBFS) is ``no_response``:
    #: nothing was recorded (a muted or unplugged microphone). Every other gate is relative to the
    #: recording's own level and noise floor.
    no_response_peak_dbfs: float = -70.0
    #: Background: a syllable this far (dB) below the main voice's level, or further than half the target
    #: interval plus ``background_pitch_st`` from the main voice's pitch, is not the patient's.
    background_below_db: float = 15.0
    background_pitch_st: float = 5.0
    #: Recordings shorter than this (s) are not analysed (``no_response`` with a warning).
    min_duration_s: float = 0.1

    # --- contour (sung: strict; sprechgesang: lenient; spoken: not judged) ----------------------
    #: Target interval between the low and the high note when the caller does not give one.
    interval_semitones: float = 3.0
    #: The attempt's two pitch clusters must be this far apart to count as two notes (sung).
    contour_min_step_st: float = 1.0
    #: The same for sprechgesang, where stress may be carried by a smaller rise.
    sprechgesang_min_step_st: float = 0.5
    #: Interval size error ramp: produced H-L interval vs the target interval.
    interval_full_credit_st: float = 1.5
    interval_zero_credit_st: float = 3.0
    #: Per-syllable note credit ramp (Performous), relative to the attempt's own key.
    note_full_credit_st: float = 0.5
    note_zero_credit_st: float = 1.5
    #: Within-syllable pitch spread (inter-quartile range) ramp: sung notes are held, speech glides.
    steadiness_full_credit_st: float = 1.0
    steadiness_zero_credit_st: float = 2.5

    #: Sung mode: a production at speech rate is not intoned; contour credit falls from the first
    #: tempo (syllable beats per minute, measured on the attempt) to none at the second.
    intoned_full_credit_bpm: float = 140.0
    intoned_zero_credit_bpm: float = 200.0
    #: ... and so is one whose pitch never holds: contour credit needs the syllables' median longest
    #: plateau (pitch within ``segmentation.plateau_st``) to reach the second value (s), none below the first.
    held_zero_credit_s: float = 0.15
    held_full_credit_s: float = 0.3

    # --- rhythm -------------------------------------------------------------------------------
    #: Ramp on the RMS log2 deviation of the inter-onset intervals from the target's proportions.
    rhythm_full_credit_log2: float = 0.15
    rhythm_zero_credit_log2: float = 0.5
    #: Spoken mode: normal speech prosody need not keep the chant's long beats; both ramp ends are
    #: multiplied by this.
    spoken_rhythm_tolerance_factor: float = 2.0

    # --- voicing (legato) -----------------------------------------------------------------------
    #: Ramp on the voiced fraction between the first onset and the last offset.
    voicing_zero_credit: float = 0.4
    voicing_full_credit: float = 0.8

    # --- verdict --------------------------------------------------------------------------------
    #: ``pass`` needs overall >= this and every judged score >= its minimum below.
    pass_overall: float = 0.75
    min_contour: float = 0.6
    #: Rhythm is the share of onsets on their beats (see ``rhythm_score``): at most about one in four off.
    min_rhythm: float = 0.7
    min_completeness: float = 0.99
    min_voicing: float = 0.4

    # --- weights per mode -----------------------------------------------------------------------
    sung_weights: ModeWeights = field(default_factory=lambda: ModeWeights(0.35, 0.2, 0.3, 0.15))
    sprechgesang_weights: ModeWeights = field(default_factory=lambda: ModeWeights(0.15, 0.4, 0.45, 0.0))
    spoken_weights: ModeWeights = field(default_factory=lambda: ModeWeights(0.0, 0.35, 0.65, 0.0))

    def weights(self, mode: str) -> ModeWeights:
        if mode == "sung":
            return self.sung_weights
        if mode == "sprechgesang":
            return self.sprechgesang_weights
        if mode == "spoken":
            return self.spoken_weights
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ramp_down(value: float, full: float, zero: float) -> float:
    """1 for ``value <= full``, 0 for ``value >= zero``, linear in between."""
    if value <= full:
        return 1.0
    if value >= zero:
        return 0.0
    return (zero - value) / (zero - full)


def ramp_up(value: float, zero: float, full: float) -> float:
    """0 for ``value <= zero``, 1 for ``value >= full``, linear in between."""
    return 1.0 - ramp_down(value, zero, full) if full > zero else float(value >= full)
