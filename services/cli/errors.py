"""Exit codes and the one error type commands raise.

Scripts branch on the exit code, so each gRPC status maps to a fixed number that never
changes; people read the server's message and, where it helps, a hint about what to do.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from enum import IntEnum

import grpc


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    NOT_ALLOWED = 4
    UNAVAILABLE = 5
    CONFLICT = 6
    TOO_LARGE = 7
    FAILED_PRECONDITION = 8
    PROCESSING_FAILED = 9
    INTERRUPTED = 130


EXIT_CODES: dict[grpc.StatusCode, ExitCode] = {
    grpc.StatusCode.OK: ExitCode.OK,
    grpc.StatusCode.CANCELLED: ExitCode.ERROR,
    grpc.StatusCode.UNKNOWN: ExitCode.ERROR,
    grpc.StatusCode.INVALID_ARGUMENT: ExitCode.USAGE,
    grpc.StatusCode.DEADLINE_EXCEEDED: ExitCode.UNAVAILABLE,
    grpc.StatusCode.NOT_FOUND: ExitCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS: ExitCode.CONFLICT,
    grpc.StatusCode.PERMISSION_DENIED: ExitCode.NOT_ALLOWED,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ExitCode.TOO_LARGE,
    grpc.StatusCode.FAILED_PRECONDITION: ExitCode.FAILED_PRECONDITION,
    grpc.StatusCode.ABORTED: ExitCode.CONFLICT,
    grpc.StatusCode.OUT_OF_RANGE: ExitCode.USAGE,
    grpc.StatusCode.UNIMPLEMENTED: ExitCode.ERROR,
    grpc.StatusCode.INTERNAL: ExitCode.ERROR,
    grpc.StatusCode.UNAVAILABLE: ExitCode.UNAVAILABLE,
    grpc.StatusCode.DATA_LOSS: ExitCode.ERROR,
    grpc.StatusCode.UNAUTHENTICATED: ExitCode.NOT_ALLOWED,
}

LOGIN_HINT = "Run `speechflow login` to sign in."


@dataclass(eq=False)  # compared by identity, as exceptions are
class CliError(Exception):
    """A failure to report to the user: a message, an exit code and maybe a hint."""

    message: str
    exit_code: ExitCode = ExitCode.ERROR
    _: KW_ONLY
    hint: str | None = None
    status: grpc.StatusCode | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)  # str(error) is the message


def status_of(error: grpc.RpcError) -> grpc.StatusCode:
    # The raised objects are also grpc.Call, but the RpcError type does not promise it.
    code = getattr(error, "code", None)
    found = code() if callable(code) else None
    return found if isinstance(found, grpc.StatusCode) else grpc.StatusCode.UNKNOWN


def details_of(error: grpc.RpcError) -> str:
    details = getattr(error, "details", None)
    found = details() if callable(details) else None
    return found if isinstance(found, str) and found else ""


def from_rpc_error(error: grpc.RpcError, server: str) -> CliError:
    """The server's message with the exit code of its status and a hint where one helps."""
    status = status_of(error)
    message = details_of(error) or status.name.replace("_", " ").capitalize()
    if status is grpc.StatusCode.UNAVAILABLE:
        # gRPC's own connection errors span lines and name resolver internals.
        message = f"Could not reach SpeechFlow at {server}: {message.splitlines()[0].rstrip()}"
    return CliError(message, EXIT_CODES[status], hint=hint_for(status, server), status=status)


def hint_for(status: grpc.StatusCode, server: str) -> str | None:
    if status is grpc.StatusCode.UNAVAILABLE:
        return "Is `make up` running? (--server or SPEECHFLOW_SERVER point to another address.)"
    if status is grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"SpeechFlow at {server} did not answer in time; try again."
    if status is grpc.StatusCode.UNAUTHENTICATED:
        return LOGIN_HINT
    if status is grpc.StatusCode.PERMISSION_DENIED:
        return "Your account may not do this; the `jobs` commands need an admin account."
    return None
