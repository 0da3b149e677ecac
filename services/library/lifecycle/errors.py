"""The library's domain errors: what a command or a rule refuses, in words a person
understands.

Free of gRPC on purpose; the edge (services/library/lifecycle_edge.py) maps each kind to a
status code in one place, around every RPC of the library's servicers."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum


class Refusal(Enum):
    """How the edge should answer a refused command."""

    INVALID_ARGUMENT = "invalid_argument"
    NOT_FOUND = "not_found"
    FAILED_PRECONDITION = "failed_precondition"


class LifecycleError(Exception):
    refusal = Refusal.FAILED_PRECONDITION

    def __init__(
        self, message: str, reason: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.metadata = dict(metadata or {})


class InvalidInput(LifecycleError):
    """A value the caller sent breaks a rule (a name too long, an unknown language)."""

    refusal = Refusal.INVALID_ARGUMENT

    def __init__(
        self, message: str, *, reason: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message, reason, metadata)


class DocumentNotFound(LifecycleError):
    refusal = Refusal.NOT_FOUND

    def __init__(self, document_id: str) -> None:
        super().__init__(f"Document {document_id} does not exist.", "DOCUMENT_NOT_FOUND")


class JobNotFound(LifecycleError):
    refusal = Refusal.NOT_FOUND

    def __init__(self, job_id: str) -> None:
        super().__init__(f"Job {job_id} does not exist.", "JOB_NOT_FOUND")


class JobNotFailed(LifecycleError):
    def __init__(self) -> None:
        super().__init__(
            "Only failed jobs can be retried; this one is not failed.", "JOB_NOT_FAILED"
        )


class JobSuperseded(LifecycleError):
    def __init__(self) -> None:
        super().__init__(
            "A newer version of this document exists; retry that one instead.", "JOB_SUPERSEDED"
        )


class NoTranscript(LifecycleError):
    def __init__(self) -> None:
        super().__init__(
            "This document has no transcript yet; wait for transcription to finish.",
            "NO_TRANSCRIPT",
        )
