"""OIDC sign-in (authorization code + PKCE) end to end over real gRPC, against a real OpenID
provider (npm oidc-provider on a loopback port), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import nats
import pytest
from pydantic import SecretStr
from sqlalchemy import update

from services.auth.app import database_url, start_auth
from services.auth.oidc.store import OidcSignInRow
from services.auth.settings import AuthSettings
from services.kernel.db import Database
from services.mesh.nats_server import NatsServer
from services.mesh.processes import free_port
from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc
from speechflow.events.v1 import events_pb2
from speechflow.library.v1 import library_pb2, library_pb2_grpc
from tests.auth.conftest import Clock, auth_settings
from tests.fixtures.oidc import (
    ADMIN_GROUP,
    CLIENT_ID,
    CLIENT_SECRET,
    DISPLAY_NAME,
    OidcProvider,
    ProviderAccount,
    sign_in_at_provider,
)
from tests.grpc_helpers import bearer, call_fails, error_info

Code = grpc.StatusCode
REDIRECT_URI = "http://localhost:5173/oidc/callback"
PASSWORD = "correct horse battery"
SIGN_IN_TTL_SECONDS = 600
RUN = uuid.uuid4().hex[:6]  # emails unique per session, whatever the database holds

ADA = ProviderAccount("ada", f"ada-{RUN}@example.com", name="Ada Lovelace")
LINKED = ProviderAccount("grace", f"grace-{RUN}@example.com", name="Grace Hopper")
UNVERIFIED = ProviderAccount("mallory", f"eve-{RUN}@example.com", email_verified=False)
ROOT = ProviderAccount("root", f"root-{RUN}@example.com", groups=("staff", ADMIN_GROUP))
ACCOUNTS = [ADA, LINKED, UNVERIFIED, ROOT]


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    with OidcProvider(tmp_path_factory.mktemp("oidc"), [REDIRECT_URI], ACCOUNTS) as running:
        yield running


@dataclass
class OidcHarness:
    stub: auth_pb2_grpc.AuthServiceAsyncStub
    settings: AuthSettings
    clock: Clock
    provider: OidcProvider

    async def sign_in(self, account: ProviderAccount) -> auth_pb2.FinishOidcSignInResponse:
        started = await self.stub.StartOidcSignIn(
            auth_pb2.StartOidcSignInRequest(redirect_uri=REDIRECT_URI)
        )
        back = await sign_in_at_provider(started.authorization_url, account.login, REDIRECT_URI)
        assert back.state == started.state
        return await self.stub.FinishOidcSignIn(
            auth_pb2.FinishOidcSignInRequest(
                code=back.code, state=back.state, redirect_uri=REDIRECT_URI
            )
        )


StartAuth = Callable[..., AbstractAsyncContextManager[OidcHarness]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def start_oidc_auth(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServer,
    provider: OidcProvider,
) -> StartAuth:
    """Starts auth configured for the test provider (same data each time in one test), with
    any settings overridden; a context manager, so a test can restart it differently."""
    database_url = "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    clock = Clock(datetime.now(UTC))

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[OidcHarness]:
        base = auth_settings(tmp_path, nats_server.url, database_url)
        oidc: dict[str, Any] = {
            "oidc_issuer": provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
            "oidc_scopes": "openid email profile groups",
            "oidc_display_name": DISPLAY_NAME,
            "oidc_redirect_uris": REDIRECT_URI,
            "oidc_admin_claim": "groups",
            "oidc_admin_value": ADMIN_GROUP,
            "oidc_sign_in_ttl_seconds": SIGN_IN_TTL_SECONDS,
        }
        settings = base.model_copy(update=oidc | overrides)
        app = await start_auth(settings, clock=clock)
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{app.port}")
        try:
            yield OidcHarness(auth_pb2_grpc.AuthServiceStub(channel), settings, clock, provider)
        finally:
            await channel.close()
            await app.stop(grace=1)

    return start


@pytest.fixture
async def oidc(start_oidc_auth: StartAuth) -> AsyncIterator[OidcHarness]:
    async with start_oidc_auth() as harness:
        yield harness


async def started_and_called_back(oidc: OidcHarness, account: ProviderAccount) -> tuple[str, str]:
    started = await oidc.stub.StartOidcSignIn(
        auth_pb2.StartOidcSignInRequest(redirect_uri=REDIRECT_URI)
    )
    back = await sign_in_at_provider(started.authorization_url, account.login, REDIRECT_URI)
    return back.code, back.state


async def tamper_with_started_sign_ins(settings: AuthSettings, **values: str) -> None:
    """What an attacker holding only the code could not supply: another nonce or verifier."""
    db = Database(database_url(settings))
    try:
        async with db.session() as session:
            await session.execute(update(OidcSignInRow).values(**values))
    finally:
        await db.dispose()


async def test_a_first_sign_in_creates_the_account_and_its_tokens_work_on_the_library(
    oidc: OidcHarness, tmp_path: Path, nats_server: NatsServer
) -> None:
    options = await oidc.stub.GetSignInOptions(auth_pb2.GetSignInOptionsRequest())
    assert options.oidc_enabled
    assert options.password_enabled
    assert options.oidc_display_name == DISPLAY_NAME

    signed_in = await oidc.sign_in(ADA)
    assert signed_in.user.email == ADA.email
    assert signed_in.user.name == ADA.name
    assert signed_in.user.role == auth_pb2.ROLE_USER
    me = await oidc.stub.GetMe(
        auth_pb2.GetMeRequest(), metadata=bearer(signed_in.tokens.access_token)
    )
    assert me.user.id == signed_in.user.id
    renewed = await oidc.stub.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=signed_in.tokens.refresh_token)
    )
    assert renewed.tokens.access_token

    # Imported here: only this test needs the library service.
    from services.library.app import start_library
    from services.library.settings import LibrarySettings

    library = await start_library(
        LibrarySettings(
            data_dir=tmp_path / "library",
            nats_url=nats_server.url,
            grpc_port=0,
            jwt_public_key_file=oidc.settings.jwt_public_key_file,
        )
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{library.port}") as channel:
            stub = library_pb2_grpc.LibraryServiceStub(channel)
            listed = await stub.ListDocuments(
                library_pb2.ListDocumentsRequest(),
                metadata=bearer(renewed.tokens.access_token),
            )
        assert list(listed.documents) == []
    finally:
        await library.stop(grace=1)

    again = await oidc.sign_in(ADA)
    assert again.user.id == signed_in.user.id


async def test_a_verified_email_links_to_the_existing_password_account(
    oidc: OidcHarness,
) -> None:
    registered = await oidc.stub.Register(
        auth_pb2.RegisterRequest(email=LINKED.email, password=PASSWORD, name="Grace")
    )
    signed_in = await oidc.sign_in(LINKED)
    assert signed_in.user.id == registered.user.id
    # The password keeps working beside the provider.
    login = await oidc.stub.Login(auth_pb2.LoginRequest(email=LINKED.email, password=PASSWORD))
    assert login.user.id == registered.user.id


async def test_an_unverified_email_never_links_to_an_existing_account(
    oidc: OidcHarness,
) -> None:
    await oidc.stub.Register(auth_pb2.RegisterRequest(email=UNVERIFIED.email, password=PASSWORD))
    error = await call_fails(oidc.sign_in(UNVERIFIED), Code.FAILED_PRECONDITION)
    assert error_info(error).reason == "OIDC_EMAIL_NOT_VERIFIED"
    assert "not verified" in (error.details() or "")


async def test_the_admin_claim_grants_the_admin_role(oidc: OidcHarness) -> None:
    signed_in = await oidc.sign_in(ROOT)
    assert signed_in.user.role == auth_pb2.ROLE_ADMIN
    me = await oidc.stub.GetMe(
        auth_pb2.GetMeRequest(), metadata=bearer(signed_in.tokens.access_token)
    )
    assert me.user.role == auth_pb2.ROLE_ADMIN
    assert (await oidc.sign_in(ADA)).user.role == auth_pb2.ROLE_USER


async def test_a_state_works_once(oidc: OidcHarness) -> None:
    code, state = await started_and_called_back(oidc, ADA)
    finish = auth_pb2.FinishOidcSignInRequest(code=code, state=state, redirect_uri=REDIRECT_URI)
    await oidc.stub.FinishOidcSignIn(finish)
    error = await call_fails(oidc.stub.FinishOidcSignIn(finish), Code.FAILED_PRECONDITION)
    assert error_info(error).reason == "OIDC_STATE_UNKNOWN"


async def test_a_state_that_was_never_started_is_refused(oidc: OidcHarness) -> None:
    code, _ = await started_and_called_back(oidc, ADA)
    error = await call_fails(
        oidc.stub.FinishOidcSignIn(
            auth_pb2.FinishOidcSignInRequest(
                code=code, state="made-up-state", redirect_uri=REDIRECT_URI
            )
        ),
        Code.FAILED_PRECONDITION,
    )
    assert error_info(error).reason == "OIDC_STATE_UNKNOWN"


async def test_a_sign_in_left_too_long_at_the_provider_expires(oidc: OidcHarness) -> None:
    code, state = await started_and_called_back(oidc, ADA)
    oidc.clock.advance(seconds=SIGN_IN_TTL_SECONDS + 1)
    error = await call_fails(
        oidc.stub.FinishOidcSignIn(
            auth_pb2.FinishOidcSignInRequest(code=code, state=state, redirect_uri=REDIRECT_URI)
        ),
        Code.FAILED_PRECONDITION,
    )
    assert error_info(error).reason == "OIDC_STATE_EXPIRED"


async def test_a_code_the_provider_did_not_issue_is_refused(oidc: OidcHarness) -> None:
    _, state = await started_and_called_back(oidc, ADA)
    error = await call_fails(
        oidc.stub.FinishOidcSignIn(
            auth_pb2.FinishOidcSignInRequest(
                code="not-a-real-code", state=state, redirect_uri=REDIRECT_URI
            )
        ),
        Code.UNAUTHENTICATED,
    )
    assert error_info(error).reason == "OIDC_SIGN_IN_REJECTED"
    assert DISPLAY_NAME in (error.details() or "")


async def test_a_redirect_uri_that_is_not_allowed_is_invalid_argument(oidc: OidcHarness) -> None:
    error = await call_fails(
        oidc.stub.StartOidcSignIn(
            auth_pb2.StartOidcSignInRequest(redirect_uri="https://evil.example/callback")
        ),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(error).reason == "REDIRECT_URI_NOT_ALLOWED"
    code, state = await started_and_called_back(oidc, ADA)
    error = await call_fails(
        oidc.stub.FinishOidcSignIn(
            auth_pb2.FinishOidcSignInRequest(
                code=code, state=state, redirect_uri="https://evil.example/callback"
            )
        ),
        Code.INVALID_ARGUMENT,
    )
    assert error_info(error).reason == "REDIRECT_URI_NOT_ALLOWED"


async def test_an_account_made_by_sign_in_has_no_password_to_guess(oidc: OidcHarness) -> None:
    await oidc.sign_in(ADA)
    error = await call_fails(
        oidc.stub.Login(auth_pb2.LoginRequest(email=ADA.email, password="anything at all")),
        Code.UNAUTHENTICATED,
    )
    assert error_info(error).reason == "WRONG_CREDENTIALS"


async def test_password_sign_in_turned_off_refuses_passwords_but_keeps_sign_ins(
    start_oidc_auth: StartAuth,
) -> None:
    async with start_oidc_auth() as before:
        registered = await before.stub.Register(
            auth_pb2.RegisterRequest(email=f"pw-{RUN}@example.com", password=PASSWORD)
        )
    async with start_oidc_auth(password_sign_in_enabled=False) as oidc:
        options = await oidc.stub.GetSignInOptions(auth_pb2.GetSignInOptionsRequest())
        assert not options.password_enabled
        assert options.oidc_enabled
        calls: list[Awaitable[Any]] = [
            oidc.stub.Login(auth_pb2.LoginRequest(email=registered.user.email, password=PASSWORD)),
            oidc.stub.Register(
                auth_pb2.RegisterRequest(email=f"new-{RUN}@example.com", password=PASSWORD)
            ),
        ]
        for call in calls:
            error = await call_fails(call, Code.FAILED_PRECONDITION)
            assert error_info(error).reason == "PASSWORD_SIGN_IN_DISABLED"
            assert f"sign in with {DISPLAY_NAME}" in (error.details() or "")
        me = await oidc.stub.GetMe(
            auth_pb2.GetMeRequest(), metadata=bearer(registered.tokens.access_token)
        )
        assert me.user.id == registered.user.id
        renewed = await oidc.stub.RefreshToken(
            auth_pb2.RefreshTokenRequest(refresh_token=registered.tokens.refresh_token)
        )
        assert renewed.tokens.access_token
        assert (await oidc.sign_in(ADA)).user.email == ADA.email


async def test_without_a_provider_sign_in_options_say_password_only(
    start_oidc_auth: StartAuth,
) -> None:
    async with start_oidc_auth(oidc_issuer="") as auth:
        options = await auth.stub.GetSignInOptions(auth_pb2.GetSignInOptionsRequest())
        assert options.password_enabled
        assert not options.oidc_enabled
        error = await call_fails(
            auth.stub.StartOidcSignIn(auth_pb2.StartOidcSignInRequest(redirect_uri=REDIRECT_URI)),
            Code.FAILED_PRECONDITION,
        )
        assert error_info(error).reason == "OIDC_DISABLED"


@pytest.mark.parametrize(
    "tampered",
    [
        pytest.param({"nonce": "not-the-nonce-sent"}, id="id-token-for-another-nonce"),
        pytest.param({"code_verifier": "x" * 48}, id="code-without-its-pkce-verifier"),
    ],
)
async def test_a_sign_in_that_does_not_match_what_was_started_is_refused(
    oidc: OidcHarness, tampered: dict[str, str]
) -> None:
    code, state = await started_and_called_back(oidc, ADA)
    await tamper_with_started_sign_ins(oidc.settings, **tampered)
    error = await call_fails(
        oidc.stub.FinishOidcSignIn(
            auth_pb2.FinishOidcSignInRequest(code=code, state=state, redirect_uri=REDIRECT_URI)
        ),
        Code.UNAUTHENTICATED,
    )
    assert error_info(error).reason == "OIDC_SIGN_IN_REJECTED"


async def test_an_unreachable_provider_is_unavailable_and_passwords_still_work(
    start_oidc_auth: StartAuth,
) -> None:
    async with start_oidc_auth(oidc_issuer=f"http://127.0.0.1:{free_port()}") as auth:
        error = await call_fails(
            auth.stub.StartOidcSignIn(auth_pb2.StartOidcSignInRequest(redirect_uri=REDIRECT_URI)),
            Code.UNAVAILABLE,
        )
        assert error_info(error).reason == "OIDC_PROVIDER_UNAVAILABLE"
        assert DISPLAY_NAME in (error.details() or "")
        registered = await auth.stub.Register(
            auth_pb2.RegisterRequest(email=f"offline-{RUN}@example.com", password=PASSWORD)
        )
        assert registered.tokens.access_token


async def test_a_discovery_document_naming_another_issuer_is_not_trusted(
    start_oidc_auth: StartAuth, provider: OidcProvider
) -> None:
    # The same server under another name: its document says http://127.0.0.1:<port>.
    async with start_oidc_auth(oidc_issuer=f"http://localhost:{provider.port}") as auth:
        error = await call_fails(
            auth.stub.StartOidcSignIn(auth_pb2.StartOidcSignInRequest(redirect_uri=REDIRECT_URI)),
            Code.UNAVAILABLE,
        )
        assert error_info(error).reason == "OIDC_PROVIDER_UNAVAILABLE"


async def test_starting_sign_ins_is_rate_limited_per_client(start_oidc_auth: StartAuth) -> None:
    async with start_oidc_auth(oidc_starts_per_client_per_minute=2) as auth:
        start = auth_pb2.StartOidcSignInRequest(redirect_uri=REDIRECT_URI)
        await auth.stub.StartOidcSignIn(start)
        await auth.stub.StartOidcSignIn(start)
        error = await call_fails(auth.stub.StartOidcSignIn(start), Code.RESOURCE_EXHAUSTED)
        assert error_info(error).reason == "OIDC_START_RATE_LIMITED"
        assert error_info(error).metadata["retry_after_seconds"]
        auth.clock.advance(minutes=1)
        assert (await auth.stub.StartOidcSignIn(start)).authorization_url


async def test_an_account_made_by_a_first_sign_in_is_announced_like_a_registration(
    oidc: OidcHarness, nats_server: NatsServer
) -> None:
    created = await oidc.sign_in(ADA)
    client = await nats.connect(nats_server.url)
    try:
        subscription = await client.jetstream().subscribe(
            "speechflow.auth.v1.user.registered", ordered_consumer=True
        )
        while True:
            message = await subscription.next_msg(timeout=10)
            event = events_pb2.UserRegistered.FromString(message.data)
            if event.user_id == created.user.id:
                break
        assert event.email == ADA.email
        assert event.name == ADA.name
    finally:
        await client.close()


async def test_a_sign_in_started_on_one_auth_replica_finishes_on_another(
    start_oidc_auth: StartAuth,
) -> None:
    async with start_oidc_auth() as first, start_oidc_auth() as second:
        code, state = await started_and_called_back(first, ADA)
        finished = await second.stub.FinishOidcSignIn(
            auth_pb2.FinishOidcSignInRequest(code=code, state=state, redirect_uri=REDIRECT_URI)
        )
        assert finished.user.email == ADA.email
        # ...and only once: the first replica no longer knows the state either.
        error = await call_fails(
            first.stub.FinishOidcSignIn(
                auth_pb2.FinishOidcSignInRequest(code=code, state=state, redirect_uri=REDIRECT_URI)
            ),
            Code.FAILED_PRECONDITION,
        )
        assert error_info(error).reason == "OIDC_STATE_UNKNOWN"


async def test_an_account_without_a_password_is_told_so_when_a_password_is_asked_for(
    oidc: OidcHarness,
) -> None:
    signed_in = await oidc.sign_in(ADA)
    token = bearer(signed_in.tokens.access_token)
    calls: list[Awaitable[Any]] = [
        oidc.stub.ChangePassword(
            auth_pb2.ChangePasswordRequest(current_password="a guess", new_password=PASSWORD),
            metadata=token,
        ),
        oidc.stub.DeleteAccount(auth_pb2.DeleteAccountRequest(password="a guess"), metadata=token),
    ]
    for call in calls:
        error = await call_fails(call, Code.FAILED_PRECONDITION)
        assert error_info(error).reason == "ACCOUNT_HAS_NO_PASSWORD"
        assert f"signs in with {DISPLAY_NAME}" in (error.details() or "")
