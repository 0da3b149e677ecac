"""`upload`, `ls`, `show`, `watch`, `download`, `export`, `regenerate`, `rm`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
from rich.filesize import decimal
from rich.markup import escape

from services.cli.commands import Commands, positive_int
from services.cli.commands.folders import FOLDERS
from services.cli.commands.templates import TEMPLATES
from services.cli.context import Context
from services.cli.errors import CliError, ExitCode, status_of
from services.cli.labels import (
    DOCUMENT_STATUS,
    EXPORT_FORMAT,
    FILE_KIND,
    LANGUAGES,
    SUMMARY_LENGTH,
)
from services.cli.output import message_to_dict
from services.cli.session import Session
from services.cli.transfer import (
    ChunkT,
    Request,
    WatchDisplay,
    save_stream,
    upload_file,
    watch_document,
)
from services.cli.views import document_view, documents_table, transcript_paragraphs
from speechflow.library.v1 import library_pb2
from speechflow.library.v1.library_pb2_grpc import LibraryServiceStub

MAX_PAGE_SIZE = 100


def add_commands(commands: Commands) -> None:
    settings = argparse.ArgumentParser(add_help=False)
    settings.add_argument(
        "--summary-language",
        metavar="TAG",
        help="language to write the summary in, e.g. fr (default: the recording's; another "
        "language needs an LLM summarizer)",
    )
    settings.add_argument(
        "--template", metavar="NAME_OR_ID", help="summary template (`speechflow templates list`)"
    )
    settings.add_argument(
        "--summary-length", choices=SUMMARY_LENGTH.choices, help="how long the summary should be"
    )
    settings.add_argument(
        "--watch", action="store_true", help="follow processing until it completes or fails"
    )

    upload = commands.add(
        "upload",
        upload_command,
        help="upload recordings for processing",
        options=[settings],
    )
    upload.add_argument("files", nargs="+", metavar="FILE", type=Path)
    upload.add_argument(
        "--language", choices=LANGUAGES, help="language spoken in the recording (default: detect)"
    )
    upload.add_argument("--folder", metavar="NAME_OR_ID", help="put the documents in a folder")
    upload.add_argument("--title", help="document title (one file only; default: file name)")
    upload.add_argument(
        "--hotwords",
        metavar="TERMS",
        help="names and terms said in the recording, e.g. 'Priya, Kubernetes' (your vocabulary, "
        "`speechflow account vocabulary`, is added)",
    )
    upload.add_argument(
        "--speakers",
        metavar="N or MIN-MAX",
        type=speaker_bounds,
        help="how many people speak, e.g. 2 or 2-4 (default: detected)",
    )

    listing = commands.add("ls", list_command, help="list documents, newest first")
    listing.add_argument("--folder", metavar="NAME_OR_ID", help="only this folder")
    listing.add_argument("--status", choices=DOCUMENT_STATUS.choices, help="only this status")
    listing.add_argument("--query", "-q", help="words in the title, transcript or summary")
    listing.add_argument("--limit", type=positive_int, default=20, help="at most this many (20)")

    show = commands.add("show", show_command, help="show a document and its summary")
    show.add_argument("document_id", metavar="ID")
    show.add_argument(
        "--transcript",
        action="store_true",
        help="print the transcript instead: timed speaker turns (--json: the transcript JSON)",
    )

    watch = commands.add(
        "watch",
        watch_command,
        help="follow a document's processing (--json: one line each)",
    )
    watch.add_argument("document_id", metavar="ID")

    download = commands.add("download", download_command, help="save a document's file")
    download.add_argument("document_id", metavar="ID")
    download.add_argument("--kind", choices=FILE_KIND.choices, default="pdf", help="(pdf)")
    _output_option(download)

    exporting = commands.add(
        "export",
        export_command,
        help="save the transcript (and summary) as a file",
    )
    exporting.add_argument("document_id", metavar="ID")
    exporting.add_argument(
        "--format", "-f", choices=EXPORT_FORMAT.choices, default="txt", help="(txt)"
    )
    _output_option(exporting)

    regenerate = commands.add(
        "regenerate",
        regenerate_command,
        help="summarize and render again",
        options=[settings],
    )
    regenerate.add_argument("document_id", metavar="ID")
    regenerate.add_argument(
        "--notify", action="store_true", help="email the owner when the new summary is ready"
    )
    # Before --summary-language existed, --language named the summary's language here.
    regenerate.add_argument("--language", dest="old_summary_language", help=argparse.SUPPRESS)

    remove = commands.add("rm", remove_command, help="delete a document and its files")
    remove.add_argument("document_id", metavar="ID")


def _output_option(parser: argparse.ArgumentParser) -> None:
    """-o for the commands that save a file (download, export)."""
    parser.add_argument(
        "-o", "--output", metavar="PATH", help="file or folder to save to; - for stdout"
    )


def speaker_bounds(text: str) -> tuple[int, int]:
    """'3' -> (3, 3); '2-4' -> (2, 4)."""
    low, dash, high = text.partition("-")
    try:
        bounds = (int(low), int(high if dash else low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or a range like 2-4") from None
    if not 1 <= bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 or more, the smaller number first")
    return bounds


def upload_command(args: argparse.Namespace, context: Context) -> int:
    paths: list[Path] = args.files
    for path in paths:
        if not path.is_file():
            raise CliError(f"No such file: {path}", ExitCode.USAGE)
    if args.title and len(paths) > 1:
        raise CliError("--title names one file; upload the files one by one.", ExitCode.USAGE)
    session = context.session
    settings = library_pb2.UploadMetadata(
        folder_id=FOLDERS.pick(session, args.folder).id if args.folder else "",
        title=args.title or "",
        language=args.language or "",
        summary_length=_summary_length(args),  # type: ignore[arg-type]
        summary_language=args.summary_language or "",
        summary_template_id=TEMPLATES.pick(session, args.template).id if args.template else "",
        hotwords=args.hotwords or "",
        min_speakers=args.speakers[0] if args.speakers else 0,
        max_speakers=args.speakers[1] if args.speakers else 0,
    )
    documents: list[library_pb2.Document] = []
    with context.output.bytes_progress() as progress:
        for path in paths:
            document = upload_file(session, path, settings, progress)
            documents.append(document)
            context.output.note(f"Uploaded {escape(path.name)} as [bold]{document.id}[/]")
    exit_code = ExitCode.OK
    if args.watch:
        documents, exit_code = _follow_to_the_end(context, documents)
    context.output.result(
        {"documents": [message_to_dict(document) for document in documents]},
        documents_table(documents),
    )
    return exit_code


def list_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    documents: list[library_pb2.Document] = []
    token, total = "", 0
    folder_id = FOLDERS.pick(session, args.folder).id if args.folder else ""
    while len(documents) < args.limit:
        request = library_pb2.ListDocumentsRequest(
            page_size=min(MAX_PAGE_SIZE, args.limit - len(documents)),
            page_token=token,
            folder_id=folder_id,
            status=DOCUMENT_STATUS.value(args.status) if args.status else 0,  # type: ignore[arg-type]
            query=args.query or "",
        )
        page = session.unary(session.library.ListDocuments, request)
        documents += page.documents
        token, total = page.next_page_token, page.total_size
        if not token:
            break
    if context.output.json_mode:
        context.output.json(
            {
                "documents": [message_to_dict(document) for document in documents],
                "total_size": total,
            }
        )
    elif not documents:
        context.output.result(None, "No documents found.")
    else:
        context.output.result(
            None,
            documents_table(documents),
            f"[dim]{len(documents)} of {total} document(s)[/]",
        )
    return ExitCode.OK


def show_command(args: argparse.Namespace, context: Context) -> int:
    if args.transcript:
        return _show_transcript(args.document_id, context)
    document = _get_document(context.session, args.document_id)
    folder_name = ""
    if document.folder_id and not context.output.json_mode:
        folder_name = _folder_names(context.session).get(document.folder_id, "")
    context.output.message(document, document_view(document, folder_name))
    return ExitCode.OK


def _show_transcript(document_id: str, context: Context) -> int:
    session = context.session
    request = library_pb2.GetTranscriptRequest(document_id=document_id)
    try:
        transcript = session.unary(session.library.GetTranscript, request).transcript
    except grpc.RpcError as error:
        if status_of(error) is not grpc.StatusCode.FAILED_PRECONDITION:
            raise
        raise CliError(
            f"Document {document_id} has no transcript yet; "
            f"`speechflow watch {document_id}` follows its processing.",
            ExitCode.FAILED_PRECONDITION,
            status=grpc.StatusCode.FAILED_PRECONDITION,
        ) from None
    paragraphs = transcript_paragraphs(transcript)
    if context.output.json_mode:
        context.output.json(message_to_dict(transcript))
    elif paragraphs:
        context.output.paragraphs(paragraphs)
    else:
        context.output.note("No speech was recognised in this recording.")
    return ExitCode.OK


def watch_command(args: argparse.Namespace, context: Context) -> int:
    document = _get_document(context.session, args.document_id)
    _, exit_code = _follow_to_the_end(context, [document], stream_json=True)
    return exit_code


def download_command(args: argparse.Namespace, context: Context) -> int:
    kind = FILE_KIND.value(args.kind)
    request = library_pb2.DownloadDocumentRequest(document_id=args.document_id, kind=kind)  # type: ignore[arg-type]
    fallback = f"{args.document_id}-{FILE_KIND.label(kind)}"
    return _save_file(args, context, lambda library: library.DownloadDocument, request, fallback)


def export_command(args: argparse.Namespace, context: Context) -> int:
    export_format = EXPORT_FORMAT.value(args.format)
    request = library_pb2.ExportDocumentRequest(document_id=args.document_id, format=export_format)  # type: ignore[arg-type]
    fallback = f"{args.document_id}-export"
    return _save_file(args, context, lambda library: library.ExportDocument, request, fallback)


def _save_file(
    args: argparse.Namespace,
    context: Context,
    rpc: Callable[[LibraryServiceStub], grpc.UnaryStreamMultiCallable[Request, ChunkT]],
    request: Request,
    fallback: str,
) -> int:
    """Saves the file the library's `rpc` streams for `request` under a bytes bar and says
    where it went (`-o -`: to stdout, silently); `fallback` names it if the server does not."""
    if args.output == "-" and context.output.json_mode:
        raise CliError("`-o -` writes the file itself to stdout; drop --json.", ExitCode.USAGE)
    with context.output.bytes_progress() as progress:
        session = context.session
        saved = save_stream(session, rpc(session.library), request, fallback, args.output, progress)
    if saved.path is None:
        return ExitCode.OK
    context.output.result(
        {
            "path": str(saved.path),
            "size_bytes": saved.size_bytes,
            "content_type": saved.content_type,
            "file_name": saved.file_name,
        },
        f"Saved {escape(str(saved.path))} ({decimal(saved.size_bytes)})",
    )
    return ExitCode.OK


def regenerate_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    # Unset options keep the document's current settings; the recording's language never
    # changes on a regenerate.
    request = library_pb2.RegenerateDocumentRequest(
        document_id=args.document_id,
        summary_language=args.summary_language or args.old_summary_language or "",
        summary_length=_summary_length(args),  # type: ignore[arg-type]
        summary_template_id=TEMPLATES.pick(session, args.template).id if args.template else "",
        notify=args.notify,
    )
    document = session.unary(session.library.RegenerateDocument, request).document
    if not args.watch:
        context.output.message(document, f"Regenerating {escape(document.title)} ({document.id})")
        return ExitCode.OK
    [document], exit_code = _follow_to_the_end(context, [document])
    if context.output.json_mode:
        context.output.json(message_to_dict(document))
    return exit_code


def remove_command(args: argparse.Namespace, context: Context) -> int:
    session = context.session
    session.unary(
        session.library.DeleteDocument,
        library_pb2.DeleteDocumentRequest(document_id=args.document_id),
    )
    context.output.result(
        {"deleted_document_id": args.document_id}, f"Deleted document {args.document_id}"
    )
    return ExitCode.OK


@dataclass(frozen=True)
class _Outcome:
    document: library_pb2.Document
    update: library_pb2.WatchDocumentResponse


def _follow_to_the_end(
    context: Context, documents: list[library_pb2.Document], stream_json: bool = False
) -> tuple[list[library_pb2.Document], ExitCode]:
    """Watch each document in turn (they are processed in parallel on the server anyway) and
    return their final versions; PROCESSING_FAILED if any failed."""
    output, session = context.output, context.session
    outcomes: list[_Outcome] = []
    with output.percent_progress() as progress:
        display = WatchDisplay(progress)
        for document in documents:
            display.follow(document.id, document.title or document.original_file_name)
            seen: Callable[[library_pb2.WatchDocumentResponse], object] = display
            if stream_json and output.json_mode:
                seen = lambda update: output.json_line(message_to_dict(update))  # noqa: E731
            last = watch_document(session, document.id, seen)
            outcomes.append(_Outcome(_get_document(session, document.id), last))
    failed = False
    for outcome in outcomes:
        name = escape(outcome.document.title or outcome.document.original_file_name)
        if outcome.update.status == library_pb2.DOCUMENT_STATUS_COMPLETED:
            output.say(f"[green]✔ COMPLETED[/] {name} ({outcome.document.id})")
        else:
            failed = True
            reason = outcome.update.message or outcome.document.error_message or "no reason given"
            output.say(f"[bold red]✖ FAILED[/] {name} ({outcome.document.id}): {escape(reason)}")
    code = ExitCode.PROCESSING_FAILED if failed else ExitCode.OK
    return [outcome.document for outcome in outcomes], code


def _get_document(session: Session, document_id: str) -> library_pb2.Document:
    request = library_pb2.GetDocumentRequest(document_id=document_id)
    return session.unary(session.library.GetDocument, request).document


def _folder_names(session: Session) -> dict[str, str]:
    return {folder.id: folder.name for folder in FOLDERS.all(session)}


def _summary_length(args: argparse.Namespace) -> int:
    return SUMMARY_LENGTH.value(args.summary_length) if args.summary_length else 0
