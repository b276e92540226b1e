"""Festival's singing mode as a generator of sung attempts, with its own segment labels as onset truth.

Each syllable is its own token (inside a multi-syllable word Festival does not keep the beats; DESIGN.md §4),
with its note given in Hz (``FREQ``, so Festival's note-name octave quirk does not apply) and its duration in
seconds (``SECONDS``, so the BPM/50 quirk does not apply). One ``festival -b`` process renders a whole batch;
a Scheme hook saves each utterance's wave and its Token -> Word -> Syllable -> Segment tree with start and end
times, from which every syllable's first-phone start (the onset) and vowel start are read.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from mit_trainer.scoring.independent.errors import GenerationError

#: Debian's US English diphone voices, and the HTS voice (it speaks but ignores singing-mode notes).
DIPHONE_VOICES: tuple[str, ...] = ("kal_diphone", "ked_diphone")
_TIMEOUT_S = 300.0

_DUMP_SCM = r"""
(define (mitc_dump utt fname)
  (let ((fd (fopen fname "w")) (k 0))
    (mapcar
     (lambda (tok)
       (mapcar
        (lambda (w)
          (mapcar
           (lambda (syl)
             (mapcar
              (lambda (seg)
                (format fd "%d %s %s %f %f\n" k (item.name seg) (item.feat seg "ph_vc")
                        (item.feat seg "segment_start") (item.feat seg "end")))
              (item.leafs (item.relation syl 'SylStructure)))
             (format fd "%d ---\n" k))
           (item.daughters (item.relation w 'SylStructure))))
        (item.daughters (item.relation tok 'Token)))
       (set! k (+ k 1)))
     (utt.relation.items utt 'Token))
    (fclose fd)))
(define (mitc_save utt)
  (utt.save.wave utt (format nil "%s.wav" mitc_out) 'riff)
  (mitc_dump utt (format nil "%s.txt" mitc_out)))
(set! tts_hooks (list utt.synth mitc_save))
"""


class FestivalError(GenerationError):
    """Festival is missing, failed, or did not produce what was asked (one line, for the user)."""


@dataclass(frozen=True)
class Note:
    """One sung syllable (``text``) or a rest (``text`` empty) with its note and duration."""

    text: str
    freq_hz: float
    dur_s: float


@dataclass(frozen=True, eq=False)
class Rendition:
    """A generated voice and its truth: per produced syllable, onset (first phone), vowel start, end, note.

    ``notes_hz`` are the notes the generator was given (NaN for speech, which has no notes).
    """

    samples: npt.NDArray[np.float32]
    sample_rate_hz: int
    onsets_s: tuple[float, ...]
    vowel_onsets_s: tuple[float, ...]
    offsets_s: tuple[float, ...]
    notes_hz: tuple[float, ...]
    source: str


def festival_available() -> bool:
    return shutil.which("festival") is not None


def _xml(notes: list[Note], lead_s: float) -> str:
    body = [f'<REST BEATS="X" SECONDS="{lead_s:.4f}"></REST>'] if lead_s > 0 else []
    for n in notes:
        if not n.text:
            body.append(f'<REST BEATS="X" SECONDS="{n.dur_s:.4f}"></REST>')
            continue
        word = "".join(c for c in n.text.lower() if c.isalpha() or c == "'") or "ah"
        body.append(
            f'<PITCH NOTE="X" FREQ="{n.freq_hz:.3f}"><DURATION BEATS="X" SECONDS="{n.dur_s:.4f}">'
            f"{word}</DURATION></PITCH>"
        )
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN" '
        '"Singing.v0_1.dtd" []>\n<SINGING BPM="50">\n' + "\n".join(body) + "\n</SINGING>\n"
    )


def _parse_dump(text: str) -> list[tuple[float, float, float]]:
    """Per token with syllables, in order: (first phone start, first vowel start, last phone end).

    A token Festival split into several syllables counts as one (its first onset, its last end).
    """
    tokens: dict[int, list[tuple[str, str, float, float]]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 5:
            tokens.setdefault(int(parts[0]), []).append(
                (parts[1], parts[2], float(parts[3]), float(parts[4]))
            )
    out = []
    for k in sorted(tokens):
        segs = tokens[k]
        vowel = next((s[2] for s in segs if s[1] == "+"), segs[len(segs) // 2][2])
        out.append((segs[0][2], vowel, segs[-1][3]))
    return out


def _run(script: str, workdir: Path) -> None:
    if not festival_available():
        raise FestivalError("festival is not installed (Debian: apt-get install festival festvox-kallpc16k)")
    path = workdir / "run.scm"
    path.write_text(script, encoding="utf-8")
    try:
        proc = subprocess.run(
            ["festival", "-b", str(path)], cwd=workdir, capture_output=True, text=True, timeout=_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FestivalError(f"festival could not run: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no message"]
        raise FestivalError(f"festival failed (exit {proc.returncode}): {tail[0]}")


def _read(out: Path, source: str) -> tuple[npt.NDArray[np.float32], int, list[tuple[float, float, float]]]:
    wav, txt = out.with_suffix(".wav"), out.with_suffix(".txt")
    if not wav.exists() or not txt.exists():
        raise FestivalError(f"festival produced no audio for {source} (is the voice installed?)")
    x, sr = sf.read(wav, dtype="float32", always_2d=False)
    return np.asarray(x, dtype=np.float32), int(sr), _parse_dump(txt.read_text(encoding="utf-8"))


def sing_batch(jobs: list[list[Note]], *, voice: str, lead_s: float = 0.3) -> list[Rendition]:
    """Sing every job (a list of notes and rests) with ``voice`` in one Festival process.

    Truth per sung note: the onset is its first phone's start, as Festival's Segment relation has it.
    Raises :class:`FestivalError` when Festival is missing, fails, or a note came back without syllables.
    """
    if not jobs:
        return []
    with tempfile.TemporaryDirectory(prefix="mitc-fest-") as tmp:
        work = Path(tmp)
        lines = [f"(voice_{voice})", _DUMP_SCM]
        for i, notes in enumerate(jobs):
            (work / f"in{i}.xml").write_text(_xml(notes, lead_s), encoding="utf-8")
            lines.append(f'(set! mitc_out "out{i}")\n(tts_file "in{i}.xml" \'singing)')
        _run("\n".join(lines) + "\n", work)
        result = []
        for i, notes in enumerate(jobs):
            x, sr, sylls = _read(work / f"out{i}", f"job {i} ({voice})")
            sung = [n for n in notes if n.text]
            if len(sylls) != len(sung):
                raise FestivalError(f"festival sang {len(sylls)} tokens for {len(sung)} notes ({voice})")
            result.append(
                Rendition(
                    x,
                    sr,
                    tuple(s[0] for s in sylls),
                    tuple(s[1] for s in sylls),
                    tuple(s[2] for s in sylls),
                    tuple(n.freq_hz for n in sung),
                    f"festival-{voice}",
                )
            )
        return result


def speak_batch(texts: list[str], *, voice: str) -> list[Rendition]:
    """Festival's ordinary speech of each text, with one onset per token (its first phone's start)."""
    with tempfile.TemporaryDirectory(prefix="mitc-fest-") as tmp:
        work = Path(tmp)
        lines = [f"(voice_{voice})", _DUMP_SCM]
        for i, text in enumerate(texts):
            clean = "".join(c for c in text if c.isalnum() or c in " ',.?")
            (work / f"in{i}.txt").write_text(clean + "\n", encoding="utf-8")
            lines.append(f'(set! mitc_out "out{i}")\n(tts_file "in{i}.txt" nil)')
        _run("\n".join(lines) + "\n", work)
        result = []
        for i in range(len(texts)):
            x, sr, sylls = _read(work / f"out{i}", f"speech {i}")
            result.append(
                Rendition(
                    x,
                    sr,
                    tuple(s[0] for s in sylls),
                    tuple(s[1] for s in sylls),
                    tuple(s[2] for s in sylls),
                    tuple(float("nan") for _ in sylls),
                    f"festival-speech-{voice}",
                )
            )
        return result
