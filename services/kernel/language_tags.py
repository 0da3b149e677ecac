"""Language tags (BCP-47) as the services compare them: by their primary subtag only, as a
region or script never changes which wording, labels or model a service picks."""

from __future__ import annotations


def primary_subtag(tag: str) -> str:
    """`fr`, `FR`, `fr-CA`, `fr_CA` -> `fr`; an empty tag gives an empty string."""
    return tag.strip().lower().replace("_", "-").split("-", 1)[0]
