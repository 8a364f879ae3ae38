"""A JSON-RPC client for a Tryton server, and the one place its failures are translated.

:class:`TrytonRpc` logs in with a password (``common.db.login``), keeps the
session token and sends ``Authorization: Session base64(user:id:token)`` on
every call. An answer of HTTP 401 or 403 (a session that expired, was
logged out, or belongs to a restored database) makes it log in again once
and repeat the call; a second refusal is final. After login it reads the
user's preferences (``model.res.user.get_preferences``): that context goes
as the last parameter of every model call, with ``context_overrides`` (the
company to work in) on top.

Calls are blocking and thread-safe: idle HTTP/1.1 connections wait in a
small pool, one per thread in use. A call that fails on a reused connection
before any answer (the server closed it, or restarted) is sent again once on
a fresh one. The connector runs whole operations in a worker thread, so the
event loop never blocks on Tryton.

Failures are translated in :func:`map_errors` and nowhere else::

    connection refused, reset, closed, DNS        NotConnected
    no answer within the timeout                  RetryableError
    HTTP 5xx, 408, 423 (locked)                   RetryableError
    HTTP 429, RateLimitException                  RateLimited
    HTTP 401/403 after one re-login, LoginException   AuthenticationFailed
    a read of a "Session" record that is gone     AuthenticationFailed (a restarted
                                                  server lost our session: log in again)
    other HTTP 4xx                                Rejected
    UserError, UserWarning (validation, rules)    Rejected, with Tryton's message
    ConcurrencyException, TimeOutException        RetryableError
    "database is locked", any other server crash  RetryableError
    MissingDependenciesException                  PermanentError
    an answer that is not JSON-RPC                RetryableError
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import itertools
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from distsync.connectors.tryton_wire import TrytonFault, decode, encode_request, fault_from
from distsync.errors import (
    AuthenticationFailed,
    NotConnected,
    PermanentError,
    RateLimited,
    Rejected,
    RetryableError,
)

__all__ = ["HttpStatusError", "TrytonFault", "TrytonRpc", "map_errors"]

EXCERPT_CHARS = 200
POOL_SIZE = 8
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class HttpStatusError(Exception):
    """Tryton answered with an HTTP status other than 200."""

    def __init__(self, status: int, reason: str, body: bytes) -> None:
        text = " ".join(body.decode("utf-8", "replace").split())[:EXCERPT_CHARS]
        super().__init__(f"HTTP {status} {reason}" + (f": {text}" if text else ""))
        self.status = status


@dataclass(frozen=True)
class _Session:
    user_id: int
    token: str
    header: str


class TrytonRpc:
    """A logged-in JSON-RPC session on one Tryton database (see the module docstring)."""

    def __init__(
        self,
        *,
        url: str,
        database: str,
        user: str,
        password: str,
        timeout_seconds: float = 30.0,
        context_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        prefix = parts.path.rstrip("/")
        self.database = database
        self._path = f"{prefix}/{database}/rpc/"
        self._user, self._password = user, password
        self.timeout_seconds = timeout_seconds
        self._overrides = dict(context_overrides or {})
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # the session: one login at a time
        self._pool_lock = threading.Lock()
        self._idle: list[http.client.HTTPConnection] = []
        self._session: _Session | None = None
        self._context: dict[str, Any] = {}

    @property
    def context(self) -> dict[str, Any]:
        """The context sent with model calls (a copy); logs in first when needed."""
        self._ensure_session()
        return dict(self._context)

    def set_context(self, **values: Any) -> None:
        """Add to the context of every later model call (kept across re-logins)."""
        self._overrides.update(values)
        self._context.update(values)

    def model(
        self, name: str, method: str, *args: Any, context: Mapping[str, Any] | None = None
    ) -> Any:
        """``model.<name>.<method>(*args, context)``; ``context`` adds to the session's."""
        session = self._ensure_session()
        full = {**self._context, **(context or {})}
        return self._authorized(session, f"model.{name}.{method}", [*args, full])

    def call(self, method: str, *params: Any) -> Any:
        """Any other method of the database (``wizard.*``, ``common.db.logout``)."""
        return self._authorized(self._ensure_session(), method, list(params))

    def login(self) -> None:
        """Open a fresh session and read the user's context."""
        with self._lock:
            self._login()

    def logout(self) -> None:
        """End the session on the server (best effort) and forget it."""
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(
                OSError, ValueError, http.client.HTTPException, HttpStatusError, TrytonFault
            ):
                self._post("common.db.logout", [], session.header)

    def close(self) -> None:
        """Log out and close every idle connection."""
        self.logout()
        with self._pool_lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _ensure_session(self) -> _Session:
        session = self._session
        if session is not None:
            return session
        with self._lock:
            return self._session or self._login()

    def _login(self) -> _Session:
        answer = self._post("common.db.login", [self._user, {"password": self._password}, "en"])
        if not isinstance(answer, list) or len(answer) < 2:
            raise HttpStatusError(401, "Unauthorized", b"login refused")
        user_id, token = int(answer[0]), str(answer[1])
        raw = f"{self._user}:{user_id}:{token}".encode()
        session = _Session(user_id, token, "Session " + base64.b64encode(raw).decode("ascii"))
        preferences = self._post("model.res.user.get_preferences", [True, {}], session.header)
        self._context = {
            **(preferences if isinstance(preferences, dict) else {}),
            **self._overrides,
        }
        self._session = session
        return session

    def _authorized(self, session: _Session, method: str, params: list[Any]) -> Any:
        try:
            return self._post(method, params, session.header)
        except HttpStatusError as exc:
            if exc.status not in (401, 403):
                raise
        with self._lock:  # one thread logs in again; the others use its session
            fresh = self._session if self._session is not session else None
            fresh = fresh or self._login()
        return self._post(method, params, fresh.header)

    def _post(self, method: str, params: list[Any], auth: str | None = None) -> Any:
        body = encode_request(next(self._ids), method, params)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = auth
        status, reason, payload = self._exchange(body, headers)
        if status != 200:
            raise HttpStatusError(status, reason, payload)
        answer = decode(payload)
        if not isinstance(answer, dict) or not ("result" in answer or "error" in answer):
            raise http.client.HTTPException(f"not a JSON-RPC answer: {payload[:EXCERPT_CHARS]!r}")
        if answer.get("error") is not None:
            raise fault_from(answer["error"])
        return answer.get("result")

    def _exchange(self, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        connection, reused = self._connection()
        try:
            return self._send_on(connection, body, headers)
        except STALE:
            if not reused:
                raise
        connection, _ = self._connection(fresh=True)
        return self._send_on(connection, body, headers)

    def _send_on(
        self, connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str, bytes]:
        try:
            connection.request("POST", self._path, body, headers)
            response = connection.getresponse()
            payload = response.read()
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._release(connection)
        return response.status, response.reason, payload

    def _connection(self, *, fresh: bool = False) -> tuple[http.client.HTTPConnection, bool]:
        if not fresh:
            with self._pool_lock:
                if self._idle:
                    return self._idle.pop(), True
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=self.timeout_seconds), False

    def _release(self, connection: http.client.HTTPConnection) -> None:
        with self._pool_lock:
            if len(self._idle) < POOL_SIZE:
                self._idle.append(connection)
                return
        connection.close()


@contextmanager
def map_errors(action: str, *, timeout_seconds: float | None = None) -> Iterator[None]:
    """Translate whatever a Tryton call raises inside the block into the taxonomy."""
    try:
        yield
    except TrytonFault as exc:
        raise _fault_error(action, exc) from exc
    except HttpStatusError as exc:
        raise _status_error(action, exc) from exc
    except TimeoutError as exc:
        raise RetryableError(f"{action}: no answer within {timeout_seconds}s") from exc
    except OSError as exc:  # refused, reset, unreachable, DNS
        raise NotConnected(f"{action}: {exc.strerror or exc or type(exc).__name__}") from exc
    except (http.client.HTTPException, ValueError) as exc:
        raise RetryableError(f"{action}: {exc or type(exc).__name__}") from exc


def _fault_error(action: str, fault: TrytonFault) -> Exception:
    message = f"{action}: {fault.message}"
    if '"Session"' in fault.message:  # our session died with the server: log in again
        return AuthenticationFailed(message)
    if fault.name in ("UserError", "UserWarning"):
        return Rejected(message)
    if fault.name == "LoginException":
        return AuthenticationFailed(message)
    if fault.name == "RateLimitException":
        return RateLimited(message)
    if fault.name == "MissingDependenciesException":
        return PermanentError(message)
    return RetryableError(message)  # concurrency, time-outs, locks and crashes on the server


def _status_error(action: str, exc: HttpStatusError) -> Exception:
    message = f"{action}: {exc}"
    if exc.status == 429:
        return RateLimited(message)
    if exc.status >= 500 or exc.status in (408, 423):
        return RetryableError(message)
    if exc.status in (401, 403):
        return AuthenticationFailed(message)
    return Rejected(message)
