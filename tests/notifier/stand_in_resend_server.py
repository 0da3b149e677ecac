"""A real HTTP server on 127.0.0.1 that plays Resend's `POST /emails` API.

Tests choose the status it answers with and read back every request it received.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Resend's error bodies: `{"statusCode": ..., "name": ..., "message": ...}`.
ERROR_NAMES = {
    400: "validation_error",
    401: "missing_api_key",
    403: "invalid_api_key",
    409: "concurrent_idempotent_requests",
    422: "validation_error",
    429: "rate_limit_exceeded",
    500: "application_error",
    503: "application_error",
}


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class StandInResend:
    url: str = ""
    status: int = 200
    requests: list[ReceivedRequest] = field(default_factory=list)
    # Answer 503 to this many sends to each recipient before behaving (a provider that
    # recovers); per recipient, so other users' emails in a shared mesh do not use them up.
    fail_first: int = 0

    def answer(self, request: ReceivedRequest) -> tuple[int, dict[str, Any]]:
        if request.method != "POST" or request.path != "/emails":
            return 404, {"statusCode": 404, "name": "not_found", "message": "no such route"}
        to_same = [r for r in self.requests if r.body.get("to") == request.body.get("to")]
        if len(to_same) <= self.fail_first:
            return 503, {"statusCode": 503, "name": "application_error", "message": "stand-in"}
        if self.status == 200:
            return 200, {"id": f"email-{len(self.requests)}"}
        name = ERROR_NAMES.get(self.status, "application_error")
        return self.status, {"statusCode": self.status, "name": name, "message": "stand-in"}


def _handler_for(stand_in: StandInResend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length) if length else b"{}"
            request = ReceivedRequest(
                method="POST",
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=json.loads(raw),
            )
            stand_in.requests.append(request)
            status, payload = stand_in.answer(request)
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


@contextmanager
def running_stand_in_resend() -> Iterator[StandInResend]:
    stand_in = StandInResend()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(stand_in))
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll interval keeps `shutdown()` quick at the end of every test.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
