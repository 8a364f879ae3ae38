"""Reading one secret from the environment variable or the file the landscape names.

Every part of the configuration that holds a secret reference (systems,
channels, API clients, our AS2 key's password) reads it here, at the moment
it is needed, never while the landscape is loaded, and registers the value
for redaction (``distsync.redaction``) before anyone can write it out.

This module imports nothing of distsync but its errors and the redaction
registry, so the configuration modules that ``config.py`` itself imports
may use it.
"""

from __future__ import annotations

import os
from pathlib import Path

from distsync.errors import ConfigError
from distsync.redaction import register_secret

__all__ = ["read_secret"]


def read_secret(name: str, *, variable: str | None, file: str | None, where: str = "") -> str:
    """The secret ``name`` from ``variable`` or, failing that, ``file``; registered for redaction.

    ``where`` prefixes the error (``"as2: "``); a missing variable, an
    unreadable file or no reference at all is a :class:`ConfigError`.
    """
    if variable is not None:
        if (value := os.environ.get(variable)) is None:
            raise ConfigError(f"{where}environment variable {variable} ({name}) is not set")
    elif file is not None:
        try:
            value = Path(file).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"{where}reading {name} from {file}: {exc.strerror}") from exc
    else:
        raise ConfigError(f"{where}no {name}_env or {name}_file is configured")
    register_secret(value)  # never written out again: see distsync.redaction
    return value
