"""Access-token verification with auth's public key only (every service does this locally)."""

from __future__ import annotations

import contextvars
from collections.abc import Container
from dataclasses import dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

import jwt

from services.kernel.errors import PermissionDenied, Unauthenticated, Unavailable
from speechflow.auth.v1 import auth_pb2

if TYPE_CHECKING:
    from services.kernel.api_keys import ApiKeyAuthenticator

ACCESS_TOKEN_ALGORITHM = "EdDSA"


class Role(IntEnum):
    """`speechflow.auth.v1.Role`, by its own numbers."""

    USER = auth_pb2.ROLE_USER
    ADMIN = auth_pb2.ROLE_ADMIN


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as proven by a verified access token."""

    user_id: str
    email: str
    name: str
    role: Role
    # The bearer token itself, so a service can call another on the caller's behalf.
    access_token: str = field(default="", repr=False)
    # Set when the caller authenticated with an API key (the `akid` claim of its exchange).
    api_key_id: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


principal_var: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "principal", default=None
)


def current_principal() -> Principal:
    """The caller of the current RPC; the auth interceptor guarantees one on protected RPCs."""
    principal = principal_var.get()
    if principal is None:
        raise Unauthenticated("Sign in first: this call needs an access token.")
    return principal


def require_admin() -> Principal:
    principal = current_principal()
    if not principal.is_admin:
        raise PermissionDenied("Only administrators may do this.", reason="ADMIN_ONLY")
    return principal


@dataclass(kw_only=True, eq=False)
class TokenVerifier:
    """Verifies EdDSA access tokens; loads the public key lazily (`public_key_pem` from
    `public_key_file` on first use) so a service may start before auth has written it."""

    issuer: str
    audience: str
    public_key_pem: bytes | None = None
    public_key_file: Path | None = None
    # A deleted user's token stays valid until it expires; services that follow auth's
    # deletions (services/kernel/accounts.py) refuse it right away.
    deleted_accounts: Container[str] = frozenset()
    # None: `Bearer sf_…` API keys are refused (only access tokens are accepted).
    api_keys: ApiKeyAuthenticator | None = None

    def _public_key(self) -> bytes:
        if self.public_key_pem is None:
            if self.public_key_file is None or not self.public_key_file.exists():
                raise Unavailable(
                    "Sign-in cannot be checked yet: the auth service has not published its key.",
                    reason="AUTH_KEY_MISSING",
                )
            self.public_key_pem = self.public_key_file.read_bytes()
        return self.public_key_pem

    def verify(self, token: str) -> Principal:
        try:
            # `algorithms` pins EdDSA, so `alg: none` and HMAC-with-public-key forgeries fail.
            claims = jwt.decode(
                token,
                self._public_key(),
                algorithms=[ACCESS_TOKEN_ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated(
                "Your session has expired: refresh your token or sign in again.",
                reason="TOKEN_EXPIRED",
            ) from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The access token is not valid.", reason="TOKEN_INVALID") from exc
        try:
            role = Role(int(claims.get("role", Role.USER)))
        except ValueError as exc:
            raise Unauthenticated("The access token is not valid.", reason="TOKEN_INVALID") from exc
        self.check_not_deleted(str(claims["sub"]))
        return Principal(
            user_id=str(claims["sub"]),
            email=str(claims.get("email", "")),
            name=str(claims.get("name", "")),
            role=role,
            api_key_id=str(claims.get("akid", "")),
        )

    def check_not_deleted(self, user_id: str) -> None:
        if user_id in self.deleted_accounts:
            raise Unauthenticated("This account was deleted.", reason="ACCOUNT_DELETED")

    async def authenticate(self, bearer: str) -> Principal:
        """The caller behind a bearer credential: an access token verified here, or an API
        key exchanged with auth; `access_token` is always a JWT to call on the caller's behalf."""
        from services.kernel.api_keys import is_api_key

        if is_api_key(bearer):
            if self.api_keys is None:
                raise Unauthenticated(
                    "API keys are not accepted here; send an access token.",
                    reason="API_KEY_NOT_ACCEPTED",
                )
            return await self.api_keys.authenticate(bearer, self)
        return replace(self.verify(bearer), access_token=bearer)
