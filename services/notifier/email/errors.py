"""Sending failures, split by what the caller should do next."""

from __future__ import annotations


class EmailError(Exception):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # HTTP status of the provider's answer, when there was one


class TransientEmailError(EmailError):
    """Worth retrying later with the same idempotency key: rate limits, outages, network."""


class PermanentEmailError(EmailError):
    """Retrying the same email cannot succeed: the provider rejected it."""
