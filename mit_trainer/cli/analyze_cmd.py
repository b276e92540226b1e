"""``mit-trainer analyze``: judge recorded attempts against their phrase (DESIGN.md §3).

One file: ``analyze AUDIO --phrases FILE --phrase ID [--mode ...] [--tracker NAME] [--tempo BPM]
[--low-hz HZ] --json``
prints the attempt's JSON (without ``--json``, a short human summary). A batch:
``analyze --batch MANIFEST.tsv --phrases FILE`` reads a tab-separated manifest with the columns ``audio``,
``phrase_id`` and optionally ``mode``, ``played`` and ``played_offset_s`` (audio paths relative to the
manifest) and prints one JSON object per line; a row that cannot be analysed prints
``{"audio": ..., "error": ...}`` and the command ends with exit status 1 after the other rows. Unusable
input is one line on stderr and a non-zero exit.
``--played FILE`` (with ``--played-offset-s S``: the model started S s after the recording) is the model
as the trainer played it: its echo in the recording is cancelled and never credited (docs/echo.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mit_trainer.analysis.audio_input import AudioInputError, load_audio
from mit_trainer.analysis.pitch import DEFAULT_TRACKER, TRACKER_NAMES, get_tracker
from mit_trainer.cli import option_types as opt
from mit_trainer.cli.errors import CliError
from mit_trainer.core.bounded_input import InputRefused, read_text_file
from mit_trainer.core.phrases import PhraseSetError, load_phrase_sets
from mit_trainer.core.records import Phrase
from mit_trainer.scoring import MODES, AttemptAnalysis, analyze_attempt

#: Largest batch manifest read, bytes; audio and phrase_id fields are shown up to MAX_FIELD_SHOWN characters.
MAX_MANIFEST_BYTES = 16 << 20
MAX_FIELD_SHOWN = 200
#: ``--played-offset-s`` beyond this (either way) is refused: a model an hour away is a typo.
MAX_PLAYED_OFFSET_S = 3600.0


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
    p.add_argument(
        "--tempo", type=opt.tempo_bpm, metavar="BPM", help="the model's tempo, if known (helps alignment)"
    )
    p.add_argument(
        "--interval",
        type=opt.interval_semitones,
        metavar="ST",
        help="target H-L interval in semitones (default 3)",
    )
    p.add_argument(
        "--played", metavar="FILE", help="the model as played (its echo in the recording is ignored)"
    )
    p.add_argument(
        "--played-offset-s",
        type=opt.number(-MAX_PLAYED_OFFSET_S, MAX_PLAYED_OFFSET_S, unit=" s"),
        default=0.0,
        metavar="S",
        help="the played model started S s after the recording (negative: before; default 0)",
    )  # fmt: skip
    p.add_argument(
        "--words",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="check the phrase's words (said/unclear/missing; advisory); default on when a word model "
        "exists for the phrase set's language (English)",
    )
    p.add_argument(
        "--low-hz", type=opt.low_hz, metavar="HZ", dest="low_hz",
        help="the patient's low note as asked for (picks the patient's voice among others; the attempt "
        "may still be in its own key)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the analysis as JSON")
    p.add_argument(
        "--batch",
        metavar="MANIFEST.tsv",
        help="TSV with columns audio, phrase_id[, mode, played, played_offset_s]",
    )
    p.set_defaults(handler=run)


def _languages(path: str) -> dict[str, str]:
    """Phrase id -> its phrase set's language (the first set that has the id)."""
    out: dict[str, str] = {}
    for ps in load_phrase_sets(path):
        for ph in ps.phrases:
            out.setdefault(ph.id, ps.language)
    return out


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
    path: Path,
    shown_name: str,
    phrase: Phrase,
    mode: str,
    tracker: Any,
    args: argparse.Namespace,
    played_path: Path | None = None,
    played_offset_s: float = 0.0,
) -> AttemptAnalysis:
    clip = load_audio(path)
    played = None
    if played_path is not None:
        try:
            played = load_audio(played_path)
        except AudioInputError as exc:
            raise AudioInputError(f"played model: {str(exc).splitlines()[0]}") from None
    res = analyze_attempt(
        clip.samples, sample_rate_hz=clip.sample_rate_hz, phrase=phrase, mode=mode, tracker=tracker,
        tempo_bpm=args.tempo, interval_semitones=args.interval, audio_name=shown_name, low_hz=args.low_hz,
        played=None if played is None else played.samples,
        played_rate_hz=None if played is None else played.sample_rate_hz, played_offset_s=played_offset_s,
        words=args.words, language=getattr(args, "languages", {}).get(phrase.id, "en"),
    )  # fmt: skip
    if clip.warnings:
        res = _with_warnings(res, clip.warnings)
    return res


def _offset(value: float) -> float:
    if not math.isfinite(value) or abs(value) > MAX_PLAYED_OFFSET_S:
        raise ValueError(
            f"played offset {value!r} s is out of range (at most {MAX_PLAYED_OFFSET_S:g} s either way)"
        )
    return float(value)


def _played_columns(row: dict[str, Any], base: Path, args: argparse.Namespace) -> tuple[Path | None, float]:
    """The optional ``played`` and ``played_offset_s`` columns (else the command's own options)."""
    played = (row.get("played") or "").strip()
    path = base / played if played else (None if args.played is None else Path(args.played))
    raw = (row.get("played_offset_s") or "").strip()
    try:
        offset = float(raw) if raw else float(args.played_offset_s)
    except ValueError:
        raise ValueError(f"played_offset_s {raw!r} is not a number") from None
    return path, _offset(offset)


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
    if res.words is not None:
        lines.append("  words: " + "  ".join(f"{w.text} {w.status}" for w in res.words))
    if res.words_note:
        lines.append(f"  words: {res.words_note}")
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
        played = None if args.played is None else Path(args.played)
        res = _analyze_file(
            Path(args.audio),
            args.audio,
            phrase,
            args.mode,
            tracker,
            args,
            played,
            _offset(args.played_offset_s),
        )
    except (AudioInputError, ValueError) as exc:
        raise CliError(str(exc).splitlines()[0] if str(exc) else "unusable audio") from None
    print(_dumps(res.to_json()) if args.json else _summary(res))
    return 0


def _run_batch(args: argparse.Namespace, phrases: dict[str, Phrase], tracker: Any) -> int:
    manifest = Path(args.batch)
    try:
        text = read_text_file(manifest, what="manifest", max_bytes=MAX_MANIFEST_BYTES)
        reader = csv.DictReader(text.splitlines(), delimiter="\t")
        cols = set(reader.fieldnames or ())
    except (InputRefused, csv.Error) as exc:
        raise CliError(f"cannot read manifest {manifest}: {exc}") from None
    if not {"audio", "phrase_id"} <= cols:
        raise CliError(f"manifest {manifest} needs the tab-separated columns audio and phrase_id")
    failed = total = 0
    for row in manifest_rows(reader):
        total += 1
        name = "" if isinstance(row, ValueError) else (row.get("audio") or "").strip()
        try:
            if isinstance(row, ValueError):
                raise row
            phrase = phrases.get((row.get("phrase_id") or "").strip())
            if not name:
                raise ValueError("empty audio column")
            if phrase is None:
                shown_id = (row.get("phrase_id") or "")[:MAX_FIELD_SHOWN]
                raise ValueError(f"phrase {shown_id!r} not found in {args.phrases}")
            mode = (row.get("mode") or "").strip() or args.mode
            if mode not in MODES:
                raise ValueError(f"unknown mode {mode!r}")
            played, offset = _played_columns(row, manifest.parent, args)
            res = _analyze_file(manifest.parent / name, name, phrase, mode, tracker, args, played, offset)
            print(_dumps(res.to_json()), flush=True)
        except (AudioInputError, ValueError) as exc:
            failed += 1
            print(
                _dumps(
                    {
                        "audio": name[:MAX_FIELD_SHOWN],
                        "error": str(exc).splitlines()[0] if str(exc) else "error",
                    }
                ),
                flush=True,
            )
    if not total:
        raise CliError(f"manifest {manifest} has no rows to analyse")
    if failed:
        raise CliError(f"{failed} of {total} rows could not be analysed")
    return 0


def manifest_rows(reader: csv.DictReader[str]) -> Iterator[Any]:
    """The manifest's rows; a row the csv module refuses (a field over its limit) comes as a ValueError naming
    its line (the csv module does not count refused lines, so they are counted here)."""
    refused = 0
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            refused += 1
            yield ValueError(f"manifest line {reader.line_num + refused}: {exc}")


def run(args: argparse.Namespace) -> int:
    phrases = _phrases(args.phrases)
    args.languages = _languages(args.phrases)
    tracker = get_tracker(args.tracker)
    if args.batch:
        if args.audio:
            raise CliError("give either AUDIO or --batch, not both")
        return _run_batch(args, phrases, tracker)
    try:
        return _run_single(args, phrases, tracker)
    finally:
        sys.stdout.flush()
