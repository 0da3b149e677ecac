"""A real HTTP server on 127.0.0.1 that plays an OpenAI-compatible chat completions API.

Both OpenRouter (`/api/v1/chat/completions`) and Groq (`/openai/v1/chat/completions`) clients
talk to it. Each test scripts its answers with a `respond` function and reads back the calls.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class RecordedCall:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def model(self) -> str:
        return str(self.body["model"])

    @property
    def system_prompt(self) -> str:
        return str(self.body["messages"][0]["content"])

    @property
    def user_prompt(self) -> str:
        return str(self.body["messages"][1]["content"])


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0  # seconds to wait before answering


Responder = Callable[[RecordedCall, int], Reply]  # (call, its 0-based number) -> reply


@dataclass
class StandInLlmServer:
    respond: Responder
    calls: list[RecordedCall] = field(default_factory=list)
    url: str = ""


def chat_completion(content: str, model: str = "stand-in") -> Reply:
    """A successful chat completion whose message content is `content`."""
    payload = {
        "id": "chatcmpl-stand-in",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    return Reply(body=json.dumps(payload).encode())


def error_reply(status: int, message: str) -> Reply:
    body = {"error": {"message": message, "type": "stand_in_error", "code": status}}
    return Reply(status=status, body=json.dumps(body).encode())


@contextmanager
def running_stand_in(respond: Responder) -> Iterator[StandInLlmServer]:
    server_state = StandInLlmServer(respond=respond)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            call = RecordedCall(
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=json.loads(self.rfile.read(length)),
            )
            with lock:
                number = len(server_state.calls)
                server_state.calls.append(call)
            reply = server_state.respond(call, number)
            time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (timeout tests)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
