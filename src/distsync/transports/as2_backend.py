"""pyas2lib, imported once, with the one work-around it needs on OpenSSL 3.0.10 and later.

pyas2lib signs and encrypts through oscrypto 1.3.0, which reads the OpenSSL
version with the pattern ``\\b(\\d\\.\\d\\.\\d[a-z]*)\\b``: one digit per part.
"OpenSSL 3.0.19" does not match, and the import fails with
``LibraryNotFoundError: Error detecting the version of libcrypto``
(wbond/oscrypto#78; fixed on oscrypto's master, not released). When the plain
import fails that way, :func:`load` imports oscrypto again while
``re.search`` swaps that one pattern for ``\\b(\\d+\\.\\d+\\.\\d+[a-z]*)\\b``; any
other pattern passes through untouched, and ``re.search`` is restored at once.

Delete this work-around (keep the plain import) when oscrypto releases the fix.

Every other module reaches pyas2lib through :func:`load`, never by importing
it: this is the only module that names pyas2lib or oscrypto. :func:`load`
also keeps pyas2lib's logger at WARNING: its debug lines print decrypted
payloads.
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
import threading
from types import ModuleType
from typing import Any

__all__ = ["load"]

BROKEN_PATTERN = "\\b(\\d\\.\\d\\.\\d[a-z]*)\\b"
FIXED_PATTERN = r"\b(\d+\.\d+\.\d+[a-z]*)\b"
PYAS2LIB_LOG_LEVEL = logging.WARNING  # its debug lines hold decrypted payloads
_lock = threading.Lock()
_loaded: dict[str, ModuleType] = {}


def load() -> Any:
    """The ``pyas2lib.as2`` module (``Message``, ``Mdn``, ``Organization``, ``Partner``)."""
    with _lock:
        if "as2" not in _loaded:
            _import_oscrypto()
            _loaded["as2"] = importlib.import_module("pyas2lib.as2")
            logging.getLogger("pyas2lib").setLevel(PYAS2LIB_LOG_LEVEL)
        return _loaded["as2"]


def _import_oscrypto() -> None:
    try:
        importlib.import_module("oscrypto.asymmetric")
    except Exception as exc:  # oscrypto.errors.LibraryNotFoundError; other errors re-raised
        if "version of libcrypto" not in str(exc):
            raise
        _forget_partial_imports()
        _import_with_fixed_version_pattern()


def _import_with_fixed_version_pattern() -> None:
    original = re.search

    def search(pattern: Any, string: Any, flags: Any = 0) -> Any:
        return original(FIXED_PATTERN if pattern == BROKEN_PATTERN else pattern, string, flags)

    re.search = search
    try:
        importlib.import_module("oscrypto.asymmetric")
    finally:
        re.search = original


def _forget_partial_imports() -> None:
    for name in [name for name in sys.modules if name.startswith("oscrypto._openssl")]:
        del sys.modules[name]
