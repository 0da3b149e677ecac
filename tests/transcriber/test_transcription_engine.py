"""The local engine on real models and synthesized speech."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from services.transcriber.engine import (
    EngineSettings,
    PermanentTranscriptionError,
    TranscriptionEngine,
    TranscriptionError,
    TranscriptionOptions,
)
from tests.media import (
    content_word_recall,
    convert_audio,
    make_video_with_audio,
    read_audio,
    synthesize_speech,
    write_audio,
)
from tests.transcriber.speech_texts import ENGLISH_TEXT, FRENCH_TEXT

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("suffix", [".wav", ".mp3", ".ogg", ".m4a", ".webm"])
def test_english_speech_is_transcribed_from_common_audio_formats(
    engine: TranscriptionEngine, english_wav: Path, tmp_path: Path, suffix: str
) -> None:
    recording = convert_audio(english_wav, tmp_path / f"meeting{suffix}")

    transcript = engine.transcribe(recording, TranscriptionOptions(language="en"))

    assert content_word_recall(ENGLISH_TEXT, transcript.text) >= 0.7, transcript.text
    assert transcript.language == "en"
    assert transcript.model == "tiny.en"


def test_speech_in_a_video_file_is_transcribed(
    engine: TranscriptionEngine, english_wav: Path, tmp_path: Path
) -> None:
    video = make_video_with_audio(english_wav, tmp_path / "meeting.mp4")

    transcript = engine.transcribe(video, TranscriptionOptions(language="en"))

    assert content_word_recall(ENGLISH_TEXT, transcript.text) >= 0.7, transcript.text


def test_transcript_segments_are_ordered_and_inside_the_recording(
    engine: TranscriptionEngine, english_wav: Path
) -> None:
    transcript = engine.transcribe(english_wav, TranscriptionOptions(language="en"))

    assert transcript.segments
    assert transcript.duration == pytest.approx(len_seconds(english_wav), abs=0.1)
    for segment in transcript.segments:
        assert 0.0 <= segment.start <= segment.end <= transcript.duration
    starts = [segment.start for segment in transcript.segments]
    assert starts == sorted(starts)
    assert transcript.text == " ".join(segment.text for segment in transcript.segments)


def test_french_speech_is_transcribed_by_the_multilingual_model_with_language_detected(
    engine: TranscriptionEngine, french_wav: Path
) -> None:
    transcript = engine.transcribe(french_wav, TranscriptionOptions(language=""))

    assert transcript.language == "fr"
    assert transcript.model == "base"
    assert content_word_recall(FRENCH_TEXT, transcript.text) >= 0.7, transcript.text


def test_french_requested_explicitly_uses_the_multilingual_model(
    engine: TranscriptionEngine, french_wav: Path
) -> None:
    transcript = engine.transcribe(french_wav, TranscriptionOptions(language="fr"))

    assert (transcript.language, transcript.model) == ("fr", "base")
    assert content_word_recall(FRENCH_TEXT, transcript.text) >= 0.7, transcript.text


def test_progress_only_moves_forward_and_ends_at_one(
    engine: TranscriptionEngine, english_wav: Path
) -> None:
    reported: list[float] = []

    engine.transcribe(english_wav, TranscriptionOptions(language="en"), on_progress=reported.append)

    assert reported[0] == 0.0
    assert reported[-1] == pytest.approx(1.0)
    assert reported == sorted(reported)
    assert all(0.0 <= value <= 1.0 for value in reported)


def test_one_engine_serves_concurrent_transcriptions(
    engine: TranscriptionEngine, english_wav: Path
) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        transcripts = list(
            pool.map(
                lambda _: engine.transcribe(english_wav, TranscriptionOptions(language="en")),
                range(2),
            )
        )

    for transcript in transcripts:
        assert content_word_recall(ENGLISH_TEXT, transcript.text) >= 0.7, transcript.text


def test_sequential_decoding_gives_the_same_words_as_batched(
    english_wav: Path, engine: TranscriptionEngine
) -> None:
    settings = EngineSettings(batch_size=1, cache_dir=engine.settings.cache_dir)
    sequential = TranscriptionEngine(settings)

    transcript = sequential.transcribe(english_wav, TranscriptionOptions(language="en"))

    assert content_word_recall(ENGLISH_TEXT, transcript.text) >= 0.7, transcript.text


def test_a_model_that_cannot_be_loaded_is_a_transient_error(
    english_wav: Path, tmp_path: Path
) -> None:
    # A hub name with no model cache and no network: the model cannot be found. Retrying later
    # (or Groq) can help, the file is fine.
    broken = TranscriptionEngine(
        EngineSettings(model_en=str(tmp_path / "no-such-model"), cache_dir=tmp_path)
    )

    with pytest.raises(TranscriptionError) as raised:
        broken.transcribe(english_wav, TranscriptionOptions(language="en"))

    assert not isinstance(raised.value, PermanentTranscriptionError)
    assert "could not be loaded" in str(raised.value)


def len_seconds(path: Path) -> float:
    samples, rate = read_audio(path)
    return len(samples) / rate


def test_a_silent_recording_gives_an_empty_transcript(
    engine: TranscriptionEngine, tmp_path: Path
) -> None:
    silence = write_audio(np.zeros(16_000 * 40, dtype=np.int16), 16_000, tmp_path / "quiet.wav")

    transcript = engine.transcribe(silence, TranscriptionOptions(language="en"))

    assert (transcript.text, transcript.segments) == ("", ())
    assert transcript.duration == pytest.approx(40.0, abs=0.1)


def test_detected_english_is_decoded_by_the_english_model(
    engine: TranscriptionEngine, english_wav: Path
) -> None:
    transcript = engine.transcribe(english_wav, TranscriptionOptions(language=""))

    assert (transcript.language, transcript.model) == ("en", "tiny.en")
    assert content_word_recall(ENGLISH_TEXT, transcript.text) >= 0.7, transcript.text


@pytest.mark.parametrize("batch_size", [1, 8])
def test_hotwords_teach_the_recognizer_names_it_would_otherwise_miss(
    engine: TranscriptionEngine, tmp_path: Path, batch_size: int
) -> None:
    recording = synthesize_speech(
        "Please send the quarterly report to Kwabena and Siobhan before Friday.",
        tmp_path / "names.wav",
    )
    decoder = TranscriptionEngine(
        EngineSettings(batch_size=batch_size, cache_dir=engine.settings.cache_dir)
    )

    plain = decoder.transcribe(recording, TranscriptionOptions(language="en"))
    hinted = decoder.transcribe(
        recording, TranscriptionOptions(language="en", hotwords="Kwabena, Siobhan")
    )

    assert "Kwabena" not in plain.text
    assert "Kwabena" in hinted.text
    assert "Siobhan" in hinted.text


def test_every_word_is_timed_inside_its_segment_and_words_rebuild_the_text(
    engine: TranscriptionEngine, english_wav: Path
) -> None:
    transcript = engine.transcribe(english_wav, TranscriptionOptions(language="en"))

    words = [word for segment in transcript.segments for word in segment.words]
    assert len(words) >= 15
    for segment in transcript.segments:
        assert segment.text == "".join(word.text for word in segment.words).strip()
        assert segment.start == segment.words[0].start
        assert segment.end == segment.words[-1].end
        assert all(0.0 <= word.probability <= 1.0 for word in segment.words)
    starts = [word.start for word in words]
    assert starts == sorted(starts)
