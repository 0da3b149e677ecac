"""The signed-in session on disk: one private JSON file in the user's config directory.

The file holds a refresh token, which is as good as a password for a week, so it is created
with 0600 permissions inside a 0700 directory and replaced atomically (a crash never leaves a
half-written file). A lock file serializes token rotation between concurrent `speechflow`
processes: the server revokes a refresh token once it has been used, so two processes
refreshing with the same one would sign the user out.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from google.protobuf.timestamp_pb2 import Timestamp

from services.cli.errors import LOGIN_HINT, CliError, ExitCode

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
# Refresh a little early so a token does not expire between the check and the server's.
EXPIRY_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True)
class Credentials:
    server: str
    email: str
    access_token: str
    refresh_token: str
    access_token_expires_at: datetime

    def access_token_expired(self, now: datetime) -> bool:
        return now + EXPIRY_MARGIN >= self.access_token_expires_at

    @classmethod
    def from_tokens(
        cls, server: str, email: str, access: str, refresh: str, expires_at: Timestamp
    ) -> Credentials:
        return cls(server, email, access, refresh, expires_at.ToDatetime(tzinfo=UTC))

    def to_json(self) -> str:
        expiry = self.access_token_expires_at.isoformat()
        return json.dumps(asdict(self) | {"access_token_expires_at": expiry}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Credentials:
        fields = json.loads(text)
        return cls(
            server=str(fields["server"]),
            email=str(fields["email"]),
            access_token=str(fields["access_token"]),
            refresh_token=str(fields["refresh_token"]),
            access_token_expires_at=datetime.fromisoformat(fields["access_token_expires_at"]),
        )


def config_directory(environ: Mapping[str, str] = os.environ) -> Path:
    """`$XDG_CONFIG_HOME/speechflow`, or `~/.config/speechflow` (the XDG default)."""
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "speechflow"


class CredentialStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "credentials.json"
        self._lock_path = directory / "credentials.lock"

    def load(self) -> Credentials | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return Credentials.from_json(text)
        except (ValueError, KeyError, TypeError):
            raise CliError(
                f"The saved sign-in in {self.path} is unreadable.",
                ExitCode.NOT_ALLOWED,
                hint=LOGIN_HINT,
            ) from None

    def save(self, credentials: Credentials) -> None:
        self._make_directory()
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            # The umask may not have removed every bit; the mode must be exact.
            os.fchmod(descriptor, FILE_MODE)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(credentials.to_json())
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def delete(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive lock across read-refresh-write of the tokens."""
        self._make_directory()
        descriptor = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def _make_directory(self) -> None:
        if not self.directory.is_dir():
            self.directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
            os.chmod(self.directory, DIRECTORY_MODE)
