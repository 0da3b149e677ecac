"""Sniff what an uploaded file really is from its bytes (PyAV/FFmpeg), never from its name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from services.kernel.errors import InvalidArgument
from services.kernel.storage import MediaKind
from services.library.pcm_headers import sample_data

# Codecs a browser-grade WebM may carry; anything else in a Matroska container is MKV.
WEBM_CODECS = frozenset({"vp8", "vp9", "av1", "opus", "vorbis"})
ALLOWED = "audio (mp3, wav, aiff, m4a, ogg, flac, webm) or video (mp4, webm, mkv, mov)"
# Shorter than this holds no sentence to transcribe (a 60-byte WAV lasts 0.0005 s).
MIN_DURATION_SECONDS = 0.5
# Random bytes that parse as a header decode to nothing: stop after this many failures.
MAX_LEADING_DAMAGED_PACKETS = 8


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
    if "aiff" in format_names:
        return "aiff", "audio/aiff"
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


def probe(path: Path, *, max_duration_seconds: float) -> MediaInfo:
    """Opens the file with FFmpeg and decodes its audio; raises InvalidArgument with a message
    a person understands when it is not a usable recording (damaged, truncated, too short or
    longer than `max_duration_seconds`)."""
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
        # Decoding past the limit would only tell how much longer it is.
        duration = _decoded_duration(container, audio[0], stop_after=max_duration_seconds)
    _check_header_complete(path)
    # Before the truncation check: decoding stopped at the limit, so less than declared was read.
    if duration > max_duration_seconds:
        raise InvalidArgument(
            f"The recording is longer than the {_hours_and_minutes(max_duration_seconds)} "
            "limit; split it into shorter parts.",
            reason="MEDIA_TOO_LONG",
            metadata={"max_seconds": f"{max_duration_seconds:g}"},
        )
    if declared > 0 and duration < 0.9 * declared:
        raise InvalidArgument(
            f"The file seems truncated: it should last {declared:.1f} s but only "
            f"{duration:.1f} s could be read. Upload the complete file.",
            reason="TRUNCATED_MEDIA",
        )
    if duration < MIN_DURATION_SECONDS:
        raise InvalidArgument(
            f"The recording is too short to transcribe: it lasts {duration:.1f} s, and at "
            f"least {MIN_DURATION_SECONDS:g} s of audio is needed.",
            reason="MEDIA_TOO_SHORT",
            metadata={"min_seconds": f"{MIN_DURATION_SECONDS:g}"},
        )
    return MediaInfo(
        kind="video" if video else "audio",
        extension=extension,
        content_type=content_type,
        duration_seconds=duration,
    )


def _check_header_complete(path: Path) -> None:
    samples = sample_data(path)
    if samples is not None and samples.truncated:
        kept = 100 * samples.present_bytes / samples.declared_bytes
        raise InvalidArgument(
            f"The file is incomplete: its header announces more audio than it holds (only "
            f"{kept:.0f} % is there). It was probably cut off while copying or uploading; "
            "upload the complete file.",
            reason="TRUNCATED_MEDIA",
        )


def _hours_and_minutes(seconds: float) -> str:
    hours, minutes = divmod(round(seconds / 60), 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _declared_duration(
    container: av.container.InputContainer, stream: av.audio.AudioStream
) -> float:
    """What the headers claim (may be an estimate, or absent)."""
    if container.duration:
        return float(container.duration / av.time_base)
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return 0.0


def _decoded_duration(
    container: av.container.InputContainer, stream: av.audio.AudioStream, *, stop_after: float
) -> float:
    """The real length, counted from decoded samples: headers are estimates (Ogg, VBR mp3),
    absent, or lies (a small file can decode to hours of audio). Frames are dropped as soon as
    they are counted, so memory stays flat; decoding stops once past `stop_after`.

    A packet that does not decode is skipped, as players and the transcriber do; a file where
    none decodes is not audio."""
    seconds = 0.0
    decoded = damaged = 0
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except (av.error.FFmpegError, ValueError):
            damaged += 1
            if decoded == 0 and damaged >= MAX_LEADING_DAMAGED_PACKETS:
                break
            continue
        for frame in frames:
            decoded += 1
            if isinstance(frame, av.AudioFrame) and frame.sample_rate:
                seconds += frame.samples / frame.sample_rate
        if seconds > stop_after:
            break
    if decoded == 0 and damaged:
        raise InvalidArgument(
            "The audio in this file cannot be decoded; it may be damaged or truncated.",
            reason="UNDECODABLE_MEDIA",
        )
    return seconds
