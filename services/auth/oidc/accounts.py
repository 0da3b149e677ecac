"""Which account a provider identity signs in as, and with which role: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from services.kernel.errors import FailedPrecondition


class Link(Enum):
    KNOWN = "known"  # the identity already signs in as an account
    LINK_BY_EMAIL = "link_by_email"  # an account has its (verified) email
    CREATE = "create"  # no account has that email yet


def link_for(
    *, identity_known: bool, email_taken: bool, email_verified: bool, provider: str
) -> Link:
    """Linking by email is safe only when the provider vouches for the address: otherwise
    anyone could sign up at the provider with a victim's email and take over the account."""
    if identity_known:
        return Link.KNOWN
    if not email_taken:
        return Link.CREATE
    if email_verified:
        return Link.LINK_BY_EMAIL
    raise FailedPrecondition(
        f"An account with this email already exists, but {provider} has not verified the "
        "address, so it cannot be linked: verify your email there, or sign in with your "
        "password.",
        reason="OIDC_EMAIL_NOT_VERIFIED",
    )


def grants_admin(claims: Mapping[str, Any], claim: str, value: str) -> bool:
    """True when the configured claim is the value or, as a list (e.g. `groups`), holds it."""
    if not claim or not value:
        return False
    found = claims.get(claim)
    if isinstance(found, list | tuple):
        return value in (str(item) for item in found)
    return found is not None and str(found) == value
