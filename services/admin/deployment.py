"""What an operator command works on, read from the same settings the services use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.auth.settings import AuthSettings
from services.kernel.db import service_database_url
from services.kernel.storage import ObjectStore, StorageSettings, store_from_settings
from services.library.settings import LibrarySettings
from services.notifier.settings import NotifierSettings


@dataclass(frozen=True)
class Deployment:
    """The databases with state (auth, library, and the notifier's webhooks) and the object
    store."""

    databases: dict[str, str]  # name -> SQLAlchemy URL
    store: ObjectStore
    library_data_dir: Path  # where the library spools unfinished uploads


def deployment_from_settings(
    auth: AuthSettings,
    library: LibrarySettings,
    storage: StorageSettings,
    notifier: NotifierSettings | None = None,
) -> Deployment:
    # Same defaults as the services' composition roots: SQLite files under DATA_DIR.
    databases = {
        "auth": service_database_url(auth.database_url, auth.data_dir, "auth"),
        "library": service_database_url(library.database_url, library.data_dir, "library"),
    }
    if notifier is not None:
        databases["notifier"] = service_database_url(
            notifier.database_url, notifier.data_dir, "notifier"
        )
    return Deployment(
        databases=databases,
        store=store_from_settings(storage),
        library_data_dir=library.data_dir,
    )


def deployment_from_environment() -> Deployment:
    library = LibrarySettings()
    return deployment_from_settings(
        AuthSettings(), library, StorageSettings(data_dir=library.data_dir), NotifierSettings()
    )
