"""Ways to deliver a composed email: Resend's API, or `.eml` files in an outbox folder.

Both take an idempotency key (the event id) so a redelivered event sends no second email.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
import threading
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

import resend
import resend.exceptions

from services.notifier.email.errors import PermanentEmailError, TransientEmailError
from services.notifier.email.model import Email

DEFAULT_RESEND_API_URL = "https://api.resend.com"


class EmailSender(Protocol):
    async def send(self, email: Email, idempotency_key: str) -> str:
        """Delivers `email` once per key and returns the provider's message id."""
        ...


class OutboxSender:
    """Writes each email as an RFC 5322 `.eml` file: for development and self-hosting without
    an email provider (any mail client opens them; a relay can pick them up)."""

    def __init__(self, folder: Path, from_address: str) -> None:
        self._folder = folder
        self._from_address = from_address

    async def send(self, email: Email, idempotency_key: str) -> str:
        return await asyncio.to_thread(self._write_once, email, idempotency_key)

    def path_for(self, idempotency_key: str) -> Path:
        return self._folder / f"{_file_stem(idempotency_key)}.eml"

    def _write_once(self, email: Email, idempotency_key: str) -> str:
        target = self.path_for(idempotency_key)
        try:
            if target.exists():
                return _message_id_of(target)
            self._folder.mkdir(parents=True, exist_ok=True)
            message = self._message(email, idempotency_key)
            self._publish(target, message.as_bytes(policy=policy.SMTP))
            return str(message["Message-ID"])
        except FileExistsError:
            # Another delivery of the same event won the race: its file is the email.
            return _message_id_of(target)
        except OSError as error:
            reason = f"cannot write to the outbox {self._folder}: {error}"
            raise TransientEmailError(reason) from error

    def _message(self, email: Email, idempotency_key: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._from_address
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=_domain_of(self._from_address))
        message["X-Idempotency-Key"] = idempotency_key
        for name, value in email.headers.items():
            message[name] = value
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        return message

    def _publish(self, target: Path, content: bytes) -> None:
        """Temp file + hard link: readers never see a half-written file, and unlike a rename
        the link fails when the target exists, so two racing deliveries keep one file."""
        fd, temp_name = tempfile.mkstemp(dir=self._folder, prefix=".", suffix=".eml.tmp")
        try:
            with os.fdopen(fd, "wb") as temp:
                temp.write(content)
                temp.flush()
                os.fsync(temp.fileno())
            os.link(temp_name, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)


class ResendSender:
    """Sends through Resend's HTTP API with the official SDK."""

    # The SDK keeps its key and URL in module globals, shared by every sender in the process:
    # set them and send under one lock so two senders never mix up their settings.
    _sdk_lock = threading.Lock()

    def __init__(self, api_key: str, from_address: str, api_url: str | None = None) -> None:
        self._api_key = api_key
        self._from_address = from_address
        self._api_url = (api_url or DEFAULT_RESEND_API_URL).rstrip("/")

    async def send(self, email: Email, idempotency_key: str) -> str:
        # The SDK's HTTP client is blocking; keep it off the event loop.
        return await asyncio.to_thread(self._send_blocking, email, idempotency_key)

    def _send_blocking(self, email: Email, idempotency_key: str) -> str:
        params: resend.Emails.SendParams = {
            "from": self._from_address,
            "to": [email.to],
            "subject": email.subject,
            "html": email.html,
            "text": email.text,
        }
        if email.headers:
            params["headers"] = dict(email.headers)
        options: resend.Emails.SendOptions = {"idempotency_key": idempotency_key}
        with self._sdk_lock:
            resend.api_key = self._api_key
            resend.api_url = self._api_url
            try:
                response = resend.Emails.send(params, options)
            except resend.exceptions.ResendError as error:
                raise _classified(error) from error
        message_id = response.get("id")
        if not message_id:
            # Accepted but unidentified: resending under the same key is safe and tells us more.
            raise TransientEmailError("Resend answered without an email id")
        return str(message_id)


def sender_from_settings(
    resend_api_key: str | None,
    resend_api_url: str | None,
    from_address: str,
    outbox_dir: Path,
) -> EmailSender:
    """Resend when an API key is configured, otherwise the `.eml` outbox."""
    if resend_api_key and resend_api_key.strip():
        return ResendSender(resend_api_key.strip(), from_address, resend_api_url or None)
    return OutboxSender(outbox_dir, from_address)


def _classified(error: resend.exceptions.ResendError) -> TransientEmailError | PermanentEmailError:
    try:
        status = int(error.code)
    except (TypeError, ValueError):
        status = 500
    message = f"Resend rejected the email ({status} {error.error_type}): {error.message}"
    # 409 `concurrent_idempotent_requests`: the same key is still in flight elsewhere.
    in_flight = error.error_type == "concurrent_idempotent_requests"
    if status in (408, 429) or status >= 500 or in_flight:
        return TransientEmailError(message, status=status)
    return PermanentEmailError(message, status=status)


_SAFE_FILE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _file_stem(idempotency_key: str) -> str:
    """The key itself when it is a safe file name; otherwise a readable prefix plus a hash, so
    distinct keys never share a file and no key can escape the folder."""
    if not idempotency_key:
        raise ValueError("idempotency_key is empty")
    if _SAFE_FILE_STEM.fullmatch(idempotency_key):
        return idempotency_key
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", idempotency_key).strip("._")[:60]
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
    return f"{readable}-{digest}" if readable else digest


def _message_id_of(path: Path) -> str:
    with path.open("rb") as file:
        headers = BytesHeaderParser(policy=policy.default).parse(file)
    return str(headers["Message-ID"])


def _domain_of(address: str) -> str:
    """The sender's domain, for Message-IDs that look like the ones a real server makes."""
    _, bare = parseaddr(address)
    try:
        return Address(addr_spec=bare).domain or "localhost"
    except ValueError:
        return "localhost"
