"""Builders shared by the store tests: a synthetic analysis JSON and attempt inputs."""

from __future__ import annotations

from typing import Any

from mit_trainer.storage import AttemptInput, Tap, attempt_from_analysis


def analysis_json(texts: tuple[str, ...] = ("thank", "you"), *, verdict: str = "pass") -> dict[str, Any]:
    """An analysis of the DESIGN.md §3 shape: syllable i spans [0.5 + i, 1.3 + i] s."""
    n = len(texts)
    times = [round(0.01 * k, 2) for k in range(100 * (n + 1))]
    f0 = [None if t < 0.5 else 220.0 for t in times]
    return {
        "audio": "a.wav",
        "phrase_id": "-".join(texts),
        "mode": "sung",
        "tracker": "yin",
        "duration_s": float(n + 1),
        "pitch": {
            "hop_s": 0.01,
            "times_s": times,
            "f0_hz": f0,
            "confidence": [0.0 if v is None else 0.9 for v in f0],
        },
        "syllables": [
            {
                "index": i,
                "text": t,
                "target": "H" if i == 0 else "L",
                "onset_s": 0.5 + i,
                "offset_s": 1.3 + i,
                "f0_hz": 220.0 * (2 ** (3 / 12) if i == 0 else 1.0),
                "produced": "H" if i == 0 else "L",
            }
            for i, t in enumerate(texts)
        ],
        "scores": {"contour": 1.0, "rhythm": 0.93, "completeness": 1.0, "voicing": 0.97, "overall": 0.96},
        "verdict": verdict,
    }


def make_attempt(item_index: int = 0, *, points: int | None = 1, **fields: Any) -> AttemptInput:
    values: dict[str, Any] = {
        "item_index": item_index,
        "phrase_id": "thank-you",
        "level": 1,
        "step_id": "unison",
        "step_index": 2,
        "cue": "unison",
        "tempo_bpm": 60.0,
        "interval_semitones": 3.0,
        "low_note_hz": 220.0,
        "points_awarded": points,
        "taps": (
            Tap(t_s=0.52, syllable_index=0, asynchrony_ms=20.0),
            Tap(t_s=1.48, syllable_index=1, asynchrony_ms=-20.0),
        ),
    }
    values.update(fields)
    return attempt_from_analysis(analysis_json(), **values)
