"""Benchmark: how long a model takes to render, words voice beside the formant voice (issue 13 item 4).

Rows, per phrase of the sample (every ``--every``-th shipped phrase), at 44.1 kHz, intone, 60 BPM:

  * ``words, first render``        nothing cached: espeak-ng speaks, WORLD analyses, re-times, synthesises
  * ``words, new notes/tempo``     the phrase's analysis cached (same text and voice), new low note and tempo
  * ``words, other taps/fade``     the sung voice cached, only taps or fade applied (an item's next step)
  * ``words, ModelCache hit``      the session's cache (:class:`mit_trainer.app.model_cache.ModelCache`)
  * ``formant voice (old)``        the vowel-only renderer, nothing to cache
  * ``formant voice, ModelCache hit``

Also, once: the first render of the process (library loading: espeak-ng initialisation, pyworld import).
Columns: median / p95 / max wall-clock ms and max CPU ms (process time, less sensitive to the other jobs
on a shared machine). Targets (issue 13): first render < 300 ms on two cores, cached < 5 ms.

Run: ``.venv/bin/python benchmarks/bench_voice_render.py [--every N] [--voice male|female]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from mit_trainer.analysis import sung_words as words
from mit_trainer.analysis.stimulus import render_stimulus
from mit_trainer.analysis.voice import VoiceParams
from mit_trainer.app.model_cache import ModelCache, ModelRequest
from mit_trainer.core.phrases import load_phrase_sets, shipped_phrases_dir
from mit_trainer.core.records import Phrase

RATE_HZ = 44100


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    fn()
    return 1000 * (time.perf_counter() - w), 1000 * (time.process_time() - c)


def clear_word_caches() -> None:
    with words._CACHE_LOCK:
        words._CACHE.clear()
        words._SUNG.clear()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--phrases", type=Path, default=shipped_phrases_dir())
    ap.add_argument("--every", type=int, default=4, help="take every N-th shipped phrase (default 4)")
    ap.add_argument("--voice", default="male", choices=tuple(words.WORD_VOICES))
    args = ap.parse_args()
    phrases: list[Phrase] = [p for ps in load_phrase_sets(args.phrases) for p in ps.phrases][:: args.every]
    voice = args.voice
    low = 130.81 if voice == "male" else 196.0
    formant = VoiceParams.female() if voice == "female" else VoiceParams.male()

    def words_render(p: Phrase, *, low_hz: float = low, tempo: float = 60.0, taps: str = "none") -> None:
        render_stimulus(p, sample_rate_hz=RATE_HZ, low_hz=low_hz, tempo_bpm=tempo, voice=voice, taps=taps)  # type: ignore[arg-type]

    once_wall, once_cpu = timed(lambda: words_render(phrases[0]))
    rows: dict[str, list[tuple[float, float]]] = {}
    cache = ModelCache(max_items=4 * len(phrases))
    for p in phrases:
        clear_word_caches()
        rows.setdefault("words, first render", []).append(timed(partial(words_render, p)))
        rows.setdefault("words, new notes/tempo", []).append(
            timed(partial(words_render, p, low_hz=low * 1.06, tempo=66.0))
        )
        rows.setdefault("words, other taps/fade", []).append(timed(partial(words_render, p, taps="mix")))
        req = ModelRequest(p, voice, low, 3.0, 60.0, "intone", sample_rate_hz=RATE_HZ)
        cache.get(req)
        rows.setdefault("words, ModelCache hit", []).append(timed(partial(cache.get, req)))
        rows.setdefault("formant voice (old)", []).append(
            timed(partial(render_stimulus, p, sample_rate_hz=RATE_HZ, low_hz=low, voice=formant))
        )
        freq = ModelRequest(p, f"formant-{voice}", low, 3.0, 60.0, "intone", sample_rate_hz=RATE_HZ)
        cache.get(freq)
        rows.setdefault("formant voice, ModelCache hit", []).append(timed(partial(cache.get, freq)))
    cache.close()
    audio_s = statistics.median(p.duration_s(60.0) + 0.6 for p in phrases)
    print(f"{len(phrases)} phrases, {voice} voice, {RATE_HZ} Hz, median model {audio_s:.1f} s of audio")
    print(f"first render of the process (libraries loading): {once_wall:.0f} ms wall, {once_cpu:.0f} ms CPU")
    print(f"{'row':32s} {'median':>8s} {'p95':>8s} {'max':>8s} {'max CPU':>8s}  (ms)")
    for name, vals in rows.items():
        wall = np.array([v[0] for v in vals])
        cpu = np.array([v[1] for v in vals])
        p95 = np.percentile(wall, 95)
        print(f"{name:32s} {np.median(wall):8.1f} {p95:8.1f} {wall.max():8.1f} {cpu.max():8.1f}")


if __name__ == "__main__":
    main()
