import asyncio
from pathlib import Path

from speechflow.library.v1 import library_pb2
from tests.library.conftest import LibraryHarness
from tests.library.helpers import complete_pipeline, job_of, upload


async def test_scratch(lib: LibraryHarness, speech_wav: Path) -> None:
    user = lib.user()
    doc = await upload(lib, user, speech_wav)
    job = await job_of(lib, doc.id)
    call = lib.library.WatchDocument(library_pb2.WatchDocumentRequest(document_id=doc.id), metadata=user.metadata)
    await complete_pipeline(lib.bus, job, tag=f"{doc.id}")
    try:
        while True:
            m = await asyncio.wait_for(call.read(), 5)
            print("watch", m)
            if m is None or not hasattr(m, "progress"):
                break
    except TimeoutError:
        print("timeout")
    got = (await lib.library.GetDocument(library_pb2.GetDocumentRequest(document_id=doc.id), metadata=user.metadata)).document
    print(got.status, got.progress, got.stage, got.update_time)
    assert got.status == 3
