"""NATS users of the mesh: one per service, each allowed to publish only its own events and
to read only what it consumes; an `operator` user (full rights) for tools and tests.

The permissions are derived from the pipeline catalogue (services/kernel/catalogue.py): every
durable consumer and follower declared there, so a new input cannot be forgotten here. Passwords are
random, kept in one file per user (mode 0600, like auth's JWT key) and reused on the next
start; the server only ever sees their bcrypt hashes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt

from services.kernel import catalogue
from services.kernel.files import load_or_create_secret, write_private_text
from services.kernel.jetstream import ConsumerSpec, inbox_prefix, producer_stream
from services.kernel.settings import NatsCredentials

OPERATOR = "operator"
SERVICE_NAMES = catalogue.SERVICES
# The passwords are 256-bit random tokens, so the hash only has to hide them if the server
# config leaks; a low cost keeps every (re)connect cheap.
_BCRYPT_COST = 6
_JS_API = "$JS.API"


@dataclass(frozen=True)
class NatsPermissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


@dataclass(frozen=True)
class NatsUser:
    """A user as the server config lists it; `permissions=None` means unrestricted."""

    name: str
    password_hash: str
    permissions: NatsPermissions | None = None


@dataclass(frozen=True)
class ServiceBusUse:
    """What one service does on the bus, as its code declares it."""

    name: str
    consumers: Sequence[ConsumerSpec] = ()
    # Plain (core NATS) subscriptions.
    subscriptions: Sequence[str] = ()
    # Consumers of others whose backlog it reads (the library's queue view).
    observed_consumers: Sequence[tuple[str, str]] = field(default_factory=tuple)
    # (stream, subject) read through an ephemeral ordered consumer of its own.
    followed: Sequence[tuple[str, str]] = ()
    # Subjects of the work queues it feeds (and consumes), beside its own events.
    work_queue_subjects: Sequence[str] = ()


def service_bus_uses() -> list[ServiceBusUse]:
    """Every service's use of the bus, as the pipeline catalogue declares it."""
    stage_inputs = [c for c in catalogue.consumers() if c.service in catalogue.STAGE_SERVICES]
    uses = []
    for name in catalogue.SERVICES:
        followers = catalogue.followers_of(name)
        queues = catalogue.work_queues_of(name)
        uses.append(
            ServiceBusUse(
                name,
                consumers=[
                    *(c.spec() for c in catalogue.consumers() if c.service == name),
                    *(q.spec() for q in queues),
                ],
                work_queue_subjects=[s for q in queues for s in q.subjects],
                subscriptions=[s for f in followers if not f.replays_stream for s in f.subjects],
                # The library's queue view reads the backlog of every stage input and of
                # every work queue (a long recording's chunks).
                observed_consumers=[
                    (c.stream, c.durable) for c in (*stage_inputs, *catalogue.WORK_QUEUE_CONSUMERS)
                ]
                if name == catalogue.LIBRARY
                else (),
                followed=[
                    (producer_stream(f.producer).name, subject)
                    for f in followers
                    if f.replays_stream
                    for subject in f.subjects
                ],
            )
        )
    return uses


def permissions_for(use: ServiceBusUse) -> NatsPermissions:
    """The narrowest grant nats-server can express for `use`.

    A JetStream consumer is read through API requests, not by subscribing to the stream's
    subjects, so "subscribe only to what it consumes" becomes: create, inspect and pull only
    its own durables, ack only their messages, and read replies only on its own inbox.
    (The server cannot look inside a consumer-create request, so the filter subjects of an
    allowed durable are not checked.)
    """
    own_stream = producer_stream(use.name).name
    publish: list[str] = [
        f"speechflow.{use.name}.v1.>",
        *(f"{_JS_API}.STREAM.{verb}.{own_stream}" for verb in ("INFO", "CREATE", "UPDATE")),
        *use.work_queue_subjects,
    ]
    # Streams it reads from: it may create one that does not exist yet (start-up order is
    # free) but never reconfigure it (EventBus.ensure_streams updates only its own).
    for stream in _unique(c.stream for c in use.consumers if c.stream != own_stream):
        publish += [f"{_JS_API}.STREAM.INFO.{stream}", f"{_JS_API}.STREAM.CREATE.{stream}"]
    for consumer in use.consumers:
        where = f"{consumer.stream}.{consumer.durable}"
        publish += [
            f"{_JS_API}.CONSUMER.CREATE.{where}",
            f"{_JS_API}.CONSUMER.CREATE.{where}.>",
            f"{_JS_API}.CONSUMER.DURABLE.CREATE.{where}",
            f"{_JS_API}.CONSUMER.INFO.{where}",
            f"{_JS_API}.CONSUMER.MSG.NEXT.{where}",
            f"$JS.ACK.{where}.>",
        ]
    publish += [f"{_JS_API}.CONSUMER.INFO.{s}.{d}" for s, d in use.observed_consumers]
    for stream, _subject in use.followed:
        # nats-py names no ephemeral consumer, so its filter is not in the request subject
        # and the grant is per stream (which already lets it read the whole stream, so
        # reading one message, to learn where a replay ends, grants nothing more);
        # flow-control replies go to `$JS.FC.<stream>.…`.
        publish += [
            f"{_JS_API}.STREAM.NAMES",
            f"{_JS_API}.STREAM.INFO.{stream}",
            f"{_JS_API}.STREAM.MSG.GET.{stream}",
            f"{_JS_API}.CONSUMER.CREATE.{stream}",
            f"$JS.FC.{stream}.>",
        ]
    subscribe = [f"{inbox_prefix(use.name)}.>", *use.subscriptions]
    return NatsPermissions(tuple(_unique(publish)), tuple(_unique(subscribe)))


def load_or_create_credentials(
    directory: Path, names: Iterable[str] = (OPERATOR, *SERVICE_NAMES)
) -> dict[str, NatsCredentials]:
    """`<directory>/<name>/password` for each user: read if present, else created (0600).

    One folder per user, so a container can mount just its own (compose's `subpath`)."""
    return {
        name: NatsCredentials(name, load_or_create_password(password_file(directory, name)))
        for name in names
    }


def password_file(directory: Path, name: str) -> Path:
    return directory / name / "password"


def mesh_users(
    credentials: Mapping[str, NatsCredentials], uses: Sequence[ServiceBusUse]
) -> list[NatsUser]:
    """Server-side users: the operator unrestricted, every service with its derived grant."""
    users = [NatsUser(OPERATOR, hash_password(credentials[OPERATOR].password))]
    for use in uses:
        users.append(
            NatsUser(use.name, hash_password(credentials[use.name].password), permissions_for(use))
        )
    return users


def write_server_authorization(directory: Path) -> Path:
    """For deployments whose nats-server runs elsewhere (compose): every user's password
    under `directory/<user>/password` and the server's `authorization` block, with the
    hashes only, in `directory/server/auth.conf` (pass it with `--config`)."""
    from services.mesh.nats_server import authorization_block

    users = mesh_users(load_or_create_credentials(directory), service_bus_uses())
    config = directory / "server" / "auth.conf"
    config.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private_text(config, authorization_block(users) + "\n")
    return config


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(_BCRYPT_COST)).decode()


def load_or_create_password(path: Path) -> str:
    """A random password kept in `path` (0600, in a 0700 folder), created on first use;
    URL-safe, as it may also travel in a nats:// URL."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return load_or_create_secret(path, lambda: secrets.token_urlsafe(32))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
