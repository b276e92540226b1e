"""Echo benchmark: the model in the microphone, with and without the played model given to the analysis.

The leak is the trainer's own rendered model through a random loudspeaker-to-microphone path (delay
20-300 ms, early reflections, a diffuse tail with RT60 0.3-0.9 s and a direct-to-reverberant ratio of
-10..+6 dB) plus pink room noise (-75..-55 dBFS); the patient is Festival singing (diphone voices kal and
ked, DESIGN.md §4), a voice the trainer did not make, given the phrase's notes (the truth for the cents
column). Rows:

- ``silent``: nobody sings, the model leaks in at -10/-20/-30/-40 dB re its level as played: the verdict
  must never be ``pass``;
- ``repetition``: the model (leaking at -20 dB), then the patient's answer: must pass;
- ``under``: the patient sings with the model leaking 20 dB under the patient's level: must pass;
- ``unison X``: the patient sings along, the leak X dB re the patient: how far unison is scored on the
  patient (pass rate, median |cents| of the syllables against the notes Festival was given);
- ``stops``: unison, the patient stops after three syllables, the leak 10 dB under the patient: attempts
  where a syllable is detected after the patient's last sample (the model credited);

and the CPU time of the canceller per second of audio beside the analysis without it.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_echo.py [--quick] [--output FILE.md]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "scoring"))

from leak_signals import SR, festival_sing, leak_trial, midi_of, model, rms_db

from mit_trainer.analysis.echo import cancel_echo
from mit_trainer.analysis.pitch import DEFAULT_TRACKER, get_tracker
from mit_trainer.core.records import Phrase
from mit_trainer.scoring import AttemptAnalysis, analyze_attempt

PHRASES = (
    Phrase(id="ma-no", text="ma no li te su", level=2, syllables=("ma", "no", "li", "te", "su"),
           pattern=("L", "H", "L", "H", "L"), beats=(1.0, 1.0, 2.0, 1.0, 1.0)),
    Phrase(id="thank-you", text="thank you", level=1, syllables=("thank", "you"), pattern=("H", "L"),
           beats=(1.0, 1.0)),
    Phrase(id="good-morning", text="good morning", level=1, syllables=("good", "mor", "ning"),
           pattern=("L", "H", "L"), beats=(1.0, 1.0, 1.0)),
)  # fmt: skip
VOICES = ("kal", "ked")
LOW_HZ = 130.81


def _room(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "rt60_s": float(rng.uniform(0.3, 0.9)),
        "drr_db": float(rng.uniform(-10.0, 6.0)),
        "noise_db": float(rng.uniform(-75, -55)),
        "played_offset_s": float(rng.uniform(0.0, 0.5)),
    }


def _analyze(
    x: np.ndarray, phrase: Phrase, tracker: Any, played: np.ndarray | None, off: float
) -> AttemptAnalysis:
    kw: dict[str, Any] = {}
    if played is not None:
        kw = {"played": played, "played_rate_hz": SR, "played_offset_s": off}
    return analyze_attempt(x, sample_rate_hz=SR, phrase=phrase, tracker=tracker, **kw)


def _cents(res: AttemptAnalysis, notes: tuple[float, ...]) -> list[float]:
    return [abs(1200 * math.log2(s.f0_hz / f)) for s, f in zip(res.syllables, notes, strict=True) if s.f0_hz]


class Row:
    def __init__(self, name: str, expect: str) -> None:
        self.name, self.expect = name, expect
        self.n = self.raw_pass = self.pass_ = 0
        self.cents: list[float] = []
        self.extra = 0

    def add(self, raw: AttemptAnalysis, res: AttemptAnalysis, cents: list[float] | None = None) -> None:
        self.n += 1
        self.raw_pass += raw.verdict == "pass"
        self.pass_ += res.verdict == "pass"
        if cents:
            self.cents.extend(cents)

    def line(self) -> str:
        c = f"{statistics.median(self.cents):.0f}" if self.cents else "-"
        extra = f" {self.extra}" if self.name.startswith("stops") else ""
        raw, cancelled = 100 * self.raw_pass / self.n, 100 * self.pass_ / self.n
        return (f"| {self.name} | {self.expect} | {self.n} | {self.raw_pass} ({raw:.0f} %) "
                f"| {self.pass_} ({cancelled:.0f} %) | {c} |{extra}")  # fmt: skip


def run(quick: bool, seed: int) -> str:
    tracker = get_tracker(DEFAULT_TRACKER)
    rng = np.random.default_rng(seed)
    n_silent = 5 if quick else 25
    n_sung = 2 if quick else 6
    rows: list[Row] = []
    models = {p.id: model(p, low_hz=LOW_HZ).samples.astype(np.float64) for p in PHRASES}
    cpu: dict[str, list[float]] = {"analysis": [], "analysis + echo": [], "canceller alone": []}

    def timed(key: str, fn: Callable[[], Any], dur_s: float) -> Any:
        t0 = time.process_time()
        out = fn()
        cpu[key].append((time.process_time() - t0) / dur_s)
        return out

    for leak_db in (-10, -20, -30, -40):
        row = Row(f"silent, leak {leak_db} dB", "never pass")
        for i in range(n_silent):
            ph = PHRASES[i % len(PHRASES)]
            played = models[ph.id]
            room = _room(rng)
            t = leak_trial(rng, played, leak_db=leak_db, **room)
            dur = t.recording.size / SR
            raw = timed("analysis", lambda t=t, ph=ph: _analyze(t.recording, ph, tracker, None, 0.0), dur)
            res = timed(
                "analysis + echo",
                lambda t=t, ph=ph, played=played: _analyze(
                    t.recording, ph, tracker, played, t.played_offset_s
                ),
                dur,
            )
            timed(
                "canceller alone",
                lambda t=t, played=played: cancel_echo(
                    t.recording, sample_rate_hz=SR, played=played, played_rate_hz=SR,
                    played_offset_s=t.played_offset_s,
                ),
                dur,
            )  # fmt: skip
            row.add(raw, res)
        rows.append(row)

    levels = (-20, -10, -6, 0, 6)
    sung_rows = {
        "alone": Row("patient alone, no leak (the ceiling)", "pass"),
        "repetition": Row("repetition, leak -20 dB", "pass"),
        "under": Row("under: leak 20 dB under the patient", "pass"),
        **{f"unison {d:+d}": Row(f"unison, leak {d:+d} dB re patient", "pass if possible") for d in levels},
        "stops": Row("stops: unison, stops after 3 syllables, leak -10", "fail; model never credited"),
    }  # fmt: skip
    for i in range(n_sung):
        for voice in VOICES:
            ph = PHRASES[0] if i % 2 == 0 else PHRASES[2]
            played = models[ph.id]
            stim = model(ph, low_hz=LOW_HZ)
            sung, notes = festival_sing(
                ph.syllables, ph.pattern, ph.beats, low_midi=midi_of(LOW_HZ), voice=voice
            )
            pdb = -20.0
            room = _room(rng)
            off = room["played_offset_s"]
            along = off + stim.syllables[0].onset_s + float(rng.uniform(0.03, 0.15))
            cases = {
                "alone": ({"leak_db": -200.0, "patient_start_s": along}, sung),
                "repetition": ({"leak_db": -20.0, "patient_start_s": off + played.size / SR + 0.5}, sung),
                "under": ({"leak_db": pdb - 20 - rms_db(played), "patient_start_s": along}, sung),
            }
            for d in (-20, -10, -6, 0, 6):
                cases[f"unison {d:+d}"] = (
                    {"leak_db": pdb + d - rms_db(played), "patient_start_s": along},
                    sung,
                )
            if ph.n_syllables >= 4:
                first = int(np.argmax(np.abs(sung) > 0.05 * np.abs(sung).max())) / SR
                cut = sung[: round((first + 3.9) * SR)]
                cases["stops"] = ({"leak_db": pdb - 10 - rms_db(played), "patient_start_s": along}, cut)
            for key, (kw, voice_x) in cases.items():
                t = leak_trial(rng, played, patient=voice_x, patient_db=pdb, **kw, **room)
                raw = _analyze(t.recording, ph, tracker, None, 0.0)
                res = _analyze(t.recording, ph, tracker, played, t.played_offset_s)
                sung_rows[key].add(raw, res, None if key == "stops" else _cents(res, notes))
                if key == "stops":
                    end = kw["patient_start_s"] + voice_x.size / SR
                    sung_rows[key].extra += any(d.onset_s >= end for d in res.detected)
    rows.extend(sung_rows.values())

    out = [
        f"Seed {seed}, tracker {DEFAULT_TRACKER}, {'quick' if quick else 'full'} run.",
        "",
        "| condition | expected | n | pass without `played` | pass with `played` | median abs cents |",
        "|---|---|---|---|---|---|",
        *(r.line() for r in rows),
        "",
        "(`stops`: the last number is the attempts where a syllable was detected after the patient's last "
        "sample, with `played`.)",
        "",
        "| CPU time per second of audio | median | p90 |",
        "|---|---|---|",
    ]
    for k, v in cpu.items():
        out.append(f"| {k} | {statistics.median(v) * 1000:.0f} ms | {np.percentile(v, 90) * 1000:.0f} ms |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few trials per row")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--output", metavar="FILE.md", help="also write the table here")
    args = ap.parse_args()
    text = run(args.quick, args.seed)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
