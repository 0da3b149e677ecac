"""A local HTTP server speaking Groq's audio transcription API, for tests.

Each upload is decoded with PyAV and answered with one segment spanning it, so a test can check
how a client splits a recording and puts the pieces back on one timeline.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from faster_whisper import decode_audio

TRANSCRIPTIONS_PATH = "/openai/v1/audio/transcriptions"


@dataclass
class ReceivedUpload:
    authorization: str
    fields: dict[str, str]
    filename: str
    data: bytes


@dataclass
class GroqStandIn:
    base_url: str = ""
    uploads: list[ReceivedUpload] = field(default_factory=list)
    fail_with_status: int | None = None
    language: str = "English"


@contextmanager
def running_groq_stand_in() -> Iterator[GroqStandIn]:
    state = GroqStandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _handler_for(state: GroqStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path != TRANSCRIPTIONS_PATH:
                self._reply(404, {"error": {"message": "not found"}})
                return
            if state.fail_with_status is not None:
                self._reply(state.fail_with_status, {"error": {"message": "stand-in failure"}})
                return
            upload = _parse_multipart(self.headers["Content-Type"], body)
            upload.authorization = self.headers.get("Authorization", "")
            state.uploads.append(upload)
            seconds = len(decode_audio(io.BytesIO(upload.data))) / 16_000
            index = len(state.uploads)
            self._reply(
                200,
                {
                    "task": "transcribe",
                    "language": state.language,
                    "duration": seconds,
                    "text": f" part {index}",
                    "segments": [
                        {"id": 0, "seek": 0, "start": 0.0, "end": seconds, "text": f" part {index}"}
                    ],
                    "x_groq": {"id": f"req_{index}"},
                },
            )

        def _reply(self, status: int, payload: object) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


def _parse_multipart(content_type: str, body: bytes) -> ReceivedUpload:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, str] = {}
    filename, data = "", b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        if part.get_filename():
            filename, data = str(part.get_filename()), payload
        else:
            fields[str(name)] = payload.decode()
    return ReceivedUpload(authorization="", fields=fields, filename=filename, data=data)
