"""Storage failures as kernel AppErrors, so the error-mapping interceptor answers them well."""

from __future__ import annotations

from services.kernel.errors import NotFound, Unavailable


class ObjectNotFound(NotFound):
    default_reason = "OBJECT_NOT_FOUND"

    def __init__(self, key: str) -> None:
        super().__init__(f"The stored file {key!r} does not exist.", metadata={"key": key})
        self.key = key


class StorageUnavailable(Unavailable):
    """The storage server cannot be reached or failed on its side; retrying may help."""

    default_reason = "STORAGE_UNAVAILABLE"


class StorageCredentialsRejected(StorageUnavailable):
    """The storage server refused our signature or access key: a configuration problem."""

    default_reason = "STORAGE_CREDENTIALS_REJECTED"
