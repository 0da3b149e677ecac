"""The edge: domain errors of any library servicer become gRPC statuses in one place, and a
missing stored object is answered without its key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.kernel.errors import FailedPrecondition, InvalidArgument, NotFound
from services.kernel.storage import ObjectNotFound
from services.library.domain import clean_title
from services.library.lifecycle.errors import NoTranscript
from services.library.lifecycle_edge import refusals_mapped
from speechflow.library.v1 import library_pb2

SERVICE = library_pb2.DESCRIPTOR.services_by_name["LibraryService"]
KEY = "pdfs/owner/doc/pdf-v1.pdf"


@refusals_mapped(SERVICE)
class Servicer:
    async def RegenerateDocument(self, problem: Exception) -> None:
        raise problem

    async def WatchDocument(self, problem: Exception) -> AsyncIterator[int]:
        yield 1
        raise problem

    async def not_an_rpc(self, problem: Exception) -> None:
        raise problem


@pytest.mark.asyncio
async def test_a_domain_refusal_becomes_its_status_with_its_reason() -> None:
    with pytest.raises(FailedPrecondition) as refused:
        await Servicer().RegenerateDocument(NoTranscript())
    assert refused.value.reason == "NO_TRANSCRIPT"


@pytest.mark.asyncio
async def test_a_rule_of_the_domain_is_invalid_argument() -> None:
    try:
        clean_title("x" * 300, "")
    except Exception as error:  # the domain raises its own error, free of gRPC
        problem = error
    with pytest.raises(InvalidArgument) as refused:
        await Servicer().RegenerateDocument(problem)
    assert refused.value.reason == "TITLE_TOO_LONG"


@pytest.mark.asyncio
async def test_streaming_rpcs_are_mapped_too_and_no_storage_key_reaches_the_client() -> None:
    stream = Servicer().WatchDocument(ObjectNotFound(KEY))
    assert await anext(stream) == 1
    with pytest.raises(NotFound) as missing:
        await anext(stream)
    assert KEY not in missing.value.message
    assert KEY not in str(missing.value.metadata)


@pytest.mark.asyncio
async def test_methods_that_are_not_rpcs_are_left_alone() -> None:
    with pytest.raises(NoTranscript):
        await Servicer().not_an_rpc(NoTranscript())
