"""The lifecycle every service shares: start in-process (tests) or as a process (`python -m`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from services.kernel.leftovers import sweep_leftovers
from services.kernel.logs import configure_logging
from services.kernel.metrics import serve_metrics
from services.kernel.server import RunningServer, wait_for_shutdown_signal
from services.kernel.settings import ServiceSettings
from services.kernel.tasks import cancel_and_wait

log = logging.getLogger("speechflow.app")

S = TypeVar("S", bound=ServiceSettings)

MIN_CLOSE_SECONDS = 0.5


@dataclass
class ServiceApp:
    """A started service: its server, its background work, and what to close on the way out."""

    name: str
    server: RunningServer
    background: list[asyncio.Task[None]] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Named parts an operator command or a test may drive directly (e.g. a sweep).
    parts: dict[str, Any] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.server.port

    async def stop(self, grace: float = 5.0) -> None:
        """Graceful: stop taking calls, let in-flight RPCs finish, stop consumers (unacked
        events are redelivered), then drain NATS and close the database — all within
        `grace` seconds, so the supervisor never has to SIGKILL."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        await self.server.stop(grace)
        await cancel_and_wait(self.background)
        for close in reversed(self.closers):
            # Each closer gets what is left, but at least a moment to say goodbye.
            remaining = max(deadline - loop.time(), MIN_CLOSE_SECONDS)
            try:
                async with asyncio.timeout(remaining):
                    await close()
            except TimeoutError:
                log.warning("closing took too long; skipped", extra={"seconds": remaining})
            except Exception:
                log.warning("error while closing", exc_info=True)


def run_service(settings_type: type[S], start: Callable[[S], Awaitable[ServiceApp]]) -> None:
    """`python -m services.<name>`: start, serve until SIGTERM/SIGINT, shut down gracefully."""
    settings = settings_type()
    configure_logging(settings.service_name, settings.log_level)

    async def main() -> None:
        serve_metrics(settings.grpc_host, settings.metrics_port)
        # Before starting: what a crashed earlier run left is nobody's any more.
        swept = await asyncio.to_thread(sweep_leftovers, settings.leftovers())
        if swept:
            log.info("leftovers of an earlier run removed", extra={"files": swept})
        app = await start(settings)
        log.info("started", extra={"port": app.port})
        await wait_for_shutdown_signal()
        log.info("shutting down", extra={"grace_seconds": settings.shutdown_grace_seconds})
        await app.stop(settings.shutdown_grace_seconds)
        log.info("stopped")

    asyncio.run(main())
