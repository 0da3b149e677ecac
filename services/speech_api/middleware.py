"""ASGI middleware of the speech API: the upload limit, and the request id and metrics every
request gets."""

from __future__ import annotations

import logging
import uuid

from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel.logs import request_id_var
from services.speech_api.errors import BodyTooLarge, error_response, too_large

log = logging.getLogger("speechflow.speech_api")

HTTP_REQUESTS = Counter(
    "speechflow_http_requests_total",
    "HTTP requests served, by route and status",
    ["route", "status"],
)


class HttpMiddleware:
    """ASGI middleware for HTTP requests: other scopes (lifespan) go straight to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class BodyLimit(HttpMiddleware):
    """Stops a request body past `max_bytes` with 413, whether or not it announced its length
    (the form parser would otherwise spool any size to disk).

    The rest of the body is read and dropped before answering, up to `DRAIN_FACTOR` times the
    limit: a client still sending when the answer comes would see a reset connection, not the
    413 (and OpenAI's SDKs would retry)."""

    DRAIN_FACTOR = 4

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._drain(receive, 0)
            await error_response(too_large(self.max_bytes))(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if message.get("more_body", False):
                        await self._drain(receive, received)
                    raise BodyTooLarge
            return message

        await self.app(scope, limited, send)

    async def _drain(self, receive: Receive, received: int) -> None:
        while received <= self.max_bytes * self.DRAIN_FACTOR:
            message = await receive()
            if message["type"] != "http.request":
                return
            received += len(message.get("body", b""))
            if not message.get("more_body", False):
                return


class RequestContext(HttpMiddleware):
    """`x-request-id` from Envoy (or a new one) on every log line and on the answer; one
    metrics sample per request."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode() or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status = 500

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            path = str(scope.get("path", ""))
            route = path if path in ("/v1/audio/transcriptions", "/healthz") else "other"
            HTTP_REQUESTS.labels(route, str(status)).inc()
            log.info("http request", extra={"path": route, "status": status})
            request_id_var.reset(token)
