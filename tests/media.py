"""Build speech recordings and broken media files for tests, and check what was heard.

Speech comes from Debian's `espeak-ng`; every other format is produced with PyAV (which bundles
FFmpeg), so a test can assemble a whole corpus of good and bad uploads from one sentence.
The container and codec follow the destination's suffix.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.int16]

# suffix -> (audio codec, sample rate); opus only accepts a few rates, 48 kHz is the usual one.
AUDIO_CODECS: dict[str, tuple[str, int]] = {
    ".wav": ("pcm_s16le", 22050),
    ".flac": ("flac", 22050),
    ".mp3": ("libmp3lame", 22050),
    ".ogg": ("libvorbis", 22050),
    ".opus": ("libopus", 48000),
    ".m4a": ("aac", 22050),
    ".mka": ("libopus", 48000),
    ".webm": ("libopus", 48000),
    ".mp4": ("aac", 22050),
    ".mkv": ("libopus", 48000),
}
# suffix -> video codec for the "video" helpers.
VIDEO_CODECS: dict[str, str] = {".mp4": "libx264", ".mkv": "libx264", ".webm": "libvpx"}
VIDEO_FRAMES_PER_SECOND = 2

ESPEAK_INSTALL_HINT = "espeak-ng is missing: apt-get install -y espeak-ng"


def synthesize_speech(
    text: str,
    path: Path,
    voice: str = "en",
    words_per_minute: int = 150,
    trailing_silence_seconds: float = 0.5,
) -> Path:
    """Speak `text` with espeak-ng and write it to `path` in the format its suffix names."""
    samples, rate = _espeak(text, voice, words_per_minute)
    silence = np.zeros(int(trailing_silence_seconds * rate), dtype=np.int16)
    return write_audio(np.concatenate([samples, silence]), rate, path)


def synthesize_long_speech(
    sentences: list[str], path: Path, seconds: float, voice: str = "en", pause_seconds: float = 0.6
) -> Path:
    """Repeat `sentences` (with pauses between them) until the recording lasts `seconds`."""
    pieces: list[Samples] = []
    total = 0
    rate = 0
    for sentence in _cycle(sentences):
        samples, rate = _espeak(sentence, voice, 160)
        pause = np.zeros(int(pause_seconds * rate), dtype=np.int16)
        pieces += [samples, pause]
        total += len(samples) + len(pause)
        if total >= seconds * rate:
            break
    return write_audio(np.concatenate(pieces)[: int(seconds * rate)], rate, path)


def synthesize_dialogue(
    turns: list[tuple[str, str]], path: Path, pause_seconds: float = 0.6
) -> list[tuple[float, float]]:
    """Speak `(voice, text)` turns one after another with pauses between them, as a meeting of
    several people would sound; returns each turn's (start, end) in seconds.

    espeak-ng's voices differ in pitch and formants (e.g. `en-us`, `en-gb+f3`, `en+m7`),
    which is what a diarizer tells apart."""
    pieces: list[Samples] = []
    spans: list[tuple[float, float]] = []
    rate = 22050
    position = 0
    for voice, text in turns:
        samples, rate = _espeak(text, voice, 160)
        spans.append((position / rate, (position + len(samples)) / rate))
        pause = np.zeros(int(pause_seconds * rate), dtype=np.int16)
        pieces += [samples, pause]
        position += len(samples) + len(pause)
    write_audio(np.concatenate(pieces), rate, path)
    return spans


def write_audio(samples: Samples, sample_rate: int, path: Path) -> Path:
    """Encode mono 16-bit `samples` into the container and codec that `path`'s suffix names."""
    codec, codec_rate = _audio_codec(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = _add_audio_stream(container, codec, codec_rate)
        _encode_audio(container, stream, samples, sample_rate)
    return path


def convert_audio(source: Path, destination: Path) -> Path:
    """Re-encode the audio of `source` into the format `destination`'s suffix names."""
    samples, rate = read_audio(source)
    return write_audio(samples, rate, destination)


def read_audio(path: Path) -> tuple[Samples, int]:
    """Decode the first audio track of `path` to mono 16-bit samples at its own rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=stream.rate)
        chunks = [
            out.to_ndarray().reshape(-1)
            for frame in container.decode(stream)
            for out in resampler.resample(frame)
        ]
        return np.concatenate(chunks).astype(np.int16), stream.rate


def make_video_with_audio(audio_source: Path, destination: Path) -> Path:
    """A black-picture video (mp4/mkv/webm) whose audio track is the speech in `audio_source`."""
    samples, rate = read_audio(audio_source)
    codec, codec_rate = _audio_codec(destination)
    with av.open(str(destination), mode="w") as container:
        # Every stream must exist before the first packet is muxed (the header is written then).
        video = _add_video_stream(container, VIDEO_CODECS[destination.suffix])
        audio = _add_audio_stream(container, codec, codec_rate)
        _encode_black_video(container, video, len(samples) / rate)
        _encode_audio(container, audio, samples, rate)
    return destination


def make_video_without_audio(destination: Path, seconds: float = 2.0) -> Path:
    """A black-picture video (mp4/mkv/webm) with no audio track at all."""
    with av.open(str(destination), mode="w") as container:
        video = _add_video_stream(container, VIDEO_CODECS[destination.suffix])
        _encode_black_video(container, video, seconds)
    return destination


def truncate_file(source: Path, destination: Path, keep_fraction: float = 0.3) -> Path:
    """Copy only the first part of `source`, as an interrupted upload would leave it."""
    data = source.read_bytes()
    destination.write_bytes(data[: int(len(data) * keep_fraction)])
    return destination


def write_random_bytes(destination: Path, size: int = 64 * 1024, seed: int = 0) -> Path:
    """Bytes that are no media format at all (seeded, so failures are reproducible)."""
    destination.write_bytes(random.Random(seed).randbytes(size))
    return destination


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def _espeak(text: str, voice: str, words_per_minute: int) -> tuple[Samples, int]:
    if not espeak_available():
        raise RuntimeError(ESPEAK_INSTALL_HINT)
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(wav), text],
            check=True,
            capture_output=True,
        )
        return read_audio(wav)


def _audio_codec(path: Path) -> tuple[str, int]:
    try:
        return AUDIO_CODECS[path.suffix]
    except KeyError:
        raise ValueError(f"no audio codec known for {path.suffix!r}") from None


def _add_audio_stream(
    container: av.container.OutputContainer, codec: str, codec_rate: int
) -> av.AudioStream:
    stream = container.add_stream(codec, rate=codec_rate, layout="mono")
    if not isinstance(stream, av.AudioStream):
        raise TypeError(f"{codec} is not an audio codec")
    return stream


def _encode_audio(
    container: av.container.OutputContainer,
    stream: av.AudioStream,
    samples: Samples,
    sample_rate: int,
) -> None:
    resampler = av.AudioResampler(
        format=stream.codec_context.format.name, layout="mono", rate=stream.codec_context.rate
    )
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = sample_rate
    for resampled in [*resampler.resample(frame), *resampler.resample(None)]:
        container.mux(stream.encode(resampled))
    container.mux(stream.encode(None))


def _add_video_stream(container: av.container.OutputContainer, codec: str) -> av.VideoStream:
    stream = container.add_stream(codec, rate=VIDEO_FRAMES_PER_SECOND)
    if not isinstance(stream, av.VideoStream):
        raise TypeError(f"{codec} is not a video codec")
    stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
    return stream


def _encode_black_video(
    container: av.container.OutputContainer, stream: av.VideoStream, seconds: float
) -> None:
    black = np.zeros((64, 64, 3), dtype=np.uint8)
    for index in range(max(1, int(seconds * VIDEO_FRAMES_PER_SECOND))):
        frame = av.VideoFrame.from_ndarray(black, format="rgb24")
        frame.pts = index
        frame.time_base = Fraction(1, VIDEO_FRAMES_PER_SECOND)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def _cycle(items: list[str]) -> Iterator[str]:
    while True:
        yield from items


# English and French function words; they say nothing about whether the speech was understood.
_STOPWORDS = frozenset({
    "the", "and", "for", "are", "was", "were", "this", "that", "with", "from", "have", "has",
    "will", "you", "your", "our", "into", "onto", "les", "des", "une", "est", "sont", "nous",
    "vous", "avec", "pour", "dans", "par", "sur", "ces", "cette", "qui", "que", "aux",
})  # fmt: skip


def content_words(text: str) -> list[str]:
    """Lower-case words of 3+ letters without accents or common function words."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return [word for word in re.findall(r"[a-z]{3,}", plain) if word not in _STOPWORDS]


def content_word_recall(expected: str, actual: str, prefix_letters: int = 5) -> float:
    """Share of `expected`'s content words found in `actual`.

    Words sharing their first `prefix_letters` letters count as found, which forgives the plural
    and spelling slips small Whisper models make on synthetic voices.
    """
    wanted = content_words(expected)
    heard = {word[:prefix_letters] for word in content_words(actual)}
    if not wanted:
        return 1.0
    return sum(word[:prefix_letters] in heard for word in wanted) / len(wanted)
