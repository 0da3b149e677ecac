"""Stubs for every service over one channel, and calls made as the signed-in user.

Access tokens live 15 minutes, so a CLI used now and then nearly always starts with an
expired one: it is refreshed before the call when the saved expiry says so, and once more
if the server still answers UNAUTHENTICATED (clock skew, a restarted auth with a new key).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import grpc

from services.cli.credentials import Credentials, CredentialStore
from services.cli.errors import LOGIN_HINT, CliError, ExitCode, from_rpc_error, status_of
from services.cli.server import ServerAddress
from speechflow.auth.v1 import auth_pb2, auth_pb2_grpc
from speechflow.library.v1 import library_pb2_grpc
from speechflow.notifier.v1 import notifier_pb2_grpc

Metadata = tuple[tuple[str, str], ...]
T = TypeVar("T")
Request = TypeVar("Request")
Response = TypeVar("Response")

UNARY_TIMEOUT_SECONDS = 30.0
# Scripts and CI may run the CLI with an API key (`speechflow keys create`) instead of a sign-in.
API_KEY_ENVIRONMENT_VARIABLE = "SPEECHFLOW_API_KEY"


class Session:
    def __init__(self, server: ServerAddress, store: CredentialStore) -> None:
        self.server = server
        self.store = store
        self.channel = server.open_channel()
        self.auth = auth_pb2_grpc.AuthServiceStub(self.channel)
        self.library = library_pb2_grpc.LibraryServiceStub(self.channel)
        self.jobs = library_pb2_grpc.JobsServiceStub(self.channel)
        self.notifier = notifier_pb2_grpc.NotifierServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def remember(self, email: str, tokens: auth_pb2.Tokens) -> Credentials:
        credentials = Credentials.from_tokens(
            self.server.url,
            email,
            tokens.access_token,
            tokens.refresh_token,
            tokens.access_token_expires_at,
        )
        self.store.save(credentials)
        return credentials

    def saved_credentials(self) -> Credentials:
        """This server's saved sign-in, or the UNAUTHENTICATED error telling how to get one."""
        credentials = self.store.load()
        if credentials is None:
            raise CliError(
                f"You are not signed in to {self.server.url}.",
                ExitCode.NOT_ALLOWED,
                hint=LOGIN_HINT,
                status=grpc.StatusCode.UNAUTHENTICATED,
            )
        if credentials.server != self.server.url:
            raise CliError(
                f"You are signed in to {credentials.server}, not to {self.server.url}.",
                ExitCode.NOT_ALLOWED,
                hint=f"Run `speechflow --server {self.server.url} login` to sign in there.",
                status=grpc.StatusCode.UNAUTHENTICATED,
            )
        return credentials

    def authorized(self, operation: Callable[[Metadata], T]) -> T:
        """Run `operation` with the user's bearer token; it may run twice, so it must restart
        cleanly (streams are re-opened from the beginning)."""
        api_key = os.environ.get(API_KEY_ENVIRONMENT_VARIABLE, "").strip()
        if api_key:  # nothing to refresh: the key is the credential
            return operation((("authorization", f"Bearer {api_key}"),))
        credentials = self.saved_credentials()
        if credentials.access_token_expired(datetime.now(UTC)):
            credentials = self._refresh(credentials)
        try:
            return operation(_bearer(credentials))
        except grpc.RpcError as error:
            if status_of(error) is not grpc.StatusCode.UNAUTHENTICATED:
                raise
        return operation(_bearer(self._refresh(credentials)))

    def unary(
        self, method: grpc.UnaryUnaryMultiCallable[Request, Response], request: Request
    ) -> Response:
        """One unary call as the signed-in user."""
        return self.authorized(
            lambda credentials: method(request, metadata=credentials, timeout=UNARY_TIMEOUT_SECONDS)
        )

    def _refresh(self, stale: Credentials) -> Credentials:
        with self.store.locked():
            current = self.store.load()
            # Another `speechflow` process rotated the tokens while we waited for the lock.
            if current is not None and current.refresh_token != stale.refresh_token:
                return current
            try:
                response = self.auth.RefreshToken(
                    auth_pb2.RefreshTokenRequest(refresh_token=stale.refresh_token),
                    timeout=UNARY_TIMEOUT_SECONDS,
                )
            except grpc.RpcError as error:
                if status_of(error) is grpc.StatusCode.UNAUTHENTICATED:
                    self.store.delete()
                    raise CliError(
                        "Your session has ended; sign in again.",
                        ExitCode.NOT_ALLOWED,
                        hint=LOGIN_HINT,
                        status=grpc.StatusCode.UNAUTHENTICATED,
                    ) from None
                raise from_rpc_error(error, self.server.url) from None
            return self.remember(stale.email, response.tokens)


def _bearer(credentials: Credentials) -> Metadata:
    return (("authorization", f"Bearer {credentials.access_token}"),)
