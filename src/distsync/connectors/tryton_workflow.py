"""Taking a Tryton purchase or sale to processing from wherever it stands, and checking it.

Tryton confirms an order in two steps: ``confirm`` commits the state
``confirmed`` and queues ``process``, which creates the stock moves or the
shipment. On a server without a queue worker the task runs right after the
commit, before the answer, but it can still be lost: a server killed
between the two, or a task that fails on a locked SQLite database (Tryton
logs it and, with no worker, never runs it again) while the call itself
answers success. Either way the order would stay confirmed without moves.

So after confirming, the connector reads the state back, and an order still
``confirmed`` is processed explicitly (``process`` runs in the call and
either succeeds or raises). A create repeated after a lost answer finishes
the same way from the state it finds: draft → quote, quotation → confirm,
confirmed → process.
"""

from __future__ import annotations

from distsync.connectors.tryton_rpc import TrytonRpc

__all__ = ["finish_confirmation"]


def finish_confirmation(rpc: TrytonRpc, model: str, record_id: int, state: str) -> None:
    """Quote, confirm and process the order as far as ``state`` says is still to do."""
    if state == "draft":
        rpc.model(model, "quote", [record_id])
    if state in ("draft", "quotation"):
        rpc.model(model, "confirm", [record_id])
        (row,) = rpc.model(model, "read", [record_id], ["state"])
        state = str(row["state"])
    if state == "confirmed":
        rpc.model(model, "process", [record_id])
