"""The notifier's email engine: compose completion/failure emails and send them."""

from services.kernel.action_items import ActionItem
from services.notifier.email.compose import completion_email, failure_email
from services.notifier.email.errors import EmailError, PermanentEmailError, TransientEmailError
from services.notifier.email.model import Email, EmailContext, FailedStep, Language
from services.notifier.email.senders import (
    EmailSender,
    OutboxSender,
    ResendSender,
    sender_from_settings,
)

__all__ = [
    "ActionItem",
    "Email",
    "EmailContext",
    "EmailError",
    "EmailSender",
    "FailedStep",
    "Language",
    "OutboxSender",
    "PermanentEmailError",
    "ResendSender",
    "TransientEmailError",
    "completion_email",
    "failure_email",
    "sender_from_settings",
]
