"""The library's service layer, assembled from its adapters: the database (units of work),
the outbox (inside them), the object store (the sweeper) and the clock. Tests pass fakes of
the same ports to `Lifecycle` directly."""

from __future__ import annotations

from services.kernel.db import Database
from services.kernel.outbox import Outbox
from services.kernel.storage import ObjectStore
from services.library.lifecycle.outputs import write_outputs
from services.library.lifecycle.ports import Clock
from services.library.lifecycle.service import Lifecycle, utc_now
from services.library.lifecycle.sql import SqlUnitsOfWork
from services.library.lifecycle.storage import StoreSweeper

__all__ = ["Lifecycle", "bootstrap"]


def bootstrap(
    *, db: Database, outbox: Outbox, store: ObjectStore, clock: Clock = utc_now
) -> Lifecycle:
    return Lifecycle(
        units=SqlUnitsOfWork(db, outbox, write_outputs),
        sweeper=StoreSweeper(store),
        clock=clock,
    )
