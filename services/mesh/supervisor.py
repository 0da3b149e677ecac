"""Keeps the mesh's services alive: a service that exits on its own (crash, OOM kill,
unhandled error) is started again after an exponential backoff, and every restart is logged.

A deliberate `stop()` or `kill()` is not a crash (the process object forgets its process),
so `make down`, tests that take a stage down on purpose and the runner's own shutdown are
left alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from services.kernel.backoff import DoublingBackoff
from services.kernel.tasks import cancel_and_wait
from services.mesh.processes import ManagedProcess

log = logging.getLogger("speechflow.mesh")


@dataclass(frozen=True)
class Backoff(DoublingBackoff):
    """The delay before the next restart of a crashed service, by its consecutive crashes;
    a run that lasted `stable_seconds` resets the count."""

    stable_seconds: float = 60.0


class Supervisor:
    """Watches processes from the event loop; restarts run in threads (they block)."""

    def __init__(
        self,
        processes: Mapping[str, ManagedProcess],
        backoff: Backoff = Backoff(),
        poll_seconds: float = 0.5,
    ) -> None:
        self._processes = processes
        self._backoff = backoff
        self._poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None
        self.restarts: dict[str, int] = {}

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch_all())

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None

    async def _watch_all(self) -> None:
        watchers = [asyncio.create_task(self._watch(n, p)) for n, p in self._processes.items()]
        try:
            await asyncio.gather(*watchers)
        finally:
            await cancel_and_wait(watchers)

    async def _watch(self, name: str, process: ManagedProcess) -> None:
        crashes = 0
        up_since = time.monotonic()
        while True:
            await asyncio.sleep(self._poll_seconds)
            code = process.crashed()
            if code is None:
                continue
            if time.monotonic() - up_since >= self._backoff.stable_seconds:
                crashes = 0
            while True:  # until it runs again: a failed start is one more crash
                crashes += 1
                delay = self._backoff.delay(crashes)
                log.warning(
                    "service exited; restarting",
                    extra={"service": name, "exit_code": code, "attempt": crashes, "delay": delay},
                )
                await asyncio.sleep(delay)
                try:
                    await asyncio.to_thread(self._bring_back, process)
                    break
                except Exception as exc:
                    log.error("service restart failed", extra={"service": name, "error": str(exc)})
                    code = process.last_exit_code
            up_since = time.monotonic()
            self.restarts[name] = self.restarts.get(name, 0) + 1
            log.warning("service restarted", extra={"service": name, "attempt": crashes})

    @staticmethod
    def _bring_back(process: ManagedProcess) -> None:
        # After a failed start the process object counts as stopped, hence start().
        if process.recover() is None:
            process.start()
