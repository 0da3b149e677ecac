"""The edge's unknown-field check is generated from the API descriptors: every REST route with
a JSON body is covered, streamed and raw bodies are not, and both JSON spellings are allowed."""

from __future__ import annotations

import re

from services.mesh.envoy import SPEECHFLOW_API_SERVICES
from services.mesh.rest_body_check import body_routes, lua_path_pattern
from services.mesh.runner import DESCRIPTOR


def test_path_templates_become_whole_path_lua_patterns() -> None:
    assert lua_path_pattern("/api/v1/folders/{folder.id}") == "^/api/v1/folders/[^/]+$"
    assert lua_path_pattern("/api/v1/uploads/{upload_id}:chunk") == "^/api/v1/uploads/[^/]+:chunk$"
    assert lua_path_pattern("/api/v1/files/{key=**}") == "^/api/v1/files/.+$"
    assert lua_path_pattern("/api/v1/a-b.c") == "^/api/v1/a%-b%.c$"


def test_every_json_body_route_is_checked_and_streams_are_not() -> None:
    routes, messages = body_routes(DESCRIPTOR.read_bytes(), SPEECHFLOW_API_SERVICES)
    checked = {(r.method, r.pattern): r.body for r in routes}
    assert checked[("POST", "^/api/v1/folders$")] == "speechflow.library.v1.Folder"
    assert checked[("POST", "^/api/v1/uploads$")] == "speechflow.library.v1.UploadMetadata"
    assert checked[("POST", "^/api/v1/auth/login$")] == "speechflow.auth.v1.LoginRequest"
    patterns = [pattern for _, pattern in checked]
    assert not any(re.search("documents:(upload|stream)", p) for p in patterns)
    folder = messages["speechflow.library.v1.Folder"]
    assert folder["create_time"] is True  # a Timestamp is a JSON string: a leaf
    assert folder["createTime"] is True
    assert "colour" not in folder
