"""The AS2 transport of a partner channel: interchanges out as AS2 messages, MDNs verified.

``X12Channel`` renders and records the interchange as for any channel;
:class:`As2Courier` hands its bytes to :class:`As2Sender`, which:

1. builds the message (signed and encrypted as the channel says) with a
   Message-ID made from the partner and the request's idempotency key, so a
   retry after a lost answer carries the same Message-ID and the partner's
   duplicate detection absorbs it;
2. records it (document ``as2_sent``, keyed by Message-ID: partner, request
   key, MIC, status ``sent``) before anything leaves;
3. POSTs it to ``channel.url`` through ``HttpTransport`` (connection refused,
   timeouts and 5xx are retryable: the delivery policy retries);
4. with ``mdn: sync`` verifies the MDN in the answer (signed by the partner's
   certificate, our MIC quoted) and records ``delivered``; a negative MDN is
   ``Rejected`` (recorded ``refused``), an MDN that does not verify a
   ``PermanentError`` (``mdn_invalid``); a duplicate-document MDN is a
   delivery the partner already had (``Receipt.duplicate``);
5. with ``mdn: async`` records ``awaiting_mdn``; the MDN arrives later at
   ``POST /v1/as2`` and :func:`record_async_mdn` records its outcome.

Our identity (``as2`` in the landscape) and the partner's certificate are read
from their files on each use, so a renewed certificate needs no restart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from distsync.config import Channel, Landscape
from distsync.config_as2 import As2Settings
from distsync.errors import ConfigError, PermanentError, Rejected
from distsync.partners.acks import SentGroupRecord
from distsync.runtime.ports import DocumentStore, DocumentWriter, OutboundRequest, Receipt
from distsync.telemetry import get_logger
from distsync.transports import as2
from distsync.transports.as2_certs import read_certificate, read_private_key
from distsync.transports.http import HttpTransport

__all__ = [
    "SENT",
    "As2Courier",
    "As2Documents",
    "As2Sender",
    "as2_settings",
    "our_identity",
    "partner_profile",
    "record_async_mdn",
]

SENT = "as2_sent"
WRITER = "as2"
log = get_logger(component="as2")


class As2Documents(DocumentStore, DocumentWriter, Protocol):
    """Where sent messages are recorded: the backend's document store."""


def as2_settings(landscape: Landscape) -> As2Settings:
    """Our AS2 identity (the landscape's ``as2`` section), or ``ConfigError`` naming it."""
    settings = landscape.as2
    if not isinstance(settings, As2Settings):
        raise ConfigError(
            "as2: an AS2 channel needs our own AS2 identity: as2.as2_id, "
            "as2.private_key_file and as2.certificate_file",
        )
    return settings


def our_identity(settings: As2Settings) -> as2.Ours:
    """Our id, key (with our certificate after it) and MDN URL, read from their files."""
    password = settings.key_password()
    key = read_private_key(settings.private_key_file, password, what="as2 private key")
    certificate = read_certificate(settings.certificate_file, what="as2 certificate")
    return as2.Ours(settings.as2_id, key + b"\n" + certificate, password, settings.mdn_url)


def partner_profile(name: str, channel: Channel) -> as2.PartnerProfile:
    """The partner's AS2 id, certificate (read now) and channel settings."""
    path = channel.secret_files.get("certificate_file")
    if channel.as2_id is None or path is None:
        raise ConfigError(
            f"partners.{name}.channel: transport as2 needs as2_id and certificate_file "
            "(the partner's PEM certificate)",
        )
    certificate = read_certificate(path, what=f"partners.{name} certificate")
    return as2.PartnerProfile(
        as2_id=channel.as2_id, certificate=certificate, sign=channel.sign,
        encrypt=channel.encrypt, mdn=channel.mdn, require_signed=channel.require_signed,
        require_encrypted=channel.require_encrypted, encryption=channel.encryption,
        digest=channel.digest, signature=channel.signature,
    )  # fmt: skip


class As2Sender:
    """Sends payloads to one partner over AS2 (module docstring, steps 1-5)."""

    def __init__(
        self,
        *,
        partner: str,
        landscape: Landscape,
        documents: As2Documents,
        clock: Callable[[], datetime],
    ) -> None:
        channel = landscape.partners[partner].channel
        if channel is None or channel.url is None:
            raise ConfigError(
                f"partners.{partner}.channel: transport as2 needs url (where the partner "
                "receives AS2)",
            )
        self._settings = as2_settings(landscape)
        self._channel = channel
        self._partner = partner
        self._documents = documents
        self._clock = clock
        self._transport = HttpTransport(channel.url)
        partner_profile(partner, channel)  # a missing or unreadable certificate stops the build
        if channel.mdn == "async" and self._settings.mdn_url is None:
            raise ConfigError(
                f"partners.{partner}.channel: mdn async needs as2.mdn_url (where the partner "
                "sends its MDN)",
            )

    async def send(
        self, payload: bytes, *, key: str, filename: str, correlation_id: str
    ) -> Receipt:
        profile = partner_profile(self._partner, self._channel)
        out = as2.build_message(
            our_identity(self._settings), profile, payload,
            message_id=_message_id(self._partner, key), filename=filename,
        )  # fmt: skip
        found = await self._documents.get_document(SENT, out.message_id)
        if found is not None and found.body.get("status") == "delivered":
            return Receipt(remote_id=out.message_id, duplicate=True)
        record = {"partner": self._partner, "request_key": key, "file_name": filename,
                  "correlation_id": correlation_id, "mic": out.mic, "mdn": profile.mdn,
                  "sent_at": self._clock().isoformat()}  # fmt: skip
        await self._record(out.message_id, record, "sent")
        action = f"sending {filename} to {self._partner} over AS2 (Message-ID {out.message_id})"
        headers = {**out.headers, "X-Correlation-ID": correlation_id}
        answer = await self._transport.post(out.body, headers=headers, action=action)
        if profile.mdn == "async":
            await self._record(out.message_id, record, "awaiting_mdn")
            return Receipt(remote_id=out.message_id)
        raw = as2.raw_message(answer.headers, answer.body)
        outcome = await self._outcome(profile, raw, out, record)
        return Receipt(remote_id=out.message_id, duplicate=outcome.duplicate)

    async def close(self) -> None:
        await self._transport.close()

    async def _outcome(
        self, profile: as2.PartnerProfile, raw: bytes, out: as2.Outbound, record: dict[str, Any]
    ) -> as2.MdnOutcome:
        try:
            outcome = as2.read_mdn(profile, raw, message_id=out.message_id, mic=out.mic)
        except Rejected as exc:
            await self._record(out.message_id, record, "refused", detail=str(exc))
            raise
        except PermanentError as exc:
            await self._record(out.message_id, record, "mdn_invalid", detail=str(exc))
            raise
        await self._record(out.message_id, record, "delivered", detail=outcome.detail)
        log.info("as2 delivered", action="as2.delivered", partner=self._partner,
                 message_id=out.message_id, duplicate=outcome.duplicate)  # fmt: skip
        return outcome

    async def _record(
        self, message_id: str, record: dict[str, Any], status: str, detail: str | None = None
    ) -> None:
        body = {**record, "status": status, "detail": detail}
        await self._documents.put_document(SENT, message_id, body, by=WRITER)


class As2Courier:
    """The ``Courier`` of an AS2 channel: the recorded interchange, sent by :class:`As2Sender`."""

    def __init__(self, sender: As2Sender) -> None:
        self._sender = sender

    async def deliver(self, record: SentGroupRecord, request: OutboundRequest) -> Receipt:
        return await self._sender.send(
            record.text.encode(), key=request.idempotency_key, filename=record.file_name,
            correlation_id=request.correlation_id,
        )  # fmt: skip

    async def close(self) -> None:
        await self._sender.close()


async def record_async_mdn(
    landscape: Landscape, documents: As2Documents, raw: bytes
) -> as2.MdnOutcome:
    """Verify an asynchronous MDN for a message we sent and record its outcome on ``as2_sent``.

    Raises ``PermanentError`` for an MDN about no message of ours or one that
    does not verify (nothing recorded), ``Rejected`` for a negative MDN (recorded).
    """
    message_id = as2.mdn_original_id(raw)
    found = None if message_id is None else await documents.get_document(SENT, message_id)
    if message_id is None or found is None:
        raise PermanentError(f"AS2 MDN: no message we sent has Message-ID {message_id or '-'}")
    partner = str(found.body["partner"])
    channel = landscape.partners[partner].channel if partner in landscape.partners else None
    if channel is None:
        raise PermanentError(f"AS2 MDN for {message_id}: partner {partner} has no channel now")
    profile = partner_profile(partner, channel)
    record = {k: v for k, v in found.body.items() if k not in ("status", "detail")}
    try:
        outcome = as2.read_mdn(profile, raw, message_id=message_id, mic=found.body.get("mic"))
    except Rejected as exc:
        refused = {**record, "status": "refused", "detail": str(exc)}
        await documents.put_document(SENT, message_id, refused, by=WRITER)
        raise
    body = {**record, "status": "delivered", "detail": outcome.detail}
    await documents.put_document(SENT, message_id, body, by=WRITER)
    log.info("as2 mdn received", action="as2.async_mdn", partner=partner, message_id=message_id)
    return outcome


def _message_id(partner: str, key: str) -> str:
    """The left side of the Message-ID: the same for every attempt of one request."""
    return hashlib.sha256(f"{partner}\x00{key}".encode()).hexdigest()[:40]
