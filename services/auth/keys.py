"""The Ed25519 key pair that signs access tokens: created on first start, then reused."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.kernel.files import load_or_create_secret
from services.kernel.tokens import ACCESS_TOKEN_ALGORITHM, Role

if TYPE_CHECKING:
    from services.auth.store import UserRow


def load_or_create_signing_key(private_file: Path, public_file: Path) -> Ed25519PrivateKey:
    """Reads the private key, creating it (0600, as `load_or_create_secret` keeps secrets) on
    first start; always (re)writes the public key where the other services read it."""
    private_file.parent.mkdir(parents=True, exist_ok=True)
    private_pem = load_or_create_secret(private_file, _new_private_pem)
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{private_file} is not an Ed25519 private key")
    public = public_pem(key)
    public_file.parent.mkdir(parents=True, exist_ok=True)
    if not public_file.exists() or public_file.read_bytes() != public:
        temp = public_file.with_suffix(".tmp")
        temp.write_bytes(public)
        temp.replace(public_file)
    return key


def _new_private_pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class AccessTokenIssuer:
    key: Ed25519PrivateKey
    issuer: str
    audience: str
    ttl: timedelta

    def issue(
        self,
        *,
        user_id: str,
        email: str,
        name: str,
        role: Role,
        now: datetime,
        api_key_id: str = "",
    ) -> tuple[str, datetime]:
        expires = now + self.ttl
        claims: dict[str, str | int] = {
            "sub": user_id,
            "email": email,
            "name": name,
            "role": int(role),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
        }
        if api_key_id:
            # Which key the caller used: services rate limit per key (services/kernel/api_keys.py).
            claims["akid"] = api_key_id
        return jwt.encode(claims, self.key, algorithm=ACCESS_TOKEN_ALGORITHM), expires

    def issue_for(
        self, user: UserRow, now: datetime, *, api_key_id: str = ""
    ) -> tuple[str, datetime]:
        """An access token naming this account as it is now (its email, name and role)."""
        return self.issue(
            user_id=user.id,
            email=user.email,
            name=user.name,
            role=Role(user.role),
            now=now,
            api_key_id=api_key_id,
        )
