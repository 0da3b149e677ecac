"""What every command gets: where the server is, where output goes, the saved sign-in."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.cli.credentials import CredentialStore
from services.cli.output import Output
from services.cli.server import ServerAddress
from services.cli.session import Session


@dataclass
class Context:
    server: ServerAddress
    output: Output
    store: CredentialStore
    _session: Session | None = field(default=None, init=False)

    @property
    def session(self) -> Session:
        """Opened on first use, so `--help` and usage errors never touch the network."""
        if self._session is None:
            self._session = Session(self.server, self.store)
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
