"""AuthService's API key RPCs: proto <-> ApiKeyService (mixed into AuthServicer)."""

from __future__ import annotations

from typing import Any

import grpc.aio

from services.auth.api_keys import ApiKeyService
from services.auth.store import ApiKeyRow
from services.kernel.protos import timestamp
from services.kernel.tokens import current_principal
from speechflow.auth.v1 import auth_pb2

Context = grpc.aio.ServicerContext[Any, Any]


def api_key_message(row: ApiKeyRow) -> auth_pb2.ApiKey:
    message = auth_pb2.ApiKey(
        id=row.id, name=row.name, create_time=timestamp(row.create_time), prefix=row.prefix
    )
    if row.last_use_time is not None:
        message.last_use_time.CopyFrom(timestamp(row.last_use_time))
    return message


class ApiKeyRpcs:
    """The API key half of AuthService; the servicer sets `api_keys`."""

    api_keys: ApiKeyService

    async def CreateApiKey(
        self, request: auth_pb2.CreateApiKeyRequest, context: Context
    ) -> auth_pb2.CreateApiKeyResponse:
        secret, row = await self.api_keys.create(current_principal().user_id, request.name)
        return auth_pb2.CreateApiKeyResponse(secret=secret, api_key=api_key_message(row))

    async def ListApiKeys(
        self, request: auth_pb2.ListApiKeysRequest, context: Context
    ) -> auth_pb2.ListApiKeysResponse:
        rows = await self.api_keys.list(current_principal().user_id)
        return auth_pb2.ListApiKeysResponse(api_keys=[api_key_message(row) for row in rows])

    async def RevokeApiKey(
        self, request: auth_pb2.RevokeApiKeyRequest, context: Context
    ) -> auth_pb2.RevokeApiKeyResponse:
        await self.api_keys.revoke(current_principal().user_id, request.api_key_id)
        return auth_pb2.RevokeApiKeyResponse()

    async def ExchangeApiKey(
        self, request: auth_pb2.ExchangeApiKeyRequest, context: Context
    ) -> auth_pb2.ExchangeApiKeyResponse:
        exchanged = await self.api_keys.exchange(request.secret)
        return auth_pb2.ExchangeApiKeyResponse(
            access_token=exchanged.access_token,
            access_token_expires_at=timestamp(exchanged.expire_time),
        )
