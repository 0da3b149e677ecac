"""One contract, three protocols: every public RPC must be reachable over REST too."""

from __future__ import annotations

import importlib
import pkgutil

from google.api import annotations_pb2

import speechflow


def test_every_public_rpc_has_an_http_binding() -> None:
    missing = []
    for module_info in pkgutil.walk_packages(speechflow.__path__, "speechflow."):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(module_info.name)
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                rule = method.GetOptions().Extensions[annotations_pb2.http]
                if not rule.WhichOneof("pattern"):
                    missing.append(method.full_name)
    assert missing == [], f"RPCs without a google.api.http binding: {missing}"
