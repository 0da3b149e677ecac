"""The edge's check for unknown fields in REST bodies: envoy/rest_body_check.lua, filled with
each REST route's body message and the JSON keys of every message, read from the same
descriptor set the transcoder loads (so the two cannot disagree)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2

SCRIPT_PATH = Path(__file__).resolve().parents[2] / "envoy" / "rest_body_check.lua"
FieldDescriptor = descriptor_pb2.FieldDescriptorProto
# Messages whose JSON form is a string or a number, or free-form: their content is not ours.
JSON_LEAVES = frozenset(
    {
        "google.protobuf.Timestamp",
        "google.protobuf.Duration",
        "google.protobuf.FieldMask",
        "google.protobuf.Struct",
        "google.protobuf.Value",
        "google.protobuf.ListValue",
        "google.protobuf.Any",
        "google.protobuf.DoubleValue",
        "google.protobuf.FloatValue",
        "google.protobuf.Int64Value",
        "google.protobuf.UInt64Value",
        "google.protobuf.Int32Value",
        "google.protobuf.UInt32Value",
        "google.protobuf.BoolValue",
        "google.protobuf.StringValue",
        "google.protobuf.BytesValue",
    }
)
# Bodies that are not JSON (the raw upload routes).
RAW_BODIES = frozenset({"google.api.HttpBody"})
Schema = bool | str | dict[str, "Schema"]


@dataclass(frozen=True)
class BodyRoute:
    method: str
    pattern: str  # a Lua pattern matching the whole path
    body: str  # the message the JSON body is


def _messages(
    files: Iterable[descriptor_pb2.FileDescriptorProto],
) -> dict[str, descriptor_pb2.DescriptorProto]:
    found: dict[str, descriptor_pb2.DescriptorProto] = {}

    def add(prefix: str, message: descriptor_pb2.DescriptorProto) -> None:
        name = f"{prefix}.{message.name}" if prefix else message.name
        found[name] = message
        for nested in message.nested_type:
            add(name, nested)

    for file in files:
        for message in file.message_type:
            add(file.package, message)
    return found


def _field_schema(
    field: FieldDescriptor, messages: dict[str, descriptor_pb2.DescriptorProto]
) -> Schema:
    if field.type != FieldDescriptor.TYPE_MESSAGE:
        return True
    name = field.type_name.lstrip(".")
    message = messages.get(name)
    if message is not None and message.options.map_entry:
        return {"map": _field_schema(message.field[1], messages)}
    return True if name in JSON_LEAVES else name


def _message_keys(
    message: descriptor_pb2.DescriptorProto, messages: dict[str, descriptor_pb2.DescriptorProto]
) -> dict[str, Schema]:
    """Both spellings the transcoder accepts: the proto name and the lowerCamelCase one."""
    keys: dict[str, Schema] = {}
    for field in message.field:
        schema = _field_schema(field, messages)
        keys[field.name] = schema
        keys[field.json_name or field.name] = schema
    return keys


_VARIABLE = re.compile(r"\{([^}=]+)(?:=([^}]*))?\}")
_LUA_MAGIC = re.compile(r"([\^$()%.\[\]*+\-?])")


def lua_path_pattern(template: str) -> str:
    """`/api/v1/folders/{folder.id}` -> `^/api/v1/folders/[^/]+$` (google.api.http syntax)."""
    pattern, position = "", 0
    for match in _VARIABLE.finditer(template):
        pattern += _LUA_MAGIC.sub(r"%\1", template[position : match.start()])
        pattern += ".+" if "**" in (match.group(2) or "") else "[^/]+"
        position = match.end()
    pattern += _LUA_MAGIC.sub(r"%\1", template[position:])
    return f"^{pattern}$"


def _bindings(rule: http_pb2.HttpRule) -> Iterable[http_pb2.HttpRule]:
    yield rule
    yield from rule.additional_bindings


def body_routes(
    descriptor_set: bytes, services: Iterable[str]
) -> tuple[list[BodyRoute], dict[str, dict[str, Schema]]]:
    """The routes with a JSON body, and the keys of every message such a body can hold."""
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set).file
    messages = _messages(files)
    wanted = set(services)
    routes: list[BodyRoute] = []
    for file in files:
        for service in file.service:
            if f"{file.package}.{service.name}" not in wanted:
                continue
            for method in service.method:
                # A streamed request body is not read whole (and may be large): not checked.
                if method.client_streaming or not method.options.HasExtension(annotations_pb2.http):
                    continue
                request = method.input_type.lstrip(".")
                for binding in _bindings(method.options.Extensions[annotations_pb2.http]):
                    route = _route(binding, request, messages)
                    if route is not None:
                        routes.append(route)
    schemas: dict[str, dict[str, Schema]] = {}
    pending = [route.body for route in routes]
    while pending:
        name = pending.pop()
        if name in schemas or name not in messages:
            continue
        schemas[name] = _message_keys(messages[name], messages)
        pending += _referenced(schemas[name].values())
    return routes, schemas


def _referenced(values: Iterable[Schema]) -> list[str]:
    names: list[str] = []
    for value in values:
        if isinstance(value, str):
            names.append(value)
        elif isinstance(value, dict):
            names += _referenced(value.values())
    return names


def _route(
    rule: http_pb2.HttpRule, request: str, messages: dict[str, descriptor_pb2.DescriptorProto]
) -> BodyRoute | None:
    kind = rule.WhichOneof("pattern")
    if kind is None or not rule.body:
        return None
    method, template = (
        (rule.custom.kind, rule.custom.path)
        if kind == "custom"
        else (kind.upper(), getattr(rule, kind))
    )
    body = request
    if rule.body != "*":
        field = next((f for f in messages[request].field if f.name == rule.body), None)
        if field is None or field.type != FieldDescriptor.TYPE_MESSAGE:
            return None  # a scalar body: nothing to check
        body = field.type_name.lstrip(".")
    if body in RAW_BODIES or body in JSON_LEAVES:
        return None
    return BodyRoute(method, lua_path_pattern(template), body)


def _lua(value: object) -> str:
    """A Lua literal for JSON-like data (strings, booleans, lists and dicts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid in Lua strings
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    raise TypeError(f"no Lua literal for {value!r}")


def lua_script(descriptor_set_path: Path, services: Iterable[str]) -> str:
    routes, schemas = body_routes(descriptor_set_path.read_bytes(), services)
    table = [{"method": r.method, "pattern": r.pattern, "body": r.body} for r in routes]
    return (
        SCRIPT_PATH.read_text(encoding="utf-8")
        .replace("__ROUTES__", _lua(table))
        .replace("__MESSAGES__", _lua(schemas))
    )
