from __future__ import annotations

from services.summarizer.engine import Segment
from services.summarizer.engine.speaker_names import suggest_speaker_names


def _talk(*lines: tuple[str, str]) -> list[Segment]:
    return [Segment(i * 5.0, i * 5.0 + 4, text, speaker) for i, (speaker, text) in enumerate(lines)]


def test_the_person_addressed_is_whoever_answers() -> None:
    talk = _talk(
        ("Speaker 1", "Priya, where are we with the launch date?"),
        ("Speaker 2", "We planned it for the third of December."),
        ("Speaker 1", "And how is the budget, Daniel?"),
        ("Speaker 3", "About sixty thousand left."),
    )

    assert suggest_speaker_names(talk) == {"Speaker 2": "Priya", "Speaker 3": "Daniel"}


def test_thanks_name_the_previous_speaker_and_introductions_the_speaker() -> None:
    talk = _talk(
        ("Speaker 1", "For the record, I'm Sheila and I run the panel."),
        ("Speaker 2", "I will send the lease by Friday."),
        ("Speaker 1", "Thanks, Julien. Next point."),
    )

    assert suggest_speaker_names(talk) == {"Speaker 1": "Sheila", "Speaker 2": "Julien"}


def test_ordinary_words_and_one_voice_name_nobody() -> None:
    assert suggest_speaker_names(_talk(("A", "Thanks, that works."), ("B", "Okay."))) == {}
    assert suggest_speaker_names(_talk(("Speaker 1", "Hi, I'm Sheila."))) == {}
