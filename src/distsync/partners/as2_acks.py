"""The 997/999 owed to an AS2 partner: recorded before we answer, sent until it arrives.

When an AS2 partner's interchange is stored, its functional acknowledgement
must go back to the partner as an AS2 message of its own. It is recorded
first (document kind :data:`KIND`, key ``<received at>:<AS2-From>:<Message-ID>``)
in the same request that answers the partner's MDN, so a crash, a partner
that is down, or a restart loses nothing:

- the API tries once at once, after its answer (:func:`send_one`);
- the ``as2-acks`` job (worker role) sends every acknowledgement still
  pending from the last :data:`KEEP_DAYS` days, every
  :data:`EVERY_SECONDS` (:func:`send_pending`);
- a retryable failure (the partner is down) leaves it pending and counts the
  attempt; a permanent one (the partner refuses it in its MDN) marks it
  ``failed`` with the reason, logged as ``as2.ack_failed``;
- an acknowledgement still pending after :data:`KEEP_DAYS` days is no
  longer tried; it stays in the store, ``pending``, for a person to see.

Each acknowledgement keeps one AS2 Message-ID however often it is sent
(``channel_as2.As2Sender`` derives it from the request key), so a partner
that got it while our side lost the MDN sees a duplicate, not a second 997.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from distsync.config import Landscape
from distsync.errors import DistsyncError, RetryableError
from distsync.partners.channel_as2 import As2Documents, As2Sender
from distsync.runtime.ports import StoredDocument
from distsync.telemetry import get_logger

__all__ = ["EVERY_SECONDS", "KIND", "AckOutbox", "record_pending"]

KIND = "as2_ack_out"
KEEP_DAYS = 7
EVERY_SECONDS = 60.0
PAGE = 500
log = get_logger(component="partners")


class AckDocuments(As2Documents, Protocol):
    """The document store, read by key range."""

    async def list_documents(
        self, kind: str, *, after_key: str | None = None, limit: int = 1000
    ) -> list[StoredDocument]: ...


async def record_pending(
    documents: AckDocuments, *, partner: str, received_key: str, text: bytes, now: datetime
) -> str:
    """Record the acknowledgement owed for ``received_key``; returns its key."""
    key = f"{now:%Y%m%dT%H%M%S}:{received_key}"
    body = {"partner": partner, "received_key": received_key, "text": text.decode(),
            "status": "pending", "attempts": 0, "created_at": now.isoformat()}  # fmt: skip
    await documents.put_document(KIND, key, body, by="as2")
    return key


class AckOutbox:
    """Sends recorded acknowledgements (module docstring)."""

    def __init__(
        self, landscape: Landscape, documents: AckDocuments, clock: Callable[[], datetime]
    ) -> None:
        self._landscape = landscape
        self._documents = documents
        self._clock = clock

    async def send_one(self, key: str) -> None:
        """Try the acknowledgement recorded under ``key`` now (once)."""
        found = await self._documents.get_document(KIND, key)
        if found is not None and found.body.get("status") == "pending":
            await self._send(key, dict(found.body))

    async def send_pending(self) -> bool:
        """Every acknowledgement still pending from the last days; a ``Job``'s body."""
        cutoff = self._clock() - timedelta(days=KEEP_DAYS)
        after: str | None = f"{cutoff:%Y%m%dT%H%M%S}"
        while after is not None:
            page = await self._documents.list_documents(KIND, after_key=after, limit=PAGE)
            for document in page:
                if document.body.get("status") == "pending":
                    await self._send(document.key, dict(document.body))
            after = page[-1].key if len(page) == PAGE else None
        return False

    async def _send(self, key: str, body: dict[str, Any]) -> None:
        partner = str(body["partner"])
        sender = As2Sender(
            partner=partner, landscape=self._landscape, documents=self._documents,
            clock=self._clock,
        )  # fmt: skip
        body["attempts"] = int(body.get("attempts", 0)) + 1
        try:
            await sender.send(
                str(body["text"]).encode(), key=f"ack:{body['received_key']}",
                filename=f"{partner}_997.edi", correlation_id=f"as2:{body['received_key']}",
            )  # fmt: skip
            body["status"], body["sent_at"] = "sent", self._clock().isoformat()
        except RetryableError as exc:
            body["last_error"] = str(exc)
            log.warning("as2 acknowledgement waits", action="as2.ack_waiting", partner=partner,
                        key=key, attempts=body["attempts"], error=str(exc))  # fmt: skip
        except DistsyncError as exc:
            body["status"], body["last_error"] = "failed", str(exc)
            log.error("as2 acknowledgement refused", action="as2.ack_failed", partner=partner,
                      key=key, error=str(exc))  # fmt: skip
        finally:
            await sender.close()
        await self._documents.put_document(KIND, key, body, by="as2")
