"""MIT Trainer scoring: judge a recorded attempt against its phrase (scores, verdict, JSON)."""

from mit_trainer.scoring.attempt import ANALYSIS_VERSION, AttemptAnalysis, SyllableResult, analyze_attempt
from mit_trainer.scoring.scores import Scores
from mit_trainer.scoring.settings import MODES, ModeWeights, ScoringSettings

__all__ = [
    "ANALYSIS_VERSION",
    "MODES",
    "AttemptAnalysis",
    "ModeWeights",
    "Scores",
    "ScoringSettings",
    "SyllableResult",
    "analyze_attempt",
]
