"""The OpenID provider as authlib sees it: discovery, the authorization URL (code + PKCE S256,
state, nonce), the code exchange and the ID token's validation (signature against the JWKS,
iss, aud, exp, nonce). authlib and joserfc do all of it; nothing here parses a JWT by hand."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import BaseApp
from authlib.integrations.base_client.async_app import AsyncOAuth2Mixin
from authlib.integrations.base_client.async_openid import AsyncOpenIDMixin
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc.errors import JoseError

DISCOVERY_PATH = "/.well-known/openid-configuration"


class ProviderUnavailable(Exception):
    """The provider could not be reached, or answered with something that is not OIDC."""


class SignInRejected(Exception):
    """The provider refused the code, or its answer did not prove who signed in."""


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    code_verifier: str
    nonce: str


@dataclass(frozen=True)
class ProviderIdentity:
    """Who signed in, from the validated ID token and (when offered) the userinfo endpoint."""

    issuer: str
    subject: str
    claims: Mapping[str, Any]

    @property
    def email(self) -> str:
        return str(self.claims.get("email") or "")

    @property
    def email_verified(self) -> bool:
        # Some providers send the string "true"; anything else is not a verification.
        value = self.claims.get("email_verified")
        return value is True or value == "true"

    @property
    def name(self) -> str:
        return str(self.claims.get("name") or self.claims.get("preferred_username") or "")


class _AuthlibApp(AsyncOAuth2Mixin, AsyncOpenIDMixin, BaseApp):  # type: ignore[misc]
    """authlib's framework-neutral OAuth 2 + OpenID client (what its Starlette app is made
    of, without the web framework)."""

    client_cls = AsyncOAuth2Client


class OidcProviderClient:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        scopes: str,
        metadata_ttl_seconds: float,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self._metadata_ttl = metadata_ttl_seconds
        self._app = _AuthlibApp(
            None,
            client_id=client_id,
            client_secret=client_secret or None,
            server_metadata_url=f"{self.issuer}{DISCOVERY_PATH}",
            client_kwargs={
                "scope": scopes,
                "code_challenge_method": "S256",
                "timeout": timeout_seconds,
            },
        )

    async def _metadata(self) -> Mapping[str, Any]:
        cached: dict[str, Any] = self._app.server_metadata
        loaded_at = cached.get("_loaded_at")
        if loaded_at is not None and time.time() - float(loaded_at) > self._metadata_ttl:
            cached.clear()  # the cached JWKS goes with it
        try:
            metadata: Mapping[str, Any] = await self._app.load_server_metadata()
        except (httpx2.HTTPError, ValueError) as exc:
            cached.clear()
            raise ProviderUnavailable(f"discovery at {self.issuer}{DISCOVERY_PATH}: {exc}") from exc
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer we asked.
        if str(metadata.get("issuer", "")).rstrip("/") != self.issuer:
            cached.clear()
            raise ProviderUnavailable(
                f"the discovery document names issuer {metadata.get('issuer')!r}, "
                f"not {self.issuer!r}"
            )
        return metadata

    async def authorization(self, redirect_uri: str) -> AuthorizationRequest:
        await self._metadata()
        try:
            created = await self._app.create_authorization_url(redirect_uri)
        except RuntimeError as exc:  # e.g. no authorization_endpoint in the document
            raise ProviderUnavailable(str(exc)) from exc
        return AuthorizationRequest(
            url=created["url"],
            state=created["state"],
            code_verifier=created["code_verifier"],
            nonce=created["nonce"],
        )

    async def identity(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> ProviderIdentity:
        metadata = await self._metadata()
        try:
            token = await self._app.fetch_access_token(
                redirect_uri=redirect_uri, code=code, code_verifier=code_verifier
            )
            if "id_token" not in token:
                raise SignInRejected("the provider answered without an ID token")
            id_claims = await self._app.parse_id_token(token, nonce=nonce)
            claims = dict(id_claims)
            if metadata.get("userinfo_endpoint"):
                claims = merged_claims(claims, dict(await self._app.userinfo(token=token)))
        except (AuthlibBaseError, JoseError) as exc:
            raise SignInRejected(f"{type(exc).__name__}: {exc}") from exc
        except httpx2.HTTPStatusError as exc:
            raise SignInRejected(f"the provider answered {exc.response.status_code}") from exc
        except httpx2.HTTPError as exc:
            raise ProviderUnavailable(f"{type(exc).__name__}: {exc}") from exc
        except RuntimeError as exc:  # e.g. no jwks_uri in the document
            raise ProviderUnavailable(str(exc)) from exc
        return ProviderIdentity(issuer=self.issuer, subject=str(claims["sub"]), claims=claims)


def merged_claims(id_claims: dict[str, Any], userinfo: dict[str, Any]) -> dict[str, Any]:
    """Many providers (oidc-provider, Authentik) put email and profile claims only in the
    userinfo response; it counts only if it is about the same subject (OIDC Core 5.3.2)."""
    if str(userinfo.get("sub")) != str(id_claims["sub"]):
        raise SignInRejected("the userinfo response is about another subject")
    return {**userinfo, **id_claims}
