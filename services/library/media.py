"""Sniff what an uploaded file really is from its bytes (PyAV/FFmpeg), never from its name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from services.kernel.errors import InvalidArgument
from services.kernel.storage import MediaKind

# Codecs a browser-grade WebM may carry; anything else in a Matroska container is MKV.
WEBM_CODECS = frozenset({"vp8", "vp9", "av1", "opus", "vorbis"})
ALLOWED = "audio (mp3, wav, m4a, ogg, flac, webm) or video (mp4, webm, mkv, mov)"


@dataclass(frozen=True)
class MediaInfo:
    kind: MediaKind
    extension: str  # without the dot
    content_type: str
    duration_seconds: float


def _unsupported(detail: str) -> InvalidArgument:
    return InvalidArgument(
        f"This file is not a supported recording ({detail}). Upload {ALLOWED}.",
        reason="UNSUPPORTED_MEDIA",
    )


def _classify(
    format_names: set[str], has_video: bool, codecs: set[str], brand: str
) -> tuple[str, str]:
    """(extension, content type) for the container PyAV found."""
    if "mp3" in format_names:
        return "mp3", "audio/mpeg"
    if "wav" in format_names:
        return "wav", "audio/wav"
    if "flac" in format_names:
        return "flac", "audio/flac"
    if "ogg" in format_names:
        return "ogg", "audio/ogg"
    if "matroska" in format_names or "webm" in format_names:
        if codecs <= WEBM_CODECS:
            return "webm", "video/webm" if has_video else "audio/webm"
        if has_video:
            return "mkv", "video/x-matroska"
        raise _unsupported("Matroska audio other than WebM")
    if "mov" in format_names or "mp4" in format_names:
        if not has_video:
            return "m4a", "audio/mp4"
        if brand.startswith("qt"):
            return "mov", "video/quicktime"
        return "mp4", "video/mp4"
    raise _unsupported(f"container '{'/'.join(sorted(format_names))}'")


def probe(path: Path) -> MediaInfo:
    """Opens the file with FFmpeg and decodes its first audio frames; raises InvalidArgument
    with a message a person understands when it is not a usable recording."""
    if path.stat().st_size == 0:
        raise InvalidArgument("The file is empty.", reason="EMPTY_FILE")
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise _unsupported("FFmpeg cannot read it") from exc
    with container:
        format_names = set(container.format.name.split(","))
        audio = [s for s in container.streams.audio]
        video = [s for s in container.streams if s.type == "video"]
        codecs = {s.codec_context.name for s in (*audio, *video) if s.codec_context}
        brand = str(container.metadata.get("major_brand", ""))
        extension, content_type = _classify(format_names, bool(video), codecs, brand)
        if not audio:
            what = "video" if video else "file"
            raise InvalidArgument(
                f"The {what} has no audio track, so there is nothing to transcribe.",
                reason="NO_AUDIO_TRACK",
            )
        declared = _declared_duration(container, audio[0])
        _decode_some_audio(container, audio[0])
        duration = _scanned_duration(container, audio[0])
    if declared > 0 and duration < 0.9 * declared:
        raise InvalidArgument(
            f"The file seems truncated: it should last {declared:.1f} s but only "
            f"{duration:.1f} s could be read. Upload the complete file.",
            reason="TRUNCATED_MEDIA",
        )
    if duration <= 0:
        raise InvalidArgument("The recording is empty (zero seconds long).", reason="EMPTY_MEDIA")
    return MediaInfo(
        kind="video" if video else "audio",
        extension=extension,
        content_type=content_type,
        duration_seconds=duration,
    )


def _declared_duration(
    container: av.container.InputContainer, stream: av.audio.AudioStream
) -> float:
    """What the headers claim (may be an estimate, or absent)."""
    if container.duration:
        return float(container.duration / av.time_base)
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return 0.0


def _scanned_duration(
    container: av.container.InputContainer, stream: av.audio.AudioStream
) -> float:
    """The real length: the end of the last audio packet. Demuxing reads the file but
    decodes nothing, so it stays fast; headers alone are wrong for Ogg and truncated files."""
    container.seek(0)
    end = 0.0
    time_base = stream.time_base
    for packet in container.demux(stream):
        if packet.pts is not None and time_base is not None:
            end = max(end, float((packet.pts + (packet.duration or 0)) * time_base))
    start = float(stream.start_time * time_base) if stream.start_time and time_base else 0.0
    return max(0.0, end - start)


def _decode_some_audio(
    container: av.container.InputContainer, stream: av.audio.AudioStream
) -> None:
    """A real recording decodes; random bytes that happen to parse as a header do not."""
    try:
        for index, _frame in enumerate(container.decode(stream)):
            if index >= 3:
                return
    except (av.error.FFmpegError, ValueError) as exc:
        raise InvalidArgument(
            "The audio in this file cannot be decoded; it may be damaged or truncated.",
            reason="UNDECODABLE_MEDIA",
        ) from exc
    # Fewer than a few frames: tiny but valid recordings still pass the duration check.
