"""The independent corpus: planned items rendered (Festival batched per voice) and cached on disk.

Audio is made at bench/test time into a cache folder (``platformdirs`` user cache, or ``cache_dir``), one
``.npz`` per item named by a hash of its plan and :data:`GENERATOR_VERSION`; nothing is committed. A missing
Festival raises :class:`~.festival.FestivalError` with one clear line.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mit_trainer.core.phrases import load_phrase_sets, shipped_phrases_dir
from mit_trainer.core.records import Phrase
from mit_trainer.scoring.independent.espeak import EspeakError, Speech, speak
from mit_trainer.scoring.independent.festival import (
    FestivalError,
    Rendition,
    festival_available,
    sing_batch,
    speak_batch,
)
from mit_trainer.scoring.independent.plan import ItemPlan
from mit_trainer.scoring.independent.render import (
    SAMPLE_RATE_HZ,
    Job,
    Rendered,
    babble_texts,
    jobs_for,
    render,
)

GENERATOR_VERSION = "indep-2"


@dataclass(frozen=True, eq=False)
class IndependentItem:
    """One attempt of the independent corpus and its truth from the generator.

    ``onsets_s`` are the produced syllables' first-phone starts (Festival's labels) on the recording's clock;
    ``played``/``played_offset_s`` the trainer's model as played and where its first sample lies in the
    recording (leak kinds), ``model_onsets_s`` its syllable onsets on the same clock.
    """

    plan: ItemPlan
    phrase: Phrase
    samples: npt.NDArray[np.float32]
    sample_rate_hz: int
    onsets_s: tuple[float, ...]
    vowel_onsets_s: tuple[float, ...]
    notes_hz: tuple[float, ...]
    played: npt.NDArray[np.float32] | None
    played_offset_s: float | None
    model_onsets_s: tuple[float, ...]

    @property
    def duration_s(self) -> float:
        return self.samples.size / self.sample_rate_hz


def default_cache_dir() -> Path:
    env = os.environ.get("MIT_TRAINER_CACHE")
    if env:
        return Path(env) / "independent-corpus"
    import platformdirs

    return Path(platformdirs.user_cache_dir("mit-trainer", appauthor=False)) / "independent-corpus"


def shipped_phrases() -> list[Phrase]:
    return [p for s in load_phrase_sets(shipped_phrases_dir()) for p in s.phrases]


def cache_key(plan: ItemPlan) -> str:
    text = json.dumps([GENERATOR_VERSION, asdict(plan)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _save(path: Path, r: Rendered) -> None:
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp, samples=r.samples, onsets=np.array(r.onsets_s), vowels=np.array(r.vowel_onsets_s),
        notes=np.array(r.notes_hz), played=r.played if r.played is not None else np.zeros(0, np.float32),
        offset=np.array([np.nan if r.played_offset_s is None else r.played_offset_s]),
        model_onsets=np.array(r.model_onsets_s),
    )  # fmt: skip
    tmp.replace(path)


def _load(path: Path) -> Rendered | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            off = float(z["offset"][0])
            return Rendered(
                z["samples"], tuple(map(float, z["onsets"])), tuple(map(float, z["vowels"])),
                tuple(map(float, z["notes"])), z["played"] if z["played"].size else None,
                None if np.isnan(off) else off, tuple(map(float, z["model_onsets"])),
            )  # fmt: skip
    except (OSError, ValueError, KeyError):
        return None


def _say(job: Job) -> Speech:
    voice = job.voice.removeprefix("espeak:")
    s = speak(job.text, voice=voice)
    if job.n_syllables and len(s.onsets_s) != job.n_syllables and job.alt_text:
        s = speak(job.alt_text, voice=voice)
    if job.n_syllables and len(s.onsets_s) != job.n_syllables:
        raise EspeakError(
            f"espeak-ng ({voice}) said {len(s.onsets_s)} syllables for {job.n_syllables}: {job.text!r}"
        )
    return s


def _run_jobs(jobs: list[Job]) -> dict[Job, Rendition | Speech]:
    """Every distinct job: espeak-ng in process, one Festival process per voice and job type."""
    out: dict[Job, Rendition | Speech] = {}
    uniq = list(dict.fromkeys(jobs))
    out.update((j, _say(j)) for j in uniq if j.voice.startswith("espeak:"))
    uniq = [j for j in uniq if not j.voice.startswith("espeak:")]
    for voice in sorted({j.voice for j in uniq}):
        sing = [j for j in uniq if j.voice == voice and j.notes]
        speak = [j for j in uniq if j.voice == voice and not j.notes]
        out.update(zip(sing, sing_batch([list(j.notes) for j in sing], voice=voice), strict=True))
        out.update(zip(speak, speak_batch([j.text for j in speak], voice=voice), strict=True))
    return out


def build_corpus(
    plans: list[ItemPlan],
    *,
    phrases: list[Phrase] | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[IndependentItem]:
    """Render (or read from the cache) every planned item."""
    phrases = phrases if phrases is not None else shipped_phrases()
    by_id = {p.id: p for p in phrases}
    cache = cache_dir or default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    done: dict[str, Rendered] = {}
    todo: list[ItemPlan] = []
    for plan in plans:
        got = _load(cache / f"{cache_key(plan)}.npz")
        if got is None:
            todo.append(plan)
        else:
            done[plan.item_id] = got
    if todo:
        if not festival_available():
            raise FestivalError(
                "festival is not installed (Debian: apt-get install festival festvox-kallpc16k)"
            )
        if progress:
            progress(f"generating {len(todo)} of {len(plans)} items (cache: {cache})")
        needs = {p.item_id: jobs_for(p, by_id[p.phrase_id], babble_texts(p, phrases)) for p in todo}
        made = _run_jobs([j for js in needs.values() for j in js])
        for plan in todo:
            r = render(plan, by_id[plan.phrase_id], [made[j] for j in needs[plan.item_id]])
            _save(cache / f"{cache_key(plan)}.npz", r)
            done[plan.item_id] = r
    return [
        IndependentItem(
            p,
            by_id[p.phrase_id],
            np.asarray(r.samples, dtype=np.float32),
            SAMPLE_RATE_HZ,
            r.onsets_s,
            r.vowel_onsets_s,
            r.notes_hz,
            r.played,
            r.played_offset_s,
            r.model_onsets_s,
        )
        for p in plans
        for r in (done[p.item_id],)
    ]
