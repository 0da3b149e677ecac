"""The HTTP side: `POST /v1/audio/transcriptions` (OpenAI's multipart form) and `GET /healthz`.

Thin on purpose: the form is checked here, the caller authenticated like on any service (an
access token, or an `sf_` API key exchanged with auth), then the library does the work over
gRPC as that caller."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio
from prometheus_client import Histogram
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from services.kernel.errors import AppError
from services.kernel.logs import request_id_var
from services.kernel.tokens import TokenVerifier
from services.speech_api.errors import (
    BodyTooLarge,
    as_openai_error,
    error_response,
    too_large,
)
from services.speech_api.library_client import LibraryClient, TranscriptionFailed, Upload
from services.speech_api.middleware import BodyLimit, RequestContext
from services.speech_api.openai_shapes import (
    OpenAIError,
    ResponseFormat,
    json_body,
    parse_request,
    verbose_json_body,
)
from speechflow.library.v1 import library_pb2

log = logging.getLogger("speechflow.speech_api")

TRANSCRIPTION_SECONDS = Histogram(
    "speechflow_speech_api_transcription_seconds",
    "Time from upload to answer of one transcription request",
    buckets=(1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
# A form has a file and a handful of short fields.
MAX_FORM_FIELDS = 20


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
        if (_text(form.get("stream")) or "").lower() in ("true", "1"):
            raise OpenAIError(
                400,
                "Streamed transcriptions are not supported here; leave stream unset.",
                param="stream",
                code="unsupported_value",
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
                    metadata=library_pb2.UploadMetadata(
                        file_name=upload.filename or "audio",
                        content_type=upload.content_type or "application/octet-stream",
                        size_bytes=size,
                        language=asked.language,
                        # Whisper's prompt biases it towards the words it names: the library's
                        # hotwords do the same.
                        hotwords=asked.prompt,
                    ),
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


def build_app(api: SpeechApi) -> ASGIApp:
    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        message = "Unknown route; this server answers POST /v1/audio/transcriptions."
        if status == 405:
            message = "Use POST for /v1/audio/transcriptions."
        return error_response(OpenAIError(status, message))

    async def failed(request: Request, exc: Exception) -> Response:
        return error_response(as_openai_error(exc))

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
