"""The settings of the links handed to people, read once for every service that makes them.

The library and the notifier both sign local download URLs and link to the web app: they must
agree on where browsers reach it, on the signing secret and on how long a link works."""

from __future__ import annotations

from services.kernel.settings import ServiceSettings, env_field


class DownloadLinkSettings(ServiceSettings):
    # Where browsers reach the API (Envoy); signed local-disk download URLs point here.
    public_base_url: str = env_field("http://localhost:8080", "PUBLIC_BASE_URL")
    download_url_ttl_seconds: int = env_field(3600, "LIBRARY_DOWNLOAD_URL_TTL_SECONDS")
    # Signs local-disk download URLs; generated and kept under DATA_DIR when empty.
    download_signing_secret: str = env_field("", "LIBRARY_DOWNLOAD_SIGNING_SECRET")
