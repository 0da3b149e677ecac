"""A document deleted while its transcription job waits in the transcriber's hands (issue 15,
bug b): the stage learns of the deletion and drops the job, so nothing is written again under
the deleted document and no email is sent.

The transcriber is frozen (SIGSTOP) before the upload, so the job is either handed to it or
queued for it; either way it starts only after the deletion."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.journey import emails_to
from services.kernel.storage import document_prefixes
from services.mesh.runner import Mesh
from speechflow.library.v1 import library_pb2
from tests.reliability.checks import mesh_store, wait_until_pipeline_quiet
from tests.reliability.conftest import SignUp
from tests.reliability.ledger import LEDGER
from tests.reliability.test_stage_crashes import freeze, job_handed_out, thaw

pytestmark = pytest.mark.slow


async def test_a_document_deleted_before_its_transcription_leaves_nothing_and_sends_nothing(
    mesh: Mesh, sign_up: SignUp, short_speech: Path
) -> None:
    LEDGER.scenario("document deleted while the transcriber holds its job")
    user = await sign_up()
    pid = freeze(mesh.services["transcriber"])
    try:
        document = await user.upload(short_speech.read_bytes(), short_speech.name, language="en")
        await job_handed_out(mesh, "transcriber")
        await user.library.DeleteDocument(
            library_pb2.DeleteDocumentRequest(document_id=document.id), metadata=user.metadata
        )
    finally:
        thaw(pid)
    # Once the transcriber acked the job it has stored whatever it was going to: the
    # transcript comes before its event, and every later stage starts from that event.
    await wait_until_pipeline_quiet(mesh)

    store = mesh_store(mesh)
    left = [
        o.key for prefix in document_prefixes(user.user_id, document.id) for o in store.list(prefix)
    ]
    assert left == []
    assert emails_to(mesh, user.email) == 0
