"""Build store rows from an analysis JSON (DESIGN.md §3): syllables, automatic scores, attempts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mit_trainer.storage.records import AttemptInput, AutoScores, Syllable


def syllables_from_analysis(
    analysis: Mapping[str, Any],
    *,
    low_note_hz: float | None = None,
    interval_semitones: float | None = None,
) -> tuple[Syllable, ...]:
    """Syllable rows from an analysis JSON (DESIGN.md §3).

    ``error_cents`` is taken from the syllable when the analysis gives it, else computed
    against the target note (L = ``low_note_hz``, H = ``interval_semitones`` above it) when both
    are known and the syllable has an f0.
    """
    out = []
    for raw in analysis.get("syllables", ()):
        f0 = _num(raw.get("f0_hz"))
        target = str(raw.get("target"))
        err = _num(raw.get("error_cents"))
        if err is None and f0 is not None and low_note_hz and interval_semitones is not None:
            target_hz = low_note_hz * (2.0 ** (interval_semitones / 12.0) if target == "H" else 1.0)
            err = 1200.0 * math.log2(f0 / target_hz)
        out.append(
            Syllable(
                index=int(raw["index"]),
                text=str(raw.get("text", "")),
                target=target,
                onset_s=_num(raw.get("onset_s")),
                offset_s=_num(raw.get("offset_s")),
                f0_hz=f0,
                produced=raw.get("produced"),
                error_cents=err,
            )
        )
    return tuple(out)


def scores_from_analysis(analysis: Mapping[str, Any]) -> AutoScores:
    s = analysis.get("scores") or {}
    return AutoScores(
        contour=_num(s.get("contour")),
        rhythm=_num(s.get("rhythm")),
        completeness=_num(s.get("completeness")),
        voicing=_num(s.get("voicing")),
        overall=_num(s.get("overall")),
    )


def attempt_from_analysis(analysis: Mapping[str, Any], **fields: Any) -> AttemptInput:
    """An :class:`AttemptInput` whose duration, tracker, scores, verdict and syllables come from
    an analysis JSON; ``fields`` give the rest (and win over values from the analysis)."""
    derived: dict[str, Any] = {
        "analysis": analysis,
        "duration_s": _num(analysis.get("duration_s")),
        "tracker": analysis.get("tracker"),
        "analysis_mode": analysis.get("mode"),
        "analysis_version": analysis.get("version") or analysis.get("analysis_version"),
        "scores": scores_from_analysis(analysis),
        "auto_verdict": analysis.get("verdict"),
        "response_latency_s": _num(analysis.get("response_latency_s")),
        "syllables": syllables_from_analysis(
            analysis,
            low_note_hz=fields.get("low_note_hz"),
            interval_semitones=fields.get("interval_semitones"),
        ),
    }
    derived.update(fields)
    return AttemptInput(**derived)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) else f
