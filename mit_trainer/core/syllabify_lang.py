"""Syllables and H/L stress patterns derived from German, Dutch, Spanish and French text.

The counterpart of :mod:`mit_trainer.core.syllabify` (English, CMU dictionary) for the languages of
:data:`LANGUAGES`, used when a phrase set's ``language:`` is one of them and a phrase gives no
``syllables`` or ``pattern``.

* **Syllable count and lexical stress** come from espeak-ng's pronunciation (its dictionaries and
  rules, through :mod:`mit_trainer.core.espeak_phonemes`), word by word: one syllable per vowel
  phoneme (a diphthong is one phoneme; an unstressed i, u or y right before another vowel is a
  glide, as in French "nuit" or German "Familie"), and the vowel after ``ˈ`` is the stressed one (``ˌ`` if the
  word has no ``ˈ``).
* **Syllable strings** are spelling-level, so the patient reads real words: pyphen's hyphenation
  for the language, adjusted to espeak's count the same way as in English
  (:func:`mit_trainer.core.syllabify.split_word`).
* **The H/L rule** for German, Dutch and Spanish, whose stress is lexical, is the English one: the
  stressed syllable of every *content* word is H, every other syllable L; function words (articles,
  pronouns, auxiliaries, prepositions, conjunctions, possessives: :data:`FUNCTION_WORDS`) are L. If
  that leaves no H, the stressed syllable of a question word, else of the last word, is H. Spanish
  question words (qué, dónde, cómo...) are tonic, as their written accent shows, so they count as
  content words there ("¿Dónde está?" → H L L H).
* **French** has no lexical stress: the accent falls on the last full (non-schwa) syllable of a
  *rhythmic group*. Here a rhythmic group ends at a content word that is followed by a function
  word or by punctuation, and always at the end of the phrase, whatever its last word ("je voudrais
  | de l'eau" → L L H L H; "bonne nuit" is one group → L H; "où es-tu" → L L H). The last non-schwa
  syllable of each group is H, everything else L.

A word with digits, an abbreviation in capitals ("TV"), a word with letters outside the language's
alphabet, a word espeak-ng reads in another language, or one whose pronounced syllables cannot be
mapped onto its written vowels raises :class:`~mit_trainer.core.syllabify.UnknownWordsError`; the
caller then asks for explicit ``syllables`` and ``pattern``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mit_trainer.core.espeak_phonemes import SEPARATOR, phonemes
from mit_trainer.core.syllabify import Derivation, UnknownWordsError, derive_english, split_word

#: Language code -> (espeak-ng voice, pyphen dictionary).
LANGUAGES: dict[str, tuple[str, str]] = {
    "de": ("de", "de_DE"),
    "nl": ("nl", "nl_NL"),
    "es": ("es", "es"),
    "fr": ("fr", "fr_FR"),
}

FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "de": frozenset(
        """
        der die das den dem des ein eine einen einem einer eines
        ich du er sie es wir ihr mich dich sich uns euch mir dir ihm ihnen
        mein meine meinen meinem meiner dein deine deinen sein seine seinen unser unsere euer eure
        bin bist ist sind seid war waren habe hast hat haben habt hatte hatten
        werde wirst wird werden kann kannst können muss musst müssen will willst wollen darf soll
        zu von mit nach bei aus an auf in im am ins zum zur für um über unter vor durch aufs vom beim
        und oder aber dass wenn als denn so bis
        """.split()  # noqa: SIM905
    ),
    "nl": frozenset(
        """
        de het een
        ik je jij u hij zij ze wij we jullie mij me hem haar ons hen hun zich
        mijn m'n jouw je uw zijn haar onze ons hun
        ben bent is zijn was waren heb hebt heeft hebben had hadden
        word wordt worden kan kunt kunnen moet moeten wil wilt willen mag mogen zal zullen
        te van met naar bij uit aan op in om voor door over onder tot
        en of maar dat als want dan
        er iets
        """.split()  # noqa: SIM905
    ),
    "es": frozenset(
        """
        el la los las lo un una unos unas al del
        yo tú me te se nos os le les lo la mi mis tu tus su sus nuestro nuestra
        es son soy eres somos era fue he ha has han hemos
        a de en con por para sin sobre entre hasta desde
        y e o u pero que si como
        """.split()  # noqa: SIM905
    ),
    "fr": frozenset(
        """
        le la les l' un une des du de d' au aux
        je j' tu il elle on nous vous ils elles me m' te t' se s' lui leur leurs
        mon ma mes ton ta tes son sa ses notre nos votre vos
        ce c' cet cette ces
        suis es est sommes êtes sont ai as a avons avez ont
        à en dans avec pour par sur sous chez sans
        et ou mais que qu' qui si ne n' y
        """.split()  # noqa: SIM905
    ),
}

QUESTION_WORDS: dict[str, frozenset[str]] = {
    "de": frozenset(["was", "wo", "wer", "wie", "warum", "wann", "welche", "welcher", "wohin", "woher"]),
    "nl": frozenset(["wat", "waar", "wie", "hoe", "waarom", "wanneer", "welke"]),
    "es": frozenset(["qué", "dónde", "quién", "cómo", "cuándo", "cuál", "cuánto", "por", "qué"]),
    "fr": frozenset(["quoi", "où", "qui", "comment", "pourquoi", "quand", "quel", "quelle", "combien"]),
}

_ALPHABET: dict[str, str] = {
    "de": "abcdefghijklmnopqrstuvwxyzäöüß",
    "nl": "abcdefghijklmnopqrstuvwxyzáéíóúäëïöüè",
    "es": "abcdefghijklmnopqrstuvwxyzáéíóúüñ",
    "fr": "abcdefghijklmnopqrstuvwxyzàâæçéèêëîïôœùûüÿ",
}
_WRITTEN_VOWELS = "aeiouyäöüáéíóúàâæèêëîïôœùûÿ"
_IPA_VOWELS = set("aeiouyæøœɐɑɒɔəɘɛɜɞɤɨɪʊʉɯʌʏɵɶɚɝ")
_STRESS = ("ˈ", "ˌ")
#: Per language, unstressed high vowels that espeak writes before another vowel where the word has a
#: glide (French "nuit", German "Familie"); Dutch and German ``y`` is the vowel ü and never a glide.
_GLIDES: dict[str, frozenset[str]] = {
    "de": frozenset(("i", "ɪ")),
    "nl": frozenset(("i",)),
    "es": frozenset(("i", "u")),
    "fr": frozenset(("i", "u", "y")),
}
#: Words, keeping apostrophes inside (l'eau, s'il); punctuation ends a French rhythmic group.
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+|[,;:.!?]")


@dataclass(frozen=True)
class _Word:
    text: str
    n_syllables: int
    stressed: int  # index of the stressed syllable within the word
    schwa_final: bool  # the last syllable's vowel is a schwa (French: not accentable)


def normalise_language(language: str) -> str:
    """``de-DE``, ``de_AT``, ``DE`` -> ``de``."""
    return language.replace("_", "-").split("-")[0].lower()


def supported(language: str) -> bool:
    return normalise_language(language) in LANGUAGES


def _analyse(word: str, lang: str) -> _Word | None:
    low = word.lower().replace("’", "'")
    if any(ch.isdigit() for ch in word) or (len(word) > 1 and word.isupper()):
        return None
    if any(ch.isalpha() and ch not in _ALPHABET[lang] for ch in low):
        return None
    written_vowel_groups = len(re.findall(f"[{_WRITTEN_VOWELS}]+", low))
    written_vowels = sum(ch in _WRITTEN_VOWELS for ch in low)
    if written_vowel_groups == 0:
        return None
    clauses = phonemes(low, LANGUAGES[lang][0])
    ipa = SEPARATOR.join(clauses)
    if "(" in ipa:  # espeak switched to another language for this word
        return None
    vowels: list[tuple[str, str]] = []  # (stress mark or "", vowel phoneme)
    tokens = [t for t in ipa.split(SEPARATOR) if t]
    for k, token in enumerate(tokens):
        mark = token[0] if token[0] in _STRESS else ""
        core = token.lstrip("".join(_STRESS))
        if not core or core[0] not in _IPA_VOWELS:
            continue
        next_is_vowel = k + 1 < len(tokens) and tokens[k + 1].lstrip("".join(_STRESS))[:1] in _IPA_VOWELS
        if not mark and core in _GLIDES[lang] and next_is_vowel:  # French "nuit", German "Familie": a glide
            continue
        vowels.append((mark, core))
    if not vowels or len(vowels) > written_vowels:
        return None
    marks = [m for m, _ in vowels]
    stressed = marks.index("ˈ") if "ˈ" in marks else (marks.index("ˌ") if "ˌ" in marks else 0)
    return _Word(word, len(vowels), stressed, vowels[-1][1].startswith("ə"))


def derive_text(text: str, language: str) -> Derivation:
    """Derivation for any supported language: English (CMU dictionary) or one of :data:`LANGUAGES`.

    Raises ``ValueError`` naming the language when it has no derivation.
    """
    lang = normalise_language(language)
    if lang == "en":
        return derive_english(text)
    return derive(text, language)


def derivable(language: str) -> bool:
    """Whether :func:`derive_text` handles ``language``."""
    return normalise_language(language) == "en" or supported(language)


def derive(text: str, language: str) -> Derivation:
    """Syllables and H/L pattern of ``text`` in ``language`` (rules in the module docstring).

    Raises :class:`UnknownWordsError` listing every word that cannot be handled, ``ValueError`` when
    the text has no words or the language is not one of :data:`LANGUAGES`.
    """
    lang = normalise_language(language)
    if lang not in LANGUAGES:
        raise ValueError(f"no derivation for language '{language}'; give syllables and pattern explicitly")
    tokens = [m.group(0) for m in _TOKEN.finditer(text)]
    words = [t for t in tokens if t not in ",;:.!?"]
    if not words:
        raise ValueError("the text has no words")
    analysed: list[_Word] = []
    unknown: list[str] = []
    group_end_after: set[int] = set()  # word indices followed by punctuation
    for t in tokens:
        if t in ",;:.!?":
            if analysed or unknown:
                group_end_after.add(len(analysed) + len(unknown) - 1)
            continue
        w = _analyse(t, lang)
        if w is None:
            unknown.append(t)
        else:
            analysed.append(w)
    if unknown:
        raise UnknownWordsError(list(dict.fromkeys(unknown)), f"cannot derive syllables and stress ({lang})")

    syllables: list[str] = []
    word_index: list[int] = []
    for i, w in enumerate(analysed):
        syllables.extend(split_word(w.text, w.n_syllables, hyphenation=LANGUAGES[lang][1]))
        word_index.extend([i] * w.n_syllables)
    pattern = ["L"] * len(syllables)

    def first(i: int) -> int:
        return word_index.index(i)

    def is_function(i: int) -> bool:
        # an elided French word counts by its last part: "l'eau" is content, "j'ai" and "s'il" are not
        return analysed[i].text.lower().replace("’", "'").split("'")[-1] in FUNCTION_WORDS[lang]

    # Spanish interrogatives are tonic (their written accent marks it): content words there
    content = [
        i
        for i in range(len(analysed))
        if not is_function(i) and (lang == "es" or not _is_question(analysed[i], lang))
    ]
    if lang == "fr":
        last = len(analysed) - 1
        for i in range(len(analysed)):
            ends_group = i in content and (i == last or i in group_end_after or is_function(i + 1))
            if ends_group or i == last or (i in group_end_after and i in content):
                pattern[first(i) + _french_accent(analysed[i])] = "H"
        return Derivation(tuple(syllables), tuple(pattern), tuple(word_index))
    for i in content:
        pattern[first(i) + analysed[i].stressed] = "H"
    if "H" not in pattern:
        for i, w in enumerate(analysed):
            if _is_question(w, lang):
                pattern[first(i) + w.stressed] = "H"
    if "H" not in pattern:
        last = len(analysed) - 1
        pattern[first(last) + analysed[last].stressed] = "H"
    return Derivation(tuple(syllables), tuple(pattern), tuple(word_index))


def _is_question(w: _Word, lang: str) -> bool:
    return w.text.lower() in QUESTION_WORDS[lang]


def _french_accent(w: _Word) -> int:
    """Index in the word of its last non-schwa syllable (the last syllable if it has only one)."""
    return w.n_syllables - 2 if w.schwa_final and w.n_syllables > 1 else w.n_syllables - 1
