"""What the pipeline stages (transcriber, summarizer, renderer, notifier) share: job counters
for their `GetInfo` RPC and the start-up of a NATS-connected worker service."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any, Protocol, TypeVar

from services.kernel.accounts import DeletedAccounts
from services.kernel.api_keys import ApiKeyAuthenticator, GrpcApiKeyExchange
from services.kernel.app import ServiceApp
from services.kernel.jetstream import EventBus, connect_producer
from services.kernel.server import ServiceSpec, start_server
from services.kernel.settings import ServiceSettings
from services.kernel.tokens import TokenVerifier

VERSION = version("speechflow")


class InfoResponse(Protocol):
    """The shape every stage's GetInfoResponse has."""

    def __init__(
        self,
        *,
        version: str,
        settings: Mapping[str, str],
        jobs_in_progress: int,
        jobs_completed: int,
        jobs_failed: int,
    ) -> None: ...


R = TypeVar("R", bound=InfoResponse)


@dataclass
class JobCounters:
    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    settings: dict[str, str] = field(default_factory=dict)

    def info(self, response_type: type[R]) -> R:
        return response_type(
            version=VERSION,
            settings=self.settings,
            jobs_in_progress=self.in_progress,
            jobs_completed=self.completed,
            jobs_failed=self.failed,
        )


def verifier_for(
    settings: ServiceSettings, deleted_accounts: Container[str] = frozenset()
) -> TokenVerifier:
    return TokenVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        public_key_file=settings.jwt_public_key_file,
        deleted_accounts=deleted_accounts,
        api_keys=ApiKeyAuthenticator(
            GrpcApiKeyExchange(settings.auth_address),
            cache_seconds=settings.api_key_cache_seconds,
            requests_per_minute=settings.api_key_requests_per_minute,
        ),
    )


async def start_worker_service(
    *,
    name: str,
    settings: ServiceSettings,
    service_name: str,
    register: Callable[[Any], None],
    public_methods: Sequence[str] = (),
) -> tuple[ServiceApp, EventBus]:
    """Connects to NATS (declaring this producer's stream) and serves the stage's own API."""
    bus = await connect_producer(settings, name)
    # Tokens of accounts deleted since they were issued are refused by every stage.
    deleted_accounts = DeletedAccounts()
    deleted_accounts.follow(bus)
    server = await start_server(
        ServiceSpec(
            service_names=[service_name],
            register=register,
            verifier=verifier_for(settings, deleted_accounts),
            public_methods=public_methods,
        ),
        settings.grpc_host,
        settings.grpc_port,
    )
    # Closers run last to first: stop following before the connection closes.
    return (
        ServiceApp(name=name, server=server, closers=[bus.close, deleted_accounts.stop]),
        bus,
    )
