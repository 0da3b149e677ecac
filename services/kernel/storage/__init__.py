"""Object storage for every service: one `ObjectStore` port, local-disk and S3 adapters."""

from services.kernel.storage.download_tokens import (
    InvalidDownloadToken,
    LocalLink,
    local_url_signer,
    sign_local_token,
    verify_local_link,
    verify_local_token,
)
from services.kernel.storage.errors import (
    ObjectNotFound,
    StorageCredentialsRejected,
    StorageUnavailable,
)
from services.kernel.storage.keys import (
    DEFAULT_AREAS,
    PDFS,
    TEMP,
    TRANSCRIPTS,
    UPLOADS,
    InvalidObjectKey,
    MediaKind,
    document_prefixes,
    pdf_key,
    temp_key,
    thumbnail_key,
    transcript_key,
    upload_key,
    user_prefixes,
    validate_key,
    validate_prefix,
)
from services.kernel.storage.local import LocalObjectStore
from services.kernel.storage.model import (
    DEFAULT_CHUNK_SIZE,
    ObjectInfo,
    ObjectStore,
    ObjectStream,
    UrlSigner,
    content_disposition,
)
from services.kernel.storage.ranges import ByteRange, parse_range
from services.kernel.storage.s3 import DEFAULT_BUCKETS, S3ObjectStore, parse_endpoint
from services.kernel.storage.settings import StorageSettings, store_from_settings

__all__ = [
    "DEFAULT_AREAS",
    "DEFAULT_BUCKETS",
    "DEFAULT_CHUNK_SIZE",
    "PDFS",
    "TEMP",
    "TRANSCRIPTS",
    "UPLOADS",
    "ByteRange",
    "InvalidDownloadToken",
    "InvalidObjectKey",
    "LocalLink",
    "LocalObjectStore",
    "MediaKind",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStream",
    "S3ObjectStore",
    "StorageCredentialsRejected",
    "StorageSettings",
    "StorageUnavailable",
    "UrlSigner",
    "content_disposition",
    "document_prefixes",
    "local_url_signer",
    "parse_endpoint",
    "parse_range",
    "pdf_key",
    "sign_local_token",
    "store_from_settings",
    "temp_key",
    "thumbnail_key",
    "transcript_key",
    "upload_key",
    "user_prefixes",
    "validate_key",
    "validate_prefix",
    "verify_local_link",
    "verify_local_token",
]
