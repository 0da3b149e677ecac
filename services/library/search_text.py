"""Text rules of library search, the same whatever database holds the index: how text is cut
into terms, what a query means, where the matches are in a passage and how a passage is trimmed.

Both databases index the terms computed here (not their own tokenizers' idea of a word), and
queries are rebuilt from these terms with every one of them quoted: the SQLite FTS5 and the
PostgreSQL tsquery syntaxes never see a character the user typed, and a query matches the same
passages on both. No I/O here."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from services.library.domain import SizeRule
from services.library.lifecycle.errors import InvalidInput

# Letters and digits in any script; everything else (punctuation, `_`, marks, symbols) separates.
_WORD = re.compile(r"[^\W_]+")
# A "quoted phrase" (an unclosed quote runs to the end, as people type) or a bare word.
_PIECE = re.compile(r'"([^"]*)"?|([^\s"]+)')
MAX_CLAUSES = 10
QUERY_CLAUSES = SizeRule(
    MAX_CLAUSES,
    "The search has no words to look for; use letters or digits.",
    "QUERY_HAS_NO_WORDS",
    f"Search for at most {MAX_CLAUSES} words or phrases at a time.",
    "QUERY_TOO_MANY_WORDS",
)
# Longer runs of letters are no words anyone searches for (PostgreSQL refuses lexemes over
# 2047 bytes, which would fail the whole transaction that indexes them).
MAX_TERM_CHARS = 100
SNIPPET_CHARS = 200
# Context kept before the first match when a passage is trimmed.
SNIPPET_LEAD_CHARS = 60
ELLIPSIS = "…"


def fold(word: str) -> str:
    """Case and accents do not matter: 'Réunion' and 'reunion' are one term."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True, slots=True)
class Term:
    """A searchable term and the characters of the original text it came from."""

    text: str
    start: int
    end: int


def terms(text: str) -> list[Term]:
    """The terms of `text`, in order, with their spans in `text` (code points)."""
    found: list[Term] = []
    for word in _WORD.finditer(text):
        # Folding can itself produce separators (NFKD of '½' is '1⁄2'): split again.
        for part in _WORD.findall(fold(word.group())):
            if len(part) <= MAX_TERM_CHARS:
                found.append(Term(part, word.start(), word.end()))
    return found


def index_terms(text: str) -> str:
    """What the index stores for `text`: its terms, space-separated."""
    return " ".join(term.text for term in terms(text))


@dataclass(frozen=True, slots=True)
class Clause:
    """One thing a document must contain: a word, or a phrase (terms next to each other).
    `prefix`: the last term may be the start of a longer word."""

    terms: tuple[str, ...]
    prefix: bool = False

    def matches_at(self, found: Sequence[Term], index: int) -> bool:
        if index + len(self.terms) > len(found):
            return False
        for offset, wanted in enumerate(self.terms):
            have = found[index + offset].text
            last = offset == len(self.terms) - 1
            if not (have.startswith(wanted) if last and self.prefix else have == wanted):
                return False
        return True


@dataclass(frozen=True, slots=True)
class SearchQuery:
    clauses: tuple[Clause, ...]

    def fingerprint(self) -> str:
        return " & ".join(" ".join(c.terms) + ("*" if c.prefix else "") for c in self.clauses)


def parse_query(query: str, max_length: int) -> SearchQuery:
    """Words must all be found, "quoted phrases" as written, the last bare word also as the
    start of a longer one (search as you type). INVALID_ARGUMENT when nothing is left to find."""
    if not query.strip():
        raise InvalidInput("Type some words to search for.", reason="QUERY_REQUIRED")
    if len(query) > max_length:
        raise InvalidInput(
            f"Keep the search under {max_length} characters.", reason="QUERY_TOO_LONG"
        )
    clauses: list[Clause] = []
    last_is_bare_word = False
    for piece in _PIECE.finditer(query):
        phrase, word = piece.group(1), piece.group(2)
        found = tuple(term.text for term in terms(phrase if phrase is not None else word))
        if not found:
            continue  # punctuation only, e.g. a lone '-' or '*'
        if found not in [c.terms for c in clauses]:
            clauses.append(Clause(found))
        last_is_bare_word = word is not None and clauses[-1].terms == found
    QUERY_CLAUSES.check(clauses)
    if last_is_bare_word:
        clauses[-1] = Clause(clauses[-1].terms, prefix=True)
    return SearchQuery(tuple(clauses))


def fts5_match(clause: Clause) -> str:
    """An FTS5 MATCH expression for one clause: a quoted string, never bare syntax."""
    quoted = '"' + " ".join(clause.terms).replace('"', '""') + '"'
    return quoted + ("*" if clause.prefix else "")


def fts5_any(clauses: Sequence[Clause]) -> str:
    return " OR ".join(fts5_match(c) for c in clauses)


def tsquery(clause: Clause) -> str:
    """A PostgreSQL tsquery literal for one clause (cast, never parsed by to_tsquery)."""
    lexemes = [_tsquery_lexeme(term) for term in clause.terms]
    if clause.prefix:
        lexemes[-1] += ":*"
    return "(" + " <-> ".join(lexemes) + ")"


def tsquery_any(clauses: Sequence[Clause]) -> str:
    return " | ".join(tsquery(c) for c in clauses)


def tsvector(text_terms: str) -> str:
    """A PostgreSQL tsvector literal of stored terms, with positions (for phrases)."""
    positions: dict[str, list[int]] = {}
    for position, term in enumerate(text_terms.split(), start=1):
        # PostgreSQL keeps positions up to 16383; later ones share the last.
        positions.setdefault(term, []).append(min(position, 16383))
    return " ".join(
        f"{_tsquery_lexeme(term)}:{','.join(map(str, sorted(set(found))))}"
        for term, found in positions.items()
    )


def _tsquery_lexeme(term: str) -> str:
    # Terms are letters and digits only; quoting still keeps the literal safe if that changes.
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def highlights(text: str, clauses: Sequence[Clause]) -> list[tuple[int, int]]:
    """[start, end) code-point ranges of `text` that match a clause, merged and in order."""
    found = terms(text)
    ranges: list[tuple[int, int]] = []
    for index in range(len(found)):
        for clause in clauses:
            if clause.matches_at(found, index):
                ranges.append((found[index].start, found[index + len(clause.terms) - 1].end))
    return list(_merged(sorted(ranges)))


def _merged(ranges: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    current: tuple[int, int] | None = None
    for start, end in ranges:
        if current is not None and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            yield current
        current = (start, end)
    if current is not None:
        yield current


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str
    highlights: list[tuple[int, int]]


def snippet(text: str, clauses: Sequence[Clause], width: int = SNIPPET_CHARS) -> Snippet:
    """The passage around its first match, at most about `width` characters, cut between
    words, with the matches' ranges in the trimmed text."""
    text = " ".join(text.split())  # one line: transcripts and summaries may hold newlines
    ranges = highlights(text, clauses)
    if len(text) <= width:
        return Snippet(text, ranges)
    first = ranges[0][0] if ranges else 0
    start = max(0, first - SNIPPET_LEAD_CHARS)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    if start > 0:
        space = text.find(" ", start, first if ranges else end)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        last_needed = ranges[0][1] if ranges else start
        end = space if space > last_needed else end
    lead = ELLIPSIS if start > 0 else ""
    tail = ELLIPSIS if end < len(text) else ""
    shift = start - len(lead)
    kept = [(s - shift, e - shift) for s, e in ranges if s >= start and e <= end]
    return Snippet(lead + text[start:end] + tail, kept)
