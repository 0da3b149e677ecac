"""One user's whole visit: register, upload, watch to the end, download the PDF."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from bench.client import register_user
from services.mesh.runner import Mesh
from speechflow.library.v1 import library_pb2


def emails_to(mesh: Mesh, address: str) -> int:
    """Emails the notifier wrote to its local outbox (no provider key) for `address`."""
    count = 0
    for path in (mesh.data_dir / "outbox").glob("*.eml"):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        count += address in str(message["To"])
    return count


class JourneyFailedError(RuntimeError):
    """The document ended in another state than COMPLETED, or its PDF was not a PDF."""


async def user_journey(mesh: Mesh, data: bytes, file_name: str) -> str:
    """Returns the user's email address (to count their emails afterwards)."""
    user = await register_user(mesh, name="Load")
    try:
        document = await user.upload(data, file_name, language="en")
        states = await user.watch_to_end(document.id)
        if states[-1].status != library_pb2.DOCUMENT_STATUS_COMPLETED:
            raise JourneyFailedError(f"document ended {states[-1].status}: {states[-1].message}")
        pdf = await user.download(document.id, library_pb2.FILE_KIND_PDF)
        if not pdf.startswith(b"%PDF"):
            raise JourneyFailedError("the downloaded report is not a PDF")
        return user.email
    finally:
        await user.close()
