"""Errors that carry their gRPC status, so servicers and the domain never import grpc.

The error-mapping interceptor turns them into a status code, a message for people and a
`google.rpc.ErrorInfo` (AIP-193) for programs.
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc

ERROR_DOMAIN = "speechflow.dev"


class AppError(Exception):
    """An expected failure with a status code and a message a person understands."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    # A subclass may name a more precise ErrorInfo.reason than its status code's name
    # (e.g. services/kernel/storage/errors.py).
    default_reason: str | None = None

    def __init_subclass__(cls, *, code: grpc.StatusCode | None = None) -> None:
        # `class NotFound(AppError, code=grpc.StatusCode.NOT_FOUND)`; a subclass of a status
        # class keeps its parent's code.
        super().__init_subclass__()
        if code is not None:
            cls.code = code

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        # Without a more precise reason, ErrorInfo.reason is the status code's own name
        # (e.g. "NOT_FOUND"), so programs can still branch on it.
        self.reason = reason or self.default_reason or self.code.name
        self.metadata = dict(metadata or {})


# One class per status code the services answer with; the header names the code, the
# docstring when to use it (https://grpc.io/docs/guides/status-codes/).


class InvalidArgument(AppError, code=grpc.StatusCode.INVALID_ARGUMENT):
    """The request itself is wrong, whatever the state of the system (fix it, then retry)."""


class NotFound(AppError, code=grpc.StatusCode.NOT_FOUND):
    """What the request names does not exist, or is not the caller's to see."""


class AlreadyExists(AppError, code=grpc.StatusCode.ALREADY_EXISTS):
    """What the request would create exists already."""


class Unauthenticated(AppError, code=grpc.StatusCode.UNAUTHENTICATED):
    """The request carries no valid credentials."""


class PermissionDenied(AppError, code=grpc.StatusCode.PERMISSION_DENIED):
    """The caller is known but may not do this."""


class FailedPrecondition(AppError, code=grpc.StatusCode.FAILED_PRECONDITION):
    """The resource is not in the state the request needs; retrying as is will not help."""


class ResourceExhausted(AppError, code=grpc.StatusCode.RESOURCE_EXHAUSTED):
    """A quota or a rate limit is used up; later (or after freeing space) it may succeed."""


class Unavailable(AppError, code=grpc.StatusCode.UNAVAILABLE):
    """A dependency cannot be reached just now; retrying later may succeed."""


class Aborted(AppError, code=grpc.StatusCode.ABORTED):
    """A concurrent change got in the way; retry the whole operation."""
