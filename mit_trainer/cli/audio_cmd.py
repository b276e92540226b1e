"""``mit-trainer audio``: list devices, choose (and remember) them, and test the sound path."""

from __future__ import annotations

import argparse
import dataclasses
import math
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from mit_trainer.audio import (
    AudioEngine,
    AudioError,
    AudioSettings,
    find_device,
    list_devices,
    load_settings,
    measure_round_trip,
    save_settings,
)
from mit_trainer.cli import option_types as opt
from mit_trainer.cli.errors import CliError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "audio",
        help="list, choose and test audio devices",
        description="Audio devices: list them, choose the microphone and loudspeaker (remembered), and test "
        "the sound path (level, round-trip latency, glitches).",
    )
    asub = parser.add_subparsers(dest="audio_command", metavar="ACTION", required=True)
    p = asub.add_parser(
        "devices", help="table of devices", description="List the audio devices PortAudio sees."
    )
    p.set_defaults(handler=_devices)
    p = asub.add_parser(
        "choose",
        help="remember the microphone and loudspeaker",
        description="Save the devices to use (a name or a unique part of it) in the audio settings file.",
    )
    p.add_argument("--input", metavar="NAME", help="microphone name (default: keep the current choice)")
    p.add_argument("--output", metavar="NAME", help="loudspeaker/headphones name (default: keep)")
    p.add_argument(
        "--input-channel", metavar="N", type=opt.channel, help="which input is the microphone, from 1"
    )
    p.add_argument("--system-default", action="store_true", help="forget the choice; use the system defaults")
    p.set_defaults(handler=_choose)
    p = asub.add_parser(
        "test",
        help="play a tone and clicks, record them, report level, latency and glitches",
        description="Play a 1 s tone and three chirps while recording. Reports the recorded level (dBFS), "
        "the round-trip latency measured from the chirps (needs the loudspeaker to reach the microphone), "
        "the latency PortAudio reports, and over/underruns.",
    )
    p.add_argument("--device", metavar="NAME", help="use this device for both input and output")
    p.add_argument("--input", metavar="NAME", help="microphone (overrides --device)")
    p.add_argument("--output", metavar="NAME", help="loudspeaker (overrides --device)")
    p.set_defaults(handler=_test)


def _devices(args: argparse.Namespace) -> int:
    try:
        devices = list_devices()
    except AudioError as exc:
        raise CliError(str(exc)) from exc
    if not devices:
        raise CliError("No audio devices found.")
    rows = [("index", "name", "api", "in", "out", "rate Hz", "default")]
    for d in devices:
        mark = "/".join(x for x, on in (("input", d.is_default_input), ("output", d.is_default_output)) if on)
        rows.append(
            (
                str(d.index),
                d.name,
                d.host_api,
                str(d.max_input_channels),
                str(d.max_output_channels),
                f"{d.default_sample_rate_hz:.0f}",
                mark,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    settings = load_settings()
    print(
        f"chosen: input={settings.input_device or '(system default)'}, "
        f"output={settings.output_device or '(system default)'}"
    )
    return 0


def _choose(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        if args.system_default:
            settings = settings.with_devices(input_device=None, output_device=None)
        else:
            devices = list_devices()
            inp = settings.input_device if args.input is None else args.input
            out = settings.output_device if args.output is None else args.output
            in_dev = find_device(devices, inp, kind="input")
            out_dev = find_device(devices, out, kind="output")
            settings = settings.with_devices(
                input_device=in_dev.name if (in_dev and inp) else None,
                output_device=out_dev.name if (out_dev and out) else None,
            )
        if args.input_channel is not None:
            if args.input_channel < 1:
                raise CliError("--input-channel counts from 1")
            settings = replace(settings, input_channel=args.input_channel - 1)
        path = save_settings(settings)
    except AudioError as exc:
        raise CliError(str(exc)) from exc
    print(f"input: {settings.input_device or '(system default)'}")
    print(f"output: {settings.output_device or '(system default)'}")
    print(f"input channel: {settings.input_channel + 1}")
    print(f"saved in {path}")
    return 0


def _settings_for(args: argparse.Namespace) -> AudioSettings:
    settings = load_settings()
    inp = args.input or args.device or settings.input_device
    out = args.output or args.device or settings.output_device
    return settings.with_devices(input_device=inp, output_device=out)


TEST_WATCHDOG_S = 3.0
SILENT_DBFS = -90.0  # a recording whose peak stays below this carries no sound at all


def _measure(args: argparse.Namespace) -> tuple[Any, Any, Any, float]:
    """Open the devices, play and record a tone, measure the round trip: (info, tone, latency, noise)."""
    engine = AudioEngine()
    try:
        # A quiet input may deliver its sound late and in blocks (an idle sound server renders every 2 s):
        # the test waits longer than a session would before calling the input lost.
        info = engine.open(dataclasses.replace(_settings_for(args), watchdog_timeout_s=TEST_WATCHDOG_S))
        rate = info.sample_rate_hz
        t = np.arange(rate) / rate
        tone = (0.3 * np.sin(2 * np.pi * 440.0 * t) * np.minimum(1.0, np.minimum(t, 1 - t) / 0.02)).astype(
            np.float32
        )
        with tempfile.TemporaryDirectory(prefix="mit-audio-test-") as tmp:
            attempt = engine.start_attempt(tone, stimulus_rate_hz=rate, record_path=Path(tmp) / "tone.wav")
            time.sleep(1.4)
            tone_result = attempt.stop()
        if tone_result.interrupted:
            raise AudioError(tone_result.interruption_reason or "The audio device failed.")
        report = measure_round_trip(engine)
        noise = engine.input_level(window_s=0.5).noise_floor_dbfs
        return info, tone_result, report, noise
    finally:
        engine.close()


def _test(args: argparse.Namespace) -> int:
    # An idle input (a sound server that has suspended a quiet source) can stop the stream once as it wakes;
    # a device that is really gone fails again: the test tries twice before calling the input lost.
    try:
        info, tone_result, report, noise = _measure(args)
    except AudioError:
        try:
            info, tone_result, report, noise = _measure(args)
        except AudioError as exc:
            raise CliError(str(exc)) from exc
    print(f"devices: input={info.input_device}, output={info.output_device}, {info.sample_rate_hz} Hz")
    lv = tone_result.levels
    if not math.isfinite(lv.peak_dbfs) or lv.peak_dbfs < SILENT_DBFS:
        print(
            "recorded level: silent (the microphone works but delivered no sound: check that it is not "
            "muted, that its level is up, and that the loudspeaker can reach it)"
        )
        xr = tone_result.xruns.total
        print(f"xruns: {xr}")
        return 0
    print(
        f"recorded level: {lv.rms_dbfs:.1f} dBFS RMS, peak {lv.peak_dbfs:.1f} dBFS"
        + (f", CLIPPING ({lv.clipped_samples} samples)" if lv.clipping else "")
        + f"; noise floor {noise:.1f} dBFS"
    )
    reported = 1000 * (report.input_latency_s + report.output_latency_s)
    if report.detected and report.round_trip_s is not None:
        print(
            f"round-trip latency: {1000 * report.round_trip_s:.1f} ms measured "
            f"(PortAudio reports {reported:.1f} ms)"
        )
        if report.clock_error_s is not None:
            print(f"stream-clock timing error: {1000 * report.clock_error_s:+.1f} ms")
    else:
        why = report.problem or "the chirps were not heard"
        print(f"round-trip latency: not measurable ({why}; PortAudio reports {reported:.1f} ms)")
    xr = tone_result.xruns.total + report.xruns.total
    print(f"xruns: {xr}" + ("" if xr == 0 else " (glitches: try a larger block size or latency)"))
    return 0
