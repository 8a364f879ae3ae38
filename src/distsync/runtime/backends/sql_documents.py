"""The document store's SQL side outside handlers: list by kind, put one document.

Handlers write documents through their effects, committed with the ack.
``put_document`` is for state that belongs to no delivery: a source's poll
cursor, the record of an X12 group sent to a partner. It upserts in its own
short transaction and counts a version like any other write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select

from distsync.runtime.backends.sql_append import InsertFactory, upsert
from distsync.runtime.backends.sql_ops import get_document
from distsync.runtime.backends.sql_rows import dumps, iso, parse_time
from distsync.runtime.ports import StoredDocument
from distsync.store.tables import documents


def list_documents(
    conn: Connection, kind: str, after_key: str | None, limit: int
) -> list[StoredDocument]:
    query = select(documents).where(documents.c.kind == kind)
    if after_key is not None:
        query = query.where(documents.c.key > after_key)
    rows = conn.execute(query.order_by(documents.c.key).limit(limit)).mappings()
    return [
        StoredDocument(
            row["kind"],
            row["key"],
            row["version"],
            orjson.loads(row["body"]),
            parse_time(row["updated_at"]),
            row["updated_by"],
        )
        for row in rows
    ]


def put_document(
    conn: Connection,
    kind: str,
    key: str,
    body: Mapping[str, Any],
    by: str,
    now: datetime,
    insert: InsertFactory,
) -> StoredDocument:
    row = {
        "kind": kind,
        "key": key,
        "version": 1,
        "body": dumps(dict(body)),
        "updated_at": iso(now),
        "updated_by": by,
    }
    conn.execute(
        upsert(
            insert,
            documents,
            ["kind", "key"],
            {
                "version": lambda _: documents.c.version + 1,
                "body": lambda x: x.body,
                "updated_at": lambda x: x.updated_at,
                "updated_by": lambda x: x.updated_by,
            },
        ),
        [row],
    )
    stored = get_document(conn, kind, key)
    if stored is None:  # the upsert above wrote it in this transaction
        raise LookupError(f"document {kind}/{key} vanished while being written")
    return stored
