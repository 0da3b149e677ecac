"""Chunk results become one transcript: at every seam each word is kept once (none lost,
none doubled), and a voice keeps one speaker id across chunks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from services.transcriber.engine.diarization import SpeakerTurn, VoicedTurns
from services.transcriber.engine.transcript import Word
from services.transcriber.fanout.merge import merge_chunks, stitch_seam, stitch_words
from services.transcriber.fanout.result import ChunkResult
from speechflow.events.v1 import events_pb2

SEAM = 10.0
OVERLAP = 2.0
SENTENCE = (
    "the budget for the next quarter is approved and we decided to hire two engineers "
    "for the search team while sarah prepares the hiring plan by friday"
)
TEXT = SENTENCE.split()


def spoken(start: float = 6.0, every: float = 0.4, length: float = 0.3) -> list[Word]:
    """TEXT said at a steady pace from `start`."""
    return [
        Word(start + i * every, start + i * every + length, f" {t}") for i, t in enumerate(TEXT)
    ]


def heard(words: Sequence[Word], low: float, high: float, shift: float) -> list[Word]:
    """What a chunk whose audio spans [low, high) reports: the words inside it, timed a
    little differently than its neighbour times them."""
    return [
        Word(w.start + shift, w.end + shift, w.text)
        for w in words
        if w.start >= low and w.end <= high
    ]


def texts(words: Sequence[Word]) -> list[str]:
    return [w.text.strip() for w in words]


def test_the_overlap_is_kept_once_when_the_chunks_time_it_differently() -> None:
    words = spoken()
    left = heard(words, 0.0, SEAM, +0.12)
    right = heard(words, SEAM - OVERLAP, 60.0, -0.12)

    assert texts(stitch_seam(left, right, SEAM, OVERLAP)) == TEXT


def test_a_word_cut_by_the_seam_is_kept_once_as_the_later_chunk_heard_it() -> None:
    words = [*spoken(start=6.0)[:10], Word(9.8, 10.3, " across"), *spoken(start=10.5)[:10]]
    left = heard(words, 0.0, SEAM, 0.05)
    left.append(Word(9.85, 10.0, " acr"))  # the earlier chunk's audio ends inside it
    right = heard(words, SEAM - OVERLAP, 60.0, -0.05)

    assert texts(stitch_seam(left, right, SEAM, OVERLAP)) == texts(words)


def test_words_misheard_at_either_edge_of_the_overlap_are_dropped() -> None:
    words = spoken()
    left = heard(words, 0.0, SEAM, 0.0)
    right = heard(words, SEAM - OVERLAP, 60.0, 0.0)
    left[-1] = Word(left[-1].start, left[-1].end, " hi")
    right[0] = Word(right[0].start, right[0].end, " ered")

    assert texts(stitch_seam(left, right, SEAM, OVERLAP)) == TEXT


def test_an_utterance_the_earlier_chunk_dropped_at_its_end_comes_from_the_later_chunk() -> None:
    words = spoken()
    left = [w for w in heard(words, 0.0, SEAM, 0.0) if w.start < SEAM - OVERLAP - 0.3]
    right = heard(words, SEAM - OVERLAP - 0.5, 60.0, 0.1)

    assert texts(stitch_seam(left, right, SEAM, OVERLAP)) == TEXT


def test_a_seam_in_a_pause_loses_nothing() -> None:
    first, second = spoken(start=0.0)[:20], spoken(start=12.0)[20:]
    left = heard([*first, *second], 0.0, SEAM, 0.0)
    right = heard([*first, *second], SEAM - OVERLAP, 60.0, 0.0)

    assert texts(stitch_seam(left, right, SEAM, OVERLAP)) == texts([*first, *second])


def test_chunks_that_disagree_in_the_overlap_still_give_each_word_once() -> None:
    words = spoken()
    left = heard(words, 0.0, SEAM, 0.0)
    right = heard(words, SEAM - OVERLAP, 60.0, 0.0)
    # No word of the overlap reads the same in both.
    right = [Word(w.start, w.end, w.text + "x") if w.start < SEAM else w for w in right]

    merged = stitch_seam(left, right, SEAM, OVERLAP)

    assert len(merged) == len(TEXT)
    assert [w.start for w in merged] == sorted(w.start for w in merged)


def test_many_seams_in_a_row() -> None:
    words = [Word(i * 0.5, i * 0.5 + 0.35, f" w{i}") for i in range(120)]
    seams = [0.0, 14.9, 30.1, 44.7]
    chunks = []
    for index, seam in enumerate(seams):
        end = seams[index + 1] if index + 1 < len(seams) else 60.0
        shift = 0.1 if index % 2 else -0.1
        chunks.append((seam, heard(words, seam - OVERLAP, end, shift)))

    assert texts(stitch_words(chunks, OVERLAP)) == texts(words)


def voice(seed: int) -> tuple[float, ...]:
    return tuple(float(v) for v in np.random.default_rng(seed).standard_normal(192))


def chunk(
    index: int,
    offset: float,
    keep: tuple[float, float],
    words: list[Word],
    turns: list[SpeakerTurn],
    voices: dict[int, tuple[float, ...]],
) -> ChunkResult:
    request = events_pb2.TranscriptionChunkRequested(
        chunk_index=index,
        audio_offset_seconds=offset,
        keep_start_seconds=keep[0],
        keep_end_seconds=keep[1],
    )
    return ChunkResult.answering(
        request,
        language="en",
        model="tiny.en",
        words=words,
        voiced=VoicedTurns(turns, {k: np.asarray(v) for k, v in voices.items()}),
    )


def test_a_voice_keeps_its_speaker_id_across_chunks_whatever_each_chunk_numbered_it() -> None:
    alice, bob = voice(1), voice(2)
    first = [Word(0.5 + i * 0.4, 0.8 + i * 0.4, f" alice{i}.") for i in range(10)]
    first += [Word(6.0 + i * 0.4, 6.3 + i * 0.4, f" bob{i}.") for i in range(8)]
    second = [Word(11.0 + i * 0.4, 11.3 + i * 0.4, f" bob{i + 8}.") for i in range(8)]
    second += [Word(16.0 + i * 0.4, 16.3 + i * 0.4, f" alice{i + 10}.") for i in range(8)]
    results = [
        chunk(
            0,
            0.0,
            (0.0, SEAM),
            first,
            [SpeakerTurn(0.4, 4.5, 0), SpeakerTurn(5.9, 9.5, 1)],
            {0: alice, 1: bob},
        ),
        # Diarized on its own: Bob is its speaker 0 now. Turns are in the chunk's own time.
        chunk(
            1,
            SEAM - OVERLAP,
            (SEAM, 20.0),
            second,
            [SpeakerTurn(2.9, 6.5, 0), SpeakerTurn(7.9, 12.0, 1)],
            {0: bob, 1: alice},
        ),
    ]

    transcript = merge_chunks(results[::-1], OVERLAP)

    by_word = {w.text.strip(" ."): s.speaker_id for s in transcript.segments for w in s.words}
    assert {by_word[f"alice{i}"] for i in range(18)} == {"S1"}
    assert {by_word[f"bob{i}"] for i in range(16)} == {"S2"}
    assert len(transcript.speakers) == 2
    assert transcript.duration == 20.0
    assert [w.start for s in transcript.segments for w in s.words] == sorted(
        w.start for s in transcript.segments for w in s.words
    )


def test_a_chunk_result_survives_storage() -> None:
    result = chunk(3, 58.0, (60.0, 240.0), spoken(60.0), [SpeakerTurn(2.0, 9.0, 1)], {1: voice(3)})

    again = ChunkResult.from_json(result.to_json())

    assert again == result
    assert again.voiced_turns().turns == [SpeakerTurn(2.0, 9.0, 1)]
