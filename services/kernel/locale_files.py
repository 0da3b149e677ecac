"""Translations as data: one TOML file per language, read into the dataclass that is its schema.

The report's labels (renderer) and the emails' wording (notifier) each keep their words in a
`locales/<language>.toml` next to the module that reads them. A file must hold exactly the
dataclass's fields, less those the code supplies (month names, shared with `written_dates`);
a missing, unknown or mistyped key stops the service at import with the file and key named,
instead of a report or email printing a hole.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping, Set
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, get_type_hints

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Schema = TypeVar("Schema", bound="DataclassInstance")


class LocaleFileError(ValueError):
    """A locale file does not match its schema: what is wrong, naming the file and the key."""


def locale_keys(schema: type[DataclassInstance], in_code: frozenset[str] = frozenset()) -> set[str]:
    """The keys a locale file for `schema` holds: its fields, less those the code supplies."""
    return {field.name for field in dataclasses.fields(schema)} - in_code


def load_locale(
    path: Path,
    schema: type[Schema],
    *,
    in_code: Mapping[str, object] | None = None,
    keyed_by: Mapping[str, type[Enum]] | None = None,
) -> Schema:
    """One language's words from the TOML file `path`, as a `schema` instance.

    `in_code` gives the fields the file does not hold. A field in `keyed_by` is a table whose
    keys are that enum's member names (`UPLOAD = "…"`), each one present exactly once; it
    arrives as a dict keyed by the members themselves.
    """
    in_code = in_code or {}
    keyed_by = keyed_by or {}
    try:
        with path.open("rb") as file:
            words = tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise LocaleFileError(f"{path}: {error}") from error
    expected = locale_keys(schema, frozenset(in_code))
    problems = _key_problems(expected, words.keys())
    hints = get_type_hints(schema)
    for key in sorted(expected & words.keys()):
        problems += _value_problems(key, words[key], text=hints[key] is str)
        if key in keyed_by and isinstance(words[key], dict):
            members = {member.name for member in keyed_by[key]}
            problems += _key_problems(members, words[key].keys(), table=key)
    if problems:
        raise LocaleFileError(f"{path}: {'; '.join(problems)}")
    for key, enum in keyed_by.items():
        words[key] = {enum[name]: text for name, text in words[key].items()}
    return schema(**words, **in_code)


def _key_problems(expected: Set[str], found: Set[str], *, table: str = "") -> list[str]:
    """The keys missing from a file (or one of its tables) and those it should not hold."""
    prefix = f"{table}." if table else ""
    missing = [f"missing key {prefix + key!r}" for key in sorted(expected - found)]
    return missing + [f"unknown key {prefix + key!r}" for key in sorted(found - expected)]


def _value_problems(key: str, value: object, *, text: bool) -> list[str]:
    """Why `value` cannot be field `key`: a text field takes a string, any other a table of
    strings."""
    if text:
        return [] if isinstance(value, str) else [f"{key!r} must be a string"]
    if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
        return []
    return [f"{key!r} must be a table of strings"]
