"""Row ids: random UUIDs written as 36-character strings, the key of most tables."""

from __future__ import annotations

import uuid

from sqlalchemy import String
from sqlalchemy.orm import MappedColumn, mapped_column


def new_id() -> str:
    """A fresh random id (UUID4, 36 characters)."""
    return str(uuid.uuid4())


def uuid_primary_key() -> MappedColumn[str]:
    """The `id` of a row named by a UUID, filled in on insert when the row has none."""
    return mapped_column(String(36), primary_key=True, default=new_id)
