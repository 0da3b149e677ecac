"""`speechflow-admin backup` / `restore`: databases and objects into one timestamped folder.

Layout of `BACKUPS/speechflow-20260301T020000Z/`:
  manifest.json            what is inside, with a SHA-256 for every object
  databases/auth.sqlite    (or auth.pgdump), databases/library.sqlite (or .pgdump),
                           databases/notifier.sqlite (webhooks; once the notifier has run)
  objects/<key>            uploads/, pdfs/ and transcripts/ as the store names them

A backup is written under a `.partial` name and renamed when complete, so pruning and
restoring never see half of one.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.admin.databases import (
    TargetNotEmpty,
    database_in_use,
    database_tables,
    dump_database,
    restore_database,
)
from services.admin.deployment import Deployment
from services.admin.objects import (
    MirroredObject,
    StoreNotEmpty,
    mirror_store,
    restore_store,
    store_is_empty,
)
from services.admin.retention import DEFAULT_POLICY, RetentionPolicy, backups_to_keep

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_PREFIX = "speechflow-"
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_NAME_PATTERN = re.compile(rf"^{_PREFIX}(\d{{8}}T\d{{6}}Z)$")


@dataclass(frozen=True)
class RestoreReport:
    databases: list[str]
    objects: int


def backup_name(moment: datetime) -> str:
    return _PREFIX + moment.astimezone(UTC).strftime(_STAMP_FORMAT)


def backup_time(folder: Path) -> datetime | None:
    """When a complete backup folder was taken, or None for anything else."""
    match = _NAME_PATTERN.match(folder.name)
    if match is None or not (folder / MANIFEST).is_file():
        return None
    return datetime.strptime(match.group(1), _STAMP_FORMAT).replace(tzinfo=UTC)


def create_backup(deployment: Deployment, backups_dir: Path, now: datetime) -> Path:
    final = backups_dir / backup_name(now)
    if final.exists():
        raise FileExistsError(f"{final} exists already")
    partial = backups_dir / f"{final.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "databases").mkdir(parents=True)
    try:
        databases = {
            name: dump_database(url, partial / "databases" / name).name
            for name, url in deployment.databases.items()
            if database_in_use(url)
        }
        objects = mirror_store(deployment.store, partial / "objects")
        manifest = {
            "format": FORMAT_VERSION,
            "created": now.astimezone(UTC).isoformat(),
            "databases": databases,
            "objects": [item.to_json() for item in objects],
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def restore_backup(backup: Path, deployment: Deployment) -> RestoreReport:
    """Loads a backup into an empty deployment (fresh databases and an empty store)."""
    if not (backup / MANIFEST).is_file():
        raise FileNotFoundError(f"{backup} is not a backup folder (it has no {MANIFEST})")
    manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise ValueError(f"{backup} has backup format {manifest.get('format')!r}, not 1.")
    databases: dict[str, str] = manifest["databases"]
    missing = set(databases) - set(deployment.databases)
    if missing:
        raise ValueError(f"this deployment has no database for {sorted(missing)}")
    # Check everything is empty before writing anything: a refused restore changes nothing.
    for name in databases:
        if database_tables(deployment.databases[name]):
            raise TargetNotEmpty(
                f"the {name} database already holds tables; restore into an empty one."
            )
    if not store_is_empty(deployment.store):
        raise StoreNotEmpty("the object store already holds files; restore into an empty one.")
    for name, file_name in databases.items():
        restore_database(backup / "databases" / file_name, deployment.databases[name])
    objects = [MirroredObject.from_json(item) for item in manifest["objects"]]
    count = restore_store(deployment.store, backup / "objects", objects)
    return RestoreReport(databases=sorted(databases), objects=count)


def prune_backups(backups_dir: Path, policy: RetentionPolicy = DEFAULT_POLICY) -> list[Path]:
    """Deletes complete backups the policy does not keep; returns the deleted folders."""
    dated = {
        moment: folder
        for folder in sorted(backups_dir.iterdir())
        if (moment := backup_time(folder)) is not None
    }
    keep = backups_to_keep(dated, policy)
    removed = [folder for moment, folder in dated.items() if moment not in keep]
    for folder in removed:
        shutil.rmtree(folder)
    return removed
