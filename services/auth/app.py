"""Composition root of the auth service: settings -> adapters -> servicer -> server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.auth.api import AuthServicer, PasswordHasher, PasswordSignIn, registration_recorder
from services.auth.api_keys import ApiKeyService
from services.auth.keys import AccessTokenIssuer, load_or_create_signing_key
from services.auth.oidc import wiring as oidc
from services.auth.settings import AuthSettings
from services.auth.store import OUTBOX
from services.auth.throttle import Backoff, LoginThrottle, Quota
from services.kernel.api_keys import ApiKeyAuthenticator
from services.kernel.app import ServiceApp
from services.kernel.db import Database, service_database_url, upgrade_schema
from services.kernel.jetstream import connect_producer
from services.kernel.outbox import Outbox
from services.kernel.server import ServiceSpec, start_server
from services.kernel.tokens import TokenVerifier
from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name
PUBLIC_METHODS = [
    f"/{SERVICE}/{m}" for m in ("Register", "Login", "RefreshToken", "Logout", "ExchangeApiKey")
] + [f"/{SERVICE}/{m}" for m in oidc.PUBLIC_RPCS]


def database_url(settings: AuthSettings) -> str:
    return service_database_url(settings.database_url, settings.data_dir, "auth")


def login_throttle(settings: AuthSettings) -> LoginThrottle:
    def backoff(free_failures: int) -> Backoff:
        return Backoff(
            free_failures=free_failures,
            base_delay=timedelta(seconds=settings.login_backoff_base_seconds),
            max_delay=timedelta(seconds=settings.login_backoff_max_seconds),
            window=timedelta(seconds=settings.login_failure_window_seconds),
        )

    return LoginThrottle(
        account=backoff(settings.login_max_failures),
        client=backoff(settings.login_client_max_failures),
    )


def api_key_service(
    settings: AuthSettings,
    db: Database,
    issuer: AccessTokenIssuer,
    clock: Callable[[], datetime],
) -> ApiKeyService:
    return ApiKeyService(
        db=db,
        issuer=replace(issuer, ttl=timedelta(seconds=settings.api_key_token_ttl_seconds)),
        exchanges=Quota(
            limit=settings.api_key_exchanges_per_minute,
            period=timedelta(minutes=1),
            message="Too many exchanges of this API key.",
            reason="API_KEY_RATE_LIMITED",
        ),
        clock=clock,
    )


def local_api_keys(settings: AuthSettings, api_keys: ApiKeyService) -> ApiKeyAuthenticator:
    """Auth checks `Bearer sf_…` on its own RPCs in its database, on every call (no cache), so
    a revoked key stops working here at once."""

    async def exchange(secret: str) -> str:
        return (await api_keys.exchange(secret, rate_limited=False)).access_token

    return ApiKeyAuthenticator(
        exchange, cache_seconds=0, requests_per_minute=settings.api_key_requests_per_minute
    )


async def start_auth(
    settings: AuthSettings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> ServiceApp:
    url = database_url(settings)
    await asyncio.to_thread(upgrade_schema, url, MIGRATIONS, "alembic_version_auth")
    db = Database(url)
    key = load_or_create_signing_key(settings.signing_key_file, settings.jwt_public_key_file)
    bus = await connect_producer(settings, "auth")
    outbox = Outbox(OUTBOX, source="auth")
    issuer = AccessTokenIssuer(
        key=key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(seconds=settings.access_token_ttl_seconds),
    )
    api_keys = api_key_service(settings, db, issuer, clock)
    servicer = AuthServicer(
        db=db,
        outbox=outbox,
        issuer=issuer,
        passwords=PasswordSignIn(
            enabled=settings.password_sign_in_enabled,
            hasher=PasswordHasher(cost=settings.bcrypt_cost),
            min_length=settings.password_min_length,
            throttle=login_throttle(settings),
            registrations=Quota(
                limit=settings.register_max_per_client,
                period=timedelta(seconds=settings.register_period_seconds),
            ),
        ),
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
        api_keys=api_keys,
        library_address=settings.library_address,
        clock=clock,
        oidc=oidc.oidc_sign_in(settings, db, registration_recorder(outbox), clock),
    )
    verifier = TokenVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        public_key_file=settings.jwt_public_key_file,
        api_keys=local_api_keys(settings, api_keys),
    )
    server = await start_server(
        ServiceSpec(
            service_names=[SERVICE],
            register=lambda s: auth_pb2_grpc.add_AuthServiceServicer_to_server(servicer, s),
            verifier=verifier,
            public_methods=PUBLIC_METHODS,
            reflect_whole_api=settings.edge_reflection,
        ),
        settings.grpc_host,
        settings.grpc_port,
    )
    relay = asyncio.create_task(outbox.run_relay(db, bus))
    return ServiceApp(
        name="auth", server=server, background=[relay], closers=[bus.close, db.dispose]
    )
