"""Turning transcript segments into timed sentences with normalized terms, offline.

NLTK's Punkt and Treebank-style tokenizers are used directly: they need no downloaded model
(sumy's default tokenizer would download `punkt_tab`, which is impossible here).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from nltk.tokenize import NLTKWordTokenizer
from nltk.tokenize.punkt import (
    PunktParameters,
    PunktSentenceTokenizer,
)
from sumy.nlp.stemmers import Stemmer
from sumy.utils import get_stop_words

from services.summarizer.engine.model import Language, Segment

# ASR output sometimes lacks punctuation; cap sentence length so one run-on "sentence" cannot
# swallow a whole meeting.
MAX_SENTENCE_WORDS = 60
SPLIT_WINDOW_WORDS = 40

_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "e.g",
    "i.e",
    "etc",
    "vs",
    "approx",
    "m",
    "mme",
}
_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’-])*$")
_FRENCH_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_NON_SPACE = re.compile(r"\S+")
_LETTERS = re.compile(r"[^\W\d_]+")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Spoken-language fillers, number words and meeting vocabulary ("next topic") that sumy's
# written-language stop lists do not cover; none of them makes a good keyword.
_FILLERS: dict[Language, frozenset[str]] = {
    "en": _word_set(
        "yeah yes okay ok um uh hmm mm like just really gonna wanna gotta thing things think "
        "know mean right well actually basically lot sure guess stuff kind sort maybe also "
        "going get got let good great thanks thank fine need want say said look make sounds "
        "sound everyone everybody somebody someone anyone today week one two three four five "
        "six seven eight nine ten hundred thousand million first second third last next "
        "topic topics item items point points meeting agenda recap"
    ),
    "fr": _word_set(
        "euh ben bon bah voilà ouais oui non alors donc genre truc trucs chose choses faire "
        "fait va aller bien très vraiment peu merci accord okay ok hein quoi juste aussi peut "
        "être avoir dire vais veux pense crois sais faut falloir voir tout tous toute toutes "
        "là ça cela ceci semaine aujourd'hui un une deux trois quatre cinq six sept huit neuf "
        "dix cent cents mille million premier première deuxième second troisième dernier "
        "dernière prochain prochaine sujet sujets point points réunion ordre résumer"
    ),
}
_SUMY_LANGUAGE: dict[Language, str] = {"en": "english", "fr": "french"}

# Frequent, unambiguous function words used to guess which language a transcript is in.
_LANGUAGE_MARKERS: dict[Language, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "is",
            "are",
            "was",
            "were",
            "we",
            "you",
            "that",
            "this",
            "with",
            "have",
            "will",
            "of",
            "it",
            "for",
            "not",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "et",
            "est",
            "sont",
            "nous",
            "vous",
            "que",
            "qui",
            "avec",
            "pour",
            "pas",
            "une",
            "des",
            "du",
            "dans",
            "ce",
        ]
    ),
}


@dataclass(frozen=True)
class LanguageTools:
    language: Language
    stop_words: frozenset[str]
    stem: Callable[[str], str]


@cache
def language_tools(language: Language) -> LanguageTools:
    stemmer = Stemmer(_SUMY_LANGUAGE[language])
    stop_words = frozenset(get_stop_words(_SUMY_LANGUAGE[language])) | _FILLERS[language]

    @lru_cache(maxsize=50_000)
    def stem(word: str) -> str:
        return str(stemmer(word))

    return LanguageTools(language=language, stop_words=stop_words, stem=stem)


@cache
def _sentence_tokenizer() -> PunktSentenceTokenizer:
    parameters = PunktParameters()
    parameters.abbrev_types.update(_ABBREVIATIONS)
    return PunktSentenceTokenizer(parameters)


@cache
def _word_tokenizer() -> NLTKWordTokenizer:
    return NLTKWordTokenizer()


@dataclass(frozen=True)
class TimedSentence:
    index: int
    text: str
    start: float
    end: float
    word_count: int
    content_words: tuple[str, ...]  # words that are not stop words, as written mid-sentence
    terms: tuple[str, ...]  # stems of content_words, same order
    speaker: str = ""  # who said it; empty when the transcript names nobody

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")


def words_of(text: str) -> list[str]:
    """Words of a sentence, French elisions removed ("l'équipe" -> "équipe").

    Case is kept except on the first word, so names and acronyms keep their capitals.
    """
    words: list[str] = []
    for token in _word_tokenizer().tokenize(text):
        word = _FRENCH_ELISION.sub("", token.strip(".,;:!?\"'«»"))
        if _WORD.match(word):
            words.append(word if words else word.lower())
    return words


def detect_language(segments: Sequence[Segment]) -> Language | None:
    """The transcript's language if it is clearly English or French, else None."""
    counts: dict[Language, int] = {"en": 0, "fr": 0}
    for segment in segments:
        for word in _LETTERS.findall(segment.text.lower()):
            for language, markers in _LANGUAGE_MARKERS.items():
                if word in markers:
                    counts[language] += 1
    english, french = counts["en"], counts["fr"]
    if english + french < 5:
        return None
    if english >= 2 * french:
        return "en"
    if french >= 2 * english:
        return "fr"
    return None


def split_sentences(segments: Sequence[Segment], tools: LanguageTools) -> list[TimedSentence]:
    """Sentences of the whole transcript, each with the time range of the segments it spans.

    Sentences are found across segment boundaries because ASR segments often cut sentences,
    but never across a change of speaker: a sentence is one person's.
    """
    sentences: list[TimedSentence] = []
    for turn in _speaker_turns(segments):
        sentences += _turn_sentences(turn, tools, first_index=len(sentences))
    return sentences


def _speaker_turns(segments: Sequence[Segment]) -> list[list[Segment]]:
    turns: list[list[Segment]] = []
    for segment in segments:
        if not segment.text.strip():
            continue
        if turns and turns[-1][-1].speaker == segment.speaker:
            turns[-1].append(segment)
        else:
            turns.append([segment])
    return turns


def _turn_sentences(
    spoken: Sequence[Segment], tools: LanguageTools, first_index: int
) -> list[TimedSentence]:
    parts: list[str] = []
    offsets: list[int] = []
    position = 0
    for segment in spoken:
        text = segment.text.strip()
        parts.append(text)
        offsets.append(position)
        position += len(text) + 1
    full_text = " ".join(parts)

    sentences: list[TimedSentence] = []
    for start, end in _sentence_tokenizer().span_tokenize(full_text):
        for piece_start, piece_end in _bounded_spans(full_text, start, end, offsets):
            text = full_text[piece_start:piece_end].strip()
            words = words_of(text)
            if not words:
                continue
            first = spoken[bisect.bisect_right(offsets, piece_start) - 1]
            last = spoken[bisect.bisect_right(offsets, piece_end - 1) - 1]
            content = tuple(word for word in words if word.lower() not in tools.stop_words)
            sentences.append(
                TimedSentence(
                    index=first_index + len(sentences),
                    text=text,
                    start=first.start,
                    end=max(last.end, first.start),
                    word_count=len(words),
                    content_words=content,
                    terms=tuple(tools.stem(word.lower()) for word in content),
                    speaker=first.speaker,
                )
            )
    return sentences


def _bounded_spans(text: str, start: int, end: int, offsets: list[int]) -> list[tuple[int, int]]:
    """Split an over-long sentence at segment boundaries, then into fixed word windows."""
    if len(text[start:end].split()) <= MAX_SENTENCE_WORDS:
        return [(start, end)]
    cuts = [offset for offset in offsets if start < offset < end]
    spans: list[tuple[int, int]] = []
    for piece_start, piece_end in zip([start, *cuts], [*cuts, end], strict=True):
        tokens = list(_NON_SPACE.finditer(text, piece_start, piece_end))
        if len(tokens) <= MAX_SENTENCE_WORDS:
            spans.append((piece_start, piece_end))
            continue
        for first in range(0, len(tokens), SPLIT_WINDOW_WORDS):
            window = tokens[first : first + SPLIT_WINDOW_WORDS]
            spans.append((window[0].start(), window[-1].end()))
    return spans
