"""AuthService servicer: proto <-> account rules and the store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import bcrypt
import grpc
import grpc.aio
from google.api import httpbody_pb2
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.auth import callers, domain
from services.auth.api_keys import ApiKeyService
from services.auth.api_keys_rpc import ApiKeyRpcs
from services.auth.export import export_chunks
from services.auth.keys import AccessTokenIssuer
from services.auth.oidc.sign_in import OidcSignIn, OnCreated
from services.auth.store import ApiKeyRow, AuthStore, RefreshTokenRow, UserRow
from services.auth.throttle import LoginThrottle, Quota, fresh_counter
from services.kernel.catalogue import USER_DELETED, USER_REGISTERED
from services.kernel.db import Database
from services.kernel.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    Unauthenticated,
)
from services.kernel.outbox import Outbox
from services.kernel.protos import timestamp
from services.kernel.row_ids import new_id
from services.kernel.tokens import Role, current_principal
from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc
from speechflow.events.v1 import events_pb2

Context = grpc.aio.ServicerContext[Any, Any]
WRONG_CREDENTIALS = "Email or password is incorrect."


def user_message(row: UserRow) -> auth_pb2.User:
    return auth_pb2.User(
        id=row.id,
        email=row.email,
        name=row.name,
        role=auth_pb2.Role.ValueType(row.role),
        create_time=timestamp(row.create_time),
    )


@dataclass
class PasswordHasher:
    cost: int

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(rounds=self.cost)
        digest = await asyncio.to_thread(bcrypt.hashpw, password.encode(), salt)
        return digest.decode()

    async def verify(self, password: str, hashed: str) -> bool:
        if not hashed:  # an account without a password (it signs in through OIDC)
            return False
        return await asyncio.to_thread(bcrypt.checkpw, password.encode(), hashed.encode())


@dataclass(frozen=True)
class PasswordSignIn:
    """Signing up and in with a password: whether it is on here, how passwords are hashed
    and how long they must be, and the rate limits that guard it (the sign-in throttle per
    account and per client, the sign-up quota per client)."""

    enabled: bool
    hasher: PasswordHasher
    min_length: int
    throttle: LoginThrottle
    registrations: Quota

    @property
    def counter_horizon(self) -> timedelta:
        """Counters older than this count for no throttle nor for the sign-up quota."""
        return max(self.throttle.horizon, self.registrations.period)


class AuthServicer(ApiKeyRpcs, auth_pb2_grpc.AuthServiceServicer):
    def __init__(
        self,
        *,
        db: Database,
        outbox: Outbox,
        issuer: AccessTokenIssuer,
        passwords: PasswordSignIn,
        refresh_ttl: timedelta,
        api_keys: ApiKeyService,
        library_address: str = "127.0.0.1:50052",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        oidc: OidcSignIn | None = None,
    ) -> None:
        self._passwords = passwords
        self._oidc = oidc
        self._db = db
        self._outbox = outbox
        self._issuer = issuer
        self._refresh_ttl = refresh_ttl
        self._clock = clock
        self._library_address = library_address
        self.api_keys = api_keys
        # Compared against when the email is unknown, so both paths cost one bcrypt check.
        self._dummy_hash = bcrypt.hashpw(
            b"not-a-real-password", bcrypt.gensalt(passwords.hasher.cost)
        ).decode()

    async def _tokens(
        self, store: AuthStore, user: UserRow, now: datetime, *, family_id: str | None = None
    ) -> auth_pb2.Tokens:
        """Access and refresh tokens for `user`. The refresh token continues `family_id`'s
        rotation chain, or starts a new one (a sign-in) when there is none."""
        access, access_expires = self._issuer.issue_for(user, now)
        refresh = domain.new_refresh_token()
        refresh_expires = now + self._refresh_ttl
        await store.add(
            RefreshTokenRow(
                user_id=user.id,
                family_id=family_id or new_id(),
                token_hash=domain.hash_refresh_token(refresh),
                expire_time=refresh_expires,
            )
        )
        return auth_pb2.Tokens(
            access_token=access,
            refresh_token=refresh,
            access_token_expires_at=timestamp(access_expires),
            refresh_token_expires_at=timestamp(refresh_expires),
        )

    async def Register(
        self, request: auth_pb2.RegisterRequest, context: Context
    ) -> auth_pb2.RegisterResponse:
        self._require_password_sign_in()
        email = domain.normalize_email(request.email)
        domain.check_password_strength(
            request.password, email=email, min_length=self._passwords.min_length
        )
        name = domain.clean_name(request.name)
        now = self._clock()
        # Counted before the (slow) hash, committed on its own: a refused or failed sign-up
        # still used up one of the address's registrations.
        key = f"register:{callers.client_address(context)}"
        async with self._db.session() as session:
            await AuthStore(session).claim_quota(key, self._passwords.registrations, now)
        password_hash = await self._passwords.hasher.hash(request.password)
        try:
            async with self._db.session() as session:
                store = AuthStore(session)
                if await store.user_by_email(email) is not None:
                    raise AlreadyExists(
                        "An account with this email already exists; sign in instead.",
                        reason="EMAIL_TAKEN",
                    )
                user = UserRow(
                    email=email,
                    name=name,
                    password_hash=password_hash,
                    role=int(Role.USER),
                    create_time=now,
                    update_time=now,
                )
                await store.add(user)
                tokens = await self._tokens(store, user, now)
                await self._outbox.add(
                    session,
                    USER_REGISTERED,
                    events_pb2.UserRegistered(
                        user_id=user.id,
                        email=email,
                        name=name,
                        create_time=timestamp(now),
                    ),
                )
        except IntegrityError as exc:  # lost a race with a concurrent Register
            raise AlreadyExists(
                "An account with this email already exists; sign in instead.",
                reason="EMAIL_TAKEN",
            ) from exc
        self._outbox.notify()
        await self._hand_over(context, tokens)
        return auth_pb2.RegisterResponse(user=user_message(user), tokens=tokens)

    async def Login(
        self, request: auth_pb2.LoginRequest, context: Context
    ) -> auth_pb2.LoginResponse:
        self._require_password_sign_in()
        email = request.email.strip().lower()
        if not email or not request.password:
            raise InvalidArgument("Enter your email and password.", reason="CREDENTIALS_REQUIRED")
        if len(email) > domain.MAX_EMAIL_LENGTH:
            # No account can have it, and it would not fit the throttle's key column.
            raise Unauthenticated(WRONG_CREDENTIALS, reason="WRONG_CREDENTIALS")
        user = await self._verify_throttled(context, email, request.password)
        if user is None:
            raise Unauthenticated(WRONG_CREDENTIALS, reason="WRONG_CREDENTIALS")
        async with self._db.session() as session:
            tokens = await self._tokens(AuthStore(session), user, self._clock())
        await self._hand_over(context, tokens)
        return auth_pb2.LoginResponse(user=user_message(user), tokens=tokens)

    async def _verify_throttled(
        self, context: Context, email: str, password: str
    ) -> UserRow | None:
        """The account if `password` is its password, else None; every attempt passes the
        sign-in throttle (per account and per client), so no RPC is a way around it."""
        now = self._clock()
        account_key = f"email:{email}"
        client_key = f"client:{callers.client_address(context)}"
        # The attempt is claimed (counted as a failure) in the transaction that decides
        # whether it may go ahead; only then is the password checked, outside any lock.
        async with self._db.session() as session:
            store = AuthStore(session)
            counters = await store.lock_counters([account_key, client_key], now)
            account = self._passwords.throttle.account.claim(counters[account_key], now)
            client = self._passwords.throttle.client.claim(counters[client_key], now)
            await store.save_counter(account_key, account)
            await store.save_counter(client_key, client)
            user = await store.user_by_email(email)
        # An account without a password costs the same check as an unknown email.
        hashed = user.password_hash if user and user.password_hash else self._dummy_hash
        ok = (
            await self._passwords.hasher.verify(password, hashed) and hashed is not self._dummy_hash
        )
        async with self._db.session() as session:
            store = AuthStore(session)
            if not ok or user is None:
                # Old enough that no throttle (nor the sign-up quota) still counts it.
                horizon = self._passwords.counter_horizon
                await store.forget_counters_before(now - horizon)
                return None
            # Re-read under the lock: other attempts may have moved the counters since.
            counters = await store.lock_counters([account_key, client_key], now)
            await store.save_counter(account_key, fresh_counter(now))
            await store.save_counter(
                client_key, self._passwords.throttle.client.undo_claim(counters[client_key])
            )
        return user

    async def _hand_over(self, context: Context, tokens: auth_pb2.Tokens) -> None:
        """The web app gets its refresh token as an HttpOnly cookie, and not in the body where
        any script on the page could read it."""
        if not callers.is_web_client(context):
            return
        cookie = callers.refresh_cookie(
            tokens.refresh_token, int(self._refresh_ttl.total_seconds())
        )
        await context.send_initial_metadata((("set-cookie", cookie),))
        tokens.refresh_token = ""

    def _refresh_token_of(self, context: Context, sent: str, purpose: str) -> str:
        """The token from the body (scripts, CLI) or, for the browser, from its cookie."""
        if sent:
            return sent
        from_cookie = callers.cookie_refresh_token(context)
        if not from_cookie:
            raise InvalidArgument(f"Send the refresh token to {purpose}.", reason="TOKEN_REQUIRED")
        callers.check_cookie_request(context)
        return from_cookie

    async def RefreshToken(
        self, request: auth_pb2.RefreshTokenRequest, context: Context
    ) -> auth_pb2.RefreshTokenResponse:
        refresh_token = self._refresh_token_of(context, request.refresh_token, "renew")
        now = self._clock()
        reused = False
        async with self._db.session() as session:
            store = AuthStore(session)
            row = await store.refresh_token(domain.hash_refresh_token(refresh_token))
            if row is None or row.revoke_time is not None or row.expire_time <= now:
                raise Unauthenticated(
                    "This sign-in has ended; please sign in again.",
                    reason="REFRESH_TOKEN_INVALID",
                )
            if row.used_time is not None or not await store.mark_used(row.id, now):
                # Someone replayed a rotated token: whoever holds the family may be an
                # attacker, so the whole sign-in ends (committed before we answer).
                await store.revoke_family(row.family_id, now)
                reused = True
            else:
                user = await store.user_by_id(row.user_id)
                if user is None:
                    raise Unauthenticated("This account no longer exists.", reason="USER_GONE")
                tokens = await self._tokens(store, user, now, family_id=row.family_id)
        if reused:
            raise Unauthenticated(
                "This refresh token was already used, so every session of that sign-in was "
                "ended for safety; please sign in again.",
                reason="REFRESH_TOKEN_REUSED",
            )
        await self._hand_over(context, tokens)
        return auth_pb2.RefreshTokenResponse(tokens=tokens)

    async def Logout(
        self, request: auth_pb2.LogoutRequest, context: Context
    ) -> auth_pb2.LogoutResponse:
        refresh_token = self._refresh_token_of(context, request.refresh_token, "sign out")
        if callers.is_web_client(context):
            # The browser forgets the cookie whatever happens next.
            await context.send_initial_metadata((("set-cookie", callers.refresh_cookie("", 0)),))
        async with self._db.session() as session:
            store = AuthStore(session)
            row = await store.refresh_token(domain.hash_refresh_token(refresh_token))
            if row is None:
                raise Unauthenticated(
                    "This refresh token is not valid.", reason="REFRESH_TOKEN_INVALID"
                )
            await store.revoke_family(row.family_id, self._clock())
        return auth_pb2.LogoutResponse()

    async def GetMe(
        self, request: auth_pb2.GetMeRequest, context: Context
    ) -> auth_pb2.GetMeResponse:
        user = await self._caller_account()
        return auth_pb2.GetMeResponse(user=user_message(user))

    async def ExportMyData(
        self, request: auth_pb2.ExportMyDataRequest, context: Context
    ) -> AsyncIterator[httpbody_pb2.HttpBody]:
        user = (await self.GetMe(auth_pb2.GetMeRequest(), context)).user
        authorization = str(dict(context.invocation_metadata() or ()).get("authorization", ""))
        await context.send_initial_metadata(
            (("content-disposition", 'attachment; filename="speechflow-export.zip"'),)
        )
        async for chunk in export_chunks(user, self._library_address, authorization):
            yield httpbody_pb2.HttpBody(content_type="application/zip", data=chunk)

    async def ChangePassword(
        self, request: auth_pb2.ChangePasswordRequest, context: Context
    ) -> auth_pb2.ChangePasswordResponse:
        principal = current_principal()
        if not request.current_password or not request.new_password:
            raise InvalidArgument(
                "Enter your current password and the new one.", reason="PASSWORD_REQUIRED"
            )
        account = await self._caller_account()
        self._refuse_without_password(account, "change")
        domain.check_password_strength(
            request.new_password, email=account.email, min_length=self._passwords.min_length
        )
        if request.new_password == request.current_password:
            raise InvalidArgument(
                "The new password is the same as the current one; choose another.",
                reason="PASSWORD_UNCHANGED",
            )
        # A stolen access token must not be a way to guess the password without the throttle.
        if await self._verify_throttled(context, account.email, request.current_password) is None:
            raise PermissionDenied("The current password is not correct.", reason="WRONG_PASSWORD")
        password_hash = await self._passwords.hasher.hash(request.new_password)
        now = self._clock()
        async with self._db.session() as session:
            store = AuthStore(session)
            user = await store.user_by_id(principal.user_id)
            if user is None:
                raise Unauthenticated("This account no longer exists.", reason="USER_GONE")
            user.password_hash = password_hash
            user.update_time = now
            # Every sign-in ends (whoever else knew the old password is signed out); the
            # caller goes on with the fresh tokens of a new sign-in.
            await store.revoke_user_tokens(user.id, now)
            tokens = await self._tokens(store, user, now)
        await self._hand_over(context, tokens)
        return auth_pb2.ChangePasswordResponse(tokens=tokens)

    async def DeleteAccount(
        self, request: auth_pb2.DeleteAccountRequest, context: Context
    ) -> auth_pb2.DeleteAccountResponse:
        principal = current_principal()
        if not request.password:
            raise InvalidArgument(
                "Confirm with your password to delete the account.", reason="PASSWORD_REQUIRED"
            )
        user = await self._caller_account()
        self._refuse_without_password(user, "confirm the deletion with")
        if not await self._passwords.hasher.verify(request.password, user.password_hash):
            raise PermissionDenied("The password is not correct.", reason="WRONG_PASSWORD")
        async with self._db.session() as session:
            row = await AuthStore(session).user_by_id(principal.user_id)
            if row is not None:
                # Refresh tokens and API keys go with the user (ON DELETE CASCADE, and
                # explicitly for SQLite).
                await session.execute(
                    delete(RefreshTokenRow).where(RefreshTokenRow.user_id == row.id)
                )
                await session.execute(delete(ApiKeyRow).where(ApiKeyRow.user_id == row.id))
                await session.delete(row)
                await self._outbox.add(
                    session, USER_DELETED, events_pb2.UserDeleted(user_id=principal.user_id)
                )
        self._outbox.notify()
        return auth_pb2.DeleteAccountResponse()

    async def _caller_account(self) -> UserRow:
        """The signed-in caller's account; UNAUTHENTICATED USER_GONE when it was deleted
        after the access token was issued."""
        async with self._db.session() as session:
            user = await AuthStore(session).user_by_id(current_principal().user_id)
        if user is None:
            raise Unauthenticated("This account no longer exists.", reason="USER_GONE")
        return user

    def _require_password_sign_in(self) -> None:
        if not self._passwords.enabled:
            other = f"; sign in with {self._oidc.display_name} instead" if self._oidc else ""
            raise FailedPrecondition(
                f"Signing in with a password is turned off here{other}.",
                reason="PASSWORD_SIGN_IN_DISABLED",
            )

    def _refuse_without_password(self, user: UserRow, purpose: str) -> None:
        """An account made by single sign-on has no password to confirm with; say so rather
        than "the password is not correct"."""
        if user.password_hash:
            return
        via = self._oidc.display_name if self._oidc else "single sign-on"
        raise FailedPrecondition(
            f"This account signs in with {via} and has no password to {purpose}.",
            reason="ACCOUNT_HAS_NO_PASSWORD",
        )

    def _require_oidc(self) -> OidcSignIn:
        if self._oidc is None:
            raise FailedPrecondition(
                "Single sign-on is not set up here (OIDC_ISSUER, OIDC_CLIENT_ID).",
                reason="OIDC_DISABLED",
            )
        return self._oidc

    async def GetSignInOptions(
        self, request: auth_pb2.GetSignInOptionsRequest, context: Context
    ) -> auth_pb2.GetSignInOptionsResponse:
        return auth_pb2.GetSignInOptionsResponse(
            password_enabled=self._passwords.enabled,
            oidc_enabled=self._oidc is not None,
            oidc_display_name=self._oidc.display_name if self._oidc else "",
        )

    async def StartOidcSignIn(
        self, request: auth_pb2.StartOidcSignInRequest, context: Context
    ) -> auth_pb2.StartOidcSignInResponse:
        started = await self._require_oidc().start(
            request.redirect_uri, client_address=callers.client_address(context)
        )
        return auth_pb2.StartOidcSignInResponse(
            authorization_url=started.authorization_url, state=started.state
        )

    async def FinishOidcSignIn(
        self, request: auth_pb2.FinishOidcSignInRequest, context: Context
    ) -> auth_pb2.FinishOidcSignInResponse:
        user = await self._require_oidc().finish(
            code=request.code, state=request.state, redirect_uri=request.redirect_uri
        )
        self._outbox.notify()  # a first sign-in created the account: user.registered
        async with self._db.session() as session:
            tokens = await self._tokens(AuthStore(session), user, self._clock())
        await self._hand_over(context, tokens)
        return auth_pb2.FinishOidcSignInResponse(user=user_message(user), tokens=tokens)


def registration_recorder(outbox: Outbox) -> OnCreated:
    """What an account created by a first OIDC sign-in publishes, as Register does."""

    async def record(session: AsyncSession, user: UserRow) -> None:
        await outbox.add(
            session,
            USER_REGISTERED,
            events_pb2.UserRegistered(
                user_id=user.id,
                email=user.email,
                name=user.name,
                create_time=timestamp(user.create_time),
            ),
        )

    return record
