"""API keys for simple partners: ``dsk_<key id>_<secret>``, stored hashed, revocable.

A key is shown once, when it is created (``distsync auth api-key create``).
The document store keeps only its SHA-256 (``api_key`` documents keyed by
the key id, with partner, scopes, label, ``created_at`` and ``revoked_at``).
A plain hash is enough here, unlike for passwords: the secret part is 32
random bytes, so there is nothing to guess and no dictionary to try; a slow
hash would only slow every request down. Hashes are compared in constant
time.

A caller presents the key as ``X-API-Key: dsk_...`` or
``Authorization: Bearer dsk_...``. Revocation takes effect at once in the
process that revoked the key, and within ``cache_seconds`` (default 5) in
the others, which keep a key's record that long after reading it.
Every key created or checked is registered with ``distsync.redaction``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from distsync.api.principal import SCOPES, Principal, Unauthenticated
from distsync.errors import ConfigError
from distsync.redaction import register_token
from distsync.runtime.ports import DocumentStore, DocumentWriter
from distsync.telemetry import get_logger

__all__ = ["KIND", "PREFIX", "ApiKeyRecord", "ApiKeys", "CreatedApiKey", "is_api_key"]

KIND = "api_key"
PREFIX = "dsk_"
SECRET_BYTES = 32

log = get_logger(component="api.auth")


def is_api_key(credential: str) -> bool:
    return credential.startswith(PREFIX)


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """What the store keeps of a key: never the key itself."""

    key_id: str
    key_hash: str
    partner: str | None
    scopes: tuple[str, ...]
    label: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    def body(self) -> dict[str, Any]:
        return {
            "hash": self.key_hash,
            "partner": self.partner,
            "scopes": list(self.scopes),
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }

    @classmethod
    def from_body(cls, key_id: str, body: dict[str, Any]) -> ApiKeyRecord:
        revoked = body.get("revoked_at")
        return cls(
            key_id=key_id,
            key_hash=str(body["hash"]),
            partner=body.get("partner"),
            scopes=tuple(body.get("scopes", ())),
            label=str(body.get("label", "")),
            created_at=datetime.fromisoformat(body["created_at"]),
            created_by=str(body.get("created_by", "")),
            revoked_at=datetime.fromisoformat(revoked) if revoked else None,
        )


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    """A new key and its record; ``key`` exists nowhere else and is shown only now."""

    key: str
    record: ApiKeyRecord


class ApiKeys:
    """Create, list, revoke and check API keys in the document store."""

    def __init__(
        self,
        documents: DocumentStore,
        *,
        writer: DocumentWriter | None,
        clock: Callable[[], datetime],
        cache_seconds: float = 5.0,
    ) -> None:
        self._documents = documents
        self._writer = writer
        self._clock = clock
        self._cache_for = timedelta(seconds=cache_seconds)
        self._cache: dict[str, tuple[ApiKeyRecord, datetime]] = {}

    async def create(
        self, *, partner: str | None, scopes: Collection[str], label: str, by: str
    ) -> CreatedApiKey:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise ConfigError(f"API key scopes {unknown or 'none'}: choose from {sorted(SCOPES)}")
        key_id = secrets.token_hex(8)
        key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
        register_token(key)
        record = ApiKeyRecord(
            key_id, _hash(key), partner, tuple(sorted(scopes)), label, self._clock(), by
        )
        await self._put(record, by)
        log.info("API key created", action="api.auth_api_key_created", key_id=key_id, by=by)
        return CreatedApiKey(key, record)

    async def list(self) -> list[ApiKeyRecord]:
        stored = await self._documents.list_documents(KIND, limit=100_000)
        return [ApiKeyRecord.from_body(document.key, document.body) for document in stored]

    async def revoke(self, key_id: str, *, by: str) -> ApiKeyRecord:
        record = await self._read(key_id)
        if record is None:
            raise ConfigError(f"revoking API key {key_id}: no such key")
        if record.revoked_at is None:
            record = replace(record, revoked_at=self._clock())
            await self._put(record, by)
            log.info("API key revoked", action="api.auth_api_key_revoked", key_id=key_id, by=by)
        self._cache.pop(key_id, None)
        return record

    async def authenticate(self, key: str) -> Principal:
        key_id = _key_id(key)
        record = await self._cached(key_id)
        if record is None or not hmac.compare_digest(record.key_hash, _hash(key)):
            raise Unauthenticated(f"unknown API key {key_id}", code="api_key_invalid")
        if record.revoked_at is not None:
            raise Unauthenticated(f"API key {key_id} is revoked", code="api_key_revoked")
        register_token(key)
        client_id = f"api-key:{key_id}"
        return Principal(client_id, frozenset(record.scopes), record.partner, method="api_key")

    async def _cached(self, key_id: str) -> ApiKeyRecord | None:
        now = self._clock()
        if (entry := self._cache.get(key_id)) is not None and now - entry[1] < self._cache_for:
            return entry[0]
        record = await self._read(key_id)
        if record is not None and record.revoked_at is None:
            self._cache[key_id] = (record, now)
        else:
            self._cache.pop(key_id, None)
        return record

    async def _read(self, key_id: str) -> ApiKeyRecord | None:
        document = await self._documents.get_document(KIND, key_id)
        return None if document is None else ApiKeyRecord.from_body(key_id, document.body)

    async def _put(self, record: ApiKeyRecord, by: str) -> None:
        if self._writer is None:
            raise ConfigError("API keys cannot be changed here: this process has no writer")
        await self._writer.put_document(KIND, record.key_id, record.body(), by=by)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _key_id(key: str) -> str:
    parts = key.removeprefix(PREFIX).split("_", 1)
    if len(parts) != 2 or not parts[0].isalnum() or len(parts[0]) > 32:
        raise Unauthenticated("malformed API key", code="api_key_invalid")
    return parts[0]
