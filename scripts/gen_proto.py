"""Regenerate the Python stubs and the Envoy descriptor set from proto/.

One generated package (`gen/speechflow`), typed with mypy-protobuf; never edit it by hand.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from grpc_tools import protoc

from scripts import gen_openapi

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"
THIRD_PARTY = ROOT / "third_party" / "googleapis"
OUT = ROOT / "gen"
DESCRIPTOR = OUT / "speechflow.binpb"
BIN = Path(sys.executable).parent


def main() -> int:
    sources = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
    shutil.rmtree(OUT / "speechflow", ignore_errors=True)
    OUT.mkdir(exist_ok=True)
    well_known = Path(protoc.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO}",
        f"-I{THIRD_PARTY}",
        f"-I{well_known}",
        f"--python_out={OUT}",
        f"--grpc_python_out={OUT}",
        f"--plugin=protoc-gen-mypy={BIN / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={BIN / 'protoc-gen-mypy_grpc'}",
        "--mypy_opt=quiet",
        "--mypy_grpc_opt=quiet",
        f"--mypy_out={OUT}",
        f"--mypy_grpc_out={OUT}",
        *sources,
    ]
    if protoc.main(args) != 0:
        return 1
    # Envoy's transcoder prints error details as JSON only for types it knows: add ErrorInfo.
    descriptor_args = [
        "grpc_tools.protoc",
        f"-I{PROTO}",
        f"-I{THIRD_PARTY}",
        f"-I{well_known}",
        "--include_imports",
        "--include_source_info",
        f"--descriptor_set_out={DESCRIPTOR}",
        *sources,
        "google/rpc/error_details.proto",
        "google/rpc/status.proto",
    ]
    if protoc.main(descriptor_args) != 0:
        return 1
    for package in (OUT / "speechflow").rglob("*"):
        if package.is_dir():
            (package / "__init__.py").touch()
    (OUT / "speechflow" / "__init__.py").touch()
    (OUT / "speechflow" / "py.typed").touch()
    return gen_openapi.main()


if __name__ == "__main__":
    sys.exit(main())
