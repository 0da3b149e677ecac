"""Names for anonymous speakers, read from how people address each other.

Three cues, each a vote for a (speaker, name) pair:
- an introduction, "I'm Sheila" / "my name is Sheila" / "je m'appelle Sheila": the speaker;
- being addressed, "Priya, where are we with …": whoever answers in the next turn;
- being thanked, "thanks, Daniel": whoever spoke in the turn before.
Each speaker takes the name with most votes, and a name goes to one speaker only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from services.summarizer.engine.model import Segment

_NAME = r"(?P<name>[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?)"
_INTRODUCTION = re.compile(
    rf"\b(?:I'm|I am|my name is|this is|here is|je suis|je m'appelle|c'est)\s+{_NAME}\b"
)
_ADDRESSED = re.compile(
    rf"(?:^|[.!?,]\s*){_NAME},\s+(?:where|what|how|when|can|could|would|will|do|did|are|is|"
    r"any|you|your|over|go|please|tell|over to|où|quoi|comment|quand|peux|pouvez|tu|vous|est-ce)\b"
)
# "And how is your garden, Grace?"
_ASKED = re.compile(rf",\s+{_NAME}\s*\?")
# Case matters for the name itself: "thanks, that works" names nobody.
_HANDED_OVER = re.compile(rf"\b(?i:over to you|your turn|à toi|à vous),?\s+{_NAME}\b")
_THANKED = re.compile(rf"\b(?i:thanks|thank you|merci),?\s+{_NAME}\b")
_NOT_NAMES = frozenset(
    [
        "I",
        "Okay",
        "Ok",
        "So",
        "Well",
        "Yes",
        "Yeah",
        "No",
        "Right",
        "Sure",
        "Great",
        "Thanks",
        "Thank",
        "Hi",
        "Hello",
        "Hey",
        "Good",
        "Alright",
        "Everyone",
        "Everybody",
        "Team",
        "Guys",
        "Folks",
        "All",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Bonjour",
        "Merci",
        "Oui",
        "Non",
        "Alors",
        "Bon",
        "Voilà",
        "Tout",
        "Sorry",
        "Speaker",
        "Also",
        "And",
        "But",
        "Then",
        "Please",
        "Let",
        "Now",
        "Next",
        "First",
        "Just",
        "Really",
        "Actually",
        "Maybe",
        "Of",
        "Here",
        "There",
        "This",
        "That",
    ]
)


@dataclass(frozen=True)
class _Turn:
    speaker: str
    text: str


def suggest_speaker_names(segments: Sequence[Segment]) -> dict[str, str]:
    """Speaker label -> the name the conversation gives them, for the speakers it names."""
    turns = _turns(segments)
    labels = {turn.speaker for turn in turns}
    if len(labels) < 2:
        return {}
    votes: Counter[tuple[str, str]] = Counter()
    for index, turn in enumerate(turns):
        for match in _INTRODUCTION.finditer(turn.text):
            votes[turn.speaker, match.group("name")] += 2
        for pattern in (_ADDRESSED, _ASKED, _HANDED_OVER):
            for match in pattern.finditer(turn.text):
                answer = _next_other(turns, index)
                if answer is not None:
                    votes[answer.speaker, match.group("name")] += 1
        for match in _THANKED.finditer(turn.text[:80]):
            previous = _previous_other(turns, index)
            if previous is not None:
                votes[previous.speaker, match.group("name")] += 1
    return _assign(votes, labels)


def names_addressed_by(segments: Sequence[Segment]) -> dict[str, set[str]]:
    """Speaker label -> the names that speaker addresses, asks, hands over to or thanks.

    Grounded evidence against a guess: nobody says "Priya, can you …" or "thanks, Priya" to
    themselves, so the speaker who does is not Priya."""
    addressed: dict[str, set[str]] = {}
    for turn in _turns(segments):
        for pattern in (_ADDRESSED, _ASKED, _HANDED_OVER, _THANKED):
            for match in pattern.finditer(turn.text):
                name = match.group("name")
                if name not in _NOT_NAMES:
                    addressed.setdefault(turn.speaker, set()).add(name)
    return addressed


def _assign(votes: Counter[tuple[str, str]], labels: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    taken: set[str] = set()
    for (speaker, name), _count in votes.most_common():
        if name in _NOT_NAMES or name in labels or speaker in names or name in taken:
            continue
        if speaker.split()[0] == name:  # already named so
            continue
        names[speaker] = name
        taken.add(name)
    return names


def _turns(segments: Sequence[Segment]) -> list[_Turn]:
    turns: list[_Turn] = []
    for segment in segments:
        text = segment.text.strip().replace("’", "'")
        if not text or not segment.speaker:
            continue
        if turns and turns[-1].speaker == segment.speaker:
            turns[-1] = _Turn(segment.speaker, f"{turns[-1].text} {text}")
        else:
            turns.append(_Turn(segment.speaker, text))
    return turns


def _next_other(turns: list[_Turn], index: int) -> _Turn | None:
    following = turns[index + 1] if index + 1 < len(turns) else None
    return following if following and following.speaker != turns[index].speaker else None


def _previous_other(turns: list[_Turn], index: int) -> _Turn | None:
    previous = turns[index - 1] if index > 0 else None
    return previous if previous and previous.speaker != turns[index].speaker else None
