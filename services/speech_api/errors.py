"""Every failure of the speech API as OpenAI's error JSON with its HTTP status: the adapter's
own refusals, the caller's authentication, and the library's gRPC answers."""

from __future__ import annotations

import grpc
import grpc.aio
from starlette.responses import JSONResponse

from services.kernel.errors import AppError
from services.kernel.logs import request_id_var
from services.speech_api.library_client import TranscriptionFailed
from services.speech_api.openai_shapes import OpenAIError

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
    """The request body went past the upload limit while it was read."""


def too_large(max_bytes: int) -> OpenAIError:
    megabytes = max_bytes / (1024 * 1024)
    return OpenAIError(
        413,
        f"The file is larger than this server's {megabytes:g} MB limit.",
        param="file",
        code="file_too_large",
    )


def error_response(error: OpenAIError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


def from_app_error(error: AppError) -> OpenAIError:
    status, kind = _HTTP_FOR_GRPC.get(error.code, (500, "server_error"))
    code = "invalid_api_key" if status == 401 else error.reason.lower()
    return OpenAIError(status, error.message, type_=kind, code=code)


def from_rpc_error(error: grpc.aio.AioRpcError) -> OpenAIError:
    status, kind = _HTTP_FOR_GRPC.get(error.code(), (500, "server_error"))
    message = error.details() or "The request failed."
    if status == 500:
        message = f"Something went wrong on our side (request id {request_id_var.get()})."
    return OpenAIError(status, message, type_=kind, code=error.code().name.lower())


def as_openai_error(exc: Exception) -> OpenAIError:
    if isinstance(exc, OpenAIError):
        return exc
    if isinstance(exc, AppError):
        return from_app_error(exc)
    if isinstance(exc, grpc.aio.AioRpcError):
        return from_rpc_error(exc)
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
