"""Shared fixtures: a speech corpus built once per session, one engine per session, and for
the fan-out tests a local object store and a recording cut into 4 chunks."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from services.kernel.storage import ObjectStore, StorageSettings, store_from_settings
from services.transcriber.engine import EngineSettings, TranscriptionEngine
from services.transcriber.engine.audio import SAMPLE_RATE
from tests.media import synthesize_speech
from tests.transcriber.speech_texts import ENGLISH_TEXT, FRENCH_TEXT


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def english_wav(media_dir: Path) -> Path:
    return synthesize_speech(ENGLISH_TEXT, media_dir / "english.wav", voice="en")


@pytest.fixture(scope="session")
def french_wav(media_dir: Path) -> Path:
    return synthesize_speech(FRENCH_TEXT, media_dir / "french.wav", voice="fr")


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> TranscriptionEngine:
    """Shared so each whisper model loads once for the whole session (as in the service)."""
    cache = tmp_path_factory.mktemp("model-cache")
    return TranscriptionEngine(EngineSettings(cache_dir=cache))


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return store_from_settings(StorageSettings(data_dir=tmp_path, storage_backend="local"))


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """70 s of noise with a pause every ~18 s, so the fan-out tests cut it into 4
    chunks (20 s chunks, 2 s overlap)."""
    rng = np.random.default_rng(3)
    samples = 0.3 * rng.standard_normal(70 * SAMPLE_RATE)
    for pause in (17.5, 35.0, 52.5):
        samples[int(pause * SAMPLE_RATE) : int((pause + 0.5) * SAMPLE_RATE)] = 0.0
    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())
    return path
