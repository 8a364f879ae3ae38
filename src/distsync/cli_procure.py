"""``distsync procure``: what is late, stuck or in mismatch in the procure flow.

Each command makes one query of ``flows.procure_queries*`` on the
landscape's services, at the services' clock, and shows a table for people
or, with ``--json``, the query's answer for scripts (times ISO 8601,
decimals and dates as strings). ``docs/cli.md`` describes every command and
``docs/operations.md`` what each answer means for operations.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any

import typer

from distsync import cli_render as render
from distsync.bootstrap import Services
from distsync.cli_ops import CommandRefused, Json, Partner, run
from distsync.flows.procure_queries import Overdue, in_transit, overdue
from distsync.flows.procure_queries_exceptions import (
    READ_LIMIT,
    ExceptionAges,
    Mismatches,
    exceptions_by_reason,
    mismatches,
)
from distsync.flows.procure_queries_order import OrderView, show_order
from distsync.flows.procure_queries_posting import unposted_receipts

procure_app = typer.Typer(
    help="The procure flow: what is late, stuck or in mismatch.", no_args_is_help=True
)

Days = Annotated[
    int, typer.Option("--days", min=1, help="Look back this many days (sent or received).")
]
Read = Annotated[
    int, typer.Option("--limit", min=1, help="Read at most this many open exceptions, newest.")
]
DAY = 86_400


def emit_json(value: Any) -> None:
    """The answer as JSON: dates and decimals as strings, as the API gives them."""
    text = json.dumps(render.jsonable(value), indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(text + "\n")


def age(seconds: float | None) -> str:
    """``3d 4h`` past a day, else as ``cli_render.age`` (``2h 05m``, ``4m 10s``)."""
    if seconds is None or seconds < DAY:
        return render.age(seconds)
    days, rest = divmod(int(seconds), DAY)
    return f"{days}d {rest // 3600}h"


def lines(values: Sequence[object]) -> str:
    return "\n".join(str(value) for value in values) or "-"


# -- overdue ---------------------------------------------------------------------------

GROUP_COLUMNS: list[render.Column] = [
    ("partner", lambda g: g.partner),
    ("group", lambda g: g.group_control),
    ("interchange", lambda g: g.interchange_control),
    ("PO numbers", lambda g: ", ".join(g.po_numbers)),
    ("sent at", lambda g: render.when(g.sent_at)),
    ("997 due", lambda g: render.when(g.ack_due)),
    ("late", lambda g: age(g.late_seconds)),
]
ORDER_COLUMNS: list[render.Column] = [
    ("PO", lambda o: o.po_number),
    ("supplier", lambda o: o.supplier_id),
    ("partner", lambda o: o.partner),
    ("sent at", lambda o: render.when(o.sent_at)),
    ("855 due", lambda o: render.when(o.ack_due)),
    ("late", lambda o: age(o.late_seconds)),
    ("note", lambda o: order_note(o.sent, o.parked_ack)),
]


def order_note(sent: bool, parked_ack: int | None) -> str:
    if not sent:
        return "not sent: the supplier has no channel for orders"
    if parked_ack is not None:
        return f"855 received, waits for a buyer: exception {parked_ack}"
    return ""


@procure_app.command("overdue")
def overdue_command(
    ctx: typer.Context, partner: Partner = None, days: Days = 30, as_json: Json = False
) -> None:
    """Orders without a 997 past the deadline, and without an 855 past ack_due."""
    lookback = timedelta(days=days)

    async def work(s: Services) -> Overdue:
        return await overdue(s.backend, now=s.clock(), partner=partner, lookback=lookback)

    found = run(ctx, work)
    if as_json:
        emit_json(found)
        return
    out = render.console()
    out.print(render.records_table("850s without a 997", GROUP_COLUMNS, found.groups))
    out.print(render.records_table("Orders without an 855", ORDER_COLUMNS, found.orders))
    render.say(
        f"{render.plural(len(found.groups), 'group')} without a 997, "
        f"{render.plural(len(found.orders), 'order')} without an 855"
    )


# -- in transit ------------------------------------------------------------------------

SHIPMENT_COLUMNS: list[render.Column] = [
    ("ASN", lambda s: s.asn_number),
    ("supplier", lambda s: s.supplier_id),
    ("partner", lambda s: s.partner),
    ("warehouse", lambda s: s.warehouse_id),
    ("PO numbers", lambda s: ", ".join(s.po_numbers)),
    ("expected on", lambda s: s.expected_on.isoformat()),
    ("days late", lambda s: s.days_late),
    ("matched at", lambda s: render.when(s.matched_at)),
]


@procure_app.command("in-transit")
def in_transit_command(ctx: typer.Context, as_json: Json = False) -> None:
    """Ship notices past their expected date that no receipt has brought in."""
    found = run(ctx, lambda s: in_transit(s.backend, now=s.clock()))
    if as_json:
        emit_json(found)
        return
    render.show_table(
        SHIPMENT_COLUMNS, found, "ship notice past its date", "ship notices past their date"
    )


# -- unposted --------------------------------------------------------------------------

POSTING_COLUMNS: list[render.Column] = [
    ("receipt", lambda p: p.receipt_number),
    ("PO numbers", lambda p: ", ".join(p.po_numbers)),
    ("ASN", lambda p: p.asn_number),
    ("received at", lambda p: render.when(p.received_at)),
    ("waiting", lambda p: age(p.waiting_seconds)),
    ("state", lambda p: p.state.replace("_", " ")),
    ("record", lambda p: p.record),
    ("attempts", lambda p: p.attempts),
    ("why", lambda p: render.short(p.last_error or p.detail, 80)),
    ("outbox event", lambda p: p.post_event_id),
]


@procure_app.command("unposted")
def unposted_command(ctx: typer.Context, days: Days = 30, as_json: Json = False) -> None:
    """Receipts the ERP does not have yet: pending, waiting for a retry, dead-lettered."""
    lookback = timedelta(days=days)
    found = run(ctx, lambda s: unposted_receipts(s.backend, now=s.clock(), lookback=lookback))
    if as_json:
        emit_json(found)
        return
    render.show_table(POSTING_COLUMNS, found, "receipt not posted", "receipts not posted")


# -- mismatches ------------------------------------------------------------------------

MISMATCH_COLUMNS: list[render.Column] = [
    ("exception", lambda m: m.exception_id),
    ("invoice", lambda m: m.invoice_number),
    ("PO", lambda m: m.po_number),
    ("supplier", lambda m: m.supplier_id),
    ("total", lambda m: m.invoice_total),
    ("expected", lambda m: m.expected_total),
    ("age", lambda m: age(m.age_seconds)),
    ("differences", lambda m: lines(m.differences)),
]


@procure_app.command("mismatches")
def mismatches_command(ctx: typer.Context, limit: Read = READ_LIMIT, as_json: Json = False) -> None:
    """Invoices in mismatch: open invoice_mismatch exceptions with their differences."""
    found: Mismatches = run(ctx, lambda s: mismatches(s.backend, now=s.clock(), limit=limit))
    if as_json:
        emit_json(found)
        return
    render.show_table(
        MISMATCH_COLUMNS, found.invoices, "invoice in mismatch", "invoices in mismatch"
    )
    warn_truncated(found.truncated, limit)


def warn_truncated(truncated: bool, limit: int) -> None:
    if truncated:
        render.print_warning(
            f"{limit} open exceptions or more: only the newest {limit} were read (--limit)"
        )


# -- exceptions ------------------------------------------------------------------------

REASON_COLUMNS: list[render.Column] = [
    ("reason code", lambda r: r.reason_code),
    ("open", lambda r: r.count),
    ("< 1 h", lambda r: r.under_hour),
    ("< 1 day", lambda r: r.under_day),
    ("older", lambda r: r.older),
    ("oldest", lambda r: f"{r.oldest_id} ({render.when(r.oldest_parked_at)})"),
    ("oldest age", lambda r: age(r.oldest_age_seconds)),
]


@procure_app.command("exceptions")
def exceptions_command(
    ctx: typer.Context,
    every_flow: Annotated[
        bool, typer.Option("--all", help="Every flow's exceptions, not only procure's.")
    ] = False,
    limit: Read = READ_LIMIT,
    as_json: Json = False,
) -> None:
    """Open exceptions by reason code: how many, the oldest, and how old."""

    async def work(s: Services) -> ExceptionAges:
        return await exceptions_by_reason(
            s.backend, now=s.clock(), every_flow=every_flow, limit=limit
        )

    found = run(ctx, work)
    if as_json:
        emit_json(found)
        return
    render.console().print(render.records_table(None, REASON_COLUMNS, found.reasons))
    render.say(render.plural(found.total, "open exception"))
    warn_truncated(found.truncated, limit)


# -- show ------------------------------------------------------------------------------

HISTORY_COLUMNS: list[render.Column] = [
    ("at", lambda t: render.when(t.at)),
    ("from", lambda t: t.from_state),
    ("to", lambda t: t.to_state),
    ("event", lambda t: t.event),
    ("cause", lambda t: f"{t.cause_type} {t.cause_id}"),
    ("source", lambda t: t.source_system),
    ("note", lambda t: t.note or None),
]
LINE_COLUMNS: list[render.Column] = [
    ("line", lambda r: r[0]),
    ("SKU", lambda r: r[1]),
    ("ordered", lambda r: r[2]),
    ("shipped (base unit)", lambda r: r[3]),
    ("received (base unit)", lambda r: r[4]),
    ("invoiced (base unit)", lambda r: r[5]),
]
NOTICE_COLUMNS: list[render.Column] = [
    ("ASN", lambda n: n.asn_number),
    ("warehouse", lambda n: n.warehouse_id),
    ("expected on", lambda n: n.expected_on),
    ("matched at", lambda n: render.when(n.matched_at)),
    ("receipt", lambda n: n.receipt_number),
]
RECEIPT_COLUMNS: list[render.Column] = [
    c for c in POSTING_COLUMNS if c[0] not in ("PO numbers", "waiting")
]
INVOICE_COLUMNS: list[render.Column] = [
    ("invoice", lambda i: i.invoice_number),
    ("status", lambda i: i.status),
    ("total", lambda i: i.total),
    ("at", lambda i: render.when(i.at)),
    ("differences", lambda i: lines(i.differences)),
]
OPEN_COLUMNS: list[render.Column] = [
    ("id", lambda x: x.id),
    ("reason code", lambda x: x.reason_code),
    ("document", lambda x: x.document_ref),
    ("age", lambda x: age(x.age_seconds)),
    ("message", lambda x: render.short(x.message, 100)),
]


@procure_app.command("show")
def show_command(
    ctx: typer.Context,
    po_number: Annotated[str, typer.Argument(metavar="PO", help="The purchase order number.")],
    as_json: Json = False,
) -> None:
    """One order: its state, lines, lifecycle history, notices, receipts, invoices, exceptions."""
    view = run(ctx, lambda s: show_order(s.backend, po_number, now=s.clock()))
    if view is None:
        raise CommandRefused(f"showing {po_number}: the procure flow has no record of it")
    emit_json(view) if as_json else order_view(view)


def order_view(view: OrderView) -> None:
    out, record = render.console(), view.record
    out.print(render.fields(f"purchase order {record.po_number}", order_pairs(view)))
    out.print(render.records_table("lines", LINE_COLUMNS, line_rows(view)))
    out.print(render.records_table("history", HISTORY_COLUMNS, record.history))
    tables = [
        ("ship notices", NOTICE_COLUMNS, view.notices),
        ("receipts", RECEIPT_COLUMNS, view.receipts),
        ("invoices", INVOICE_COLUMNS, list(record.invoices.values())),
        ("open exceptions", OPEN_COLUMNS, view.exceptions),
    ]
    for title, columns, rows in tables:
        if rows:
            out.print(render.records_table(title, columns, rows))


def order_pairs(view: OrderView) -> list[tuple[str, object]]:
    record, sent = view.record, view.sent
    pairs: list[tuple[str, object]] = [
        ("state", record.state.value),
        ("supplier", record.supplier_id),
        ("partner", record.partner or "none: the supplier has no channel for orders"),
        ("ERP", record.erp),
        ("sent at", render.when(record.sent_at)),
        ("855 due", render.when(sent.ack_due if sent else record.ack_due)),
        ("acknowledged at", render.when(record.acknowledged_at)),
    ]
    if sent is not None:
        pairs.append(("sent to", sent.route or "not sent"))
        pairs.append(("outbox event", sent.send_event_id))
    if record.accepted:
        pairs.append(("accepted", ", ".join(record.accepted)))
    return pairs


def line_rows(view: OrderView) -> list[tuple[object, ...]]:
    record = view.record
    return [
        (
            line.line_number,
            line.item.sku,
            f"{line.quantity.value} {line.quantity.uom}",
            record.shipped.get(line.line_number, 0),
            record.received.get(line.line_number, 0),
            record.invoiced.get(line.line_number, 0),
        )
        for line in record.purchase_order().lines
    ]
