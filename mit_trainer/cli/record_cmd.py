"""``mit-trainer record``: record the microphone to a WAV file as it arrives (crash-safe)."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

from mit_trainer.audio import AudioEngine, AudioError, RecordingResult, load_settings
from mit_trainer.cli import option_types as opt
from mit_trainer.cli.errors import CliError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "record",
        help="record the microphone to a WAV file",
        description="Record from the microphone to FILE as the audio arrives (flushed every 0.25 s, so a "
        "crash loses at most that much). Ctrl-C stops cleanly.",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", type=opt.output_file, required=True, help="WAV file to write"
    )
    parser.add_argument(
        "--seconds",
        metavar="N",
        type=opt.record_seconds,
        help=f"stop after N seconds, at most {opt.MAX_RECORD_SECONDS:.0f} (default: Ctrl-C)",
    )
    parser.add_argument("--device", metavar="NAME", help="microphone (default: the remembered choice)")
    parser.add_argument(
        "--rate", metavar="HZ", type=opt.sample_rate_hz, help="sample rate (default: the device's own)"
    )
    parser.add_argument(
        "--channel",
        metavar="N",
        type=opt.channel,
        help="input channel of the device, from 1 (default: remembered, 1)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    parser.set_defaults(handler=_record)


def _record(args: argparse.Namespace) -> int:
    if args.seconds is not None and args.seconds <= 0:
        raise CliError("--seconds must be positive")
    if args.output.suffix.lower() != ".wav":
        raise CliError(f"{args.output}: the recording is written as WAV; use a .wav file name")
    if args.output.exists() and not args.overwrite:
        raise CliError(f"{args.output} exists; choose another name or add --overwrite")
    settings = load_settings()
    settings = settings.with_devices(input_device=args.device or settings.input_device, output_device=None)
    if args.rate:
        settings = replace(settings, sample_rate_hz=args.rate)
    if args.channel is not None:
        if args.channel < 1:
            raise CliError("--channel counts from 1")
        settings = replace(settings, input_channel=args.channel - 1)
    engine = AudioEngine()
    attempt = None
    try:
        info = engine.open(settings, playback=False)
        attempt = engine.start_attempt(None, stimulus_rate_hz=None, record_path=args.output)
        announced = False
        while True:
            if not announced and attempt.frames_recorded > 0:
                print(
                    f"recording from {info.input_device} at {info.sample_rate_hz} Hz to {args.output}"
                    " (Ctrl-C stops)",
                    file=sys.stderr,
                    flush=True,
                )
                announced = True
            if attempt.interrupted or (args.seconds is not None and attempt.elapsed_s >= args.seconds):
                break
            time.sleep(0.02)
        result = attempt.stop()
    except KeyboardInterrupt:
        if attempt is None:
            raise
        result = attempt.stop()
    except AudioError as exc:
        raise CliError(str(exc)) from exc
    finally:
        engine.close()
    _report(result)
    if result.interrupted:
        raise CliError(f"{result.interruption_reason} ({result.duration_s:.1f} s saved in {result.path})")
    return 0


def _report(r: RecordingResult) -> None:
    lv = r.levels
    print(
        f"{r.path}: {r.duration_s:.2f} s at {r.sample_rate_hz} Hz, level {lv.rms_dbfs:.1f} dBFS "
        f"(peak {lv.peak_dbfs:.1f})" + (", CLIPPING" if lv.clipping else "") + f", xruns {r.xruns.total}"
    )
