"""The HTTP side: `POST /v1/audio/transcriptions` (OpenAI's multipart form) and `GET /healthz`.

Thin on purpose: the form is checked here, the caller authenticated like on any service (an
access token, or an `sf_` API key exchanged with auth), then the library does the work over
gRPC as that caller."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio
from prometheus_client import Counter, Histogram
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kernel.errors import AppError
from services.kernel.logs import request_id_var
from services.kernel.tokens import TokenVerifier
from services.speech_api.library_client import LibraryClient, TranscriptionFailed, Upload
from services.speech_api.openai_shapes import (
    OpenAIError,
    ResponseFormat,
    json_body,
    parse_request,
    verbose_json_body,
)

log = logging.getLogger("speechflow.speech_api")

HTTP_REQUESTS = Counter(
    "speechflow_http_requests_total",
    "HTTP requests served, by route and status",
    ["route", "status"],
)
TRANSCRIPTION_SECONDS = Histogram(
    "speechflow_speech_api_transcription_seconds",
    "Time from upload to answer of one transcription request",
    buckets=(1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
# A form has a file and a handful of short fields.
MAX_FORM_FIELDS = 20

# gRPC status -> (HTTP status, OpenAI error type).
_HTTP_FOR_GRPC: dict[grpc.StatusCode, tuple[int, str]] = {
    grpc.StatusCode.INVALID_ARGUMENT: (400, "invalid_request_error"),
    grpc.StatusCode.FAILED_PRECONDITION: (400, "invalid_request_error"),
    grpc.StatusCode.OUT_OF_RANGE: (400, "invalid_request_error"),
    grpc.StatusCode.UNAUTHENTICATED: (401, "invalid_request_error"),
    grpc.StatusCode.PERMISSION_DENIED: (403, "invalid_request_error"),
    grpc.StatusCode.NOT_FOUND: (404, "invalid_request_error"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "rate_limit_exceeded"),
    grpc.StatusCode.UNAVAILABLE: (503, "server_error"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (504, "server_error"),
}


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Stops a request body past `max_bytes` with 413, whether or not it announced its length
    (the form parser would otherwise spool any size to disk).

    The rest of the body is read and dropped before answering, up to `DRAIN_FACTOR` times the
    limit: a client still sending when the answer comes would see a reset connection, not the
    413 (and OpenAI's SDKs would retry)."""

    DRAIN_FACTOR = 4

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._drain(receive, 0)
            await _error_response(too_large(self.max_bytes))(scope, receive, send)
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


def too_large(max_bytes: int) -> OpenAIError:
    megabytes = max_bytes / (1024 * 1024)
    return OpenAIError(
        413,
        f"The file is larger than this server's {megabytes:g} MB limit.",
        param="file",
        code="file_too_large",
    )


@dataclass
class SpeechApi:
    library: LibraryClient
    verifier: TokenVerifier
    max_upload_bytes: int
    timeout_seconds: float

    async def transcriptions(self, request: Request) -> Response:
        started = time.perf_counter()
        principal = await self.verifier.authenticate(_bearer(request))
        try:
            form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
        except BodyTooLarge:
            raise too_large(self.max_upload_bytes) from None
        except MultiPartException as error:
            raise OpenAIError(400, f"The form could not be read: {error.message}") from error
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise OpenAIError(
                400,
                "Send the audio as the multipart field 'file'.",
                param="file",
                code="missing_field",
            )
        asked = parse_request(
            model=_text(form.get("model")),
            language=_text(form.get("language")),
            prompt=_text(form.get("prompt")),
            response_format=_text(form.get("response_format")),
            granularities=[
                _text(value) or ""
                for key in ("timestamp_granularities[]", "timestamp_granularities")
                for value in form.getlist(key)
            ],
        )
        size = upload.size or 0
        if size == 0:
            raise OpenAIError(
                400, "The uploaded file is empty.", param="file", code="invalid_value"
            )
        async with asyncio.timeout(self.timeout_seconds):
            transcribed = await self.library.transcribe(
                Upload(
                    read=upload.read,
                    file_name=upload.filename or "audio",
                    content_type=upload.content_type or "application/octet-stream",
                    size_bytes=size,
                    language=asked.language,
                    # Whisper's prompt biases it towards the words it names: the library's
                    # hotwords do the same.
                    hotwords=asked.prompt,
                ),
                access_token=principal.access_token,
                request_id=request_id_var.get(),
            )
        TRANSCRIPTION_SECONDS.observe(time.perf_counter() - started)
        log.info(
            "transcribed",
            extra={
                "document_id": transcribed.document.id,
                "response_format": asked.response_format.value,
                "model": asked.model,
            },
        )
        fmt = asked.response_format
        if fmt is ResponseFormat.JSON:
            return JSONResponse(json_body(transcribed.transcript))
        if fmt is ResponseFormat.VERBOSE_JSON:
            return JSONResponse(
                verbose_json_body(
                    transcribed.transcript,
                    duration_seconds=transcribed.duration_seconds,
                    language=transcribed.language,
                    granularities=asked.granularities,
                )
            )
        if fmt is ResponseFormat.TEXT:
            return PlainTextResponse(json_body(transcribed.transcript)["text"] + "\n")
        text = await self.library.export(
            transcribed.document.id, fmt.value, access_token=principal.access_token
        )
        media = "text/vtt" if fmt is ResponseFormat.VTT else "application/x-subrip"
        return Response(text, media_type=f"{media}; charset=utf-8")


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OpenAIError(
            401,
            "Send an API key as `Authorization: Bearer sf_…` (create one with "
            "`speechflow keys create NAME` or on your account page).",
            code="invalid_api_key",
        )
    return token.strip()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _error_response(error: OpenAIError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


def _from_app_error(error: AppError) -> OpenAIError:
    status, kind = _HTTP_FOR_GRPC.get(error.code, (500, "server_error"))
    code = "invalid_api_key" if status == 401 else error.reason.lower()
    return OpenAIError(status, error.message, type_=kind, code=code)


def _from_rpc_error(error: grpc.aio.AioRpcError) -> OpenAIError:
    status, kind = _HTTP_FOR_GRPC.get(error.code(), (500, "server_error"))
    message = error.details() or "The request failed."
    if status == 500:
        message = f"Something went wrong on our side (request id {request_id_var.get()})."
    return OpenAIError(status, message, type_=kind, code=error.code().name.lower())


def build_app(api: SpeechApi) -> ASGIApp:
    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        message = "Unknown route; this server answers POST /v1/audio/transcriptions."
        if status == 405:
            message = "Use POST for /v1/audio/transcriptions."
        return _error_response(OpenAIError(status, message))

    async def failed(request: Request, exc: Exception) -> Response:
        return _error_response(_as_openai_error(exc))

    # Each expected failure by its class (answered, not re-raised); `Exception` for the rest,
    # which Starlette answers with this handler and then lets uvicorn log.
    expected: list[type[Exception]] = [
        OpenAIError,
        AppError,
        grpc.aio.AioRpcError,
        TranscriptionFailed,
        BodyTooLarge,
        TimeoutError,
    ]
    app = Starlette(
        routes=[
            Route("/v1/audio/transcriptions", api.transcriptions, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        exception_handlers={
            404: not_found,
            405: not_found,
            **dict.fromkeys(expected, failed),
            Exception: failed,
        },
    )
    return RequestContext(BodyLimit(app, api.max_upload_bytes))


def _as_openai_error(exc: Exception) -> OpenAIError:
    if isinstance(exc, OpenAIError):
        return exc
    if isinstance(exc, AppError):
        return _from_app_error(exc)
    if isinstance(exc, grpc.aio.AioRpcError):
        return _from_rpc_error(exc)
    if isinstance(exc, TranscriptionFailed):
        return OpenAIError(400, f"The audio could not be transcribed: {exc}", param="file")
    if isinstance(exc, BodyTooLarge):
        return OpenAIError(
            413, "The file is larger than this server's limit.", param="file", code="file_too_large"
        )
    if isinstance(exc, TimeoutError):
        return OpenAIError(
            504, "Transcription took longer than this server waits.", type_="server_error"
        )
    return OpenAIError(
        500,
        f"Something went wrong on our side (request id {request_id_var.get()}).",
        type_="server_error",
    )


class RequestContext:
    """`x-request-id` from Envoy (or a new one) on every log line and on the answer; one
    metrics sample per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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
