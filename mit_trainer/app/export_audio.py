"""Per-attempt audio files of the research export: the WAV, a JSON sidecar, a Praat TextGrid and
an f0 CSV, built from the stored recording and the attempt's analysis JSON (DESIGN.md §3)."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from praatio import textgrid

from mit_trainer.storage import Attempt

F0_HOP_S = 0.01


def write_attempt_audio(
    attempt: Attempt, source: Path, base: Path, *, sidecar: Mapping[str, Any]
) -> list[Path]:
    """Copy ``source`` to ``<base>.wav`` and write ``<base>.json``, ``<base>.TextGrid`` and
    ``<base>_f0.csv``; returns the files written."""
    base.parent.mkdir(parents=True, exist_ok=True)
    wav = base.with_name(base.name + (source.suffix or ".wav"))
    shutil.copyfile(source, wav)
    info = sf.info(str(wav))
    duration_s = float(info.frames) / float(info.samplerate)
    meta = dict(sidecar) | {"SamplingFrequency": info.samplerate, "RecordingDuration": round(duration_s, 6)}
    files = [wav, base.with_name(base.name + ".json")]
    files[1].write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    analysis = attempt.analysis or {}
    tg = base.with_name(base.name + ".TextGrid")
    write_textgrid(tg, attempt, duration_s=max(duration_s, _latest_time(attempt)))
    files.append(tg)
    pitch = analysis.get("pitch")
    if pitch and pitch.get("times_s"):
        f0 = base.with_name(base.name + "_f0.csv")
        write_f0_csv(f0, pitch)
        files.append(f0)
    return files


def _latest_time(attempt: Attempt) -> float:
    times = [s.offset_s for s in attempt.syllables if s.offset_s is not None]
    times += [t.t_s for t in attempt.taps]
    return max(times, default=0.0)


def _intervals(spans: Sequence[tuple[float, float, str]], end_s: float) -> list[tuple[float, float, str]]:
    """Sorted, clipped, non-overlapping intervals (a later one starts where an earlier one ends)."""
    out: list[tuple[float, float, str]] = []
    for start, stop, label in sorted(spans):
        start = max(start, out[-1][1] if out else 0.0, 0.0)
        stop = min(stop, end_s)
        if stop > start:
            out.append((round(start, 6), round(stop, 6), label))
    return out


def write_textgrid(path: Path, attempt: Attempt, *, duration_s: float) -> None:
    """Praat TextGrid with tiers target_syllables, detected_syllables, produced_tones, taps and
    HL_targets. Target spans are the analysis' ``target_onset_s``/``target_offset_s`` when given,
    else the detected spans; syllables never produced and without a target span are left out."""
    raw = {int(s["index"]): s for s in (attempt.analysis or {}).get("syllables", [])}
    target_spans, detected, produced, hl = [], [], [], []
    for syl in attempt.syllables:
        extra = raw.get(syl.index, {})
        t_on, t_off = extra.get("target_onset_s"), extra.get("target_offset_s")
        if syl.onset_s is not None and syl.offset_s is not None:
            detected.append((syl.onset_s, syl.offset_s, syl.text))
            if syl.produced:
                produced.append((syl.onset_s, syl.offset_s, syl.produced))
            if t_on is None or t_off is None:
                t_on, t_off = syl.onset_s, syl.offset_s
        if t_on is not None and t_off is not None:
            target_spans.append((float(t_on), float(t_off), syl.text))
            hl.append((float(t_on), float(t_off), syl.target))
    grid = textgrid.Textgrid(minTimestamp=0.0, maxTimestamp=duration_s)
    for name, spans in (
        ("target_syllables", target_spans),
        ("detected_syllables", detected),
        ("produced_tones", produced),
    ):
        grid.addTier(textgrid.IntervalTier(name, _intervals(spans, duration_s), 0.0, duration_s))
    points = [
        (round(t.t_s, 6), "" if t.syllable_index is None else str(t.syllable_index))
        for t in attempt.taps
        if 0.0 <= t.t_s <= duration_s
    ]
    grid.addTier(textgrid.PointTier("taps", points, 0.0, duration_s))
    grid.addTier(textgrid.IntervalTier("HL_targets", _intervals(hl, duration_s), 0.0, duration_s))
    grid.save(str(path), format="long_textgrid", includeBlankSpaces=True)


def write_f0_csv(path: Path, pitch: Mapping[str, Any]) -> None:
    """``time_s, frequency_hz, confidence`` on a 10 ms hop (nearest frame when the tracker's hop
    differs); ``n/a`` where unvoiced."""
    times = np.asarray(pitch.get("times_s", []), dtype=float)
    f0 = np.asarray([np.nan if v is None else v for v in pitch.get("f0_hz", [])], dtype=float)
    conf = np.asarray([np.nan if v is None else v for v in pitch.get("confidence", [])], dtype=float)
    hop = float(pitch.get("hop_s") or F0_HOP_S)
    if abs(hop - F0_HOP_S) > 1e-9 and times.size:
        grid = np.arange(0.0, times[-1] + F0_HOP_S / 2, F0_HOP_S)
        idx = np.clip(np.searchsorted(times, grid), 0, times.size - 1)
        prev = np.clip(idx - 1, 0, times.size - 1)
        idx = np.where(np.abs(times[prev] - grid) <= np.abs(times[idx] - grid), prev, idx)
        times, f0, conf = grid, f0[idx], conf[idx]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["time_s", "frequency_hz", "confidence"])
        for t, f, c in zip(times, f0, conf, strict=False):
            writer.writerow(
                [f"{t:.4f}", "n/a" if np.isnan(f) else f"{f:.3f}", "n/a" if np.isnan(c) else f"{c:.4f}"]
            )
