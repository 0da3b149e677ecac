"""Translations as data: every locale file ships exactly its schema's keys, and a file that
does not is refused naming the file and the key."""

from __future__ import annotations

import dataclasses
import tomllib
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from services.kernel.locale_files import LocaleFileError, load_locale, locale_keys
from services.notifier.email import wording
from services.notifier.email.model import FailedStep, Language
from services.renderer.report import labels
from services.renderer.report.model import SUPPORTED_LANGUAGES

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# Each package's locale folder, schema, fields the code supplies, enum-keyed tables and the
# languages it serves.
PACKAGES = [
    pytest.param(
        Path(labels.__file__).with_name("locales"),
        labels.Labels,
        frozenset({"months"}),
        {},
        set(SUPPORTED_LANGUAGES),
        id="renderer-labels",
    ),
    pytest.param(
        Path(wording.__file__).with_name("locales"),
        wording.Wording,
        frozenset({"month_names"}),
        {"failed_step": FailedStep},
        {language.value for language in Language},
        id="notifier-wording",
    ),
]


@pytest.mark.parametrize(("folder", "schema", "in_code", "keyed_by", "languages"), PACKAGES)
def test_every_locale_file_has_exactly_its_schemas_keys_and_loads(
    folder: Path,
    schema: type[DataclassInstance],
    in_code: frozenset[str],
    keyed_by: dict[str, type[Enum]],
    languages: set[str],
) -> None:
    files = sorted(folder.glob("*.toml"))
    assert {file.stem for file in files} == languages
    for file in files:
        words = tomllib.loads(file.read_text(encoding="utf-8"))
        assert set(words) == locale_keys(schema, in_code), file
        for key, enum in keyed_by.items():
            assert set(words[key]) == {member.name for member in enum}, file
        loaded = load_locale(
            file,
            schema,
            in_code={name: () for name in in_code},
            keyed_by=keyed_by,
        )
        assert all(getattr(loaded, key) for key in words), f"{file}: an empty translation"


@dataclasses.dataclass(frozen=True)
class _Words:
    title: str
    names: dict[str, str]
    step: dict[FailedStep, str]
    months: tuple[str, ...]


def _load(tmp_path: Path, text: str) -> _Words:
    path = tmp_path / "xx.toml"
    path.write_text(text, encoding="utf-8")
    return load_locale(path, _Words, in_code={"months": ("M",)}, keyed_by={"step": FailedStep})


_STEPS = "\n".join(f'{step.name} = "{step.value}"' for step in FailedStep)


def test_a_complete_file_loads_with_enum_keys_and_the_codes_fields(tmp_path: Path) -> None:
    words = _load(tmp_path, f'title = "T"\n[names]\nen = "English"\n[step]\n{_STEPS}\n')

    assert words == _Words(
        title="T",
        names={"en": "English"},
        step={step: step.value for step in FailedStep},
        months=("M",),
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(f"[names]\n[step]\n{_STEPS}\n", "missing key 'title'", id="missing"),
        pytest.param(
            f'title = "T"\ntitel = "T"\n[names]\n[step]\n{_STEPS}\n',
            "unknown key 'titel'",
            id="unknown",
        ),
        pytest.param(
            f'title = "T"\nmonths = []\n[names]\n[step]\n{_STEPS}\n',
            "unknown key 'months'",
            id="a-field-the-code-supplies",
        ),
        pytest.param(
            'title = "T"\n[names]\n[step]\nUPLOAD = "u"\nUPLAOD = "u"\n',
            "missing key 'step.RENDERING'",
            id="missing-enum-member",
        ),
        pytest.param(
            f'title = "T"\n[names]\n[step]\n{_STEPS}\nUPLAOD = "u"\n',
            "unknown key 'step.UPLAOD'",
            id="unknown-enum-member",
        ),
        pytest.param(
            f"title = 3\n[names]\n[step]\n{_STEPS}\n", "'title' must be a string", id="type"
        ),
        pytest.param('title = "T\n', "line 1", id="not-toml"),
    ],
)
def test_a_file_that_does_not_match_its_schema_is_refused_naming_file_and_key(
    tmp_path: Path, text: str, problem: str
) -> None:
    with pytest.raises(LocaleFileError, match=r"xx\.toml: ") as refused:
        _load(tmp_path, text)

    assert problem in str(refused.value)
