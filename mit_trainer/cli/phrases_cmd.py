"""``mit-trainer phrases validate|list|derive``: check phrase-set files, show them, derive patterns.

``validate`` prints every problem as ``FILE:LINE: error|warning: FIELD: MESSAGE`` and a summary; the
exit status is 1 when any file has an error (warnings alone exit 0). Untrained phrases' ``x-matches``
twins are looked up in the files given and their sibling ``*.yaml`` files. ``list`` prints one aligned
row per phrase with the stressed syllables in capitals. ``derive`` prints the syllables and H/L
pattern derived from text (``--language``), for a therapist to paste into a file and correct.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mit_trainer.cli import option_types as opt
from mit_trainer.cli.errors import CliError
from mit_trainer.core.display import printable
from mit_trainer.core.phrases import (
    PhraseIssue,
    PhraseSetError,
    matched_twin_issues,
    phrase_files,
    validate_phrase_file,
    yaml_flow,
    yaml_scalar,
)
from mit_trainer.core.records import Phrase, PhraseSet
from mit_trainer.core.syllabify import UnknownWordsError
from mit_trainer.core.syllabify_lang import LANGUAGES, derivable, derive_text

PROBE_WIDTH = 44


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "phrases",
        help="validate or list phrase-set files (mit-phrases/1 YAML)",
        description="Phrase-set files (format mit-phrases/1, DESIGN.md §3): check them or list them.",
    )
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)
    psub = parser.add_subparsers(dest="phrases_command", metavar="ACTION")

    p_val = psub.add_parser(
        "validate",
        help="check phrase-set files and report every problem with its line",
        description="Check phrase-set files or folders of *.yaml files. Prints every problem as "
        "FILE:LINE: error|warning: FIELD: MESSAGE and a summary line. Exit status 1 when there is any "
        "error, 0 when there are only warnings.",
    )
    p_val.add_argument("paths", nargs="+", metavar="PATH", help="phrase-set file(s) or folder(s)")
    p_val.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p_val.add_argument("-q", "--quiet", action="store_true", help="print errors and the summary only")
    p_val.set_defaults(handler=_validate)

    p_list = psub.add_parser(
        "list",
        help="show the phrases of a file or folder as a table",
        description="List phrases: id, level, syllables (stressed ones in CAPITALS), H/L pattern, beats, "
        "trained or untrained, category and probe question.",
    )
    p_list.add_argument("path", metavar="PATH", help="a phrase-set file or a folder of them")
    p_list.add_argument("--level", type=opt.integer(1, 3), help="only this level")
    p_list.add_argument("--category", help="only this category")
    p_list.add_argument("--untrained", action="store_true", help="only untrained (generalisation) phrases")
    p_list.add_argument("--trained", action="store_true", help="only trained phrases")
    p_list.set_defaults(handler=_list)

    p_der = psub.add_parser(
        "derive",
        help="print the syllables and H/L pattern the trainer derives from text",
        description="Derive syllables and the H/L pattern from text: English with the CMU pronouncing "
        "dictionary, German, Dutch and Spanish with espeak-ng's stress (stressed syllables of content words "
        "are H), French by its rhythmic-group rule (the last syllable of each group is H); printed as YAML "
        "lines to paste into a phrase set and correct by hand.",
    )
    p_der.add_argument("texts", nargs="+", metavar="TEXT", help='a phrase, e.g. "I want water"')
    p_der.add_argument(
        "--language",
        default="en",
        metavar="LANG",
        help=f"language of the text: {', '.join(['en', *LANGUAGES])} (default en; de/nl/es/fr use espeak-ng)",
    )
    p_der.set_defaults(handler=_derive)


def _files(path: str) -> list[Path]:
    p = Path(path)
    try:
        files = phrase_files(p)
    except PhraseSetError as exc:
        raise CliError(str(exc.issues[0])) from None
    if files == [p] and not p.exists():
        raise CliError(f"{path}: no such file or folder")
    if not files:
        raise CliError(f"{path}: no *.yaml phrase-set files in this folder")
    return files


def _validate(args: argparse.Namespace) -> int:
    issues: list[PhraseIssue] = []
    sets: list[PhraseSet] = []
    n_files = 0
    for path in args.paths:
        try:
            files = phrase_files(path)
        except PhraseSetError as exc:
            issues.extend(exc.issues)
            continue
        if not files:
            issues.append(PhraseIssue(path, None, None, "no *.yaml phrase-set files in this folder"))
        for f in files:
            n_files += 1
            ps, found = validate_phrase_file(f)
            issues.extend(found)
            if ps is not None:
                sets.append(ps)
    siblings, sibling_issues = _sibling_sets(sets)
    issues.extend(sibling_issues)
    issues.extend(matched_twin_issues(sets, siblings))
    n_err = sum(i.severity == "error" for i in issues)
    n_warn = len(issues) - n_err
    for issue in issues:
        if not (args.quiet and issue.severity == "warning"):
            print(issue)
    n_phrases = sum(len(ps.phrases) for ps in sets)
    print(
        f"{n_files} file(s), {n_phrases} valid phrase(s): {n_err} error(s), {n_warn} warning(s)"
        + ("" if n_err else " - OK")
    )
    return 1 if n_err or (args.strict and n_warn) else 0


def _sibling_sets(sets: list[PhraseSet]) -> tuple[list[PhraseSet], list[PhraseIssue]]:
    """Valid sets in the folders of ``sets`` that were not given (where x-matches twins may live), and one
    warning per sibling file that could not be used: a broken neighbour never stops a good file's check."""
    given = {ps.path.resolve() for ps in sets if ps.path}
    out: list[PhraseSet] = []
    notes: list[PhraseIssue] = []
    for folder in sorted({p.parent for p in given}):
        try:
            files = phrase_files(folder)
        except PhraseSetError:
            continue
        for f in files:
            if f.resolve() in given:
                continue
            ps, found = validate_phrase_file(f)
            if ps is not None:
                out.append(ps)
            elif any(i.severity == "error" for i in found):
                first = next(i for i in found if i.severity == "error")
                notes.append(
                    PhraseIssue(
                        str(f),
                        None,
                        None,
                        f"neighbouring set not searched for x-matches twins: {first.message}",
                        "warning",
                    )
                )
    return out, notes


def _list(args: argparse.Namespace) -> int:
    blocks: list[tuple[PhraseSet, list[Phrase]]] = []
    for f in _files(args.path):
        ps, issues = validate_phrase_file(f)
        if ps is None:
            errors = [i for i in issues if i.severity == "error"]
            raise CliError(
                f"{f} has {len(errors)} error(s), the first: {errors[0]} (run 'mit-trainer phrases validate')"
            )
        chosen = [p for p in ps.phrases if _wanted(p, args)]
        blocks.append((ps, chosen))
    if len(blocks) == 1:
        print(format_table(blocks[0][1]))
        return 0
    shown = [(ps, phrases) for ps, phrases in blocks if phrases]
    for k, (ps, phrases) in enumerate(shown):
        title = printable(f"== {ps.name} ({ps.path}, {ps.language}, {len(phrases)} phrase(s)) ==")
        print(("\n" if k else "") + title)
        print(format_table(phrases))
    if not shown:
        print("(no phrases match)")
    return 0


def _derive(args: argparse.Namespace) -> int:
    if not derivable(args.language):
        raise CliError(
            f"--language {args.language}: no derivation for this language; "
            f"use one of {', '.join(['en', *LANGUAGES])}"
        )
    for text in args.texts:
        try:
            d = derive_text(text, args.language)
        except UnknownWordsError as exc:
            raise CliError(f"'{text}': {exc}; write its syllables and pattern by hand") from None
        except ValueError as exc:
            raise CliError(f"'{text}': {exc}") from None
        print(f"- text: {yaml_scalar(text)}")
        print(f"  syllables: {yaml_flow(d.syllables)}")
        print(f"  pattern: {yaml_flow(d.pattern)}")
    return 0


def _wanted(p: Phrase, args: argparse.Namespace) -> bool:
    if args.level is not None and p.level != args.level:
        return False
    if args.category and p.category != args.category:
        return False
    if args.untrained and p.trained:
        return False
    return not (args.trained and not p.trained)


def stressed_syllables(p: Phrase) -> str:
    """Syllables joined by '-', H syllables in capitals ('THANK-you')."""
    return "-".join(s.upper() if t == "H" else s for s, t in zip(p.syllables, p.pattern, strict=True))


def _beats(p: Phrase) -> str:
    if all(b == 1 for b in p.beats):
        return "-"
    return " ".join(f"{b:g}" for b in p.beats)


def format_table(phrases: list[Phrase]) -> str:
    """An aligned text table of ``phrases``."""
    header = ("ID", "LVL", "SYLLABLES", "PATTERN", "BEATS", "TRAINED", "CATEGORY", "PROBE")
    rows: list[tuple[str, ...]] = [header]
    for p in phrases:
        probe = p.probe or ""
        if len(probe) > PROBE_WIDTH:
            probe = probe[: PROBE_WIDTH - 3].rstrip() + "..."
        rows.append(
            (
                p.id,
                str(p.level),
                stressed_syllables(p),
                "".join(p.pattern),
                _beats(p),
                "yes" if p.trained else "no",
                p.category or "-",
                probe,
            )
        )
    rows = [tuple(printable(cell) for cell in r) for r in rows]
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if not phrases:
        lines.append("(no phrases)")
    return "\n".join(lines)
