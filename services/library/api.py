"""LibraryService and JobsService servicers: proto <-> library rules, stores and storage.

LibraryService is assembled from one part per area, each in its own module."""

from __future__ import annotations

from services.library.documents_api import DocumentRpcs
from services.library.downloads_api import DownloadRpcs
from services.library.edits_api import EditRpcs
from services.library.exports_api import ExportRpcs
from services.library.folders_api import FolderRpcs
from services.library.jobs_api import JobsServicer
from services.library.lifecycle_edge import refusals_mapped
from services.library.search_api import SearchRpcs
from services.library.share_links_api import ShareLinkRpcs
from services.library.templates_api import TemplateRpcs
from services.library.transcripts_api import TranscriptRpcs
from services.library.uploads_api import UploadRpcs
from speechflow.library.v1 import library_pb2, library_pb2_grpc

__all__ = ["JobsServicer", "LibraryServicer"]


@refusals_mapped(library_pb2.DESCRIPTOR.services_by_name["LibraryService"])
class LibraryServicer(
    # First: it extends the download and export parts (it serves their files by token).
    ShareLinkRpcs,
    FolderRpcs,
    UploadRpcs,
    DocumentRpcs,
    DownloadRpcs,
    TranscriptRpcs,
    EditRpcs,
    ExportRpcs,
    TemplateRpcs,
    SearchRpcs,
    library_pb2_grpc.LibraryServiceServicer,
):
    """Every LibraryService RPC; the parts share LibraryBase's adapters. Domain errors of any
    part become statuses here (lifecycle_edge.py)."""
