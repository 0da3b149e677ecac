"""Sentences a person leaves out of meeting notes: greetings, small talk, remarks about the
meeting itself ("let me summarize the action items") and bare assent ("Agreed.").

Small talk is found by its subjects (weekends, weather, sport, food, pets, holidays …) in a
sentence that carries no decision or task; a short reply to small talk is small talk too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.summarizer.engine.extractive.cues import is_action, is_decision, states_team_decision
from services.summarizer.engine.extractive.text import TimedSentence

_SMALL_TALK_SUBJECTS = re.compile(
    r"""\b(?:
        weekend|holiday|vacation|beach|
        weather|rain\w*|snow\w*|sunny|sunshine|forecast|cold\ outside|
        football|soccer|game\ last\ night|marathon|gym|tennis|golf|knee|
        coffee|cappuccino|espresso|breakfast|lunch|dinner|pizza|cake|canteen|kitchen|
        birthday|wedding|party|concert|cinema|movie|film|netflix|book\ club|
        dog|cat|vet|puppy|kids?|children|garden\w*|tomato\w*|
        traffic|trains?|commute|
        week-end|vacances|météo|pluie|neige|anniversaire|gâteau|déjeuner|café|chien|jardin
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
_GREETING = re.compile(
    r"""^(?:(?:good\ )?(?:morning|afternoon|evening)|hi|hello|hey|bonjour|salut)\b
    |\bhow\ (?:are\ you|was\ (?:your|the))\b|\bhow\ is\ (?:your|he|she)\b
    |\b(?:thanks|thank\ you)\ (?:for\ joining|all|everyone)\b|\bsorry\ I'm\ late\b
    |\bnice\ to\ (?:see|meet)\b|\bcongratulations\b|\bhappy\ birthday\b
    |^(?:no\ worries|lucky\ you|good\ to\ know|nice|great|cool|same\ here)\b""",
    re.IGNORECASE | re.VERBOSE,
)
# About the meeting itself, whatever else the sentence says.
_META = re.compile(
    r"""\blet(?:'s|\ us|\ me)\ (?:get\ (?:started|going)|start|begin|summari[sz]e|recap|
        go\ (?:through|over)|move\ on|wrap\ up|look\ at\ the\ agenda)\b
    |\b(?:on\ commence|pour\ résumer|je\ résume|récapitulons)\b""",
    re.IGNORECASE | re.VERBOSE,
)
# Signposts ("one more thing: …"), dropped only when nothing else is said.
_SIGNPOST = re.compile(
    r"""\b(?:back\ to\ work|next\ (?:is|item|topic|point)|last\ (?:thing|point|topic)|
        one\ more\ (?:thing|point)|
        (?:the\ )?(?:first|next|last)\ (?:item|topic|point)\ (?:on\ the\ agenda|is)|
        for\ the\ record|before\ (?:we\ start|anything)|all\ right,?\ let's|
        passons\ à|dernier\ point)\b""",
    re.IGNORECASE | re.VERBOSE,
)
_ASSENT = re.compile(
    r"^(?:(?:yes|yeah|yep|no|okay|ok|sure|right|fine|agreed|good|great|perfect|exactly|"
    r"sounds\ good|makes\ sense|fine\ by\ me|no\ objection|none|go\ ahead|i\ agree|"
    r"d'accord|oui|parfait|entendu|ça\ marche|aucune)[\s,.!]*)+$",
    re.IGNORECASE | re.VERBOSE,
)
# A reply this short to small talk ("Same here.", "Yes, it makes a decent cappuccino.") is
# part of it.
SHORT_REPLY_WORDS = 12


def is_assent(text: str) -> bool:
    return bool(_ASSENT.match(text.strip()))


def is_meta(text: str) -> bool:
    return bool(_META.search(text))


def is_signpost(text: str) -> bool:
    return bool(_SIGNPOST.search(text))


def mentions_small_talk(text: str) -> bool:
    """Whether `text` is about a small-talk subject (a task "send the concert photos" is)."""
    return bool(_SMALL_TALK_SUBJECTS.search(text))


def is_small_talk(text: str) -> bool:
    """Greetings, or talk about small-talk subjects that decides and assigns nothing."""
    if is_decision(text) or is_action(text):
        return bool(_GREETING.search(text)) and len(text.split()) < 8
    return bool(_GREETING.search(text) or _SMALL_TALK_SUBJECTS.search(text))


def off_agenda(sentences: Sequence[TimedSentence]) -> set[int]:
    """Indices of the sentences that belong to no meeting notes."""
    dropped: set[int] = set()
    previous: TimedSentence | None = None
    for sentence in sentences:
        text = sentence.text
        reply_to_small_talk = (
            previous is not None
            and previous.index in dropped
            and _SMALL_TALK_SUBJECTS.search(previous.text) is not None
            and sentence.word_count <= SHORT_REPLY_WORDS
            and not is_decision(text)
            and not states_team_decision(text)
            and not is_action(text)
        )
        if (
            is_small_talk(text)
            or is_assent(text)
            or reply_to_small_talk
            or is_meta(text)
            or (
                is_signpost(text)
                and not (is_decision(text) or states_team_decision(text) or is_action(text))
            )
        ):
            dropped.add(sentence.index)
        previous = sentence
    return dropped
