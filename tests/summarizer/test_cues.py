from __future__ import annotations

import pytest

from services.summarizer.engine.extractive.cues import (
    clean_sentence,
    find_owner,
    is_action,
    is_decision,
    states_team_decision,
)


@pytest.mark.parametrize(
    ("sentence", "owner"),
    [
        ("Sarah will send the revised budget by Friday.", "Sarah"),
        ("Tom, can you book the flights?", "Tom"),
        ("Tom and Lisa need to review the contract.", "Tom and Lisa"),
        ("Marc va préparer la présentation pour jeudi.", "Marc"),
        ("Julie, peux-tu relancer le fournisseur ?", "Julie"),
        ("This task is assigned to Priya.", "Priya"),
        ("I'll send the notes tomorrow.", None),
        ("Monday will work for everyone.", None),
        ("Everyone will love the new design.", None),
    ],
)
def test_owner_is_the_named_person(sentence: str, owner: str | None) -> None:
    assert find_owner(sentence) == owner


@pytest.mark.parametrize(
    "sentence",
    [
        "We decided to book the smaller booth.",
        "We agreed to postpone the launch.",
        "Nous avons décidé de signer le bail pour trois ans.",
        "On a convenu de garder les anciens bureaux.",
        "That's settled, the vendor stays.",
        "We're going ahead with the new supplier.",
        "Refunds go through the portal from now on.",
        "Going forward, the standup is at nine.",
    ],
)
def test_decision_cues_are_recognized(sentence: str) -> None:
    assert is_decision(sentence)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Then we move the launch to the seventeenth.", True),
        ("Let's keep the price as it is.", True),
        ("Okay, we extend the pilot by a month.", True),
        ("No more overtime in December.", True),
        ("The team won't travel to the fair.", True),
        ("Let's get started.", False),
        ("So we need to find a vendor.", False),
        ("We have a problem with the printer.", False),
    ],
)
def test_the_team_stating_what_it_does_is_a_decision(sentence: str, expected: bool) -> None:
    assert states_team_decision(sentence) is expected


@pytest.mark.parametrize(
    "sentence",
    ["We haven't decided on the vendor yet.", "Rien n'est décidé pour le moment."],
)
def test_undecided_matters_are_not_decisions(sentence: str) -> None:
    assert not is_decision(sentence)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("I'll send the notes tomorrow.", True),
        ("Il faut réserver la salle avant vendredi.", True),
        ("Should we need to hire more people?", False),
        ("Could you share the slides?", True),
        ("It will be hard to finish.", False),
    ],
)
def test_action_cues(sentence: str, expected: bool) -> None:
    assert is_action(sentence) is expected


def test_spoken_lead_ins_are_dropped() -> None:
    assert clean_sentence("So, okay, we decided to wait.") == "We decided to wait."
    assert clean_sentence("Bon, alors on commence.") == "On commence."
    assert clean_sentence("Right now the budget is tight.") == "Right now the budget is tight."
