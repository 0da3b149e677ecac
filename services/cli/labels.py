"""Short lower-case names for the contract's enums, as typed on the command line and shown in
tables (`completed` for DOCUMENT_STATUS_COMPLETED)."""

from __future__ import annotations

from google.protobuf.descriptor import EnumDescriptor

from speechflow.library.v1 import library_pb2


class EnumNames:
    def __init__(self, enum: EnumDescriptor, prefix: str) -> None:
        self._enum = enum
        self._prefix = prefix

    @property
    def choices(self) -> list[str]:
        return [
            value.name.removeprefix(self._prefix).lower()
            for value in self._enum.values
            if value.number != 0
        ]

    def value(self, choice: str) -> int:
        return int(self._enum.values_by_name[self._prefix + choice.upper()].number)

    def label(self, number: int) -> str:
        """Lower-case name without the prefix; "" for UNSPECIFIED, the number if unknown."""
        if number == 0:
            return ""
        value = self._enum.values_by_number.get(number)
        return value.name.removeprefix(self._prefix).lower() if value else str(number)


DOCUMENT_STATUS = EnumNames(library_pb2.DocumentStatus.DESCRIPTOR, "DOCUMENT_STATUS_")
FILE_KIND = EnumNames(library_pb2.FileKind.DESCRIPTOR, "FILE_KIND_")
SUMMARY_LENGTH = EnumNames(library_pb2.SummaryLength.DESCRIPTOR, "SUMMARY_LENGTH_")
STAGE = EnumNames(library_pb2.Stage.DESCRIPTOR, "STAGE_")
JOB_STATUS = EnumNames(library_pb2.JobStatus.DESCRIPTOR, "JOB_STATUS_")
EXPORT_FORMAT = EnumNames(library_pb2.ExportFormat.DESCRIPTOR, "EXPORT_FORMAT_")
LANGUAGES = ["en", "fr"]

STATUS_STYLES = {
    "uploading": "cyan",
    "processing": "yellow",
    "completed": "green",
    "failed": "bold red",
    "running": "yellow",
    "succeeded": "green",
}
STAGE_TEXT = {
    "upload": "Uploading",
    "transcription": "Transcribing",
    "summarization": "Summarizing",
    "rendering": "Rendering the PDF",
    "notification": "Sending the email",
}


def styled(label: str) -> str:
    style = STATUS_STYLES.get(label)
    return f"[{style}]{label}[/]" if style else label
