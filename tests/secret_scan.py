"""A pytest plugin: no configured secret ever reaches a log line or an HTTP response.

For the whole session it records what distsync writes or answers:

- every structlog line written by in-process code (the ``PrintLogger``,
  ``WriteLogger`` and ``BytesLogger`` sinks, whatever the configuration);
- every stdlib ``logging`` record (uvicorn's logs, libraries');
- every HTTP response a test reads through httpx (``httpx.Client``,
  ``AsyncClient``, Starlette's ``TestClient``): status, headers, body.
  Responses that distsync's own outbound clients (connectors, transports)
  read from partners are not distsync's answers and are left out;
- the stdout and stderr of commands run in-process through a ``CliRunner``
  (typer's or click's), and of ``distsync`` subprocesses a test collects
  with ``communicate()`` / ``subprocess.run(capture_output=True)``.

Requests are never scanned: tests send secrets on purpose (a client secret
in a token request, an HMAC key signing a webhook).

At each test's end (and whenever a test's text passes ``FLUSH_CHARS``) the
text is searched for every secret known at that moment and then dropped:
``distsync.redaction.registered_secrets()``, plus the value of every
environment variable a test set whose name ends in ``_SECRET``,
``_PASSWORD``, ``_TOKEN`` or ``_KEY`` (``monkeypatch.setenv``, ``os.environ``,
a subprocess's ``env=``). Any hit fails the session (exit status 1) with a
report naming the secret by its first three characters and length, the test,
where it appeared, and an excerpt with the secret masked.

A test that must see a secret in a response or in CLI output (the token
endpoint answers with the access token it issues; ``auth api-key create``
prints the new key once) says so, narrowly:

- ``secret_scan.expect_shown(value)`` exempts that one value, or
- ``@pytest.mark.shows_secret`` exempts every secret,

in that test's responses and CLI stdout only. Nothing exempts a log line.

``DISTSYNC_SECRET_SCAN=0`` turns the plugin off (to time the suite without it).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import click.testing
import httpx
import pytest
import structlog
import typer.testing

from distsync import redaction

__all__ = ["Leak", "SecretScan", "expect_shown"]

SWITCH = "DISTSYNC_SECRET_SCAN"
SECRET_VARIABLE = re.compile(r"_(?:SECRET|PASSWORD|TOKEN|KEY)$", re.IGNORECASE)
FLUSH_CHARS = 2_000_000
BODY_CHARS = 256_000
EXCERPT_CHARS = 50
REPORTED_LEAKS = 30
LOGGER_METHODS = (
    "msg", "log", "debug", "info", "warn", "warning",
    "fatal", "failure", "err", "error", "critical", "exception",
)  # fmt: skip


@dataclass(frozen=True)
class Leak:
    """A secret found in a test's output."""

    test: str
    where: str
    secret: str
    excerpt: str

    def describe(self) -> str:
        label = f"{self.secret[:3]}… ({len(self.secret)} chars)"
        return f"{self.test}: secret {label} in {self.where}: {self.excerpt}"


@dataclass
class SecretScan:
    """What the session captured and found; one per session (see the module docstring)."""

    baseline_env: dict[str, str]
    test: str = "<between tests>"
    shown: set[str] = field(default_factory=set)
    shows_all: bool = False
    env_secrets: set[str] = field(default_factory=set)
    leaks: dict[tuple[str, str, str], Leak] = field(default_factory=dict)
    _entries: list[tuple[str, str, str, bool]] = field(default_factory=list)
    _size: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, where: str, text: str, *, shown: bool = False) -> None:
        """Keep ``text`` for the scan; ``shown`` marks output a test may be allowed to see."""
        with self._lock:
            self._entries.append((self.test, where, text, shown))
            self._size += len(text)
            full = self._size > FLUSH_CHARS
        if full:
            self.flush()

    def note_env(self, name: str, value: str | None) -> None:
        if not value or len(value) < redaction.MIN_LENGTH or not SECRET_VARIABLE.search(name):
            return
        if self.baseline_env.get(name) != value:
            self.env_secrets.add(value)

    def note_environ(self, environ: Iterable[tuple[str, str]]) -> None:
        for name, value in environ:
            self.note_env(name, value)

    def secrets(self) -> frozenset[str]:
        return redaction.registered_secrets() | self.env_secrets

    def flush(self) -> None:
        """Search what was recorded for every known secret, keep the hits, drop the text."""
        with self._lock:
            entries, self._entries, self._size = self._entries, [], 0
        everything = "\n".join(text for _, _, text, _ in entries)
        for secret in (s for s in self.secrets() if s in everything):
            for test, where, text, shown in entries:
                if secret in text and not (shown and self._allowed(secret)):
                    self._found(test, where, secret, text)

    def _allowed(self, secret: str) -> bool:
        return self.shows_all or secret in self.shown

    def _found(self, test: str, where: str, secret: str, text: str) -> None:
        key = (test, where.split(" ", 1)[0], secret)
        if key not in self.leaks:
            self.leaks[key] = Leak(test, self.mask(where), secret, self.excerpt(text, secret))

    def excerpt(self, text: str, secret: str) -> str:
        at = text.index(secret)
        start, end = max(0, at - EXCERPT_CHARS), at + len(secret) + EXCERPT_CHARS
        return repr(self.mask(text[start:end]))

    def mask(self, text: str) -> str:
        for secret in sorted(self.secrets(), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


_active: SecretScan | None = None


def expect_shown(value: str) -> None:
    """Let the running test see ``value`` in a response or CLI stdout (never in a log)."""
    if _active is not None:
        _active.shown.add(value)


# -- hooks ------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    global _active  # noqa: PLW0603 - the hooks and the patched sinks share one scan
    config.addinivalue_line(
        "markers",
        "shows_secret: the test must see secrets in responses or CLI stdout (never in logs)",
    )
    if os.environ.get(SWITCH, "1") == "0" or _active is not None:
        return
    _active = SecretScan(baseline_env=dict(os.environ))
    patches = (_patch_structlog, _patch_logging, _patch_httpx, _patch_subprocess, _patch_runners)
    for patch in patches:
        patch(_active)
    _patch_monkeypatch(_active)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    scan = _active
    if scan is None:
        return (yield)
    scan.flush()
    scan.test, scan.shown = item.nodeid, set()
    scan.shows_all = item.get_closest_marker("shows_secret") is not None
    try:
        return (yield)
    finally:
        scan.flush()
        scan.test, scan.shown, scan.shows_all = "<between tests>", set(), False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    try:
        return (yield)
    finally:
        if _active is not None:
            _active.note_environ(os.environ.items())


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if _active is None:
        return
    _active.flush()
    if _active.leaks and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _active is None or not _active.leaks:
        return
    leaks = list(_active.leaks.values())
    title = f"secret scan: {len(leaks)} secrets reached logs or responses (the session fails)"
    terminalreporter.write_sep("=", title, red=True)
    for leak in leaks[:REPORTED_LEAKS]:
        terminalreporter.write_line(leak.describe())
    if len(leaks) > REPORTED_LEAKS:
        terminalreporter.write_line(f"... and {len(leaks) - REPORTED_LEAKS} more")


# -- where text is captured --------------------------------------------------


def _patch_structlog(scan: SecretScan) -> None:
    def recording(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def write(self: Any, message: Any) -> None:
            text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
            scan.record("log (structlog)", str(text))
            original(self, message)

        return write

    for sink in (structlog.PrintLogger, structlog.WriteLogger, structlog.BytesLogger):
        for name in LOGGER_METHODS:
            setattr(sink, name, recording(getattr(sink, name)))


def _patch_logging(scan: SecretScan) -> None:
    original = logging.Logger.handle

    def handle(self: logging.Logger, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += f"\n{record.exc_info[1]!r}"
        scan.record(f"log ({record.name})", text)
        original(self, record)

    logging.Logger.handle = handle  # type: ignore[method-assign]


def _patch_httpx(scan: SecretScan) -> None:
    read, aread = httpx.Response.read, httpx.Response.aread

    def recorded_read(self: httpx.Response) -> bytes:
        fresh = not hasattr(self, "_content")
        content = read(self)
        if fresh and not _read_by_distsync():
            _record_response(scan, self)
        return content

    async def recorded_aread(self: httpx.Response) -> bytes:
        fresh = not hasattr(self, "_content")
        content = await aread(self)
        if fresh and not _read_by_distsync():
            _record_response(scan, self)
        return content

    httpx.Response.read = recorded_read  # type: ignore[method-assign]
    httpx.Response.aread = recorded_aread  # type: ignore[method-assign]


def _read_by_distsync() -> bool:
    """True when distsync's own client (a connector, a transport) is reading a partner's answer."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("distsync.") and not module.startswith("distsync.testing"):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _record_response(scan: SecretScan, response: httpx.Response) -> None:
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    body = response.content[:BODY_CHARS].decode("utf-8", "replace")
    where = f"response {response.status_code} {response.request.method} {response.request.url}"
    scan.record(where, f"{headers}\n\n{body}", shown=True)


def _patch_subprocess(scan: SecretScan) -> None:
    init, communicate = subprocess.Popen.__init__, subprocess.Popen.communicate

    def observed_init(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
        if kwargs.get("env"):
            scan.note_environ(kwargs["env"].items())
        init(self, *args, **kwargs)

    def recorded_communicate(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> Any:
        out, err = communicate(self, *args, **kwargs)
        if "distsync" in str(self.args):
            for name, output in (("stdout", out), ("stderr", err)):
                text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
                if text:
                    scan.record(f"cli {name}", text, shown=name == "stdout")
        return out, err

    subprocess.Popen.__init__ = observed_init  # type: ignore[method-assign]
    subprocess.Popen.communicate = recorded_communicate  # type: ignore[method-assign]


def _patch_runners(scan: SecretScan) -> None:
    for runner in (click.testing.CliRunner, typer.testing.CliRunner):
        runner.invoke = _recording_invoke(scan, runner.invoke)  # type: ignore[method-assign]


def _recording_invoke(scan: SecretScan, invoke: Callable[..., Any]) -> Callable[..., Any]:
    def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
        scan.note_environ((k, v) for k, v in (kwargs.get("env") or {}).items() if v)
        result = invoke(self, *args, **kwargs)
        scan.record("cli stdout", result.stdout, shown=True)
        with suppress(ValueError):  # stderr not captured apart
            scan.record("cli stderr", result.stderr)
        return result

    return recorded


def _patch_monkeypatch(scan: SecretScan) -> None:
    setenv = pytest.MonkeyPatch.setenv

    def observed_setenv(
        self: pytest.MonkeyPatch, name: str, value: str, prepend: Any = None
    ) -> None:
        setenv(self, name, value, prepend)
        scan.note_env(name, os.environ.get(name))

    pytest.MonkeyPatch.setenv = observed_setenv  # type: ignore[method-assign]
