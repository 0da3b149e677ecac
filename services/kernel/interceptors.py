"""Server interceptors for cross-cutting work, so servicers stay thin.

Each interceptor supplies an async context manager that runs around every RPC of any arity;
`_wrap` applies it to unary and streaming behaviours alike.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from abc import abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

import grpc
import grpc.aio
import sqlalchemy.exc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from services.kernel.errors import ERROR_DOMAIN, AppError, Unauthenticated, Unavailable
from services.kernel.logs import request_id_var
from services.kernel.metrics import RPC_DURATION, RPC_REQUESTS
from services.kernel.tokens import TokenVerifier, principal_var

log = logging.getLogger("speechflow.rpc")

if TYPE_CHECKING:
    # The servicer context of an RPC of any message types.
    Context = grpc.aio.ServicerContext[Any, Any]
    Around = Callable[[grpc.HandlerCallDetails, Context], AbstractAsyncContextManager[None]]
    Handler = grpc.RpcMethodHandler[Any, Any]


def _metadata(details: grpc.HandlerCallDetails) -> dict[str, str]:
    return {
        key: value if isinstance(value, str) else value.decode()
        for key, value in (details.invocation_metadata or ())
    }


def _around_single_response(
    behaviour: Any, details: grpc.HandlerCallDetails, around: Around
) -> Callable[[Any, Context], Awaitable[Any]]:
    """Runs a behaviour that answers once (unary-unary or stream-unary) inside `around`."""

    async def run(request_or_iterator: Any, context: Context) -> Any:
        async with around(details, context):
            return await behaviour(request_or_iterator, context)

    return run


def _around_response_stream(
    behaviour: Any, details: grpc.HandlerCallDetails, around: Around
) -> Callable[[Any, Context], AsyncIterator[Any]]:
    """Runs a behaviour that streams its answers (unary-stream or stream-stream) inside
    `around`, which stays open until the last answer is sent."""

    async def run(request_or_iterator: Any, context: Context) -> AsyncIterator[Any]:
        async with around(details, context):
            async for response in behaviour(request_or_iterator, context):
                yield response

    return run


def _wrap(handler: Handler, details: grpc.HandlerCallDetails, around: Around) -> Handler:
    serializers = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            _around_single_response(handler.unary_unary, details, around), **serializers
        )
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(
            _around_single_response(handler.stream_unary, details, around), **serializers
        )
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            _around_response_stream(handler.unary_stream, details, around), **serializers
        )
    assert handler.stream_stream is not None
    return grpc.stream_stream_rpc_method_handler(
        _around_response_stream(handler.stream_stream, details, around), **serializers
    )


class _AroundInterceptor(grpc.aio.ServerInterceptor):
    @abstractmethod
    def around(
        self, details: grpc.HandlerCallDetails, context: Context
    ) -> AbstractAsyncContextManager[None]:
        """The async context every RPC of this service runs inside."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:  # unknown method: let grpc answer UNIMPLEMENTED
            return handler
        return _wrap(handler, handler_call_details, self.around)


class RequestIdInterceptor(_AroundInterceptor):
    """Takes `x-request-id` from the caller (or makes one), logs one line per RPC and counts
    it in the RPC metrics."""

    @asynccontextmanager
    async def around(
        self, details: grpc.HandlerCallDetails, context: Context
    ) -> AsyncIterator[None]:
        request_id = _metadata(details).get("x-request-id") or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            yield
        finally:
            code = (context.code() or grpc.StatusCode.OK).name
            seconds = time.perf_counter() - started
            RPC_REQUESTS.labels(details.method, code).inc()
            RPC_DURATION.labels(details.method).observe(seconds)
            log.info(
                "rpc finished",
                extra={
                    "method": details.method,
                    "code": code,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
            request_id_var.reset(token)


def status_for(error: AppError) -> grpc.Status:
    """The status with the ErrorInfo detail that clients read from grpc-status-details-bin."""
    info = error_details_pb2.ErrorInfo(
        reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    return cast(
        grpc.Status,
        rpc_status.to_status(
            status_pb2.Status(code=error.code.value[0], message=error.message, details=[detail])
        ),
    )


class ErrorMappingInterceptor(_AroundInterceptor):
    """Answers AppErrors with their status; anything unexpected becomes a logged INTERNAL."""

    @asynccontextmanager
    async def around(
        self, details: grpc.HandlerCallDetails, context: Context
    ) -> AsyncIterator[None]:
        try:
            yield
        except (asyncio.CancelledError, grpc.aio.AbortError):
            raise
        except AppError as error:
            await context.abort_with_status(status_for(error))
        except (
            sqlalchemy.exc.OperationalError,
            sqlalchemy.exc.InterfaceError,
            OSError,
        ) as exc:
            log.warning("dependency unavailable", exc_info=exc)
            await context.abort_with_status(
                status_for(
                    Unavailable(
                        "A backing service (database or storage) is unavailable right now; "
                        "please try again shortly.",
                        reason="DEPENDENCY_UNAVAILABLE",
                    )
                )
            )
        except Exception:
            log.exception("unexpected error", extra={"method": details.method})
            await context.abort(
                grpc.StatusCode.INTERNAL,
                f"Something went wrong on our side (request id {request_id_var.get()}).",
            )


class AuthInterceptor(_AroundInterceptor):
    """Verifies `authorization: Bearer <jwt or sf_ API key>` on every RPC except the listed
    public ones."""

    def __init__(self, verifier: TokenVerifier, public_methods: Collection[str] = ()) -> None:
        self._verifier = verifier
        self._public = frozenset(public_methods)

    def _is_public(self, method: str) -> bool:
        return method in self._public or method.startswith(
            ("/grpc.health.v1.Health/", "/grpc.reflection.")
        )

    @asynccontextmanager
    async def around(
        self, details: grpc.HandlerCallDetails, context: Context
    ) -> AsyncIterator[None]:
        if self._is_public(details.method):
            yield
            return
        header = _metadata(details).get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                "Sign in first: send `authorization: Bearer <access token>`.",
                reason="TOKEN_MISSING",
            )
        principal = await self._verifier.authenticate(token.strip())
        reset = principal_var.set(principal)
        try:
            yield
        finally:
            principal_var.reset(reset)
