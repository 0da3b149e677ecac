"""The infrastructure launchers run the real servers, and those servers behave as we rely on."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from http import HTTPStatus
from pathlib import Path

import httpx
import nats
import psycopg
import pytest
import sqlalchemy as sa
from minio.error import S3Error
from nats.js.api import StreamConfig

from services.mesh.nats_server import NatsServer
from services.mesh.postgres import PostgresServer
from services.mesh.processes import (
    ManagedProcess,
    ProcessExitedError,
    free_ports,
    wait_until,
)
from services.mesh.s3_server import SeaweedS3
from tests.fixtures.infra import unique_database_name

# --- shared process plumbing -------------------------------------------------------------


class _SleeperIgnoringSigterm(ManagedProcess):
    """A stand-in server that ignores the polite stop signal, like a hung process."""

    stop_grace = 0.2

    def prepare(self) -> None:
        """Nothing to set up."""

    def command(self) -> Sequence[str]:
        script = (
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
        )
        return [sys.executable, "-c", script]

    def is_ready(self) -> bool:
        return True


def test_free_ports_are_distinct() -> None:
    ports = free_ports(20)
    assert len(set(ports)) == 20


def test_wait_until_timeout_names_what_it_waited_for_and_the_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("line one\nfatal: port in use\n")
    with pytest.raises(TimeoutError) as raised:
        wait_until(lambda: False, 0.1, "the widget server", log)
    message = str(raised.value)
    assert "the widget server" in message
    assert str(log) in message
    assert "fatal: port in use" in message


def test_stop_kills_a_process_that_ignores_sigterm(tmp_path: Path) -> None:
    process = _SleeperIgnoringSigterm("sleeper", tmp_path).start()
    assert process.is_running()
    process.stop()
    assert not process.is_running()


def test_server_that_dies_while_starting_fails_fast_with_its_log(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    # Same client port as the running session server: the new one cannot listen.
    clashing = NatsServer(tmp_path, port=nats_server.port, monitor_port=free_ports(1)[0])
    with pytest.raises(ProcessExitedError) as raised:
        clashing.start()
    assert str(clashing.log_path) in str(raised.value)
    assert not clashing.is_running()


# --- NATS JetStream ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_jetstream_deduplicates_by_message_id_and_pull_consumer_receives_once(
    nats_server: NatsServer,
) -> None:
    client = await nats.connect(nats_server.url)
    try:
        js = client.jetstream()
        await js.add_stream(StreamConfig(name="LAUNCHER_DEDUP", subjects=["launcher.dedup"]))
        headers = {"Nats-Msg-Id": "recording-42"}
        first = await js.publish("launcher.dedup", b"hello", headers=headers)
        second = await js.publish("launcher.dedup", b"hello", headers=headers)
        assert not first.duplicate
        assert second.duplicate

        info = await js.stream_info("LAUNCHER_DEDUP")
        assert info.state.messages == 1

        subscription = await js.pull_subscribe("launcher.dedup", durable="launcher-worker")
        messages = await subscription.fetch(1, timeout=5)
        assert [message.data for message in messages] == [b"hello"]
        await messages[0].ack_sync()
    finally:
        await client.drain()


@pytest.mark.asyncio
@pytest.mark.parametrize("how", ["graceful", "crash"])
async def test_jetstream_messages_survive_a_server_restart(tmp_path: Path, how: str) -> None:
    port, monitor_port = free_ports(2)
    with NatsServer(tmp_path, port, monitor_port) as server:
        client = await nats.connect(server.url)
        js = client.jetstream()
        await js.add_stream(StreamConfig(name="LAUNCHER_DURABLE", subjects=["launcher.durable"]))
        for number in range(3):
            await js.publish("launcher.durable", f"event-{number}".encode())
        await client.close()

        if how == "crash":
            server.kill()
        else:
            server.stop()
        assert not server.is_running()
        server.start()

        client = await nats.connect(server.url)
        try:
            js = client.jetstream()
            info = await js.stream_info("LAUNCHER_DURABLE")
            assert info.state.messages == 3
            subscription = await js.pull_subscribe("launcher.durable", durable="after-restart")
            messages = await subscription.fetch(3, timeout=5)
            assert [m.data for m in messages] == [b"event-0", b"event-1", b"event-2"]
        finally:
            await client.close()


@pytest.mark.asyncio
async def test_jetstream_accepts_payloads_larger_than_the_default_1mb(
    nats_server: NatsServer,
) -> None:
    client = await nats.connect(nats_server.url)
    try:
        js = client.jetstream()
        await js.add_stream(StreamConfig(name="LAUNCHER_LARGE", subjects=["launcher.large"]))
        ack = await js.publish("launcher.large", b"x" * (4 * 1024 * 1024))
        assert ack.seq == 1
    finally:
        await client.close()


# --- PostgreSQL --------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_default_database_accepts_psycopg_connections(
    postgres_server: PostgresServer,
) -> None:
    conninfo = sa.make_url(postgres_server.url).set(drivername="postgresql")
    with psycopg.connect(conninfo.render_as_string(hide_password=False)) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS launcher_probe (value text)")
        connection.execute("INSERT INTO launcher_probe VALUES ('ok')")
        row = connection.execute("SELECT value FROM launcher_probe").fetchone()
        connection.rollback()
    assert row == ("ok",)


@pytest.mark.postgres
def test_postgres_url_works_with_sqlalchemy(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE notes (id serial PRIMARY KEY, body text)"))
            connection.execute(sa.text("INSERT INTO notes (body) VALUES ('first')"))
        with engine.connect() as connection:
            bodies = connection.execute(sa.text("SELECT body FROM notes")).scalars().all()
    finally:
        engine.dispose()
    assert bodies == ["first"]


@pytest.mark.postgres
def test_fresh_databases_do_not_share_tables(postgres_server: PostgresServer) -> None:
    first = postgres_server.create_database(unique_database_name("isolation_a"))
    second = postgres_server.create_database(unique_database_name("isolation_b"))
    first_engine, second_engine = sa.create_engine(first), sa.create_engine(second)
    try:
        with first_engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE only_in_first (id int)"))
        assert sa.inspect(first_engine).has_table("only_in_first")
        assert not sa.inspect(second_engine).has_table("only_in_first")
    finally:
        first_engine.dispose()
        second_engine.dispose()


@pytest.mark.postgres
def test_postgres_server_process_never_runs_as_root(postgres_server: PostgresServer) -> None:
    assert postgres_server.pid is not None
    status = Path(f"/proc/{postgres_server.pid}/status").read_text()
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    real_uid, effective_uid = (int(value) for value in uid_line.split()[1:3])
    assert real_uid != 0
    assert effective_uid != 0


# --- S3 ----------------------------------------------------------------------------------


def test_s3_private_bucket_round_trips_an_object(s3_server: SeaweedS3) -> None:
    client = s3_server.client()
    client.make_bucket("launcher-roundtrip")
    client.put_object("launcher-roundtrip", "audio/a.txt", io.BytesIO(b"payload"), 7)
    response = client.get_object("launcher-roundtrip", "audio/a.txt")
    try:
        assert response.read() == b"payload"
    finally:
        response.close()
        response.release_conn()


def test_s3_presigned_get_works_and_anonymous_get_is_denied(s3_server: SeaweedS3) -> None:
    client = s3_server.client()
    client.make_bucket("launcher-presign")
    client.put_object("launcher-presign", "report.pdf", io.BytesIO(b"%PDF-1.7"), 8)

    anonymous = httpx.get(f"{s3_server.url}/launcher-presign/report.pdf")
    presigned = httpx.get(client.presigned_get_object("launcher-presign", "report.pdf"))

    assert anonymous.status_code == HTTPStatus.FORBIDDEN
    assert presigned.status_code == HTTPStatus.OK
    assert presigned.content == b"%PDF-1.7"


def test_s3_rejects_requests_signed_with_a_wrong_secret(s3_server: SeaweedS3) -> None:
    impostor = s3_server.client(secret_key="not-the-real-secret")
    with pytest.raises(S3Error) as raised:
        impostor.list_buckets()
    assert raised.value.code == "SignatureDoesNotMatch"
