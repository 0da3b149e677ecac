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


class InvalidArgument(AppError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(AppError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(AppError):
    code = grpc.StatusCode.ALREADY_EXISTS


class Unauthenticated(AppError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(AppError):
    code = grpc.StatusCode.PERMISSION_DENIED


class FailedPrecondition(AppError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(AppError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(AppError):
    code = grpc.StatusCode.UNAVAILABLE


class Aborted(AppError):
    code = grpc.StatusCode.ABORTED
