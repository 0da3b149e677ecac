"""AuthService servicer: proto <-> account rules and the store."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
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

from services.auth import domain
from services.auth.export import export_chunks
from services.auth.keys import AccessTokenIssuer
from services.auth.store import (
    AuthStore,
    LoginFailureRow,
    RefreshTokenRow,
    UserRow,
)
from services.kernel.db import Database
from services.kernel.errors import (
    AlreadyExists,
    InvalidArgument,
    PermissionDenied,
    Unauthenticated,
)
from services.kernel.outbox import Outbox
from services.kernel.protos import timestamp
from services.kernel.tokens import Role, current_principal
from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc
from speechflow.events.v1 import events_pb2

Context = grpc.aio.ServicerContext[Any, Any]
USER_REGISTERED = "speechflow.auth.v1.user.registered"
USER_DELETED = "speechflow.auth.v1.user.deleted"
WRONG_CREDENTIALS = "Email or password is incorrect."


def user_message(row: UserRow) -> auth_pb2.User:
    return auth_pb2.User(
        id=row.id,
        email=row.email,
        name=row.name,
        role=auth_pb2.Role.ValueType(row.role),
        create_time=timestamp(row.create_time),
    )


def client_address(context: Context) -> str:
    """The caller's address; behind our own proxy (a loopback or private peer) the last
    `x-forwarded-for` hop, which that proxy appended, is the real client."""
    peer = context.peer() or ""
    host = peer.split(":", 1)[1].rsplit(":", 1)[0].strip("[]") if ":" in peer else peer
    forwarded = dict(context.invocation_metadata() or ()).get("x-forwarded-for", "")
    try:
        trusted = ipaddress.ip_address(host).is_private or ipaddress.ip_address(host).is_loopback
    except ValueError:
        trusted = False
    if forwarded and trusted:
        return str(forwarded).split(",")[-1].strip()
    return host


@dataclass
class PasswordHasher:
    cost: int

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(rounds=self.cost)
        digest = await asyncio.to_thread(bcrypt.hashpw, password.encode(), salt)
        return digest.decode()

    async def verify(self, password: str, hashed: str) -> bool:
        return await asyncio.to_thread(bcrypt.checkpw, password.encode(), hashed.encode())


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(
        self,
        *,
        db: Database,
        outbox: Outbox,
        issuer: AccessTokenIssuer,
        hasher: PasswordHasher,
        throttle: domain.LoginThrottle,
        refresh_ttl: timedelta,
        password_min_length: int,
        library_address: str = "127.0.0.1:50052",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._issuer = issuer
        self._hasher = hasher
        self._throttle = throttle
        self._refresh_ttl = refresh_ttl
        self._password_min_length = password_min_length
        self._clock = clock
        self._library_address = library_address
        # Compared against when the email is unknown, so both paths cost one bcrypt check.
        self._dummy_hash = bcrypt.hashpw(
            b"not-a-real-password", bcrypt.gensalt(hasher.cost)
        ).decode()

    async def _tokens(
        self, store: AuthStore, user: UserRow, family_id: str, now: datetime
    ) -> auth_pb2.Tokens:
        access, access_expires = self._issuer.issue(
            user_id=user.id,
            email=user.email,
            name=user.name,
            role=Role(user.role),
            now=now,
        )
        refresh = domain.new_refresh_token()
        refresh_expires = now + self._refresh_ttl
        await store.add(
            RefreshTokenRow(
                user_id=user.id,
                family_id=family_id,
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
        email = domain.normalize_email(request.email)
        domain.check_password_strength(
            request.password, email=email, min_length=self._password_min_length
        )
        name = domain.clean_name(request.name)
        password_hash = await self._hasher.hash(request.password)
        now = self._clock()
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
                tokens = await self._tokens(store, user, str(uuid.uuid4()), now)
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
        return auth_pb2.RegisterResponse(user=user_message(user), tokens=tokens)

    async def Login(
        self, request: auth_pb2.LoginRequest, context: Context
    ) -> auth_pb2.LoginResponse:
        email = request.email.strip().lower()
        if not email or not request.password:
            raise InvalidArgument("Enter your email and password.", reason="CREDENTIALS_REQUIRED")
        now = self._clock()
        keys = [f"email:{email}", f"ip:{client_address(context)}"]
        async with self._db.session() as session:
            store = AuthStore(session)
            for failures in (await store.failures(keys, now - self._throttle.window)).values():
                self._throttle.check(failures, now)
            user = await store.user_by_email(email)
        hashed = user.password_hash if user else self._dummy_hash
        ok = await self._hasher.verify(request.password, hashed) and user is not None
        async with self._db.session() as session:
            store = AuthStore(session)
            if not ok or user is None:
                for key in keys:
                    await store.add(LoginFailureRow(key=key, time=now))
                await store.forget_failures_before(now - self._throttle.window)
            else:
                await store.clear_failures(keys[0])
                tokens = await self._tokens(store, user, str(uuid.uuid4()), now)
        if not ok or user is None:
            raise Unauthenticated(WRONG_CREDENTIALS, reason="WRONG_CREDENTIALS")
        return auth_pb2.LoginResponse(user=user_message(user), tokens=tokens)

    async def RefreshToken(
        self, request: auth_pb2.RefreshTokenRequest, context: Context
    ) -> auth_pb2.RefreshTokenResponse:
        if not request.refresh_token:
            raise InvalidArgument("Send the refresh token to renew.", reason="TOKEN_REQUIRED")
        now = self._clock()
        reused = False
        async with self._db.session() as session:
            store = AuthStore(session)
            row = await store.refresh_token(domain.hash_refresh_token(request.refresh_token))
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
                tokens = await self._tokens(store, user, row.family_id, now)
        if reused:
            raise Unauthenticated(
                "This refresh token was already used, so every session of that sign-in was "
                "ended for safety; please sign in again.",
                reason="REFRESH_TOKEN_REUSED",
            )
        return auth_pb2.RefreshTokenResponse(tokens=tokens)

    async def Logout(
        self, request: auth_pb2.LogoutRequest, context: Context
    ) -> auth_pb2.LogoutResponse:
        if not request.refresh_token:
            raise InvalidArgument("Send the refresh token to sign out.", reason="TOKEN_REQUIRED")
        async with self._db.session() as session:
            store = AuthStore(session)
            row = await store.refresh_token(domain.hash_refresh_token(request.refresh_token))
            if row is None:
                raise Unauthenticated(
                    "This refresh token is not valid.", reason="REFRESH_TOKEN_INVALID"
                )
            await store.revoke_family(row.family_id, self._clock())
        return auth_pb2.LogoutResponse()

    async def GetMe(
        self, request: auth_pb2.GetMeRequest, context: Context
    ) -> auth_pb2.GetMeResponse:
        principal = current_principal()
        async with self._db.session() as session:
            user = await AuthStore(session).user_by_id(principal.user_id)
        if user is None:
            raise Unauthenticated("This account no longer exists.", reason="USER_GONE")
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

    async def DeleteAccount(
        self, request: auth_pb2.DeleteAccountRequest, context: Context
    ) -> auth_pb2.DeleteAccountResponse:
        principal = current_principal()
        if not request.password:
            raise InvalidArgument(
                "Confirm with your password to delete the account.", reason="PASSWORD_REQUIRED"
            )
        async with self._db.session() as session:
            user = await AuthStore(session).user_by_id(principal.user_id)
        if user is None:
            raise Unauthenticated("This account no longer exists.", reason="USER_GONE")
        if not await self._hasher.verify(request.password, user.password_hash):
            raise PermissionDenied("The password is not correct.", reason="WRONG_PASSWORD")
        async with self._db.session() as session:
            row = await AuthStore(session).user_by_id(principal.user_id)
            if row is not None:
                # Refresh tokens go with the user (ON DELETE CASCADE, and explicitly for SQLite).
                await session.execute(
                    delete(RefreshTokenRow).where(RefreshTokenRow.user_id == row.id)
                )
                await session.delete(row)
                await self._outbox.add(
                    session, USER_DELETED, events_pb2.UserDeleted(user_id=principal.user_id)
                )
        self._outbox.notify()
        return auth_pb2.DeleteAccountResponse()
