from __future__ import annotations

from services.summarizer.engine import Segment
from services.summarizer.engine.grounding import grounded_speaker_names
from services.summarizer.engine.llm_output import LlmSpeakerName, LlmSummary
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


def _answer(*names: tuple[str, str]) -> LlmSummary:
    return LlmSummary(
        title="Budget",
        summary="The budget goes to finance.",
        key_points=[],
        decisions=[],
        action_items=[],
        topics=[],
        speaker_names=[LlmSpeakerName(speaker=label, name=name) for label, name in names],
    )


def test_a_rule_based_name_beats_the_models_guess() -> None:
    talk = _talk(
        ("Speaker 1", "Priya, can you send the revised budget to finance?"),
        ("Speaker 2", "Yes, I will send it by Friday."),
    )

    names = grounded_speaker_names(_answer(("Speaker 1", "Priya")), talk)

    assert names == {"Speaker 2": "Priya"}


def test_a_guess_naming_a_speaker_after_whom_they_address_is_dropped() -> None:
    # No turn before the thanks, so the rules name nobody; the model's guesses are all there is.
    talk = _talk(
        ("Speaker 1", "Thanks, Priya, for coming. The budget goes to finance."),
        ("Speaker 2", "I will send it by Friday."),
    )

    assert grounded_speaker_names(_answer(("Speaker 1", "Priya")), talk) == {}
    assert grounded_speaker_names(_answer(("Speaker 2", "Priya")), talk) == {"Speaker 2": "Priya"}
