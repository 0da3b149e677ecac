"""Transcriber replicas on their own: a real nats-server with the mesh's NATS users (so each
replica has exactly the transcriber's permissions), a local object store they share, and
as many `python -m services.transcriber` processes as asked, each optionally pinned to
some CPUs (`taskset`). Jobs go in as the library would send them
(`transcription.requested`) and come back as `transcription.completed`.

The fan-out test (tests/transcriber/test_fanout_replicas.py) and the bench case "Long
recording fan-out" (bench/cases/fanout.py) drive it; the rest of the mesh plays no part in
how a recording is transcribed, and leaving it out keeps the timing about transcription.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nats
from nats.aio.client import Client as NatsClient
from nats.js.api import DeliverPolicy

from services.kernel import catalogue
from services.kernel.storage import (
    ObjectStore,
    StorageSettings,
    store_from_settings,
    transcript_key,
    upload_key,
)
from services.kernel.transcripts import parse_transcript, seconds
from services.mesh.nats_auth import (
    OPERATOR,
    load_or_create_credentials,
    mesh_users,
    service_bus_uses,
)
from services.mesh.nats_server import NatsServer
from services.mesh.processes import free_port, free_ports
from services.mesh.services import NATS_CREDENTIALS_DIR_VARIABLE, SERVICES, ServiceProcess
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2

TRANSCRIBER = next(d for d in SERVICES if d.name == catalogue.TRANSCRIBER)
OWNER_ID = "fanout-owner"
ROOT = Path(__file__).resolve().parents[1]


class PinnedServiceProcess(ServiceProcess):
    """A service process started under `taskset -c <cpus>` (all its threads stay there)."""

    cpus: str | None = None

    def command(self) -> Sequence[str]:
        command = list(super().command())
        return ["taskset", "-c", self.cpus, *command] if self.cpus else command


class JobFailed(RuntimeError):
    """The transcriber published `processing.failed` for the job."""


@dataclass
class FinishedJob:
    document_id: str
    transcript: library_pb2.Transcript
    seconds: float  # from publishing the request to `transcription.completed`


@dataclass
class TranscriberPool:
    folder: Path
    # For every replica (e.g. TRANSCRIBER_FANOUT_THRESHOLD_SECONDS, WHISPER_CPU_THREADS).
    environment: Mapping[str, str] = field(default_factory=dict)
    replicas: list[PinnedServiceProcess] = field(default_factory=list)
    nats: NatsServer | None = None
    _client: NatsClient | None = None

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def store(self) -> ObjectStore:
        return store_from_settings(StorageSettings(data_dir=self.data_dir, storage_backend="local"))

    async def start(self) -> None:
        credentials_dir = self.data_dir / "keys" / "nats"
        credentials = load_or_create_credentials(credentials_dir)
        users = mesh_users(credentials, await asyncio.to_thread(service_bus_uses))
        port, monitor = free_ports(2)
        self.nats = NatsServer(
            self.folder / "nats",
            port,
            monitor,
            users=users,
            client_credentials=credentials[OPERATOR],
        )
        await asyncio.to_thread(self.nats.start)
        self._client = await nats.connect(self.nats.url)

    async def add_replica(
        self, cpus: str | None = None, environment: Mapping[str, str] | None = None
    ) -> PinnedServiceProcess:
        assert self.nats is not None, "start() first"
        index = len(self.replicas) + 1
        replica = PinnedServiceProcess(
            TRANSCRIBER,
            free_port(),
            self.folder / f"transcriber-{index}",
            {
                "DATA_DIR": str(self.data_dir),
                "STORAGE_BACKEND": "local",
                "NATS_URL": self.nats.address,
                NATS_CREDENTIALS_DIR_VARIABLE: str(self.data_dir / "keys" / "nats"),
                "JWT_PUBLIC_KEY_FILE": str(self.data_dir / "keys" / "jwt-ed25519.pub.pem"),
                "PYTHONUNBUFFERED": "1",
                **self.environment,
                **(environment or {}),
            },
            ROOT,
        )
        replica.cpus = cpus
        replica.name = f"transcriber-{index}"
        # Listed before it starts, so replicas added side by side get their own numbers.
        self.replicas.append(replica)
        await asyncio.to_thread(replica.start)
        return replica

    async def stop_replicas(self) -> None:
        for replica in self.replicas:
            await asyncio.to_thread(replica.stop)
        self.replicas.clear()

    async def transcribe(
        self, recording: Path, *, language: str = "en", document_id: str = ""
    ) -> FinishedJob:
        """Uploads `recording` as a new document and waits for its transcript (callers bound
        the wait with `asyncio.timeout`)."""
        assert self._client is not None, "start() first"
        document_id = document_id or uuid.uuid4().hex
        key = upload_key("audio", OWNER_ID, document_id, recording.suffix.lstrip(".") or "wav")
        await asyncio.to_thread(self.store.put_file, key, recording, "audio/wav")
        job = events_pb2.JobContext(
            job_id=uuid.uuid4().hex,
            document_id=document_id,
            owner_id=OWNER_ID,
            version=1,
            original_key=key,
            original_file_name=recording.name,
            language=language,
        )
        js = self._client.jetstream()
        stream = f"speechflow.{catalogue.TRANSCRIBER}.v1.>"
        outcomes = await js.subscribe(
            stream, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
        )
        try:
            started = time.perf_counter()
            await js.publish(
                catalogue.TRANSCRIPTION_REQUESTED,
                events_pb2.StageRequested(job=job).SerializeToString(),
                headers={"Nats-Msg-Id": f"{document_id}-requested"},
            )
            while True:
                message = await outcomes.next_msg(timeout=None)
                if message.subject == catalogue.TRANSCRIPTION_COMPLETED:
                    completed = events_pb2.TranscriptionCompleted.FromString(message.data)
                    if completed.job.document_id == document_id:
                        seconds = time.perf_counter() - started
                        data = await asyncio.to_thread(
                            self.store.get_bytes, completed.transcript_key
                        )
                        return FinishedJob(document_id, parse_transcript(data), seconds)
                elif message.subject == catalogue.processing_failed(catalogue.TRANSCRIBER):
                    failed = events_pb2.ProcessingFailed.FromString(message.data)
                    if failed.job.document_id == document_id:
                        raise JobFailed(failed.reason)
        finally:
            await outcomes.unsubscribe()

    def seams(self, document_id: str) -> list[float]:
        """Where the document's chunks were joined (from the chunk results the replicas
        stored beside the transcript)."""
        folder = transcript_key(OWNER_ID, document_id, "_").rsplit("/", 1)[0]
        starts = []
        for info in self.store.list(folder):
            name = info.key.rsplit("/", 1)[-1]
            if name.startswith("chunk-") and name.endswith(".json") and ".failed" not in name:
                starts.append(json.loads(self.store.get_bytes(info.key))["keep_start"])
        return sorted(start for start in starts if start > 0)

    def chunks(self, replica: ServiceProcess, document_id: str, what: str) -> list[int]:
        """Chunk indexes of a document that `replica` logged `what` for ("chunk started",
        "chunk transcribed"), from its JSON log lines."""
        if not replica.log_path.exists():
            return []
        found = []
        for line in replica.log_path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("message") == what and entry.get("document_id") == document_id:
                found.append(int(entry["chunk"]))
        return found

    async def close(self) -> None:
        await self.stop_replicas()
        if self._client is not None:
            await self._client.close()
        if self.nats is not None:
            await asyncio.to_thread(self.nats.stop)


def timed_words(transcript: library_pb2.Transcript) -> list[tuple[float, str]]:
    return [
        (seconds(word.start_offset), word.text)
        for segment in transcript.segments
        for word in segment.words
    ]


def text_of(transcript: library_pb2.Transcript) -> str:
    return " ".join(segment.text for segment in transcript.segments)
