"""Word-check benchmark: does the phrase's words check tell the right phrase from the wrong ones?

Material the trainer did not make, over the shipped phrase sets: espeak-ng speech (voices en-us and
en-us+f3), Festival speech and Festival singing (diphone voices kal and ked; one note per syllable,
stressed syllables a minor third up). Per phrase: the right phrase, a different phrase of the same
syllable count (chosen at random from the shipped sets, another word set), "la" on every note of the
phrase's melody (Festival singing) and 3 s of quiet room noise. Speech is analysed in ``spoken`` mode,
singing in ``sung`` mode. The truth is what the generator was asked to say.

Columns, side by side for the analysis without the word check (the melody/rhythm verdict alone) and with
it: accepted % (right phrase: verdict ``pass``; with words: every word ``said``), flagged % per error kind
(wrong phrase, la, silence: not accepted), word accuracy % (words of right phrases judged ``said``),
false acceptance % (error attempts accepted), and the mean analysis time per attempt (wall and process
CPU; the machine is shared, so CPU time is steadier) with its difference.

Run: ``.venv/bin/python benchmarks/bench_words.py [--every N] [--output FILE.md]`` (``--every 4`` takes
every 4th phrase).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "words"))

from voices import espeak, festival_sing, festival_speak, quiet

from mit_trainer.analysis.words import phrase_words
from mit_trainer.core.phrases import load_phrase_sets, shipped_phrases_dir
from mit_trainer.core.records import Phrase
from mit_trainer.scoring import analyze_attempt

Audio = tuple[np.ndarray, int]
RENDERERS: dict[str, Callable[[Phrase], Audio]] = {
    "espeak en-us": lambda p: espeak(p.text, voice="en-us"),
    "espeak en-us+f3": lambda p: espeak(p.text, voice="en-us+f3"),
    "festival kal": lambda p: festival_speak(p.text, voice="kal"),
    "festival ked": lambda p: festival_speak(p.text, voice="ked"),
    "festival sung kal": lambda p: festival_sing(p.syllables, p.pattern, p.beats, voice="kal"),
    "festival sung ked": lambda p: festival_sing(p.syllables, p.pattern, p.beats, voice="ked"),
}


def _la(p: Phrase, voice: str) -> Audio:
    return festival_sing(["la"] * p.n_syllables, p.pattern, p.beats, voice=voice)


def _timed(x: np.ndarray, sr: int, p: Phrase, mode: str, words: bool) -> tuple[bool, list[str], float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    res = analyze_attempt(x, sample_rate_hz=sr, phrase=p, mode=mode, words=words)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return res.verdict == "pass", [w.status for w in res.words or ()], wall, cpu


def run(every: int, seed: int) -> tuple[list[str], dict[str, float]]:
    phrases = [p for ps in load_phrase_sets(shipped_phrases_dir()) for p in ps.phrases]
    chosen = phrases[::every]
    rng = random.Random(seed)
    # per (group, case): [n, accepted without words, accepted with words, words said, words total]
    tally: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    times = {"off_wall": 0.0, "off_cpu": 0.0, "on_wall": 0.0, "on_cpu": 0.0, "n": 0}
    t_start = time.perf_counter()

    def judge(group: str, case: str, audio: Audio, p: Phrase, mode: str) -> None:
        x, sr = audio
        pass_off, _, w_off, c_off = _timed(x, sr, p, mode, False)
        _, statuses, w_on, c_on = _timed(x, sr, p, mode, True)
        said = sum(s == "said" for s in statuses)
        row = tally[(group, case)]
        row[0] += 1
        row[1] += pass_off
        row[2] += bool(statuses) and said == len(statuses)
        row[3] += said
        row[4] += len(statuses)
        for k, v in (("off_wall", w_off), ("off_cpu", c_off), ("on_wall", w_on), ("on_cpu", c_on)):
            times[k] += v
        times["n"] += 1

    for p in chosen:
        words = set(phrase_words(p.text))
        same = [q for q in phrases if q.n_syllables == p.n_syllables and set(phrase_words(q.text)) != words]
        other = rng.choice(same) if same else None
        for name, render in RENDERERS.items():
            group = "sung" if "sung" in name else "spoken"
            mode = "sung" if group == "sung" else "spoken"
            judge(group, "right", render(p), p, mode)
            if other is not None:
                judge(group, "other phrase", render(other), p, mode)
        for voice in ("kal", "ked"):
            judge("sung", "la la la", _la(p, voice), p, "sung")
        judge("sung", "silence", (quiet(3.0), 16000), p, "sung")
    times["elapsed_s"] = time.perf_counter() - t_start
    times["phrases"] = len(chosen)
    return _table(tally, times), times


def _pct(a: float, n: float) -> str:
    return "-" if not n else f"{100.0 * a / n:.1f}"


def _table(tally: dict[tuple[str, str], list[float]], times: dict[str, float]) -> list[str]:
    lines = [
        "| material | case | n | accepted % (no word check) | accepted % (word check) | "
        "flagged % (no word check) | flagged % (word check) | words said % |",
        "|---|---|---|---|---|---|---|---|",
    ]
    err_off = err_on = err_n = 0.0
    order = sorted(tally.items(), key=lambda kv: (kv[0][0], kv[0][1] != "right", kv[0][1]))
    for (group, case), (n, off, on, said, total) in order:
        right = case == "right"
        acc = [_pct(off, n), _pct(on, n), "", ""] if right else ["", "", _pct(n - off, n), _pct(n - on, n)]
        lines.append(f"| {group} | {case} | {n:.0f} | {' | '.join(acc)} | {_pct(said, total)} |")
        if not right:
            err_off, err_on, err_n = err_off + off, err_on + on, err_n + n
    k = max(1, times["n"])
    lines += [
        "",
        f"False acceptance (error attempts accepted): {_pct(err_off, err_n)} % without the word check, "
        f"{_pct(err_on, err_n)} % with it ({err_n:.0f} error attempts).",
        "",
        "| analysis | wall s / attempt | CPU s / attempt |",
        "|---|---|---|",
        f"| no word check | {times['off_wall'] / k:.3f} | {times['off_cpu'] / k:.3f} |",
        f"| with word check | {times['on_wall'] / k:.3f} | {times['on_cpu'] / k:.3f} |",
        f"| difference | {(times['on_wall'] - times['off_wall']) / k:.3f} | "
        f"{(times['on_cpu'] - times['off_cpu']) / k:.3f} |",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=1, help="take every Nth shipped phrase (default 1: all)")
    ap.add_argument("--seed", type=int, default=2026, help="seed for choosing the wrong phrases")
    ap.add_argument("--output", type=Path, help="also write the tables to this Markdown file")
    args = ap.parse_args(argv)
    if args.every < 1:
        print("error: --every must be at least 1", file=sys.stderr)
        return 2
    lines, times = run(args.every, args.seed)
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    footer = (
        f"\n{times['phrases']:.0f} phrases (every {args.every}), {times['n']:.0f} attempts, "
        f"seed {args.seed}; {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {load}; run time {times['elapsed_s']:.0f} s."
    )
    text = "\n".join(lines) + "\n" + footer + "\n"
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
