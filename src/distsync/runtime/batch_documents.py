"""Documents as a batch sees them: the store, plus what earlier handlers of the batch wrote.

A handler's writes commit with its ack, when the worker settles the whole
batch. Without this view, the second of two events for one key in a batch
(an acknowledgement, then a ship notice for the same purchase order) would
read the state as it was before the first, and its write would undo the
first's. :class:`BatchDocuments` gives each handler the writes of the
handlers that already succeeded in the batch — the order the worker will
commit them in — so a batch behaves as if each delivery committed alone.
A failed handler's writes never enter the view.

Listing (``list_documents``) reads the store only: a batch's new documents
appear in listings once it commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from distsync.model.envelope import utcnow
from distsync.runtime.messages import DocumentWrite, StoredDocument
from distsync.runtime.ports import DocumentStore

__all__ = ["BatchDocuments"]


class BatchDocuments:
    """A :class:`DocumentStore` that sees the batch's committed-to-be writes first."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store
        self._written: dict[tuple[str, str], StoredDocument] = {}

    async def get_document(self, kind: str, key: str) -> StoredDocument | None:
        written = self._written.get((kind, key))
        if written is not None:
            return written
        return await self._store.get_document(kind, key)

    async def list_documents(
        self, kind: str, *, after_key: str | None = None, limit: int = 1000
    ) -> list[StoredDocument]:
        return await self._store.list_documents(kind, after_key=after_key, limit=limit)

    async def accepted(self, writes: Iterable[DocumentWrite], *, by: str) -> None:
        """Take the writes of a handler that succeeded: later handlers read them."""
        for write in writes:
            before = await self.get_document(write.kind, write.key)
            self._written[(write.kind, write.key)] = StoredDocument(
                kind=write.kind,
                key=write.key,
                version=(before.version if before else 0) + 1,
                body=dict(write.body),
                updated_at=utcnow(),
                updated_by=by,
            )
