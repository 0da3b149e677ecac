"""A stage SIGKILLed mid-job while the document is regenerated twice (issue 15, bug a): the
version it held is superseded before it restarts, so its late work is dropped. Every report is
keyed by its version (at most one PDF object per version, none for the dropped one), the PDF
the document serves is the current version's, and each notified version sent one email.

As in test_stage_crashes.py, "holds a job" is made deterministic by freezing the stage
(SIGSTOP) and killing it only once JetStream reports the job handed to it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from bench.client import MeshUser
from bench.journey import emails_to
from services.mesh.runner import Mesh
from speechflow.library.v1 import library_pb2
from tests.reliability.checks import (
    assert_completed,
    mesh_store,
    wait_completed,
    wait_for_email,
    wait_until_pipeline_quiet,
)
from tests.reliability.conftest import SignUp
from tests.reliability.ledger import LEDGER
from tests.reliability.test_stage_crashes import freeze, job_handed_out, thaw

pytestmark = pytest.mark.slow

ATTEMPTS = 4
VERSIONED_PDF = re.compile(r"/pdf-v(?P<version>\d+)\.pdf$")


async def regenerate(user: MeshUser, document_id: str) -> None:
    await user.library.RegenerateDocument(
        library_pb2.RegenerateDocumentRequest(document_id=document_id, notify=True),
        metadata=user.metadata,
    )


async def version_of(user: MeshUser, document_id: str) -> int:
    got = await user.library.GetDocument(
        library_pb2.GetDocumentRequest(document_id=document_id), metadata=user.metadata
    )
    return int(got.document.version)


def pdf_versions(mesh: Mesh, user: MeshUser, document_id: str) -> list[int]:
    """The version of every PDF object stored for the document (each key must be one)."""
    keys = [o.key for o in mesh_store(mesh).list(f"pdfs/{user.user_id}/{document_id}/")]
    pdfs = [key for key in keys if key.endswith(".pdf")]
    versions = []
    for key in pdfs:
        match = VERSIONED_PDF.search(key)
        assert match is not None, f"a PDF without its version: {key}"
        versions.append(int(match["version"]))
    return sorted(versions)


@pytest.mark.parametrize("stage", ["renderer", "notifier"])
async def test_a_crashed_stage_never_delivers_a_superseded_version(
    mesh: Mesh, sign_up: SignUp, short_speech: Path, stage: str
) -> None:
    LEDGER.scenario(f"SIGKILL {stage} mid-job, regenerate twice")
    process = mesh.services[stage]
    user = await sign_up()
    document = await user.upload(short_speech.read_bytes(), short_speech.name, language="en")
    LEDGER.submitted()
    await wait_completed(user, document.id)
    await wait_for_email(mesh, user.email, 1)
    await wait_until_pipeline_quiet(mesh)

    dropped = 0
    for _ in range(ATTEMPTS):
        pid = freeze(process)
        try:
            await regenerate(user, document.id)  # a new version reaches the frozen stage ...
            held = await job_handed_out(mesh, stage)
            if held:
                await asyncio.to_thread(process.kill)  # ... which dies holding its job
        finally:
            thaw(pid)
        if held:
            dropped = await version_of(user, document.id)
            await regenerate(user, document.id)  # superseded while the stage is down
            await asyncio.to_thread(process.start)
            break
        # Its pull request had expired: the version completes normally; try again.
        await wait_completed(user, document.id)
        await wait_until_pipeline_quiet(mesh)
    else:
        pytest.fail(f"{stage} never held a job while frozen in {ATTEMPTS} attempts")

    await assert_completed(user, document.id)
    current = await version_of(user, document.id)
    assert current == dropped + 1
    delivered = [v for v in range(1, current + 1) if v != dropped]
    await wait_for_email(mesh, user.email, len(delivered))
    await wait_until_pipeline_quiet(mesh)

    # The superseded version's redelivered job was dropped: no email for it, and (when the
    # renderer held it) no report either; every other version has exactly one PDF.
    rendered = delivered if stage == "renderer" else list(range(1, current + 1))
    assert pdf_versions(mesh, user, document.id) == rendered
    assert emails_to(mesh, user.email) == len(delivered)
    served = await user.download(document.id, library_pb2.FILE_KIND_PDF)
    stored = mesh_store(mesh).get_bytes(f"pdfs/{user.user_id}/{document.id}/pdf-v{current}.pdf")
    assert served == stored
