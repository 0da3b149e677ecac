"""Every environment variable SpeechFlow reads, collected from its pydantic settings classes."""

from __future__ import annotations

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from services.auth.settings import AuthSettings
from services.kernel.settings import ServiceSettings
from services.kernel.storage import StorageSettings
from services.library.settings import LibrarySettings
from services.mesh.runner import MeshSettings
from services.notifier.settings import NotifierSettings
from services.renderer.settings import RendererSettings
from services.speech_api.settings import SpeechApiSettings
from services.summarizer.settings import SummarizerSettings
from services.transcriber.settings import TranscriberSettings

# Class constants that happen to be fields; nobody should set them from outside.
NOT_SETTINGS = frozenset({"SERVICE_NAME"})

# Which settings each compose service reads (the stages and library also build a store).
SETTINGS_OF_SERVICE: dict[str, tuple[type[BaseSettings], ...]] = {
    "auth": (AuthSettings,),
    "library": (LibrarySettings, StorageSettings),
    "transcriber": (TranscriberSettings, StorageSettings),
    "summarizer": (SummarizerSettings, StorageSettings),
    "renderer": (RendererSettings, StorageSettings),
    "notifier": (NotifierSettings, StorageSettings),
    "speech-api": (SpeechApiSettings,),
    # speechflow-admin reads the auth and library settings and the store, like deployment.py.
    "maintenance": (AuthSettings, LibrarySettings, StorageSettings),
    "admin": (AuthSettings, LibrarySettings, StorageSettings),
    "storage-init": (ServiceSettings, StorageSettings),
    "envoy-config": (MeshSettings,),
    # Writes the NATS users; it only needs DATA_DIR.
    "nats-auth": (ServiceSettings,),
}

ALL_SETTINGS: tuple[type[BaseSettings], ...] = (
    AuthSettings,
    LibrarySettings,
    TranscriberSettings,
    SummarizerSettings,
    RendererSettings,
    NotifierSettings,
    SpeechApiSettings,
    StorageSettings,
    MeshSettings,
)


def env_names(settings: type[BaseSettings]) -> dict[str, str]:
    """Environment variable -> field name (aliases first, else the field name uppercased)."""
    names: dict[str, str] = {}
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            candidates = [choice for choice in alias.choices if isinstance(choice, str)]
        elif isinstance(alias, str):
            candidates = [alias]
        else:
            candidates = [field.alias or field_name]
        for candidate in candidates:
            if candidate.upper() not in NOT_SETTINGS:
                names[candidate.upper()] = field_name
    return names


def every_env_name() -> set[str]:
    return {name for settings in ALL_SETTINGS for name in env_names(settings)}
