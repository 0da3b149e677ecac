"""Cue phrases that mark decisions and action items in English and French meeting talk.

Both languages' cues are always checked: a French meeting may be summarized with English
labels and the other way round, and a cue of the other language never fires by accident.
"""

from __future__ import annotations

import re
from functools import cache

from services.summarizer.engine.extractive.text import language_tools

_WEEKDAYS = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
)

# "Let me check the contract" takes work on; "let me know/think/see" hands nobody anything.
_LET_ME = r"let\ me\ (?!know\b|think\b|see\b|say\b|explain\b|just\b|finish\b|start\b)"

# "I can collect three quotes" offers to do it; "I can see why" does nothing.
_I_CAN = (
    r"i\ can\ (?!not\b|see\b|hear\b|imagine\b|understand\b|tell\b|say\b|think\b|"
    r"live\b|only\b|also\ see\b)"
)

_DECISION = re.compile(
    r"""\b(?:
        decided|agreed|agree\ (?:on|to|that)|we\ all\ agree|approved|signed\ off|sign\ off\ on|
        settled|resolved\ to|(?:go|going|went)\ with|chose|chosen|opted\ for|confirmed|
        the\ decision\ is|final\ decision|our\ decision|that's\ final|finali[sz]ed|
        go(?:ing)?\ ahead\ with|green\ light|locked\ in|consensus|
        from\ now\ on|going\ forward|
        décidé\w*|décision\ est|avons\ décidé|convenu\w*|d'accord\ pour|sommes\ d'accord|
        est\ d'accord|tout\ le\ monde\ est\ d'accord|validé\w*|approuvé\w*|retenu\w*|
        on\ part\ sur|on\ garde|choisi\w*|adopté\w*|acté\w*|tranché\w*
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
_UNDECIDED = re.compile(
    r"\b(?:not\ (?:yet\ )?decided|haven't\ decided|hasn't\ been\ decided|undecided|"
    r"still\ need\ to\ decide|pas\ (?:encore\ )?décidé|rien\ n'est\ décidé)\b",
    re.IGNORECASE | re.VERBOSE,
)
# "We will ..." announces a decision unless someone is being assigned work by it.
_TEAM_INTENT = re.compile(
    r"\b(?:we\ will|we'll|we\ are\ going\ to|we're\ going\ to|nous\ allons|on\ va)\b",
    re.IGNORECASE | re.VERBOSE,
)

# What a team settles on, said in the present: "we move the launch", "let's keep the trial".
_DECIDING_VERBS = r"""(?:
    move|cap|keep|replace|make|change|sign|postpone|drop|switch|stop|hire|raise|cut|push|
    delay|limit|freeze|cancel|skip|adopt|take|go\ with|stick\ with|use|launch|ship|
    book|buy|order|choose|pick|approve|accept|reject|extend|reduce|increase|lower|split|
    merge|schedule|hold|outsource|pause|remove|add|retire|renew|leave|give|wait\ for
)\b"""

# The chair stating what the team does from now on: "Then we move the launch to the 17th."
_TEAM_DECISION = re.compile(
    rf"""^(?:(?:then|so|okay|ok|fine|good|right|yes|alright|all\ right)[,\s]+)*
    (?:
        (?:we|the\ team|let's|let\ us)\ {_DECIDING_VERBS}
        |(?:we|the\ team)\ (?:won't|will\ not|don't|do\ not)\b
    )
    |^(?:(?:then|so)[,\s]+)?(?:the|our)\ \w+(?:\ \w+)?\ (?:will\ not|won't|stays?|remains?)\b
    |^no\ \w+(?:\ \w+)?\ shifts?\b|^no\ more\b""",
    re.IGNORECASE | re.VERBOSE,
)

_REQUEST = re.compile(
    r"\b(?:can|could|would)\ you\b|\b(?:peux-tu|pouvez-vous|tu\ peux|vous\ pouvez)\b",
    re.IGNORECASE | re.VERBOSE,
)
_ACTION = re.compile(
    rf"""\b(?:
        i\ (?:will|shall|need\ to|have\ to|must|should)|i'll|i'm\ going\ to|i\ am\ going\ to|
        {_I_CAN}|{_LET_ME}|
        you\ (?:will|need\ to|have\ to|must|should)|you'll|
        we\ (?:need\ to|have\ to|must|should)|
        action\ items?|to-?do|follow[\ -]up|take\ care\ of|in\ charge\ of|responsible\ for|
        assigned\ to|deadline|
        (?:by|before)\ (?:{_WEEKDAYS}|tomorrow|next\ week|the\ end\ of\ the\ (?:day|week|month))|
        je\ vais|je\ m'occupe|je\ me\ charge|il\ faut|il\ faudra|on\ doit|nous\ devons|
        tu\ dois|vous\ devez|à\ faire|prochaine\ étape|s'occupe\ de|se\ charge\ de|
        se\ charger\ de|s'occuper\ de|relancer|doit|doivent|devra|devront|
        (?:d'ici|avant)\ (?:{_WEEKDAYS}|demain|la\ semaine\ prochaine|la\ fin\ de\ la\ semaine)
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)

# Someone taking work on themselves: the sentence's speaker owns it.
_FIRST_PERSON_COMMITMENT = re.compile(
    rf"""\b(?:
        i\ (?:will|shall|can\ take|am\ going\ to|need\ to|have\ to|must)|i'll|i'm\ going\ to|
        {_I_CAN}|{_LET_ME}|
        je\ vais|je\ m'occupe|je\ me\ charge|je\ m'en\ charge|je\ peux\ (?:m'en|le|la|les)
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)

_NAME = r"[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?"
_OWNER_PATTERNS = (
    # "Sarah will send ...", "Tom and Lisa need to ...", "Marc va préparer ..."
    re.compile(
        rf"(?<![\w'])(?P<owner>{_NAME}(?:\s(?:and|et)\s{_NAME})?),?\s"
        r"(?:will|is\sgoing\sto|are\sgoing\sto|needs\sto|need\sto|has\sto|have\sto|must|should|"
        r"takes\scare|is\sin\scharge|is\sresponsible|"
        r"va|vont|doit|doivent|devra|s'occupe|se\scharge|prépare|envoie)\b"
    ),
    # "Sarah, can you ...", "Julie, peux-tu ..."
    re.compile(
        rf"(?<![\w'])(?P<owner>{_NAME}),\s(?:can|could|would|will|please|"
        r"peux-tu|pouvez-vous|tu\speux|vous\spouvez|s'il)\b"
    ),
    # "assigned to Sarah", "action item for Tom", "c'est pour Julie"
    re.compile(
        rf"\b(?:assigned\sto|action\sitems?\sfor|owner\sis|confié\sà|c'est\spour)\s(?P<owner>{_NAME})"
    ),
)
_NOT_NAMES = frozenset(
    f"{_WEEKDAYS}|january|february|march|april|june|july|august|september|october|november|"
    "december|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "everyone|everybody|someone|somebody|nobody|anyone|team|then|also|maybe|okay|alright|"
    "yeah|right|well|so|now|next|first|finally|tout|quelqu'un|personne|ensuite|puis|après|"
    "bon|alors|donc|voilà|ouais|ok".split("|")
)

_LEADING_FILLERS = re.compile(
    r"^(?:(?:so|okay|ok|well|yeah|yes|alright|and|but|um|uh|alors|bon|euh|ben|donc|voilà|"
    r"d'accord|et|mais|oui|bah)\b[\s,.!]*|right[,.!]\s*)+",
    re.IGNORECASE,
)


def _normalize(text: str) -> str:
    return text.replace("’", "'")


def is_decision(text: str) -> bool:
    text = _normalize(text)
    return bool(_DECISION.search(text)) and not _UNDECIDED.search(text)


def states_team_decision(text: str) -> bool:
    return bool(_TEAM_DECISION.search(_normalize(text).strip()))


def is_request(text: str) -> bool:
    """A task asked of someone ("Sarah, can you …?")."""
    return bool(_REQUEST.search(_normalize(text)))


def announces_team_intent(text: str) -> bool:
    return bool(_TEAM_INTENT.search(_normalize(text)))


def is_action(text: str) -> bool:
    text = _normalize(text)
    if text.rstrip().endswith("?"):
        return bool(_REQUEST.search(text))
    return bool(_ACTION.search(text) or _REQUEST.search(text) or find_owner(text))


def owner_of(text: str, speaker: str) -> str | None:
    """Who a task belongs to: the person the sentence names, else its speaker when they take
    it on in the first person ("I will send the budget"), else nobody."""
    named = find_owner(text)
    if named is not None:
        return named
    if speaker and _FIRST_PERSON_COMMITMENT.search(_normalize(text)):
        return speaker
    return None


def find_owner(text: str) -> str | None:
    """The person or team a task is given to, when the sentence names one."""
    text = _normalize(text)
    stop_words = _words_that_are_not_names()
    for pattern in _OWNER_PATTERNS:
        for match in pattern.finditer(text):
            owner = match.group("owner")
            names = re.split(r"\s(?:and|et)\s", owner)
            if all(
                name.lower() not in stop_words and name.lower() not in _NOT_NAMES for name in names
            ):
                return owner
    return None


@cache
def _words_that_are_not_names() -> frozenset[str]:
    return language_tools("en").stop_words | language_tools("fr").stop_words | _NOT_NAMES


def clean_sentence(text: str) -> str:
    """Drop spoken lead-ins ("So, okay, ...") and capitalize what remains."""
    cleaned = _LEADING_FILLERS.sub("", text.strip()).strip()
    if not cleaned:
        return text.strip()
    return cleaned[0].upper() + cleaned[1:]
