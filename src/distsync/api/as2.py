"""``POST /v1/as2``: AS2 messages from partners, and asynchronous MDNs for what we sent.

Not bearer-authenticated: a partner proves who it is by its signature. The
partner is the one whose ``channel.as2_id`` is the ``AS2-From`` (transport
``as2``); ``AS2-To`` must be our ``as2.as2_id``. A message is:

1. read (at most ``runtime.max_payload_bytes``: **413** above), decrypted
   with our key and verified with the partner's certificate; unsigned or
   unencrypted content is refused when the channel requires it;
2. checked against the Message-IDs taken before (document ``as2_received``,
   key ``<AS2-From>:<Message-ID>``): a replay is answered
   ``processed/Warning: duplicate-document`` and nothing is processed again;
3. handed to ``X12Inbound`` as ``/v1/inbound/x12`` does, which appends it
   durably; only then recorded as received and answered a signed
   ``processed`` MDN. The 997/999 owed to the partner is recorded before the
   answer and sent as an AS2 message of its own (when its channel has a
   ``url``): tried at once after the answer, then by the ``as2-acks`` job
   until it arrives (``partners/as2_acks.py``).

A message that does not decrypt (``decryption-failed``), whose signature does
not verify or is by another key (``authentication-failed``), or that lacks
the security its channel requires (``insufficient-message-security``) gets a
negative MDN and nothing is stored. An X12 file refused whole gets
``processed/Error: unexpected-processing-error``; a store that cannot take it
now, **503** with ``Retry-After`` and no MDN (the partner sends it again).

The MDN is the body of a **200** answer, unless the message names a
``Receipt-Delivery-Option``: then the answer is an empty **200** and the MDN
is POSTed there afterwards, in a background task that tries
:data:`ASYNC_ATTEMPTS` times. An unknown ``AS2-From`` or a foreign ``AS2-To``
is **403** (no MDN: we cannot sign for someone we do not know).

A body that is an MDN (a disposition report) is the asynchronous MDN of a
message we sent (``channel_as2.record_async_mdn``): **200** once it is
verified and recorded on ``as2_sent``, **400** when it verifies against
nothing we sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from email.utils import unquote
from typing import Protocol

from fastapi import APIRouter, BackgroundTasks, Request, Response

from distsync.api.inbound import InboundServices
from distsync.config import Landscape
from distsync.errors import DistsyncError, PermanentError, Rejected, RetryableError
from distsync.partners.as2_acks import AckDocuments, AckOutbox, record_pending
from distsync.partners.channel_as2 import (
    as2_settings,
    our_identity,
    partner_profile,
    record_async_mdn,
)
from distsync.partners.x12_in import InboundLog, X12Inbound
from distsync.redaction import redact
from distsync.telemetry import get_logger
from distsync.transports import as2
from distsync.transports.http import HttpTransport

__all__ = ["RECEIVED", "As2Services", "as2_router"]

RECEIVED = "as2_received"
ASYNC_ATTEMPTS = 3
ASYNC_BACKOFF_SECONDS = 0.5
PROCESSING_ERROR = "unexpected-processing-error"
log = get_logger(component="api")


class As2Backend(InboundLog, AckDocuments, Protocol):
    """The backend as AS2 needs it: counters, log reads and documents."""


class As2Services(InboundServices, Protocol):
    """What the AS2 route needs of the services (``bootstrap.Services`` fits)."""

    @property
    def backend(self) -> As2Backend: ...


def as2_router(services: As2Services) -> APIRouter:
    """The AS2 route; ``services`` is read per request, not when the app is made."""
    router = APIRouter(tags=["as2"])

    @router.post(
        "/v1/as2",
        operation_id="receive_as2",
        summary="Receive an AS2 message (answered with a signed MDN) or an asynchronous MDN",
        response_class=Response,
        responses={
            200: {"description": "The MDN (or nothing: MDN sent asynchronously / MDN recorded)"},
            400: {"description": "An MDN about no message we sent, or one that does not verify"},
            403: {"description": "AS2-From is no AS2 partner, or AS2-To is not us"},
            413: {"description": "Larger than runtime.max_payload_bytes"},
            503: {"description": "The store cannot take it now; retry after Retry-After"},
        },
    )
    async def receive(request: Request, background: BackgroundTasks) -> Response:
        limit = services.landscape.runtime.max_payload_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return _text(413, f"receiving AS2: {declared} bytes is over the limit of {limit:,}")
        body = await request.body()
        if len(body) > limit:
            return _text(413, f"receiving AS2: {len(body)} bytes is over the limit of {limit:,}")
        raw = as2.raw_message(request.headers, body)
        if as2.is_mdn(raw):
            return await _take_mdn(services, raw)
        return await _take_message(services, request.headers, raw, background)

    return router


async def _take_mdn(services: As2Services, raw: bytes) -> Response:
    try:
        outcome = await record_async_mdn(services.landscape, services.backend, raw)
    except Rejected as exc:
        return _text(200, f"MDN recorded: {exc}")
    except PermanentError as exc:
        log.warning("as2 mdn refused", action="as2.mdn_refused", error=str(exc))
        return _text(400, redact(str(exc)))
    return _text(200, f"MDN recorded: {outcome.disposition} for {outcome.message_id}")


async def _take_message(
    services: As2Services, headers: Mapping[str, str], raw: bytes, background: BackgroundTasks
) -> Response:
    landscape = services.landscape
    settings = as2_settings(landscape)
    sender, receiver = _as2_name(headers, "as2-from"), _as2_name(headers, "as2-to")
    partner = _partner_named(landscape, sender)
    if receiver != settings.as2_id or partner is None:
        message = _unknown(sender, receiver, settings.as2_id, partner)
        log.warning("as2 refused", action="as2.unknown_party", as2_from=sender, as2_to=receiver)
        return _text(403, message)
    channel = landscape.partners[partner].channel
    assert channel is not None  # _partner_named found it by its channel
    key = f"{sender}:{headers.get('message-id', '').strip().strip('<>')}"
    seen = await services.backend.get_document(RECEIVED, key) is not None
    received = await asyncio.to_thread(
        as2.parse_message,
        our_identity(settings),
        partner_profile(partner, channel),
        raw,
        seen_before=seen,
    )
    if not received.accepted:
        _log_refusal(partner, received)
        return _answer(received.mdn, background, status=200 if received.duplicate else 400)
    return await _append(services, partner, received, background)


async def _append(
    services: As2Services, partner: str, received: as2.Received, background: BackgroundTasks
) -> Response:
    inbound = X12Inbound(
        landscape=services.landscape,
        log=services.backend,
        intake=services.intake,
        clock=services.clock,
    )
    try:
        taken = await inbound.receive(received.payload or b"", partner=partner)
    except RetryableError as exc:
        retry = str(max(1, round(exc.retry_after or 1)))
        return Response(redact(str(exc)), status_code=503, headers={"Retry-After": retry})
    except DistsyncError as exc:
        log.warning("as2 payload refused", action="as2.payload_refused", partner=partner,
                    message_id=received.message_id, error=str(exc))  # fmt: skip
        mdn = as2.answer_with(received, "processed/Error", PROCESSING_ERROR)
        return _answer(mdn, background, status=400)
    ack = taken.acknowledgement.decode(errors="replace") if taken.acknowledgement else None
    record = {
        "partner": partner,
        "message_id": received.message_id,
        "acknowledgement": ack,
        "received_at": services.clock().isoformat(),
        "appended": len(taken.taken),
    }
    key = f"{received.partner}:{received.message_id}"
    await services.backend.put_document(RECEIVED, key, record, by="as2")
    log.info("as2 received", action="as2.received", partner=partner,
             message_id=received.message_id, appended=len(taken.taken))  # fmt: skip
    if taken.acknowledgement and _sends_back(services.landscape, partner):
        owed = await record_pending(
            services.backend, partner=partner, received_key=key,
            text=taken.acknowledgement, now=services.clock(),
        )  # fmt: skip
        outbox = AckOutbox(services.landscape, services.backend, services.clock)
        background.add_task(outbox.send_one, owed)
    return _answer(received.mdn, background, status=200)


def _answer(mdn: as2.MdnToSend | None, background: BackgroundTasks, *, status: int) -> Response:
    if mdn is None:
        return Response(b"", status_code=status)
    if mdn.url is not None:
        background.add_task(_post_mdn, mdn)
        return Response(b"", status_code=200)
    return Response(mdn.body, status_code=200, headers=mdn.headers)


async def _post_mdn(mdn: as2.MdnToSend) -> None:
    transport = HttpTransport(mdn.url or "")
    try:
        await _with_retries(
            lambda: transport.post(mdn.body, headers=mdn.headers, action="sending an AS2 MDN"),
            what=f"the asynchronous MDN to {mdn.url}",
        )
    finally:
        await transport.close()


async def _with_retries(attempt: Callable[[], Awaitable[object]], *, what: str) -> None:
    for number in range(1, ASYNC_ATTEMPTS + 1):
        try:
            await attempt()
            return
        except RetryableError as exc:
            if number == ASYNC_ATTEMPTS:
                log.error("as2 send failed", action="as2.send_failed", what=what, error=str(exc))
                return
            await asyncio.sleep(ASYNC_BACKOFF_SECONDS * 2 ** (number - 1))
        except DistsyncError as exc:
            log.error("as2 send failed", action="as2.send_failed", what=what, error=str(exc))
            return


def _partner_named(landscape: Landscape, as2_id: str) -> str | None:
    for name, partner in landscape.partners.items():
        channel = partner.channel
        if channel is not None and channel.transport == "as2" and channel.as2_id == as2_id:
            return name
    return None


def _sends_back(landscape: Landscape, partner: str) -> bool:
    channel = landscape.partners[partner].channel
    return channel is not None and channel.url is not None


def _as2_name(headers: Mapping[str, str], name: str) -> str:
    return unquote(headers.get(name, "").strip())


def _unknown(sender: str, receiver: str, ours: str, partner: str | None) -> str:
    if receiver != ours:
        return f"receiving AS2: AS2-To {receiver or '-'} is not us (our AS2 id is {ours})"
    return f"receiving AS2: AS2-From {sender or '-'} is no partner with an as2 channel"


def _log_refusal(partner: str, received: as2.Received) -> None:
    action = "as2.duplicate" if received.duplicate else "as2.refused"
    log.warning(
        "as2 message not taken", action=action, partner=partner,
        message_id=received.message_id, disposition=received.disposition,
        detail=received.detail,
    )  # fmt: skip


def _text(status: int, message: str) -> Response:
    return Response(message, status_code=status, media_type="text/plain")
