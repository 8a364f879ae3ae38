"""Secrets distsync has read, so that none of them is ever written out again.

The rule: **whoever gets hold of a secret registers it before using it.**

- every secret read from an environment variable or a file named in the
  landscape passes through ``config.SecretRefs.secret``, which registers it;
- code that receives or makes a secret any other way (an OAuth client
  secret, an access token we issue or are issued, an API key created or
  checked, a webhook signing secret) calls :func:`register_secret` itself,
  before the value can reach a log line, an error or a response.

:func:`redact` replaces each registered value in a text with ``[redacted]``.
The log renderer (``telemetry.configure_logging``) passes every line through
it, the runtime passes the message and traceback of every recorded failure
(attempt history, dead letters) through it, and the operations API passes
what it shows through it. Besides the value itself, its URL-encoded and
JSON-escaped forms are registered, because a token in a query string or a
JSON body is written that way.

:func:`looks_like_secret_key` tells whether a field name (a log key, a
header) names a secret (``password``, ``token``, ``authorization``,
``secret``, ``api_key``, ``cookie``): the log renderer hides such values
whatever they are, registered or not. Names that only point at a secret
(``token_env``, ``password_file``) or identify one (``token_id``) are not
secrets.

Bearer credentials that come and go by the thousand (the access tokens we
issue and verify, API keys as they are checked) are registered with
:func:`register_token` instead: :func:`redact` recognises them by their
shape (a JWT, ``dsk_...``) in one regular-expression pass, so the set
scanned for every log line does not grow with every token a busy server
has seen; the most recent ones are kept in a bounded set, so the test
suite's secret scan (``tests/secret_scan.py``) still looks for them. An
outbound token replaced by a new one is dropped with :func:`forget_secret`.

Values shorter than :data:`MIN_LENGTH` are not registered: replacing a
three-letter password everywhere would garble logs without protecting
anything a reader could not guess.

This module imports nothing of distsync, so every layer may use it.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from urllib.parse import quote

__all__ = [
    "MIN_LENGTH",
    "RECENT_TOKENS",
    "REDACTED",
    "forget_secret",
    "looks_like_secret_key",
    "redact",
    "register_secret",
    "register_token",
    "registered_secrets",
]

MIN_LENGTH = 6
REDACTED = "[redacted]"

_SECRET_WORD = re.compile(
    r"(?:^|[_\-. ])(?:password|passwd|token|authorization|secret|cookie|api[_\-]?key)"
    r"(?:$|[_\-. ])",
    re.IGNORECASE,
)
_NOT_A_VALUE = re.compile(r"[_\-.](?:env|file|id|count|name|type|url)$", re.IGNORECASE)

RECENT_TOKENS = 2048
_TOKEN_SHAPE = re.compile(
    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}|\bdsk_[A-Za-z0-9_-]{16,}"
)

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_longest_first: tuple[str, ...] = ()
_recent_tokens: OrderedDict[str, None] = OrderedDict()


def register_secret(value: str) -> None:
    """Remember ``value`` as a secret (no-op for short or already known values)."""
    global _secrets, _longest_first  # noqa: PLW0603 - one process-wide, copy-on-write set
    if len(value) < MIN_LENGTH or value in _secrets:
        return
    with _lock:
        forms = {value, quote(value, safe=""), json.dumps(value)[1:-1]}
        _secrets = _secrets | forms
        _longest_first = tuple(sorted(_secrets, key=len, reverse=True))


def forget_secret(value: str) -> None:
    """Stop redacting ``value`` (an outbound access token that was replaced and has expired)."""
    global _secrets, _longest_first  # noqa: PLW0603
    with _lock:
        forms = {value, quote(value, safe=""), json.dumps(value)[1:-1]}
        if forms & _secrets:
            _secrets = _secrets - forms
            _longest_first = tuple(sorted(_secrets, key=len, reverse=True))


def register_token(value: str) -> None:
    """Remember a JWT or an API key we issued or checked; :func:`redact` finds it by shape."""
    if _TOKEN_SHAPE.fullmatch(value) is None:
        register_secret(value)  # not of a shape redact recognises: redact it by value
        return
    with _lock:
        _recent_tokens[value] = None
        _recent_tokens.move_to_end(value)
        while len(_recent_tokens) > RECENT_TOKENS:
            _recent_tokens.popitem(last=False)


def registered_secrets() -> frozenset[str]:
    """Every secret registered so far (with its URL-encoded and JSON-escaped forms), and the
    most recent tokens."""
    with _lock:
        return _secrets | frozenset(_recent_tokens)


def redact(text: str) -> str:
    """``text`` with every registered secret, and anything shaped like a token, replaced by
    ``[redacted]``."""
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "eyJ" in text or "dsk_" in text:
        text = _TOKEN_SHAPE.sub(REDACTED, text)
    return text


@lru_cache(maxsize=4096)
def looks_like_secret_key(name: str) -> bool:
    """True when a field called ``name`` holds a secret (``password``, ``x_api_key``, ...)."""
    return _SECRET_WORD.search(name) is not None and _NOT_A_VALUE.search(name) is None
