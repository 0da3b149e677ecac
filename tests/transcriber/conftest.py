"""Shared fixtures: a speech corpus built once per session and one engine per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.transcriber.engine import EngineSettings, TranscriptionEngine
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
