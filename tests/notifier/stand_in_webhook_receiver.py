"""A real HTTP server on 127.0.0.1 that receives webhook deliveries.

Each path is one receiver (`/hooks/<name>`); a test queues the statuses a path answers with
(then 200) and reads back every request it received, raw, to verify signatures."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ReceivedDelivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class StandInReceiver:
    base_url: str = ""
    received: list[ReceivedDelivery] = field(default_factory=list)
    # path -> statuses still to answer with, first first; then 200.
    scripted: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        return f"{self.base_url}/hooks/{name}"

    def answer_first(self, name: str, *statuses: int) -> None:
        with self.lock:
            self.scripted[f"/hooks/{name}"] = list(statuses)

    def deliveries_to(self, name: str) -> list[ReceivedDelivery]:
        with self.lock:
            return [d for d in self.received if d.path == f"/hooks/{name}"]

    def take(self, delivery: ReceivedDelivery) -> int:
        with self.lock:
            self.received.append(delivery)
            queue = self.scripted.get(delivery.path, [])
            return queue.pop(0) if queue else 200


def _handler_for(receiver: StandInReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            status = receiver.take(
                ReceivedDelivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(status)
            if 300 <= status < 400:
                # Somewhere a client must not be led to by a redirect.
                self.send_header("location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def stand_in_receiver() -> Iterator[StandInReceiver]:
    receiver = StandInReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(receiver))
    receiver.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
