"""OutboxSender: one parseable .eml per idempotency key."""

from __future__ import annotations

import asyncio
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from services.notifier.email import (
    OutboxSender,
    TransientEmailError,
    completion_email,
    failure_email,
)
from tests.notifier.email_contexts import DOCUMENT_URL, PDF_URL, email_context

FROM = "SpeechFlow <noreply@speechflow.example>"


def file_names(folder: Path) -> list[str]:
    """Every entry, hidden ones included, so a leftover temp file would show."""
    return sorted(path.name for path in folder.iterdir())


def read_eml(path: Path) -> EmailMessage:
    with path.open("rb") as file:
        message = BytesParser(policy=policy.default).parse(file)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.asyncio
async def test_outbox_writes_a_multipart_alternative_eml_with_text_and_html(
    tmp_path: Path,
) -> None:
    email = completion_email(email_context(language="fr", document_title="Réunion <budget>"))
    sender = OutboxSender(tmp_path / "outbox", FROM)

    message_id = await sender.send(email, "evt-1")

    assert file_names(tmp_path / "outbox") == ["evt-1.eml"]
    message = read_eml(tmp_path / "outbox" / "evt-1.eml")
    assert message.get_content_type() == "multipart/alternative"
    assert message["Message-ID"] == message_id
    assert message_id.endswith("@speechflow.example>")
    assert message["From"] == FROM
    assert message["To"] == "Ada Lovelace <ada@example.com>"
    assert message["Subject"] == email.subject
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"]
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(text_part, EmailMessage)
    assert isinstance(html_part, EmailMessage)
    assert text_part.get_content() == email.text
    assert html_part.get_content() == email.html
    assert DOCUMENT_URL in text_part.get_content()
    assert PDF_URL.replace("&", "&amp;") in html_part.get_content()


@pytest.mark.asyncio
async def test_same_idempotency_key_twice_keeps_one_file_and_returns_the_same_id(
    tmp_path: Path,
) -> None:
    sender = OutboxSender(tmp_path, FROM)
    first = await sender.send(completion_email(email_context()), "evt-7")

    again = await sender.send(failure_email(email_context(), "changed"), "evt-7")

    assert again == first
    assert file_names(tmp_path) == ["evt-7.eml"]
    assert read_eml(tmp_path / "evt-7.eml")["Subject"].startswith("Your summary is ready")


@pytest.mark.asyncio
async def test_concurrent_deliveries_of_one_event_leave_one_file(tmp_path: Path) -> None:
    sender = OutboxSender(tmp_path, FROM)
    email = completion_email(email_context())

    ids = await asyncio.gather(*(sender.send(email, "evt-race") for _ in range(8)))

    assert len(set(ids)) == 1
    assert file_names(tmp_path) == ["evt-race.eml"]


@pytest.mark.asyncio
async def test_different_keys_make_different_files(tmp_path: Path) -> None:
    sender = OutboxSender(tmp_path, FROM)
    email = completion_email(email_context())

    first = await sender.send(email, "evt-a")
    second = await sender.send(email, "evt-b")

    assert first != second
    assert file_names(tmp_path) == ["evt-a.eml", "evt-b.eml"]


@pytest.mark.asyncio
async def test_keys_that_are_not_file_names_stay_inside_the_outbox_and_distinct(
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox"
    sender = OutboxSender(outbox, FROM)
    email = completion_email(email_context())

    await sender.send(email, "../../escape")
    await sender.send(email, "a/b")
    await sender.send(email, "a_b")

    names = file_names(outbox)
    assert len(names) == 3
    assert all(name.endswith(".eml") and not name.startswith(".") for name in names)
    assert file_names(tmp_path) == ["outbox"]


@pytest.mark.asyncio
async def test_unwritable_outbox_is_a_transient_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the outbox should be")
    sender = OutboxSender(blocker / "outbox", FROM)

    with pytest.raises(TransientEmailError):
        await sender.send(completion_email(email_context()), "evt-1")


@pytest.mark.asyncio
async def test_empty_idempotency_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="idempotency_key"):
        await OutboxSender(tmp_path, FROM).send(completion_email(email_context()), "")
