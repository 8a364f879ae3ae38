"""Run ``trytond`` and ``trytond-admin`` as child processes on SQLite databases.

A :class:`TrytonHome` is a folder holding a generated ``trytond.conf``, the
databases (``db/<name>.sqlite``), the admin password file and the server
logs. :class:`TrytonServer` starts ``trytond -c <conf> -d <db>`` on a free
127.0.0.1 port (``-d`` is required on trytond 8.2.1: without it the first
login fails with ``KeyError: 'res.user'``), waits until
``common.server.version`` answers, and stops it with SIGTERM, then SIGKILL
when it does not exit in time.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "TrytonHome",
    "TrytonServer",
    "TrytonUnavailable",
    "clone_database",
    "free_port",
    "tryton_command",
]

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
LOG_TAIL_CHARS = 2000


class TrytonUnavailable(RuntimeError):
    """trytond is not installed, or a server or database could not be set up."""


def tryton_command(name: str) -> str:
    """The path of a Tryton script (``trytond``, ``trytond-admin``): beside Python, else PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise TrytonUnavailable(
            f"{name} is not installed: pip install 'distsync[tryton]' (trytond 8.2 and modules)"
        )
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clone_database(source: Path, target: Path) -> None:
    """Copy a SQLite database with the backup API (a plain copy may miss its WAL)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


@dataclass(frozen=True)
class TrytonHome:
    """A folder with a Tryton configuration, its databases and the admin password."""

    root: Path
    admin_password: str

    @property
    def config_file(self) -> Path:
        return self.root / "trytond.conf"

    @property
    def db_dir(self) -> Path:
        return self.root / "db"

    def database_file(self, name: str) -> Path:
        """Where database ``name`` lives."""
        return self.db_dir / f"{name}.sqlite"

    def prepare(self) -> None:
        """Write the configuration and the password file."""
        self.db_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(
            f"[database]\nuri = sqlite://\npath = {self.db_dir}\n[session]\nmax_attempt = 50\n"
        )
        password_file = self.root / "admin.pass"
        password_file.write_text(self.admin_password + "\n")
        password_file.chmod(0o600)

    def initialise(self, name: str, modules: tuple[str, ...], *, email: str) -> None:
        """Create database ``name`` and activate ``modules`` with their dependencies."""
        self.database_file(name).touch()  # trytond-admin refuses a missing file
        env = {**os.environ, "TRYTONPASSFILE": str(self.root / "admin.pass")}
        command = [tryton_command("trytond-admin"), "-c", str(self.config_file), "-d", name]
        command += ["--email", email, "-u", *modules, "--activate-dependencies"]
        log = self.root / f"admin-{name}.log"
        with log.open("wb") as out:
            done = subprocess.run(
                command, check=False, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        if done.returncode != 0:
            raise TrytonUnavailable(
                f"trytond-admin failed on {name} (exit {done.returncode}): {_tail(log)}"
            )


class TrytonServer:
    """A ``trytond`` process serving one database on 127.0.0.1."""

    def __init__(self, home: TrytonHome, database: str, *, port: int | None = None) -> None:
        self.home = home
        self.database = database
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log = home.root / f"trytond-{database}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self, *, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Start the server and return once it answers; raise TrytonUnavailable if it cannot."""
        command = [tryton_command("trytond"), "-c", str(self.home.config_file), "-d"]
        # TZ=UTC: on SQLite, Tryton stamps write_date with the local time
        env = {**os.environ, "TRYTOND_WEB__LISTEN": f"127.0.0.1:{self.port}", "TZ": "UTC"}
        with self._log.open("ab") as out:
            self._process = subprocess.Popen(
                [*command, self.database], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise TrytonUnavailable(
                    f"trytond exited with {self._process.returncode}: {_tail(self._log)}"
                )
            if self.answers():
                return
            time.sleep(0.05)
        self.kill()
        raise TrytonUnavailable(f"trytond did not answer within {timeout}s: {_tail(self._log)}")

    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def answers(self) -> bool:
        """Whether ``common.server.version`` answers now."""
        body = json.dumps({"id": 0, "method": "common.server.version", "params": []}).encode()
        request = urllib.request.Request(
            f"{self.url}/rpc/", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                return bool(json.loads(answer.read()).get("result"))
        except (OSError, ValueError, urllib.error.URLError):
            return False

    def stop(self, *, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM, then SIGKILL when the server has not exited within ``timeout``."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """SIGKILL the server at once (crash tests) and reap it."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def log_tail(self) -> str:
        """The end of the server's log, for error messages."""
        return _tail(self._log)


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-LOG_TAIL_CHARS:].strip()
    except OSError:
        return "(no log)"
