"""Per-attempt audio files of the research export: the WAV, a JSON sidecar, a Praat TextGrid and
an f0 CSV, built from the stored recording and the attempt's analysis JSON (DESIGN.md §3)."""

from __future__ import annotations

import csv
import hashlib
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


#: RIFF chunks kept in a de-identified copy; the others (PEAK, which libsndfile stamps with the
#: time of writing for float WAVs, LIST/INFO, bext, iXML ...) can carry dates or names.
WAV_KEEP_CHUNKS = (b"fmt ", b"fact", b"data")


def copy_wav_audio_only(source: Path, dest: Path) -> bool:
    """Copy a WAV keeping only its format and sample data chunks; True when anything was dropped.

    Files that are not RIFF/WAVE are copied unchanged (False). Sample data is byte-identical.
    """
    raw = source.read_bytes()
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        shutil.copyfile(source, dest)
        return False
    kept, dropped, pos = [], False, 12
    while pos + 8 <= len(raw):
        cid, size = raw[pos : pos + 4], int.from_bytes(raw[pos + 4 : pos + 8], "little")
        body = raw[pos + 8 : min(pos + 8 + size, len(raw))]  # a crash-truncated data chunk is clipped
        if cid in WAV_KEEP_CHUNKS:
            kept.append(cid + len(body).to_bytes(4, "little") + body + (b"\0" if len(body) % 2 else b""))
        else:
            dropped = True
        pos += 8 + size + (size % 2)
    payload = b"WAVE" + b"".join(kept)
    dest.write_bytes(b"RIFF" + len(payload).to_bytes(4, "little") + payload)
    return dropped


def write_attempt_audio(
    attempt: Attempt, source: Path, base: Path, *, sidecar: Mapping[str, Any], audio_only: bool = True
) -> list[Path]:
    """Copy ``source`` to ``<base>.wav`` (without metadata chunks when ``audio_only``) and write
    ``<base>.json``, ``<base>.TextGrid`` and ``<base>_f0.csv``; returns the files written, the
    recording first."""
    base.parent.mkdir(parents=True, exist_ok=True)
    wav = base.with_name(base.name + (source.suffix or ".wav"))
    if audio_only:
        copy_wav_audio_only(source, wav)
    else:
        shutil.copyfile(source, wav)
    info = sf.info(str(wav))
    duration_s = float(info.frames) / float(info.samplerate)
    meta = dict(sidecar) | {
        "SamplingFrequency": info.samplerate,
        "RecordingDuration": round(duration_s, 6),
        "audio_file_sha256": _sha256(wav),
    }
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


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    """Praat TextGrid with tiers target_syllables, detected_syllables, produced_tones, taps,
    HL_targets, and when the word check ran words and word_status (aligned words, their status). Target
    spans are the analysis' ``target_onset_s``/``target_offset_s`` when given,
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
    checked = (attempt.analysis or {}).get("words")
    if isinstance(checked, list):  # the word check ran (a language with a model)
        words = [
            (float(w["onset_s"]), float(w["offset_s"]), str(w.get("text", "")), str(w.get("status", "")))
            for w in checked
            if isinstance(w, dict) and w.get("onset_s") is not None and w.get("offset_s") is not None
        ]
        for name, k in (("words", 2), ("word_status", 3)):
            spans = [(t[0], t[1], str(t[k])) for t in words]
            grid.addTier(textgrid.IntervalTier(name, _intervals(spans, duration_s), 0.0, duration_s))
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
