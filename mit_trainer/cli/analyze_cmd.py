"""``mit-trainer analyze``: judge recorded attempts against their phrase (DESIGN.md §3).

One file: ``analyze AUDIO --phrases FILE --phrase ID [--mode ...] [--tracker NAME] [--tempo BPM]
[--low-hz HZ] --json``
prints the attempt's JSON (without ``--json``, a short human summary). A batch:
``analyze --batch MANIFEST.tsv --phrases FILE`` reads a tab-separated manifest with the columns ``audio``,
``phrase_id`` and optionally ``mode`` (audio paths relative to the manifest) and prints one JSON object per
line; a row that cannot be analysed prints ``{"audio": ..., "error": ...}`` and the command ends with exit
status 1 after the other rows. Unusable input is one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

from mit_trainer.analysis.audio_input import AudioInputError, load_audio
from mit_trainer.analysis.pitch import DEFAULT_TRACKER, TRACKER_NAMES, get_tracker
from mit_trainer.cli.errors import CliError
from mit_trainer.core.phrases import PhraseSetError, load_phrase_sets
from mit_trainer.core.records import Phrase
from mit_trainer.scoring import MODES, AttemptAnalysis, analyze_attempt


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "analyze",
        help="score a recorded attempt (pitch, syllables, contour, rhythm, verdict)",
        description="Analyse a recorded attempt at a phrase: pitch track, syllables, H/L contour relative to "
        "the speaker's own pitch, rhythm relative to their own tempo, completeness, legato voicing, and a "
        "verdict (pass, fail or no_response). With --batch, analyse every row of a TSV manifest and print "
        "JSON Lines.",
    )
    p.add_argument("audio", nargs="?", metavar="AUDIO", help="audio file of the attempt (WAV, FLAC, ...)")
    p.add_argument("--phrases", required=True, metavar="FILE", help="phrase-set YAML file (or a folder)")
    p.add_argument("--phrase", metavar="ID", help="id of the phrase attempted (single-file mode)")
    p.add_argument("--mode", choices=MODES, default="sung", help="how the phrase was produced (default sung)")
    p.add_argument("--tracker", choices=TRACKER_NAMES, default=DEFAULT_TRACKER,
                   help=f"pitch tracker (default {DEFAULT_TRACKER})")  # fmt: skip
    p.add_argument("--tempo", type=float, metavar="BPM", help="the model's tempo, if known (helps alignment)")
    p.add_argument(
        "--interval", type=float, metavar="ST", help="target H-L interval in semitones (default 3)"
    )
    p.add_argument(
        "--low-hz", type=float, metavar="HZ", dest="low_hz",
        help="the patient's low note as asked for (picks the patient's voice among others; the attempt "
        "may still be in its own key)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the analysis as JSON")
    p.add_argument("--batch", metavar="MANIFEST.tsv", help="TSV with columns audio, phrase_id[, mode]")
    p.set_defaults(handler=run)


def _phrases(path: str) -> dict[str, Phrase]:
    try:
        sets = load_phrase_sets(path)
    except PhraseSetError as exc:
        raise CliError(str(exc).splitlines()[0]) from None
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read phrases: {path}: {exc}") from None
    out: dict[str, Phrase] = {}
    for ps in sets:
        for ph in ps.phrases:
            out.setdefault(ph.id, ph)
    if not out:
        raise CliError(f"no phrases found in {path}")
    return out


def _analyze_file(
    path: Path, shown_name: str, phrase: Phrase, mode: str, tracker: Any, args: argparse.Namespace
) -> AttemptAnalysis:
    clip = load_audio(path)
    res = analyze_attempt(
        clip.samples, sample_rate_hz=clip.sample_rate_hz, phrase=phrase, mode=mode, tracker=tracker,
        tempo_bpm=args.tempo, interval_semitones=args.interval, audio_name=shown_name, low_hz=args.low_hz,
    )  # fmt: skip
    if clip.warnings:
        res = _with_warnings(res, clip.warnings)
    return res


def _with_warnings(res: AttemptAnalysis, extra: tuple[str, ...]) -> AttemptAnalysis:
    import dataclasses

    return dataclasses.replace(res, warnings=tuple(dict.fromkeys((*extra, *res.warnings))))


def _dumps(obj: Any) -> str:
    return json.dumps(obj, default=float, allow_nan=False)


def _summary(res: AttemptAnalysis) -> str:
    sc = res.scores

    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}"

    lines = [
        f"{res.audio}: {res.verdict.upper()}  phrase {res.phrase_id} ({res.mode}, tracker {res.tracker}, "
        f"{res.duration_s:.1f} s)",
        f"  contour {f(sc.contour)}  rhythm {f(sc.rhythm)}  completeness {f(sc.completeness)}  "
        f"voicing {f(sc.voicing)}  overall {f(sc.overall)}",
    ]
    for s in res.syllables:
        when = "not produced" if s.onset_s is None else f"{s.onset_s:6.2f}-{s.offset_s or 0:6.2f} s"
        pitch = "" if s.f0_hz is None else f"{s.f0_hz:7.1f} Hz"
        err = "" if s.error_cents is None else f" {s.error_cents:+5.0f} c"
        lines.append(f"  {s.index:2d} {s.text:<10} {s.target} -> {s.produced or '-'}  {when} {pitch}{err}")
    lines.extend(f"  warning: {w}" for w in res.warnings)
    return "\n".join(lines)


def _run_single(args: argparse.Namespace, phrases: dict[str, Phrase], tracker: Any) -> int:
    if not args.audio:
        raise CliError("give an AUDIO file or --batch MANIFEST.tsv")
    if not args.phrase:
        raise CliError("--phrase ID is required with a single AUDIO file")
    phrase = phrases.get(args.phrase)
    if phrase is None:
        raise CliError(f"phrase {args.phrase!r} not found in {args.phrases}")
    try:
        res = _analyze_file(Path(args.audio), args.audio, phrase, args.mode, tracker, args)
    except (AudioInputError, ValueError) as exc:
        raise CliError(str(exc).splitlines()[0] if str(exc) else "unusable audio") from None
    print(_dumps(res.to_json()) if args.json else _summary(res))
    return 0


def _run_batch(args: argparse.Namespace, phrases: dict[str, Phrase], tracker: Any) -> int:
    manifest = Path(args.batch)
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read manifest {manifest}: {exc.__class__.__name__}") from None
    reader = csv.DictReader(text.splitlines(), delimiter="\t")
    cols = set(reader.fieldnames or ())
    if not {"audio", "phrase_id"} <= cols:
        raise CliError(f"manifest {manifest} needs the tab-separated columns audio and phrase_id")
    failed = total = 0
    for row in reader:
        total += 1
        name = (row.get("audio") or "").strip()
        try:
            phrase = phrases.get((row.get("phrase_id") or "").strip())
            if not name:
                raise ValueError("empty audio column")
            if phrase is None:
                raise ValueError(f"phrase {row.get('phrase_id')!r} not found in {args.phrases}")
            mode = (row.get("mode") or "").strip() or args.mode
            if mode not in MODES:
                raise ValueError(f"unknown mode {mode!r}")
            res = _analyze_file(manifest.parent / name, name, phrase, mode, tracker, args)
            print(_dumps(res.to_json()), flush=True)
        except (AudioInputError, ValueError) as exc:
            failed += 1
            print(
                _dumps({"audio": name, "error": str(exc).splitlines()[0] if str(exc) else "error"}),
                flush=True,
            )
    if failed:
        raise CliError(f"{failed} of {total} rows could not be analysed")
    return 0


def _check_ranges(args: argparse.Namespace) -> None:
    for name, value, lo, hi in (
        ("--low-hz", args.low_hz, 30.0, 1000.0),
        ("--tempo", args.tempo, 10.0, 300.0),
    ):
        if value is not None and not (math.isfinite(value) and lo <= value <= hi):
            raise CliError(f"{name} must be between {lo:g} and {hi:g}, got {value:g}")


def run(args: argparse.Namespace) -> int:
    _check_ranges(args)
    phrases = _phrases(args.phrases)
    tracker = get_tracker(args.tracker)
    if args.batch:
        if args.audio:
            raise CliError("give either AUDIO or --batch, not both")
        return _run_batch(args, phrases, tracker)
    try:
        return _run_single(args, phrases, tracker)
    finally:
        sys.stdout.flush()
