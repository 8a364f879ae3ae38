"""Secrets distsync has read, so that none of them is ever written out again.

Every secret read from an environment variable or a file named in the
landscape (``config.SecretRefs.secret``), every client secret, token and API
key the API handles, is registered here. :func:`redact` replaces each
registered value in a text with ``[redacted]``; the log renderer and the
operations API pass what they write through it.

Values shorter than :data:`MIN_LENGTH` are not registered: replacing a
three-letter password everywhere would garble logs without protecting
anything a reader could not guess.

This module imports nothing of distsync, so every layer may use it.
"""

from __future__ import annotations

import threading

__all__ = ["MIN_LENGTH", "REDACTED", "redact", "register_secret", "registered_secrets"]

MIN_LENGTH = 6
REDACTED = "[redacted]"

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()


def register_secret(value: str) -> None:
    """Remember ``value`` as a secret (no-op for short or already known values)."""
    global _secrets  # noqa: PLW0603 - one process-wide, copy-on-write set
    if len(value) < MIN_LENGTH or value in _secrets:
        return
    with _lock:
        _secrets = _secrets | {value}


def registered_secrets() -> frozenset[str]:
    """Every secret registered so far."""
    return _secrets


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``[redacted]``."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text
