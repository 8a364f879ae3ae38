"""Taking a Tryton purchase or sale from wherever an earlier attempt left it to processing.

Tryton confirms an order in two transactions: ``confirm`` commits the state
``confirmed`` and queues ``process``, which runs after that commit (at once
on a server without a queue worker) and creates the stock moves or the
shipment. A server killed between the two leaves a confirmed order without
moves, and nothing would ever process it. So a create repeated after a lost
answer finishes from the state it finds: draft → quote, quotation → confirm,
confirmed → process. ``process`` is what Tryton's queue would have run; on
an order already processing it changes nothing.
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
    if state == "confirmed":
        rpc.model(model, "process", [record_id])
