"""Intake: the only way outside documents enter the event log.

Raw JSON envelopes are checked in order of cost (size, JSON syntax, envelope
fields, event type, payload against its canonical document) and only then
appended. A rejection raises a ``PermanentError`` that names the document
and the field, and touches nothing already stored. Event types the runtime
uses internally (``outbound.*``, ``exception.*``) cannot be submitted from outside.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from pydantic import ValidationError

from distsync.errors import MalformedDocument, PermanentError, SchemaViolation
from distsync.model.catalog import spec_for_event, validate_payload
from distsync.model.envelope import Envelope
from distsync.runtime.ports import AppendResult, MessageLog, SubscriptionSpec
from distsync.telemetry import Metrics

RESERVED_PREFIXES = ("outbound.", "exception.")
DEFAULT_MAX_PAYLOAD_BYTES = 1_048_576


class PayloadTooLarge(PermanentError):
    """An inbound document larger than the configured limit."""


@dataclass(frozen=True)
class IntakeSettings:
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES


def parse_envelope(raw: bytes, *, settings: IntakeSettings, origin: str = "envelope") -> Envelope:
    """Validate one raw JSON envelope completely, or raise naming what is wrong."""
    if len(raw) > settings.max_payload_bytes:
        raise PayloadTooLarge(
            f"reading {origin}: {len(raw):,} bytes is over the limit of "
            f"{settings.max_payload_bytes:,} bytes (runtime.max_payload_bytes)"
        )
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedDocument(f"reading {origin}: not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise MalformedDocument(
            f"reading {origin}: expected a JSON object, got {type(parsed).__name__}"
        )
    envelope = _validate_envelope(raw, origin)
    _check_type(envelope)
    payload = validate_payload(envelope.type, orjson.dumps(envelope.payload))
    return envelope.model_copy(update={"payload": payload})


def _validate_envelope(raw: bytes, origin: str) -> Envelope:
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SchemaViolation(f"reading {origin}: invalid envelope: {problems}") from exc


def _check_type(envelope: Envelope) -> None:
    if envelope.type.startswith(RESERVED_PREFIXES):
        raise SchemaViolation(
            f"reading event {envelope.event_id}: type {envelope.type!r} is internal to distsync "
            "and cannot be submitted"
        )
    spec = spec_for_event(envelope.type)
    if envelope.schema_version != spec.version:
        raise SchemaViolation(
            f"reading {envelope.type} event {envelope.event_id}: schema_version "
            f"{envelope.schema_version} is not supported (current: {spec.version})"
        )


class Intake:
    """Validates inbound envelopes and appends them to the log in one batch.

    Before its first append it registers every subscription of this landscape
    (``subscriptions``): a subscription receives only what is appended after it
    exists, so nothing may be accepted before the consumers are known.
    """

    def __init__(
        self,
        log: MessageLog,
        *,
        settings: IntakeSettings,
        metrics: Metrics,
        subscriptions: Sequence[SubscriptionSpec] = (),
    ) -> None:
        self._log = log
        self._settings = settings
        self._metrics = metrics
        self._unregistered = list(subscriptions)
        self._registering = asyncio.Lock()  # two first appends at once register once

    def parse(self, raw: bytes, *, origin: str = "envelope") -> Envelope:
        return parse_envelope(raw, settings=self._settings, origin=origin)

    async def accept_raw(self, documents: Sequence[bytes]) -> AppendResult:
        """Validate all, then append all: one bad document rejects the batch before any write."""
        envelopes = [self.parse(raw, origin=f"document {i + 1}") for i, raw in enumerate(documents)]
        return await self.accept(envelopes)

    async def accept(self, envelopes: Sequence[Envelope]) -> AppendResult:
        if self._unregistered:
            async with self._registering:
                while self._unregistered:
                    await self._log.register(self._unregistered[0])
                    self._unregistered.pop(0)
        result = await self._log.append(envelopes)
        for envelope in envelopes:
            counter = self._metrics.duplicates if envelope.event_id in result.duplicates else None
            (counter or self._metrics.appended).labels(envelope.type).inc()
        return result
