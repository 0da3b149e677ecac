"""Groq transcription against a local stand-in, and when the fallback is used."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from services.transcriber.engine import (
    AudioSource,
    FallbackTranscriber,
    GroqTranscriber,
    PermanentTranscriptionError,
    ProgressCallback,
    Segment,
    Transcriber,
    Transcript,
    TranscriptionError,
    TranscriptionOptions,
)
from tests.media import convert_audio, make_video_without_audio, read_audio
from tests.transcriber.groq_stand_in import GroqStandIn, running_groq_stand_in


@pytest.fixture
def stand_in() -> Iterator[GroqStandIn]:
    with running_groq_stand_in() as server:
        yield server


def groq_for(stand_in: GroqStandIn, max_upload_bytes: int = 25 * 1024 * 1024) -> GroqTranscriber:
    return GroqTranscriber(
        api_key="test-key",
        base_url=stand_in.base_url,
        max_upload_bytes=max_upload_bytes,
        max_retries=0,
    )


def seconds_of(path: Path) -> float:
    samples, rate = read_audio(path)
    return len(samples) / rate


def test_a_small_file_is_uploaded_unchanged_in_one_request(
    stand_in: GroqStandIn, english_wav: Path, tmp_path: Path
) -> None:
    mp3 = convert_audio(english_wav, tmp_path / "meeting.mp3")

    transcript = groq_for(stand_in).transcribe(mp3, TranscriptionOptions(language="en"))

    [upload] = stand_in.uploads
    assert upload.data == mp3.read_bytes()
    assert upload.filename == "meeting.mp3"
    assert upload.authorization == "Bearer test-key"
    assert upload.fields["model"] == "whisper-large-v3"
    assert upload.fields["response_format"] == "verbose_json"
    assert upload.fields["language"] == "en"
    assert transcript.text == "part 1"
    assert transcript.model == "groq:whisper-large-v3"
    assert transcript.language == "en"
    assert transcript.duration == pytest.approx(seconds_of(mp3), abs=0.1)


def test_a_file_over_the_limit_is_sent_as_flac_chunks_on_one_timeline(
    stand_in: GroqStandIn, english_wav: Path
) -> None:
    progress: list[float] = []

    transcript = groq_for(stand_in, max_upload_bytes=40_000).transcribe(
        english_wav, TranscriptionOptions(language=""), on_progress=progress.append
    )

    assert len(stand_in.uploads) >= 3
    assert all(len(upload.data) <= 40_000 for upload in stand_in.uploads)
    assert all(upload.filename.endswith(".flac") for upload in stand_in.uploads)
    # Each stand-in segment spans its whole chunk and its words share it evenly, so the
    # shifted words must tile the recording, in chunk order.
    words = [word for segment in transcript.segments for word in segment.words]
    assert words[0].start == 0.0
    for previous, current in itertools.pairwise(words):
        assert current.start == pytest.approx(previous.end, abs=0.01)
    assert words[-1].end == pytest.approx(seconds_of(english_wav), abs=0.05)
    chunks = len(stand_in.uploads)
    assert transcript.text == " ".join(f"part {n + 1}" for n in range(chunks))
    assert transcript.language == "en"
    assert progress[0] == 0.0
    assert progress[-1] == 1.0
    assert progress == sorted(progress)


def test_the_language_detected_on_the_first_chunk_is_pinned_for_the_rest(
    stand_in: GroqStandIn, french_wav: Path
) -> None:
    stand_in.language = "French"

    transcript = groq_for(stand_in, max_upload_bytes=60_000).transcribe(
        french_wav, TranscriptionOptions(language="")
    )

    assert "language" not in stand_in.uploads[0].fields
    assert all(upload.fields["language"] == "fr" for upload in stand_in.uploads[1:])
    assert transcript.language == "fr"


def test_a_format_groq_does_not_read_is_re_encoded(
    stand_in: GroqStandIn, english_wav: Path, tmp_path: Path
) -> None:
    mka = convert_audio(english_wav, tmp_path / "meeting.mka")

    groq_for(stand_in).transcribe(mka, TranscriptionOptions(language="en"))

    [upload] = stand_in.uploads
    assert upload.filename.endswith(".flac")


def test_a_groq_server_error_is_a_transient_error(stand_in: GroqStandIn, english_wav: Path) -> None:
    stand_in.fail_with_status = 503

    with pytest.raises(TranscriptionError) as raised:
        groq_for(stand_in).transcribe(english_wav, TranscriptionOptions(language="en"))

    assert not isinstance(raised.value, PermanentTranscriptionError)


def test_groq_rejects_a_video_without_audio_before_uploading(
    stand_in: GroqStandIn, tmp_path: Path
) -> None:
    video = make_video_without_audio(tmp_path / "silent.mp4")

    with pytest.raises(PermanentTranscriptionError, match="no audio track"):
        groq_for(stand_in).transcribe(video, TranscriptionOptions(language="en"))

    assert stand_in.uploads == []


class ScriptedTranscriber(Transcriber):
    """Returns a transcript or raises a given error; remembers what it was asked."""

    def __init__(self, error: TranscriptionError | None = None, name: str = "local") -> None:
        self.error = error
        self.name = name
        self.calls: list[tuple[AudioSource, str]] = []

    def _transcribe(
        self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
    ) -> Transcript:
        assert not isinstance(source, np.ndarray)
        self.calls.append((source, options.language))
        report(0.5)
        if self.error is not None:
            raise self.error
        segment = Segment(0.0, 1.0, self.name)
        return Transcript(self.name, (segment,), options.language or "en", 1.0, self.name)


def test_fallback_is_not_used_when_local_transcription_succeeds() -> None:
    local, remote = ScriptedTranscriber(), ScriptedTranscriber(name="groq")

    transcript = FallbackTranscriber(local, remote).transcribe(
        "a.wav", TranscriptionOptions(language="en")
    )

    assert transcript.model == "local"
    assert remote.calls == []


def test_a_transient_local_failure_falls_back_to_groq() -> None:
    local = ScriptedTranscriber(TranscriptionError("model crashed"))
    remote = ScriptedTranscriber(name="groq")

    transcript = FallbackTranscriber(local, remote).transcribe(
        "a.wav", TranscriptionOptions(language="fr")
    )

    assert transcript.model == "groq"
    assert remote.calls == [("a.wav", "fr")]


def test_a_permanent_failure_is_not_retried_with_groq() -> None:
    local = ScriptedTranscriber(PermanentTranscriptionError("The file has no audio track"))
    remote = ScriptedTranscriber(name="groq")

    with pytest.raises(PermanentTranscriptionError):
        FallbackTranscriber(local, remote).transcribe("a.wav", TranscriptionOptions(language="en"))

    assert remote.calls == []


def test_without_groq_the_local_failure_is_raised() -> None:
    local = ScriptedTranscriber(TranscriptionError("model crashed"))

    with pytest.raises(TranscriptionError, match="model crashed"):
        FallbackTranscriber(local, None).transcribe("a.wav", TranscriptionOptions(language="en"))


def test_a_stream_is_rewound_before_groq_reads_it() -> None:
    positions: list[int] = []

    class ConsumingTranscriber(ScriptedTranscriber):
        def _transcribe(
            self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
        ) -> Transcript:
            assert isinstance(source, io.BytesIO)
            positions.append(source.tell())
            source.read()
            return super()._transcribe(source, options, report)

    local = ConsumingTranscriber(TranscriptionError("model crashed"))
    remote = ConsumingTranscriber(name="groq")

    FallbackTranscriber(local, remote).transcribe(
        io.BytesIO(b"audio bytes"), TranscriptionOptions(language="en")
    )

    assert positions == [0, 0]


def test_progress_stays_monotonic_across_the_fallback() -> None:
    local = ScriptedTranscriber(TranscriptionError("model crashed"))
    remote = ScriptedTranscriber(name="groq")
    seen: list[float] = []

    FallbackTranscriber(local, remote).transcribe(
        "a.wav", TranscriptionOptions(language="en"), seen.append
    )

    assert seen == sorted(seen)


def test_groq_end_to_end_through_the_fallback(stand_in: GroqStandIn, english_wav: Path) -> None:
    local = ScriptedTranscriber(TranscriptionError("out of memory"))

    transcript = FallbackTranscriber(local, groq_for(stand_in)).transcribe(
        english_wav, TranscriptionOptions(language="en")
    )

    assert transcript.text == "part 1"
    assert len(stand_in.uploads) == 1
