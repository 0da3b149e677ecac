"""The two halves of an OIDC sign-in: `start` (where to send the browser) and `finish` (the
code and state it came back with -> our account). What happened in between is remembered in
the database, not in this process, so any auth replica can finish what another started."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.auth import domain
from services.auth.oidc.accounts import Link, grants_admin, link_for
from services.auth.oidc.client import (
    OidcProviderClient,
    ProviderIdentity,
    ProviderUnavailable,
    SignInRejected,
)
from services.auth.oidc.store import OidcIdentityRow, OidcSignInRow, OidcStore
from services.auth.store import AuthStore, UserRow
from services.auth.throttle import Quota
from services.kernel.db import Database
from services.kernel.errors import (
    Aborted,
    FailedPrecondition,
    InvalidArgument,
    Unauthenticated,
    Unavailable,
)
from services.kernel.tokens import Role

log = logging.getLogger("speechflow.auth.oidc")

# Called in the transaction that creates an account, so its `user.registered` event is
# committed with it (the servicer owns the outbox and the event).
OnCreated = Callable[[AsyncSession, UserRow], Awaitable[None]]


@dataclass(frozen=True)
class StartedSignIn:
    """Where to send the browser, and the state the provider hands back to `finish`."""

    authorization_url: str
    state: str


@dataclass(frozen=True)
class AdminClaim:
    """The ID-token claim and value that make an account signing in an admin
    (OIDC_ADMIN_CLAIM, OIDC_ADMIN_VALUE); left empty, single sign-on grants no admin."""

    claim: str = ""
    value: str = ""

    def grants(self, claims: Mapping[str, Any]) -> bool:
        return grants_admin(claims, self.claim, self.value)


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def display_name(configured: str, issuer: str) -> str:
    return configured.strip() or urlsplit(issuer).hostname or issuer


@dataclass(kw_only=True, eq=False)
class OidcSignIn:
    """Sign-in through the OpenID provider: `start` sends the browser there, `finish` turns
    the code it comes back with into this service's account."""

    db: Database
    provider: OidcProviderClient
    display_name: str
    redirect_uris: frozenset[str]
    ttl: timedelta
    admin: AdminClaim
    on_created: OnCreated
    clock: Callable[[], datetime]
    # Starting is open to anyone and stores a row, so each client address gets a quota.
    starts: Quota

    def _check_redirect_uri(self, redirect_uri: str) -> None:
        if not redirect_uri:
            raise InvalidArgument("Send the redirect_uri.", reason="REDIRECT_URI_REQUIRED")
        if redirect_uri not in self.redirect_uris:
            raise InvalidArgument(
                f"{redirect_uri!r} is not an allowed redirect URI; allowed: "
                f"{', '.join(sorted(self.redirect_uris))} (OIDC_REDIRECT_URIS).",
                reason="REDIRECT_URI_NOT_ALLOWED",
            )

    def _unavailable(self, exc: ProviderUnavailable) -> Unavailable:
        log.warning("OIDC provider unavailable", extra={"error": str(exc)})
        return Unavailable(
            f"{self.display_name} cannot be reached right now; try again in a moment.",
            reason="OIDC_PROVIDER_UNAVAILABLE",
        )

    async def start(self, redirect_uri: str, *, client_address: str) -> StartedSignIn:
        self._check_redirect_uri(redirect_uri)
        now = self.clock()
        key = f"oidc-start:{client_address}"
        async with self.db.session() as session:
            await AuthStore(session).claim_quota(key, self.starts, now)
        try:
            request = await self.provider.authorization(redirect_uri)
        except ProviderUnavailable as exc:
            raise self._unavailable(exc) from exc
        async with self.db.session() as session:
            store = OidcStore(session)
            await store.forget_sign_ins_before(now)
            await store.add(
                OidcSignInRow(
                    state_hash=hash_state(request.state),
                    code_verifier=request.code_verifier,
                    nonce=request.nonce,
                    redirect_uri=redirect_uri,
                    expire_time=now + self.ttl,
                )
            )
        return StartedSignIn(authorization_url=request.url, state=request.state)

    async def finish(self, *, code: str, state: str, redirect_uri: str) -> UserRow:
        if not code or not state:
            raise InvalidArgument(
                "Send the code and state the provider redirected back with.",
                reason="OIDC_CODE_REQUIRED",
            )
        self._check_redirect_uri(redirect_uri)
        now = self.clock()
        # Taken (deleted) and committed before the provider is asked: a state works once,
        # even when this attempt fails afterwards.
        async with self.db.session() as session:
            started = await OidcStore(session).take_sign_in(hash_state(state))
        if started is None:
            raise FailedPrecondition(
                "This sign-in was already completed or never started here; sign in again.",
                reason="OIDC_STATE_UNKNOWN",
            )
        if started.expire_time <= now:
            raise FailedPrecondition(
                "This sign-in took too long and expired; sign in again.",
                reason="OIDC_STATE_EXPIRED",
            )
        if started.redirect_uri != redirect_uri:
            raise InvalidArgument(
                "The redirect_uri differs from the one this sign-in started with.",
                reason="REDIRECT_URI_MISMATCH",
            )
        try:
            identity = await self.provider.identity(
                code=code,
                redirect_uri=redirect_uri,
                code_verifier=started.code_verifier,
                nonce=started.nonce,
            )
        except ProviderUnavailable as exc:
            raise self._unavailable(exc) from exc
        except SignInRejected as exc:
            log.warning("OIDC sign-in rejected", extra={"error": str(exc)})
            raise Unauthenticated(
                f"{self.display_name} did not confirm this sign-in; sign in again.",
                reason="OIDC_SIGN_IN_REJECTED",
            ) from exc
        try:
            return await self._account_of(identity, now)
        except IntegrityError as exc:  # a concurrent first sign-in of the same person
            raise Aborted(
                "Another sign-in of this account happened at the same moment; try again.",
                reason="OIDC_CONCURRENT_SIGN_IN",
            ) from exc

    async def _account_of(self, identity: ProviderIdentity, now: datetime) -> UserRow:
        if not identity.email:
            raise FailedPrecondition(
                f"{self.display_name} did not share your email address, which SpeechFlow "
                "needs; ask its administrator to allow the `email` scope.",
                reason="OIDC_EMAIL_MISSING",
            )
        try:
            email = domain.normalize_email(identity.email)
        except InvalidArgument as exc:
            raise FailedPrecondition(exc.message, reason="OIDC_EMAIL_INVALID") from exc
        admin = self.admin.grants(identity.claims)
        async with self.db.session() as session:
            store, oidc = AuthStore(session), OidcStore(session)
            known = await oidc.identity(identity.issuer, identity.subject)
            user = await store.user_by_id(known.user_id) if known else None
            same_email = None if user else await store.user_by_email(email)
            link = link_for(
                identity_known=user is not None,
                email_taken=same_email is not None,
                email_verified=identity.email_verified,
                provider=self.display_name,
            )
            if link is Link.CREATE:
                user = UserRow(
                    email=email,
                    name=domain.clean_name(identity.name[: domain.MAX_NAME_LENGTH]),
                    password_hash="",  # no password: this account signs in through OIDC
                    role=int(Role.ADMIN if admin else Role.USER),
                    create_time=now,
                    update_time=now,
                )
                await store.add(user)
                await self.on_created(session, user)
            elif link is Link.LINK_BY_EMAIL:
                user = same_email
            assert user is not None
            if link is not Link.KNOWN:
                await oidc.add(
                    OidcIdentityRow(
                        issuer=identity.issuer,
                        subject=identity.subject,
                        user_id=user.id,
                        create_time=now,
                    )
                )
            # The claim grants the role; it never takes away one given by promote-admin.
            if admin and user.role != int(Role.ADMIN):
                user.role = int(Role.ADMIN)
                user.update_time = now
        log.info(
            "OIDC sign-in",
            extra={"user_id": user.id, "link": link.value, "admin_claim": admin},
        )
        return user
