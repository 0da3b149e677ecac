"""Real human speech against human reference text: the service's decoding loses no more words
than plain sequential faster-whisper on the same model (the independent reference), and keeps
the last sentence of every VAD chunk — the words the batched pipeline used to drop."""

from __future__ import annotations

from pathlib import Path

import pytest
from faster_whisper import WhisperModel

from services.transcriber.engine import EngineSettings, TranscriptionEngine, TranscriptionOptions
from services.transcriber.engine.models import resolve_model
from tests import speech_corpus
from tests.speech_corpus import JFK, SENSE_AND_SENSIBILITY, SONNET_1, Clip, word_error_rate

pytestmark = pytest.mark.slow

# The bound: every decoding configuration within half a WER point of the reference.
WER_MARGIN = 0.005
READ_SPEECH = [SENSE_AND_SENSIBILITY, SONNET_1, JFK]


@pytest.fixture(scope="module")
def reference_model(engine: TranscriptionEngine) -> WhisperModel:
    location = resolve_model("tiny.en", engine.settings.cache_dir)
    return WhisperModel(location, device="cpu", compute_type="int8")


def sequential_reference(model: WhisperModel, path: Path) -> str:
    """Plain faster-whisper, as its README shows it: sequential, beam 5, VAD on."""
    segments, _info = model.transcribe(str(path), beam_size=5, language="en", vad_filter=True)
    return " ".join(segment.text.strip() for segment in segments)


@pytest.mark.parametrize("clip", READ_SPEECH, ids=lambda clip: clip.id)
@pytest.mark.parametrize("batch_size", [8, 1], ids=["batched", "sequential"])
def test_decoding_loses_no_more_words_than_plain_faster_whisper(
    engine: TranscriptionEngine, reference_model: WhisperModel, clip: Clip, batch_size: int
) -> None:
    path = speech_corpus.fetch(clip)
    decoder = TranscriptionEngine(
        EngineSettings(batch_size=batch_size, cache_dir=engine.settings.cache_dir)
    )

    ours = decoder.transcribe(path, TranscriptionOptions(language="en")).text
    reference = sequential_reference(reference_model, path)

    assert word_error_rate(clip.reference, ours) <= (
        word_error_rate(clip.reference, reference) + WER_MARGIN
    ), ours


def test_the_last_sentence_of_a_recording_is_kept(engine: TranscriptionEngine) -> None:
    # Five sentences in one VAD chunk: faster-whisper's batched pipeline with timestamps
    # dropped the unfinished last one ("He might even have been made amiable himself").
    path = speech_corpus.fetch(SENSE_AND_SENSIBILITY)

    transcript = engine.transcribe(path, TranscriptionOptions(language="en"))

    assert "amiable himself" in transcript.text
    assert word_error_rate(SENSE_AND_SENSIBILITY.reference, transcript.text) <= 0.05
    last = transcript.segments[-1]
    assert last.end == pytest.approx(last.words[-1].end)
    assert last.end <= transcript.duration
