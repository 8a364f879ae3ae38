"""The business exceptions ship-notice matching raises, worded for the person who resolves them.

Each builder takes the notice's ``document_ref`` (``asn:<supplier>/<asn number>``)
and the facts of the case, and sets ``facts["problem_key"]``: the name under
which an accepted variance is given back to the matcher on replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from distsync.errors import BusinessException, PurchaseOrderNotFound, Resolution, UnknownSku
from distsync.rules.asn_index import OpenPoLine
from distsync.rules.exceptions import (
    ItemNotOnPo,
    OutsideDeliveryWindow,
    OverShipment,
    Substitution,
    WrongWarehouse,
    accept_variance,
    discard,
    reject,
    replay,
    wrong_supplier,
)
from distsync.rules.tolerances import plain, signed_percent

__all__ = [
    "delivery_window",
    "item_not_on_po",
    "over_shipment",
    "po_not_found",
    "substitution",
    "unknown_sku",
    "wrong_supplier",
    "wrong_warehouse",
]

ZERO = Decimal(0)


def po_not_found(ref: str, po_number: str, *, wait_minutes: Decimal) -> BusinessException:
    """The notice names a purchase order that is not (yet) known."""
    return PurchaseOrderNotFound(
        f"{ref}: purchase order {po_number} is not known (yet)",
        document_ref=ref,
        resolutions=(replay(f"Run the notice again once {po_number} is known"), discard()),
        facts={
            "po_number": po_number,
            "wait_minutes": plain(wait_minutes),
            "problem_key": f"po:{po_number}",
        },
    )


def unknown_sku(ref: str, path: str, partner_sku: str) -> BusinessException:
    """Nothing maps the partner's item number to one of our SKUs."""
    return UnknownSku(
        f"{ref}: {path}: the supplier's item {partner_sku} maps to none of our SKUs",
        document_ref=ref,
        resolutions=(
            Resolution(
                "map_sku",
                f"Map {partner_sku} to one of our SKUs, then replay",
                ("partner_sku", "sku"),
            ),
            discard(),
        ),
        facts={"partner_sku": partner_sku, "field": path, "problem_key": f"sku:{partner_sku}"},
    )


def item_not_on_po(ref: str, path: str, po_number: str, sku: str) -> BusinessException:
    """The shipped item is on no line of the purchase order."""
    return ItemNotOnPo(
        f"{ref}: {path}: {sku} is on no line of purchase order {po_number}",
        document_ref=ref,
        resolutions=(
            reject(f"Tell the supplier that {sku} was not ordered on {po_number}"),
            replay(f"Add {sku} to {po_number}, then run the notice again"),
            discard(),
        ),
        facts={
            "po_number": po_number,
            "sku": sku,
            "field": path,
            "problem_key": f"item_not_on_po:{po_number}/{sku}",
        },
    )


def substitution(ref: str, path: str, line: OpenPoLine, sku: str) -> BusinessException:
    """A PO line is shipped as another item than the one ordered."""
    where = f"{line.po_number} line {line.line_number}"
    return Substitution(
        f"{ref}: {path}: ships {sku} for {where}, which ordered {line.sku}",
        document_ref=ref,
        resolutions=(
            accept_variance(f"Accept {sku} in place of {line.sku} on {where}"),
            reject(f"Refuse the substitute {sku}"),
        ),
        facts={
            "po_number": line.po_number,
            "line_number": str(line.line_number),
            "ordered_sku": line.sku,
            "shipped_sku": sku,
            "field": path,
            "problem_key": f"substitution:{line.po_number}/{line.line_number}/{sku}",
        },
    )


def wrong_warehouse(ref: str, lines: Sequence[OpenPoLine], shipped_to: str) -> BusinessException:
    """The notice ships to another warehouse than these lines (of one PO, one warehouse)."""
    first = lines[0]
    numbers = ", ".join(str(line.line_number) for line in lines)
    return WrongWarehouse(
        f"{ref}: ships to {shipped_to}, but {first.po_number} line(s) {numbers} are for "
        f"{first.warehouse_id}",
        document_ref=ref,
        resolutions=(
            accept_variance(f"Receive {first.po_number} at {shipped_to} anyway"),
            reject(f"Refuse the shipment to {shipped_to}"),
        ),
        facts={
            "po_number": first.po_number,
            "lines": numbers,
            "ordered_to": first.warehouse_id,
            "shipped_to": shipped_to,
            "problem_key": f"wrong_warehouse:{first.po_number}/{first.warehouse_id}",
        },
    )


def delivery_window(
    ref: str, lines: Sequence[OpenPoLine], delivery: date, tolerance_days: Decimal
) -> BusinessException:
    """The notice's delivery date lies outside the lines' requested date plus or minus the days."""
    first = lines[0]
    numbers = ", ".join(str(line.line_number) for line in lines)
    requested = first.requested_delivery_date
    days = (delivery - requested).days
    when = f"{abs(days)} day(s) {'late' if days > 0 else 'early'}"
    return OutsideDeliveryWindow(
        f"{ref}: delivery on {delivery.isoformat()} is {when} for {first.po_number} line(s) "
        f"{numbers} (requested {requested.isoformat()}, tolerance "
        f"{plain(tolerance_days)} day(s))",
        document_ref=ref,
        resolutions=(
            accept_variance(f"Accept delivery on {delivery.isoformat()}"),
            reject("Refuse the delivery date"),
        ),
        facts={
            "po_number": first.po_number,
            "lines": numbers,
            "requested": requested.isoformat(),
            "delivery": delivery.isoformat(),
            "days_off": str(days),
            "tolerance_days": plain(tolerance_days),
            "problem_key": f"delivery_window:{first.po_number}/{requested.isoformat()}",
        },
    )


def over_shipment(
    ref: str, line: OpenPoLine, quantity: Decimal, ceiling: Decimal, pct: Decimal
) -> BusinessException:
    """More ships against a line than its open balance plus the tolerance allows."""
    where = f"{line.po_number} line {line.line_number}"
    unit = line.uom
    total = line.shipped + quantity
    return OverShipment(
        f"{ref}: ships {plain(quantity)} {unit} of {line.sku} against {where}: "
        f"{plain(total)} {unit} of {plain(line.ordered)} {unit} ordered in all "
        f"({signed_percent(total, line.ordered)}, tolerance {plain(pct)}%; "
        f"open balance {plain(line.open_balance)} {unit})",
        document_ref=ref,
        resolutions=(
            accept_variance(f"Accept the extra {plain(total - line.ordered)} {unit} on {where}"),
            reject("Refuse the over-shipment"),
        ),
        facts={
            "po_number": line.po_number,
            "line_number": str(line.line_number),
            "sku": line.sku,
            "uom": unit,
            "ordered": plain(line.ordered),
            "shipped_before": plain(line.shipped),
            "shipped_now": plain(quantity),
            "open_balance": plain(line.open_balance),
            "allowed_now": plain(max(ceiling, ZERO)),
            "tolerance_pct": plain(pct),
            "problem_key": f"over_shipment:{line.po_number}/{line.line_number}",
        },
    )
