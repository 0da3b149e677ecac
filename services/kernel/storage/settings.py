"""Which object store a service uses, from environment variables (and `.env`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.kernel.storage.keys import PDFS, TEMP, TRANSCRIPTS, UPLOADS
from services.kernel.storage.local import LocalObjectStore
from services.kernel.storage.model import ObjectStore, UrlSigner
from services.kernel.storage.s3 import S3ObjectStore


class StorageSettings(BaseSettings):
    """STORAGE_BACKEND=local keeps files under STORAGE_DIR (default `$DATA_DIR/objects`);
    STORAGE_BACKEND=s3 uses S3_ENDPOINT (`host:port` or `http(s)://host:port`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    storage_backend: Literal["local", "s3"] = "local"
    data_dir: Path = Path(".data")
    storage_dir: Path | None = None
    s3_endpoint: str = "http://127.0.0.1:9000"
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    # Where browsers reach S3 (e.g. https://files.example.com); download links are signed
    # for this host. Unset: links point at S3_ENDPOINT.
    s3_public_endpoint: str | None = None
    s3_bucket_uploads: str = Field(default="uploads", min_length=3)
    s3_bucket_pdfs: str = Field(default="pdfs", min_length=3)
    s3_bucket_temp: str = Field(default="temp", min_length=3)
    s3_bucket_transcripts: str = Field(default="transcripts", min_length=3)

    @model_validator(mode="after")
    def _s3_needs_credentials(self) -> StorageSettings:
        if self.storage_backend == "s3" and not (
            self.s3_access_key and self.s3_secret_key.get_secret_value()
        ):
            raise ValueError("STORAGE_BACKEND=s3 needs S3_ACCESS_KEY and S3_SECRET_KEY.")
        return self

    @property
    def local_root(self) -> Path:
        return self.storage_dir if self.storage_dir is not None else self.data_dir / "objects"

    @property
    def buckets(self) -> dict[str, str]:
        return {
            UPLOADS: self.s3_bucket_uploads,
            PDFS: self.s3_bucket_pdfs,
            TEMP: self.s3_bucket_temp,
            TRANSCRIPTS: self.s3_bucket_transcripts,
        }


def store_from_settings(
    settings: StorageSettings, *, url_signer: UrlSigner | None = None
) -> ObjectStore:
    """The configured adapter. `url_signer` makes local download links (see
    `local_url_signer`); services that never hand out links may leave it out."""
    if settings.storage_backend == "s3":
        return S3ObjectStore(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            secure=settings.s3_secure,
            region=settings.s3_region,
            buckets=settings.buckets,
            public_endpoint=settings.s3_public_endpoint,
        )
    return LocalObjectStore(settings.local_root, url_signer or _no_download_links)


def _no_download_links(
    key: str, expires: object, download_name: object, *, inline: bool = False
) -> str:
    raise RuntimeError(
        f"This service was built without a download-link signer, so it cannot link to {key!r}."
    )
