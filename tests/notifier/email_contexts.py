"""Builds EmailContext values for tests: sensible defaults, overridden per test."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from services.notifier.email import EmailContext

DOCUMENT_URL = "https://speechflow.example/documents/doc-42"
# Presigned URLs carry `&` in their query, which must survive HTML escaping intact.
PDF_URL = "https://files.example/reports/doc-42.pdf?X-Amz-Expires=3600&X-Amz-Signature=abc"

_DEFAULT = EmailContext(
    to_address="ada@example.com",
    to_name="Ada Lovelace",
    document_title="Weekly planning",
    original_file_name="planning.m4a",
    language="en",
    document_url=DOCUMENT_URL,
    pdf_url=PDF_URL,
    summary_excerpt="The team agreed to ship the beta on Friday.",
    duration_seconds=754,
)


def email_context(**overrides: Any) -> EmailContext:
    return replace(_DEFAULT, **overrides)
