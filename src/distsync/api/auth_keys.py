"""The signing key ring: Ed25519 keys in ``security.signing_keys_dir``, rotated by time.

The folder holds one PEM file per key (``<kid>.pem``, mode 0600) and a
manifest, ``keyring.json``, listing each key's ``kid``, ``created_at``,
``signs_from`` and ``retired_at``. Every state follows from those times and
the clock, so several processes sharing the folder agree without talking:

- a key is *published* (in ``/.well-known/jwks.json``) and *accepted* from
  its creation until ``retired_at + token_ttl + leeway``;
- it *signs* from ``signs_from`` (its creation plus ``key_lead_seconds``):
  the newest key whose ``signs_from`` has passed signs;
- ``retired_at`` is the moment the next key starts signing.

So a rotation publishes the next key before anyone signs with it (clients
that cache the JWKS have ``key_lead_seconds`` to pick it up), and tokens
signed with the old key stay valid until they expire.

The manifest is re-read when it changes (each write renames a new file over
it), checked at most once a second. Files are written atomically (temporary file, fsync, rename).
A folder without a manifest is a :class:`ConfigError` that says to run
``distsync auth keys init``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.utils import base64url_encode

from distsync.errors import ConfigError
from distsync.telemetry import get_logger

__all__ = ["LEEWAY_SECONDS", "KeyRecord", "KeyRing"]

MANIFEST = "keyring.json"
LEEWAY_SECONDS = 30  # clock skew allowed between processes and machines
RELOAD_INTERVAL_SECONDS = 1.0

log = get_logger(component="api.auth")


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One key of the ring, as the manifest lists it."""

    kid: str
    created_at: datetime
    signs_from: datetime
    retired_at: datetime | None = None

    def accepted_until(self, token_ttl: timedelta) -> datetime | None:
        """The end of publication and acceptance; None while it is the newest key."""
        if self.retired_at is None:
            return None
        return self.retired_at + token_ttl + timedelta(seconds=LEEWAY_SECONDS)

    def state(self, now: datetime, token_ttl: timedelta, signing_kid: str | None) -> str:
        if self.kid == signing_kid:
            return "signing"
        until = self.accepted_until(token_ttl)
        if until is not None and now >= until:
            return "expired"
        return "next" if now < self.signs_from else "retired"


class KeyRing:
    """The keys in one folder; see the module docstring for their life cycle."""

    def __init__(
        self,
        folder: Path,
        *,
        clock: Callable[[], datetime],
        token_ttl_seconds: int,
        key_lead_seconds: int,
        reload_interval: float = RELOAD_INTERVAL_SECONDS,
    ) -> None:
        self.folder = folder
        self._clock = clock
        self._ttl = timedelta(seconds=token_ttl_seconds)
        self._lead = timedelta(seconds=key_lead_seconds)
        self._reload_interval = reload_interval
        self._records: tuple[KeyRecord, ...] = ()
        self._fingerprint: tuple[int, int, int] | None = None
        self._checked_at = float("-inf")
        self._private: dict[str, Ed25519PrivateKey] = {}

    # -- administration -------------------------------------------------------------

    def init(self) -> KeyRecord:
        """Create the folder and the first key, which signs at once."""
        if (self.folder / MANIFEST).exists():
            raise ConfigError(f"{self.folder} already holds a key ring: rotate it instead")
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        now = self._clock()
        return self._add(KeyRecord(_new_kid(now), now, now), ())

    def rotate(self) -> KeyRecord:
        """Publish the next key; it signs ``key_lead_seconds`` from now. Drops expired keys."""
        records = self._reload(force=True)
        now = self._clock()
        upcoming = KeyRecord(_new_kid(now), now, now + self._lead)
        kept = tuple(r for r in records if r.state(now, self._ttl, None) != "expired")
        if kept:
            kept = (*kept[:-1], replace(kept[-1], retired_at=upcoming.signs_from))
        for gone in {r.kid for r in records} - {r.kid for r in kept}:
            with contextlib.suppress(FileNotFoundError):
                (self.folder / f"{gone}.pem").unlink()
        return self._add(upcoming, kept)

    def records(self) -> tuple[KeyRecord, ...]:
        """Every key the manifest lists, oldest first."""
        return self._reload()

    def state_of(self, record: KeyRecord) -> str:
        """``next``, ``signing``, ``retired`` (still accepted) or ``expired``, now."""
        signing = self._signing_record()
        return record.state(self._clock(), self._ttl, signing.kid if signing else None)

    # -- use ----------------------------------------------------------------------

    def signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        """The kid and private key that sign now."""
        record = self._signing_record()
        if record is None:
            raise ConfigError(f"no key in {self.folder} signs yet: run `distsync auth keys init`")
        return record.kid, self._private_key(record.kid)

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        """The public key ``kid`` when it is accepted now, else None."""
        now = self._clock()
        for record in self._reload():
            until = record.accepted_until(self._ttl)
            if record.kid == kid and (until is None or now < until):
                return self._public_key(kid)
        return None

    def jwks(self) -> dict[str, Any]:
        """The published public keys as a JSON Web Key Set."""
        now = self._clock()
        published = [r.kid for r in self._reload() if r.state(now, self._ttl, None) != "expired"]
        found = [(kid, self._public_key(kid)) for kid in published]
        return {"keys": [_jwk(kid, key) for kid, key in found if key is not None]}

    # -- internals ------------------------------------------------------------------

    def _signing_record(self) -> KeyRecord | None:
        now = self._clock()
        ready = [record for record in self._reload() if record.signs_from <= now]
        return ready[-1] if ready else None

    def _public_key(self, kid: str) -> Ed25519PublicKey | None:
        """None when the key's file was removed: a key taken out of service by hand."""
        try:
            return self._private_key(kid).public_key()
        except ConfigError as exc:
            log.warning("key not usable", action="api.auth_key_unusable", kid=kid, error=str(exc))
            return None

    def _private_key(self, kid: str) -> Ed25519PrivateKey:
        if (key := self._private.get(kid)) is None:
            path = self.folder / f"{kid}.pem"
            try:
                loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (OSError, ValueError) as exc:
                raise ConfigError(f"reading signing key {kid} from {path}: {exc}") from exc
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ConfigError(f"signing key {kid} in {path} is not an Ed25519 key")
            key = self._private[kid] = loaded
        return key

    def _reload(self, *, force: bool = False) -> tuple[KeyRecord, ...]:
        moment = time.monotonic()
        if not force and moment - self._checked_at < self._reload_interval:
            return self._records
        self._checked_at = moment
        path = self.folder / MANIFEST
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise ConfigError(
                f"the signing keys folder {self.folder} has no {MANIFEST}: "
                "run `distsync auth keys init`"
            ) from None
        fingerprint = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # each write is a new inode
        if fingerprint != self._fingerprint:
            self._records = _read_manifest(path)
            self._fingerprint = fingerprint
        return self._records

    def _add(self, record: KeyRecord, kept: tuple[KeyRecord, ...]) -> KeyRecord:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_atomically(self.folder / f"{record.kid}.pem", pem)
        records = (*kept, record)
        _write_atomically(self.folder / MANIFEST, _manifest_bytes(records))
        self._private[record.kid] = key
        self._reload(force=True)
        log.info("signing key added", action="api.auth_key_added", kid=record.kid)
        return record


def _new_kid(now: datetime) -> str:
    return f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"


def _jwk(kid: str, key: Ed25519PublicKey) -> dict[str, str]:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64url_encode(raw).decode("ascii")
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "use": "sig", "alg": "EdDSA"}


def _manifest_bytes(records: tuple[KeyRecord, ...]) -> bytes:
    def entry(record: KeyRecord) -> dict[str, str | None]:
        retired = record.retired_at.isoformat() if record.retired_at else None
        return {
            "kid": record.kid,
            "created_at": record.created_at.isoformat(),
            "signs_from": record.signs_from.isoformat(),
            "retired_at": retired,
        }

    return json.dumps({"keys": [entry(r) for r in records]}, indent=2).encode()


def _read_manifest(path: Path) -> tuple[KeyRecord, ...]:
    try:
        entries = json.loads(path.read_bytes())["keys"]
        return tuple(
            KeyRecord(
                kid=str(e["kid"]),
                created_at=datetime.fromisoformat(e["created_at"]),
                signs_from=datetime.fromisoformat(e["signs_from"]),
                retired_at=datetime.fromisoformat(e["retired_at"]) if e["retired_at"] else None,
            )
            for e in entries
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"reading the key ring manifest {path}: {exc!r}") from exc


def _write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to a private temporary file, fsync it, and rename it over ``path``."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
