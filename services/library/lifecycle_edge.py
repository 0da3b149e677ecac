"""Where the library's domain errors become gRPC statuses: the one mapping at the edge,
applied around every RPC of the library's servicers (the kernel's interceptor then answers
with the code, the message and an ErrorInfo). A missing stored object is answered here too,
without its storage key."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from google.protobuf.descriptor import ServiceDescriptor

from services.kernel.errors import AppError, FailedPrecondition, InvalidArgument, NotFound
from services.kernel.storage import ObjectNotFound
from services.library.lifecycle.errors import LifecycleError, Refusal

STATUS_OF: dict[Refusal, type[AppError]] = {
    Refusal.INVALID_ARGUMENT: InvalidArgument,
    Refusal.NOT_FOUND: NotFound,
    Refusal.FAILED_PRECONDITION: FailedPrecondition,
}
T = TypeVar("T")


@contextmanager
def refusals_as_status() -> Iterator[None]:
    try:
        yield
    except LifecycleError as error:
        status = STATUS_OF[error.refusal]
        raise status(error.message, reason=error.reason, metadata=error.metadata) from error
    except ObjectNotFound as error:
        # The storage adapter names the key; a client is never shown one.
        raise NotFound("A stored file of this document is missing.", reason=error.reason) from error


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def stream(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            with refusals_as_status():
                async for item in method(*args, **kwargs):
                    yield item

        return stream

    @functools.wraps(method)
    async def unary(*args: Any, **kwargs: Any) -> Any:
        with refusals_as_status():
            return await method(*args, **kwargs)

    return unary


def refusals_mapped(service: ServiceDescriptor) -> Callable[[type[T]], type[T]]:
    """Class decorator: every RPC of `service` the servicer defines answers a domain error
    with its status."""

    def decorate(servicer: type[T]) -> type[T]:
        for rpc in service.methods:
            method = getattr(servicer, rpc.name, None)
            # Only what the servicer implements (the generated base answers UNIMPLEMENTED).
            if inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method):
                setattr(servicer, rpc.name, _guarded(method))
        return servicer

    return decorate
