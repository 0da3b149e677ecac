"""Operator commands that act on the auth database directly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from services.auth.app import MIGRATIONS, database_url
from services.auth.domain import normalize_email
from services.auth.settings import AuthSettings
from services.auth.store import AuthStore
from services.kernel.db import Database, upgrade_schema
from services.kernel.tokens import Role


async def promote_admin(settings: AuthSettings, raw_email: str) -> str:
    """Gives the account the ADMIN role; it shows in access tokens issued from now on."""
    email = normalize_email(raw_email)
    url = database_url(settings)
    await asyncio.to_thread(upgrade_schema, url, MIGRATIONS, "alembic_version_auth")
    db = Database(url)
    try:
        async with db.session() as session:
            user = await AuthStore(session).user_by_email(email)
            if user is None:
                raise LookupError(f"No account with email {email}; register it first.")
            user.role = int(Role.ADMIN)
            user.update_time = datetime.now(UTC)
    finally:
        await db.dispose()
    return f"{email} is now an administrator (sign in again to get an admin token)."
