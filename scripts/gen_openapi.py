"""OpenAPI 2.0 document of the REST/JSON API, from the same `google.api.http` annotations
Envoy transcodes. Uses Debian's `protoc-gen-swagger` (golang-grpc-gateway), which handles
one proto package per run: each file is generated alone, its `v1*` definitions are renamed
after its package (so `GetInfoResponse` of two services cannot collide), then all are merged.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"
OUT = ROOT / "gen" / "openapi" / "speechflow.swagger.json"
PLUGIN = shutil.which("protoc-gen-swagger")


def _generate(source: str, folder: Path) -> dict[str, Any]:
    well_known = Path(protoc.__file__).parent / "_proto"
    code = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTO}",
            f"-I{ROOT / 'third_party' / 'googleapis'}",
            f"-I{well_known}",
            f"--plugin=protoc-gen-swagger={PLUGIN}",
            f"--swagger_out=allow_delete_body=true:{folder}",
            source,
        ]
    )
    if code != 0:
        raise SystemExit(f"protoc-gen-swagger failed on {source}")
    generated = folder / source.replace(".proto", ".swagger.json")
    return dict(json.loads(generated.read_text()))


def _renamed(document: dict[str, Any], package: str) -> dict[str, Any]:
    text = json.dumps(document).replace('"#/definitions/v1', f'"#/definitions/{package}')
    renamed = json.loads(text)
    renamed["definitions"] = {
        (f"{package}{name[2:]}" if name.startswith("v1") else name): value
        for name, value in renamed.get("definitions", {}).items()
    }
    return dict(renamed)


def main() -> int:
    if PLUGIN is None:
        print(
            "protoc-gen-swagger not found (apt-get install golang-grpc-gateway); "
            f"keeping {OUT.relative_to(ROOT)}"
        )
        return 0
    sources = sorted(
        str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto") if "events" not in p.parts
    )
    merged: dict[str, Any] = {
        "swagger": "2.0",
        "info": {
            "title": "SpeechFlow API",
            "version": "v1",
            "description": "REST/JSON view of the gRPC contracts, transcoded by Envoy. JSON "
            "uses the proto field names; enums by name; timestamps RFC 3339; int64 as strings. "
            "Send `authorization: Bearer <access token>`.",
        },
        "schemes": ["http", "https"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "securityDefinitions": {
            "bearer": {"type": "apiKey", "name": "authorization", "in": "header"}
        },
        "security": [{"bearer": []}],
        "paths": {},
        "definitions": {},
    }
    with tempfile.TemporaryDirectory() as folder:
        for source in sources:
            package = source.split("/")[1]
            document = _renamed(_generate(source, Path(folder)), package)
            merged["paths"].update(document.get("paths", {}))
            merged["definitions"].update(document.get("definitions", {}))
    merged["paths"] = dict(sorted(merged["paths"].items()))
    merged["definitions"] = dict(sorted(merged["definitions"].items()))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(merged, indent=2, sort_keys=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
