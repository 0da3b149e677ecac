"""Account rules: no I/O, no gRPC, no SQL."""

from __future__ import annotations

import hashlib
import secrets

import email_validator

from services.kernel.errors import InvalidArgument

MAX_PASSWORD_BYTES = 72  # bcrypt ignores (bcrypt 5 rejects) anything longer
MAX_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 320  # the users.email column; email_validator allows far less
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "12345678",
        "123456789",
        "1234567890",
        "qwertyuiop",
        "qwerty123",
        "iloveyou",
        "11111111",
        "00000000",
        "abc12345",
        "letmein1",
        "motdepasse",
        "azertyuiop",
        "baseball",
        "football",
        "sunshine",
        "princess",
    }
)


def normalize_email(raw: str) -> str:
    """Trims and lower-cases, so `  Ada@Example.COM ` and `ada@example.com` are one account."""
    email = raw.strip().lower()
    if not email:
        raise InvalidArgument("Enter your email address.", reason="EMAIL_REQUIRED")
    try:
        email_validator.validate_email(email, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise InvalidArgument(
            f"'{raw.strip()}' is not a valid email address: {exc}",
            reason="EMAIL_INVALID",
        ) from exc
    return email


def check_password_strength(password: str, *, email: str, min_length: int) -> None:
    if len(password) < min_length:
        raise InvalidArgument(
            f"Choose a password of at least {min_length} characters.",
            reason="PASSWORD_TOO_SHORT",
            metadata={"min_length": str(min_length)},
        )
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise InvalidArgument(
            f"Choose a password of at most {MAX_PASSWORD_BYTES} bytes.",
            reason="PASSWORD_TOO_LONG",
        )
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4 or lowered == email:
        raise InvalidArgument(
            "This password is too easy to guess; mix words, numbers or symbols.",
            reason="PASSWORD_TOO_WEAK",
        )


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidArgument(
            f"Keep the name under {MAX_NAME_LENGTH} characters.", reason="NAME_TOO_LONG"
        )
    return name


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """Refresh tokens are high-entropy, so a fast hash suffices (no bcrypt needed)."""
    return hashlib.sha256(token.encode()).hexdigest()
