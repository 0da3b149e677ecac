"""Builds the OIDC sign-in from settings (None when no provider is configured)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from services.auth.oidc.client import OidcProviderClient
from services.auth.oidc.sign_in import AdminClaim, OidcSignIn, OnCreated, display_name
from services.auth.settings import AuthSettings
from services.auth.throttle import Quota
from services.kernel.db import Database

# Open to anyone: they are how a browser without tokens signs in.
PUBLIC_RPCS = ("GetSignInOptions", "StartOidcSignIn", "FinishOidcSignIn")


def oidc_sign_in(
    settings: AuthSettings,
    db: Database,
    on_created: OnCreated,
    clock: Callable[[], datetime],
) -> OidcSignIn | None:
    if not settings.oidc_enabled:
        return None
    # Nothing is fetched yet: discovery happens on the first sign-in, so auth starts (and
    # password sign-in works) while the provider is down.
    provider = OidcProviderClient(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        scopes=settings.oidc_scopes,
        metadata_ttl_seconds=settings.oidc_metadata_ttl_seconds,
    )
    return OidcSignIn(
        db=db,
        provider=provider,
        display_name=display_name(settings.oidc_display_name, settings.oidc_issuer),
        redirect_uris=frozenset(settings.oidc_redirect_uri_list()),
        ttl=timedelta(seconds=settings.oidc_sign_in_ttl_seconds),
        admin=AdminClaim(settings.oidc_admin_claim, settings.oidc_admin_value),
        on_created=on_created,
        clock=clock,
        starts=Quota(
            limit=settings.oidc_starts_per_client_per_minute,
            period=timedelta(minutes=1),
            message="Too many sign-ins were started from your network.",
            reason="OIDC_START_RATE_LIMITED",
        ),
    )
