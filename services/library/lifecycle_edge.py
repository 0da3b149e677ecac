"""Where the lifecycle's refusals become gRPC statuses: the one mapping at the edge (the
kernel's interceptor then answers with the code, the message and an ErrorInfo)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.kernel.errors import AppError, FailedPrecondition, NotFound
from services.library.lifecycle.errors import LifecycleError, Refusal

STATUS_OF: dict[Refusal, type[AppError]] = {
    Refusal.NOT_FOUND: NotFound,
    Refusal.FAILED_PRECONDITION: FailedPrecondition,
}


@contextmanager
def refusals_as_status() -> Iterator[None]:
    try:
        yield
    except LifecycleError as error:
        raise STATUS_OF[error.refusal](error.message, reason=error.reason) from error
