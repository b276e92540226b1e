"""Peak memory and time of one command on each of issue 14's large or hostile inputs, one fresh process each.

Each row runs ``python -m mit_trainer ...`` as a fresh child, which reports its own peak resident set
size (``VmHWM``) at exit, so one input's memory is never mixed with another's or with this script's. The
inputs: true 2-hour silent FLAC recordings at 16 and 48 kHz, 10 minutes of noise, the largest accepted
recording (``MAX_DURATION_S`` of noise at 48 kHz, analysed end to end), a FLAC whose header claims 2.9 billion
frames, a FIFO, YAML alias bombs and 500-level nesting in phrase and protocol files, ``/dev/zero``, and a
phrase set at the size limit. The issue's figures before the change are in the "before" column. The target:
every row under 1 GiB, and refusals within 10 s (an accepted 2-minute analysis takes longer when loaded).

Run: ``.venv/bin/python benchmarks/bench_input_limits.py [--work DIR] [--output FILE.md] [--skip-long]``;
the 2-hour files (~1 min to write) are kept in ``--work`` between runs.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from mit_trainer.analysis.audio_input import MAX_DURATION_S
from mit_trainer.core.limits import MAX_YAML_BYTES

GIB = 2**30
PHRASES = "format: mit-phrases/1\nname: T\nlanguage: en\nphrases:\n"
PHRASES += "  - id: thank-you\n    text: Thank you\n    level: 1\n"
DEEP_MAP = "x-d: " + "{a: " * 500 + "1" + "}" * 500
LAUGHS = "l0: &l0 [lol]\n" + "".join(f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]\n" for k in range(1, 12))


@dataclass(frozen=True)
class Row:
    name: str
    before: str
    make: Callable[[Path], list[str]]


def _write_long(path: Path, seconds: float, rate: int, noise: bool) -> Path:
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    block = rate * 10
    fmt = "FLAC" if path.suffix == ".flac" else "WAV"
    with soundfile.SoundFile(path, "w", rate, 1, "PCM_16", format=fmt) as f:
        left = int(seconds * rate)
        while left > 0:
            n = min(block, left)
            f.write((0.1 * rng.standard_normal(n)) if noise else np.zeros(n))
            left -= n
    return path


def _analyze(audio: Path, work: Path) -> list[str]:
    (work / "p.yaml").write_text(PHRASES, encoding="utf-8")
    return ["analyze", str(audio), "--phrases", str(work / "p.yaml"), "--phrase", "thank-you"]


def _flac_claiming(path: Path, frames: int) -> Path:
    rate = 16000
    soundfile.write(path, np.zeros(rate), rate, format="FLAC")
    raw = bytearray(path.read_bytes())
    packed = int.from_bytes(raw[18:26], "big")
    raw[18:26] = ((packed & ~((1 << 36) - 1)) | frames).to_bytes(8, "big")
    path.write_bytes(bytes(raw))
    return path


def _fifo(path: Path) -> Path:
    if not path.exists():
        os.mkfifo(path)
    return path


def _big_phrase_set(path: Path) -> Path:
    lines = [PHRASES.rstrip("\n")]
    k = 0
    while sum(len(s) + 1 for s in lines) < MAX_YAML_BYTES - 400:
        lines.append(
            f"  - id: p{k}\n    text: la la\n    level: 1\n    syllables: [la, la]\n    pattern: [H, L]"
        )
        k += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _protocol(path: Path, extra: str) -> Path:
    from mit_trainer.core.protocol import shipped_protocol_paths

    return _text(path, shipped_protocol_paths()[0].read_text(encoding="utf-8") + extra)


def rows(skip_long: bool) -> list[Row]:
    out = []
    if not skip_long:
        out += [
            Row("2 h silence, 16 kHz FLAC", "261 s, 6.1 GB",
                lambda w: _analyze(_write_long(w / "sil2h16k.flac", 7200, 16000, False), w)),
            Row("2 h silence, 48 kHz FLAC", "> 15 GB (stopped)",
                lambda w: _analyze(_write_long(w / "sil2h48k.flac", 7200, 48000, False), w)),
        ]  # fmt: skip
    out += [
        Row("10 min noise, 16 kHz WAV", "1.6 GB",
            lambda w: _analyze(_write_long(w / "noise10m.wav", 600, 16000, True), w)),
        Row(f"{MAX_DURATION_S:.0f} s noise, 48 kHz WAV (largest accepted)", "-",
            lambda w: _analyze(_write_long(w / "noise-max48k.wav", MAX_DURATION_S, 48000, True), w)),
        Row("FLAC header claiming 2.9e9 frames", "MemoryError (10.9 GiB)",
            lambda w: _analyze(_flac_claiming(w / "liar.flac", 2_900_000_000), w)),
        Row("audio path is a FIFO", "hang", lambda w: _analyze(_fifo(w / "fifo.wav"), w)),
        Row("phrases validate: alias bomb", "hang",
            lambda w: ["phrases", "validate", str(_text(w / "bomb.yaml", LAUGHS))]),
        Row("phrases validate: 500-level nesting", "RecursionError",
            lambda w: ["phrases", "validate", str(_text(w / "deep.yaml", "x: " + "[" * 500 + "]" * 500))]),
        Row("phrases validate /dev/zero", "reads without bound",
            lambda w: ["phrases", "validate", "/dev/zero"]),
        Row(f"phrases validate: set at the {MAX_YAML_BYTES >> 10} KiB limit", "-",
            lambda w: ["phrases", "validate", "-q", str(_big_phrase_set(w / "big.yaml"))]),
        Row("protocols validate: alias bomb", "hang",
            lambda w: ["protocols", "validate", str(_protocol(w / "pbomb.yaml", "x-" + LAUGHS))]),
        Row("protocols validate: 500-level nesting", "RecursionError",
            lambda w: ["protocols", "validate", str(_protocol(w / "pdeep.yaml", DEEP_MAP))]),
    ]  # fmt: skip
    return out


#: Runs ``python -m mit_trainer ARGS``; at exit it writes its peak resident memory (VmHWM, kB) to
#: the file named by MIT_HWM_FILE.
#: VmHWM belongs to the new process image; the child's ``ru_maxrss`` would not do, as Linux carries the
#: parent's peak over into a child at exec.
WRAPPER = """\
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as f:
        kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    with open(os.environ["MIT_HWM_FILE"], "w") as out:
        out.write(kb)
atexit.register(_peak)
sys.argv = ["mit_trainer", *sys.argv[1:]]
runpy.run_module("mit_trainer", run_name="__main__", alter_sys=True)
"""


def measure(argv: list[str]) -> tuple[int, str, float, float]:
    """(exit status, first line of stderr (else of stdout), seconds, peak RSS in bytes) of
    ``python -m mit_trainer argv``."""
    with tempfile.TemporaryDirectory() as scratch:
        hwm = Path(scratch) / "hwm"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", WRAPPER, *argv], capture_output=True, text=True,
                              env={**os.environ, "MIT_HWM_FILE": str(hwm)})  # fmt: skip
        took = time.perf_counter() - started
        peak = int(hwm.read_text()) * 1024.0 if hwm.exists() else math.nan
    err_lines = done.stderr.strip().splitlines()
    out_lines = done.stdout.strip().splitlines()
    first = err_lines[0] if err_lines else (out_lines[0] if out_lines else "")
    return done.returncode, first, took, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--work", type=Path, default=Path("/tmp/mit-input-limits"), help="folder for the inputs"
    )
    parser.add_argument("--output", type=Path, help="also write the table to this Markdown file")
    parser.add_argument("--skip-long", action="store_true", help="leave out the two 2-hour files")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    header = "| input | before (issue 14) | exit | message | s | peak RSS MB | < 1 GiB |"
    lines = [header, "|---|---|---|---|---|---|---|"]
    print(header, flush=True)
    worst = 0.0
    for row in rows(args.skip_long):
        argv = row.make(args.work)
        status, first, took, rss = measure(argv)
        worst = max(worst, rss)
        shown = first.replace("|", "/")[:110] or "(none)"
        ok = "yes" if rss < GIB else "NO"
        line = f"| {row.name} | {row.before} | {status} | {shown} | {took:.1f} | {rss / 2**20:.0f} | {ok} |"
        lines.append(line)
        print(line, flush=True)
    summary = f"worst peak RSS {worst / 2**20:.0f} MB ({'under' if worst < GIB else 'OVER'} 1 GiB)"
    print(summary)
    if args.output:
        args.output.write_text("\n".join(lines) + f"\n\n{summary}\n", encoding="utf-8")
    return 0 if worst < GIB else 1


if __name__ == "__main__":
    sys.exit(main())
