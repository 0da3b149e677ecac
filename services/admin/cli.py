"""`speechflow-admin` (or `python -m services.admin`): operator commands.

Each command imports what it needs only when it runs, so `healthcheck`, which the
container runtime calls every few seconds, starts fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from services.admin.environment import load_project_environment

log = logging.getLogger("speechflow.admin")


def refusals() -> tuple[type[BaseException], ...]:
    """What an operator can cause and fix: each is answered with one line, exit code 2.
    (Imported only on failure, so `healthcheck` stays quick.)"""
    import psycopg

    from services.admin.databases import TargetNotEmpty
    from services.admin.objects import CorruptBackup, StoreNotEmpty

    return (
        TargetNotEmpty,
        StoreNotEmpty,
        CorruptBackup,
        FileExistsError,
        FileNotFoundError,
        NotADirectoryError,
        PermissionError,
        ValueError,  # pydantic's ValidationError too: a setting that does not parse
        ConnectionError,
        psycopg.OperationalError,
    )


def _backup(args: argparse.Namespace) -> int:
    from services.admin.backup import create_backup
    from services.admin.deployment import deployment_from_environment

    folder = create_backup(deployment_from_environment(), args.backups_dir, datetime.now(UTC))
    print(f"backup written to {folder}")
    return 0 if args.no_prune else _prune(args)


def _prune(args: argparse.Namespace) -> int:
    from services.admin.backup import prune_backups
    from services.admin.retention import RetentionPolicy

    policy = RetentionPolicy(args.keep_daily, args.keep_weekly, args.keep_monthly)
    for removed in prune_backups(args.backups_dir, policy):
        print(f"pruned {removed}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from services.admin.backup import restore_backup
    from services.admin.deployment import deployment_from_environment

    report = restore_backup(args.backup, deployment_from_environment())
    print(f"restored databases {', '.join(report.databases)} and {report.objects} objects")
    return 0


def _cleanup(args: argparse.Namespace) -> int:
    from services.admin.cleanup import cleanup
    from services.admin.deployment import deployment_from_environment

    deployment = deployment_from_environment()
    while True:
        report = cleanup(deployment.store, deployment.databases["library"], datetime.now(UTC))
        print(
            f"removed {report.temp_objects_removed} temp objects and "
            f"{report.upload_sessions_removed} abandoned upload sessions",
            flush=True,
        )
        if args.every is None:
            return 0
        time.sleep(args.every)


def _healthcheck(args: argparse.Namespace) -> int:
    from grpc_health.v1 import health_pb2

    from services.mesh.services import health_status

    status = health_status(args.address, args.service, timeout=args.timeout)
    if status == health_pb2.HealthCheckResponse.SERVING:
        return 0
    print(f"{args.address} is not serving (status {status})", file=sys.stderr)
    return 1


def _init_storage(args: argparse.Namespace) -> int:
    from services.admin.storage_init import init_storage
    from services.kernel.storage import StorageSettings

    buckets = init_storage(StorageSettings())
    print(f"buckets ready: {', '.join(buckets)}")
    return 0


def _envoy_config(args: argparse.Namespace) -> int:
    from services.admin.edge_config import write_edge_config
    from services.mesh.runner import MeshSettings

    path = write_edge_config(args.output_dir, MeshSettings())
    print(f"envoy config written to {path}")
    return 0


def _nats_auth(args: argparse.Namespace) -> int:
    from services.mesh.nats_auth import write_server_authorization

    path = write_server_authorization(args.output_dir)
    print(f"NATS users written to {args.output_dir} (server config: {path})")
    return 0


def _add_retention(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep-daily", type=int, default=7)
    parser.add_argument("--keep-weekly", type=int, default=4)
    parser.add_argument("--keep-monthly", type=int, default=12)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="speechflow-admin",
        description="Operate a SpeechFlow deployment; reads the same settings as the services.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str, run: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        return sub

    backup = command("backup", _backup, "dump the databases and mirror the files into BACKUPS_DIR")
    backup.add_argument("backups_dir", type=Path)
    backup.add_argument("--no-prune", action="store_true", help="keep every older backup")
    _add_retention(backup)

    prune = command("prune", _prune, "delete backups the retention policy no longer keeps")
    prune.add_argument("backups_dir", type=Path)
    _add_retention(prune)

    restore = command("restore", _restore, "load one backup folder into an empty deployment")
    restore.add_argument("backup", type=Path)

    sweep = command("cleanup", _cleanup, "remove day-old temp files and abandoned uploads")
    sweep.add_argument("--every", type=float, help="repeat every N seconds (a periodic job)")

    health = command("healthcheck", _healthcheck, "exit 0 if a gRPC server reports SERVING")
    health.add_argument("address", help="HOST:PORT")
    health.add_argument("--service", default="", help="a service name; default: the server")
    health.add_argument("--timeout", type=float, default=2.0)

    command("init-storage", _init_storage, "create the S3 buckets and the temp expiry rule")

    edge = command("envoy-config", _envoy_config, "render the container edge config into DIR")
    edge.add_argument("output_dir", type=Path)

    nats_users = command(
        "nats-auth",
        _nats_auth,
        "create one NATS user per service (kept if present) and the server's auth config in DIR",
    )
    nats_users.add_argument("output_dir", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    load_project_environment()
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except Exception as error:
        # Expected refusals (data in the way, a missing database, bad settings) are one
        # line for the operator; anything else is a bug and keeps its traceback.
        if not isinstance(error, refusals()):
            raise
        print(f"speechflow-admin {args.command}: {one_line(error)}", file=sys.stderr)
        return 2


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 500 else f"{text[:497]}..."
