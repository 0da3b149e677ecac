"""What an email is made of, independent of how it is sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from enum import StrEnum
from urllib.parse import urlsplit

from services.kernel.action_items import ActionItem
from services.kernel.language_tags import primary_subtag


class Language(StrEnum):
    ENGLISH = "en"
    FRENCH = "fr"

    @classmethod
    def from_code(cls, code: str) -> Language:
        """`fr`, `FR`, `fr-CA` are French; anything else, including empty, is English."""
        return cls.FRENCH if primary_subtag(code) == cls.FRENCH.value else cls.ENGLISH


class FailedStep(StrEnum):
    """The pipeline step that failed, so the email can say so in the reader's language."""

    UPLOAD = "upload"
    TRANSCRIPTION = "transcription"
    SUMMARIZATION = "summarization"
    RENDERING = "rendering"
    UNKNOWN = "unknown"


def _is_web_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@dataclass(frozen=True)
class EmailContext:
    """Everything an email about one document needs; user-provided text is escaped later."""

    to_address: str
    to_name: str
    document_title: str
    original_file_name: str
    language: str
    document_url: str
    pdf_url: str = ""
    summary_excerpt: str = ""
    duration_seconds: float = 0.0
    decisions: tuple[str, ...] = ()
    action_items: tuple[ActionItem, ...] = ()

    def __post_init__(self) -> None:
        # Links end up in href attributes: anything but http(s) (javascript:, data:) is refused.
        if not _is_web_link(self.document_url):
            raise ValueError(f"document_url must be an http(s) URL, got {self.document_url!r}")
        if self.pdf_url and not _is_web_link(self.pdf_url):
            raise ValueError(f"pdf_url must be empty or an http(s) URL, got {self.pdf_url!r}")
        # Raises ValueError for anything that is not a single plain address (no CR/LF either).
        Address(addr_spec=self.to_address)


@dataclass(frozen=True)
class Email:
    """A composed email: `to` is a display address (`Name <address>` or a bare address)."""

    to: str
    subject: str
    text: str
    html: str
    headers: Mapping[str, str] = field(default_factory=dict)
