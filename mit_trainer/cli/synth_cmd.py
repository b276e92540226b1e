"""``mit-trainer synth``: render the intoned model of one phrase to a WAV file.

Settings come from the command line, then from the phrase set's ``defaults`` (``tempo_bpm``,
``interval_semitones``, ``low_hz``), then from built-in defaults: 60 BPM, a minor third (3 semitones), and a
low note of C3 = 130.8 Hz for a male model voice or G3 = 196.0 Hz for a female one. Prints one summary line;
every user error is one line on stderr with exit status 1.
"""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path
from typing import Any, Literal

import soundfile as sf

from mit_trainer.analysis.espeak import EspeakError
from mit_trainer.analysis.stimulus import (
    MODES,
    VOICE_NAMES,
    Stimulus,
    render_stimulus,
    stimulus_to_json,
    write_wav,
)
from mit_trainer.analysis.voice import VoiceParams
from mit_trainer.cli import option_types as opt
from mit_trainer.cli.errors import CliError
from mit_trainer.core import defaults
from mit_trainer.core.phrases import PhraseSetError, load_phrase_sets
from mit_trainer.core.records import Phrase, PhraseSet

DEFAULT_TEMPO_BPM = 60.0
DEFAULT_INTERVAL_SEMITONES = 3.0
DEFAULT_LOW_HZ = {"male": 130.8, "female": 196.0}
#: ``--voice`` names: the word voices, then the vowel-only formant voices.
VOICE_CHOICES: tuple[str, ...] = (*VOICE_NAMES, "formant-male", "formant-female")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "synth",
        help="render the intoned model of a phrase to a WAV file",
        description="Render the model of one phrase (hum, intone or sprechgesang) with optional tap clicks "
        "and fade-out. Defaults: the phrase set's `defaults`, else 60 BPM, 3 semitones, low note 130.8 Hz "
        "(male voice) or 196.0 Hz (female voice).",
    )
    p.add_argument(
        "--phrases", required=True, metavar="FILE", help="phrase-set YAML file (or a folder of them)"
    )
    p.add_argument("--phrase", required=True, metavar="ID", help="id of the phrase to render")
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT.wav", type=opt.output_file, help="WAV file to write"
    )
    p.add_argument("--low-hz", type=opt.low_hz, metavar="HZ", help="low note (L syllables), Hz")
    p.add_argument(
        "--interval",
        type=opt.clinical_interval_semitones,
        metavar="ST",
        help="interval from low to high note, semitones",
    )
    p.add_argument(
        "--tempo", type=opt.clinical_tempo_bpm, metavar="BPM", help="beats (syllables of one beat) per minute"
    )
    p.add_argument("--mode", choices=MODES, default="intone", help="model timbre and melody (default intone)")
    p.add_argument(
        "--voice",
        metavar="NAME",
        help=f"model voice: {', '.join(VOICE_CHOICES)} (default: male below 160 Hz, else female); "
        "male and female sing the words, formant-* sing one vowel per syllable",
    )
    taps = p.add_mutually_exclusive_group()
    taps.add_argument("--taps", action="store_true", help="mix a tap click into each syllable onset")
    taps.add_argument(
        "--taps-separate",
        metavar="FILE",
        type=opt.output_file,
        help="write the tap clicks to this WAV instead",
    )
    p.add_argument("--fade", type=opt.fraction, nargs=2, metavar=("START", "END"),
                   help="fade the voice out between these fractions of the phrase (0-1), for unison "
                   "with fading")  # fmt: skip
    p.add_argument("--stress-lengthening", type=opt.number(0.5, 3.0), default=1.0, metavar="X",
                   help="stretch stressed (H) syllables by X (TMR accent; default 1.0)")  # fmt: skip
    p.add_argument("--sample-rate", type=opt.sample_rate_hz, default=defaults.MODEL_SAMPLE_RATE_HZ,
                   metavar="HZ", help=f"output rate (default {defaults.MODEL_SAMPLE_RATE_HZ})")  # fmt: skip
    p.add_argument("--seed", type=opt.seed, default=0, help="random seed of the voice's small imperfections")
    p.add_argument("--float", action="store_true", help="write 32-bit float samples instead of 16-bit PCM")
    p.add_argument(
        "--json",
        metavar="FILE",
        type=opt.output_file,
        help="also write syllable timings, notes and taps as JSON",
    )
    p.set_defaults(handler=run)


def _find_phrase(path: Path, phrase_id: str) -> tuple[Phrase, PhraseSet]:
    if not path.exists():
        raise CliError(f"phrase file not found: {path}")
    try:
        sets = load_phrase_sets(path)
    except PhraseSetError as exc:
        raise CliError(f"cannot load {path}: {exc}") from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    for ps in sets:
        for phrase in ps.phrases:
            if phrase.id == phrase_id:
                return phrase, ps
    ids = [p.id for ps in sets for p in ps.phrases]
    close = difflib.get_close_matches(phrase_id, ids, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else f"valid ids include {', '.join(ids[:5])}"
    raise CliError(f"no phrase {phrase_id!r} in {path} ({len(ids)} phrases); {hint}")


def _setting(cli_value: float | None, defaults: dict[str, Any], key: str, fallback: float) -> float:
    if cli_value is not None:
        return cli_value
    value = defaults.get(key)
    return float(value) if isinstance(value, int | float) else fallback


_OPTION_OF = {
    "sample_rate_hz": "--sample-rate",
    "low_hz": "--low-hz",
    "interval_semitones": "--interval",
    "tempo_bpm": "--tempo",
    "stress_lengthening": "--stress-lengthening",
    "fade": "--fade",
}


def _option_names(message: str) -> str:
    """Name the command-line option in a renderer error (``tempo_bpm must ...`` -> ``--tempo must ...``)."""
    for param, option in _OPTION_OF.items():
        if message.startswith(param):
            return option + message[len(param) :]
    return message


def run(args: argparse.Namespace) -> int:
    phrase, ps = _find_phrase(Path(args.phrases), args.phrase)
    if args.voice is not None and args.voice not in VOICE_CHOICES:
        raise CliError(f"unknown voice {args.voice!r}; use one of: {', '.join(VOICE_CHOICES)}")
    sex = "female" if args.voice is not None and args.voice.endswith("female") else "male"
    low_hz = _setting(args.low_hz, ps.defaults, "low_hz", DEFAULT_LOW_HZ[sex])
    voice: VoiceParams | str
    if args.voice is None:
        voice = "male" if low_hz < 160.0 else "female"
    elif args.voice.startswith("formant-"):
        voice = getattr(VoiceParams, sex)()
    else:
        voice = args.voice
    out = Path(args.output)
    if not out.parent.exists():
        raise CliError(f"output folder does not exist: {out.parent}")
    try:
        stim = render_stimulus(
            phrase,
            sample_rate_hz=args.sample_rate,
            low_hz=low_hz,
            interval_semitones=_setting(
                args.interval, ps.defaults, "interval_semitones", DEFAULT_INTERVAL_SEMITONES
            ),
            tempo_bpm=_setting(args.tempo, ps.defaults, "tempo_bpm", DEFAULT_TEMPO_BPM),
            mode=args.mode,
            taps="mix" if args.taps else ("separate" if args.taps_separate else "none"),
            fade=None if args.fade is None else (args.fade[0], args.fade[1]),
            stress_lengthening=args.stress_lengthening,
            voice=voice,
            seed=args.seed,
        )
    except ValueError as exc:
        raise CliError(_option_names(str(exc))) from None
    except EspeakError as exc:
        raise CliError(f"cannot sing the words: {exc}") from None
    subtype: Literal["FLOAT", "PCM_16"] = "FLOAT" if args.float else "PCM_16"
    try:
        write_wav(stim, out, subtype=subtype)
        if args.taps_separate:
            write_wav(stim, args.taps_separate, subtype=subtype, track="taps")
        if args.json:
            Path(args.json).write_text(json.dumps(stimulus_to_json(stim), indent=2) + "\n", encoding="utf-8")
    except (OSError, sf.LibsndfileError) as exc:
        raise CliError(f"cannot write output: {exc}") from None
    print(summary_line(stim, out))
    return 0


def summary_line(stim: Stimulus, out: Path) -> str:
    """One line: file, phrase, mode, duration, syllable count, notes, tempo, taps, fade."""
    start, stop = stim.voiced_span_s
    taps = {"mix": "taps mixed", "separate": "taps separate", "none": "no taps"}[stim.tap_mode]
    fade = "" if stim.fade is None else f", fade {stim.fade[0]:g}-{stim.fade[1]:g}"
    pattern = "".join(s.target for s in stim.syllables)
    return (
        f"wrote {out}: {stim.phrase_id} ({stim.mode}, {stim.voice_name or 'formant'} voice), "
        f"{stim.duration_s:.2f} s, "
        f"voiced {start:.2f}-{stop:.2f} s, "
        f"{len(stim.syllables)} syllables {pattern}, notes H {stim.high_hz:.1f} Hz / L {stim.low_hz:.1f} Hz "
        f"({stim.interval_semitones:g} st), {stim.tempo_bpm:g} BPM, {taps}{fade}"
    )
