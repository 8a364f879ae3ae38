"""The ``tryton`` system type: a Tryton ERP over JSON-RPC, mapped to the canonical model.

::

    systems:
      erp:
        type: tryton
        url: http://127.0.0.1:8000
        database: distsync
        user: admin
        password_env: ERP_PASSWORD      # or password_file; read when connecting
        timeout_seconds: 30
        company: Northwind Distribution # the company's party name (default: the user's)
        warehouse: WH-EAST              # for documents that name no warehouse
        poll_settle_seconds: 5

Outbound operations (``send``; ``request.body`` is the canonical document as
JSON, the receipt's ``remote_id`` the Tryton record id):

=========================  ========================  ======================================
operation                  body                      effect in Tryton
=========================  ========================  ======================================
create_purchase_order      ``PurchaseOrder``         purchase created, quoted, confirmed
amend_purchase_order       ``PurchaseOrder``         confirmed purchase amended to the order
post_receipt               ``Receipt``               incoming shipment received and done
create_sales_order         ``SalesOrder``            sale created, quoted, confirmed
confirm_shipment           ``ShipmentConfirmation``  outgoing shipment picked, packed, done
record_supplier_invoice    ``Invoice``               draft supplier invoice
invoice_sales_order        ``SalesOrder``            draft customer invoice of the sale
                                                     with that reference, for the
                                                     order's (shipped) quantities
post_adjustment            ``InventoryAdjustment``   stock moved to or from lost and
                                                     found (a done internal shipment)
=========================  ========================  ======================================

Each looks up the document by its number in Tryton's ``reference`` before it
creates anything, so a call repeated after a timeout finishes what the first
left undone and answers ``duplicate=True`` instead of creating a second
record. Reads (purchase orders since a cursor, stock, master data, customer
credit, list prices, and each document back) are methods of
:class:`TrytonConnector`. The mapping of each document is described in its
``tryton_ops_*`` module and in ``docs/erp-tryton.md``; errors are translated
by :func:`distsync.connectors.tryton_rpc.map_errors`.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from distsync.config import SystemConfig
from distsync.config_policy import DEFAULT_TIMEOUT_SECONDS
from distsync.connectors import tryton_ops_master as master
from distsync.connectors import tryton_ops_purchase as purchases
from distsync.connectors import tryton_ops_receipt as receipts
from distsync.connectors import tryton_ops_sale as sales
from distsync.connectors import tryton_ops_shipment as shipments
from distsync.connectors.base import register_connector
from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_ops_adjustment import post_adjustment
from distsync.connectors.tryton_ops_amend import amend_purchase_order
from distsync.connectors.tryton_ops_credit import read_customer_credit
from distsync.connectors.tryton_ops_invoice import read_supplier_invoice, record_supplier_invoice
from distsync.connectors.tryton_ops_prices import read_sales_prices
from distsync.connectors.tryton_ops_purchase import PurchaseCursor
from distsync.connectors.tryton_ops_sale_invoice import invoice_sales_order
from distsync.connectors.tryton_rpc import TrytonRpc, map_errors
from distsync.errors import ConfigError, Rejected, SchemaViolation
from distsync.model.base import Document
from distsync.model.credit import CustomerCredit
from distsync.model.inventory import InventoryAdjustment, InventorySnapshot
from distsync.model.invoices import Invoice
from distsync.model.items import Item
from distsync.model.parties import CarrierRef, Party, PartyRole
from distsync.model.prices import Price
from distsync.model.procurement import PurchaseOrder
from distsync.model.receipts import Receipt as GoodsReceipt
from distsync.model.sales import SalesOrder
from distsync.model.shipping import ShipmentConfirmation, ShipmentOrder
from distsync.model.warehouses import Warehouse
from distsync.runtime.ports import OutboundRequest, Receipt

__all__ = ["SENDS", "PurchaseCursor", "TrytonConfig", "TrytonConnector", "TrytonOptions"]

T = TypeVar("T")
D = TypeVar("D", bound=Document)

SENDS: dict[str, tuple[type[Document], str]] = {
    "create_purchase_order": (PurchaseOrder, "create_purchase_order"),
    "amend_purchase_order": (PurchaseOrder, "amend_purchase_order"),
    "post_receipt": (GoodsReceipt, "post_receipt"),
    "create_sales_order": (SalesOrder, "create_sales_order"),
    "confirm_shipment": (ShipmentConfirmation, "confirm_shipment"),
    "record_supplier_invoice": (Invoice, "record_supplier_invoice"),
    "invoice_sales_order": (SalesOrder, "invoice_sales_order"),
    "post_adjustment": (InventoryAdjustment, "post_adjustment"),
}
"""Outbound operation -> the canonical document its body holds, and the method doing it."""


class TrytonOptions(BaseModel):
    """The keys of a ``tryton`` system beyond url, timeout and the password reference."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    user: str = Field(min_length=1)
    company: str | None = Field(None, description="The company's party name; default: the user's.")
    warehouse: str = Field("WH", description="Canonical warehouse id when a document names none.")
    poll_settle_seconds: float = Field(5.0, ge=0, le=3600)


class TrytonConfig(TrytonOptions):
    """Everything a Tryton connector needs, for building one outside a landscape file.

    The password is never written here: ``password_env`` names the
    environment variable that holds it, read when the connector connects.
    """

    url: str = Field(pattern=r"^https?://[^\s/]+(/\S*)?$")
    password_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout_seconds: float = Field(DEFAULT_TIMEOUT_SECONDS, gt=0, le=3600)


def _password_from_env(variable: str) -> str:
    value = os.environ.get(variable)
    if value is None:
        raise ConfigError(f"environment variable {variable} (password) is not set")
    return value


@register_connector("tryton", config=TrytonOptions)
class TrytonConnector:
    """A Tryton database seen through the canonical model (see the module docstring)."""

    def __init__(
        self,
        name: str,
        config: TrytonConfig,
        *,
        password: Callable[[], str] | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self._password = password or partial(_password_from_env, config.password_env)
        self._directory: TrytonDirectory | None = None
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._locks_guard = threading.Lock()

    @classmethod
    def from_config(
        cls, name: str, system: SystemConfig, options: TrytonOptions
    ) -> TrytonConnector:
        """A connector for ``systems.<name>`` of a landscape file (not connected yet)."""
        if system.url is None:
            raise ConfigError(f"system {name} (tryton) needs a url")
        has_password = "password_env" in system.secret_env or "password_file" in system.secret_files
        if not has_password:
            raise ConfigError(f"system {name} (tryton) needs password_env or password_file")
        config = TrytonConfig(
            **options.model_dump(),
            url=str(system.url),
            password_env=system.secret_env.get("password_env", "UNUSED_PASSWORD_FILE"),
            timeout_seconds=system.timeout_seconds or DEFAULT_TIMEOUT_SECONDS,
        )
        return cls(name, config, password=partial(system.secret, "password"))

    async def connect(self) -> None:
        """Log in and find the company (and so check url, database and credentials).

        Connecting again starts afresh: a new session, ids looked up anew.
        """
        await self.close()
        await self._run(f"connecting to {self.name}", lambda d: d.company())

    async def reauthenticate(self) -> None:
        """Log in again with the password read anew."""
        await self.connect()

    async def close(self) -> None:
        """Log out and close the connections; never raises for a server that is gone."""
        directory, self._directory = self._directory, None
        if directory is not None:
            await asyncio.to_thread(directory.rpc.close)

    def _connected(self) -> TrytonDirectory:
        if self._directory is None:
            rpc = TrytonRpc(
                url=self.config.url,
                database=self.config.database,
                user=self.config.user,
                password=self._password(),
                timeout_seconds=self.config.timeout_seconds,
            )
            self._directory = TrytonDirectory(rpc, company=self.config.company)
        return self._directory

    async def _run(
        self, action: str, operation: Callable[[TrytonDirectory], T], *, key: str | None = None
    ) -> T:
        return await asyncio.to_thread(self._call, action, operation, key)

    def _call(self, action: str, operation: Callable[[TrytonDirectory], T], key: str | None) -> T:
        directory = self._connected()  # the outbox may send before anyone called connect()
        with map_errors(action, timeout_seconds=self.config.timeout_seconds):
            if key is None:
                return operation(directory)
            with self._lock_for(key):  # one create per document at a time in this process
                return operation(directory)

    def _lock_for(self, key: str) -> threading.Lock:
        with self._locks_guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock

    async def send(self, request: OutboundRequest) -> Receipt:
        """Perform one outbound operation (see the module docstring's table)."""
        action = f"sending {request.operation} {request.idempotency_key} to {self.name}"
        if request.operation not in SENDS:
            raise Rejected(
                f"{action}: the tryton connector has no operation {request.operation!r} "
                f"(it has {', '.join(SENDS)})"
            )
        kind, method = SENDS[request.operation]
        document = _parse(action, kind, request.body)
        receipt: Receipt = await getattr(self, method)(document)
        return receipt

    async def create_purchase_order(self, order: PurchaseOrder) -> Receipt:
        """Create and confirm ``order`` (idempotent by its number in ``reference``)."""
        return await self._create("creating", order, purchases.create_purchase_order)

    async def amend_purchase_order(self, order: PurchaseOrder) -> Receipt:
        """Amend the confirmed purchase to what ``order`` says (idempotent by its revision)."""
        action = f"amending {order.describe()} in {self.name}"
        key = f"{type(order).__name__}:{order.document_number()}"
        return await self._run(action, lambda d: amend_purchase_order(d, order), key=key)

    async def post_receipt(self, receipt: GoodsReceipt) -> Receipt:
        """Receive ``receipt`` against its purchase orders (idempotent by receipt number)."""
        return await self._create("posting", receipt, receipts.post_receipt)

    async def create_sales_order(self, order: SalesOrder) -> Receipt:
        """Create, confirm and process ``order`` (idempotent by its number)."""
        create = partial(sales.create_sales_order, warehouse=self.config.warehouse)
        return await self._create("creating", order, create)

    async def confirm_shipment(self, confirmation: ShipmentConfirmation) -> Receipt:
        """Mark the shipment done with the shipped quantities (a done shipment is a duplicate)."""
        return await self._create("confirming", confirmation, shipments.confirm_shipment)

    async def post_adjustment(self, adjustment: InventoryAdjustment) -> Receipt:
        """Post a warehouse's adjustment to stock (idempotent by its id)."""
        return await self._create("posting", adjustment, post_adjustment)

    async def invoice_sales_order(self, order: SalesOrder) -> Receipt:
        """Invoice the sale ``order`` names for ``order``'s quantities (idempotent by number)."""
        return await self._create("invoicing", order, invoice_sales_order)

    async def record_supplier_invoice(self, invoice: Invoice) -> Receipt:
        """Record ``invoice`` as a draft supplier invoice (idempotent by its number)."""
        return await self._create("recording", invoice, record_supplier_invoice)

    async def _create(
        self, verb: str, document: D, create: Callable[[TrytonDirectory, D], Receipt]
    ) -> Receipt:
        action = f"{verb} {document.describe()} in {self.name}"
        key = f"{type(document).__name__}:{document.document_number()}"
        return await self._run(action, lambda d: create(d, document), key=key)

    async def read_confirmed_purchase_orders(
        self, cursor: PurchaseCursor | None = None, *, limit: int = 100
    ) -> tuple[list[PurchaseOrder], PurchaseCursor | None]:
        """Purchases confirmed (or changed) since ``cursor``, oldest first, and the next cursor."""
        settle = self.config.poll_settle_seconds
        return await self._run(
            f"reading purchase orders from {self.name}",
            lambda d: purchases.read_confirmed_since(d, cursor, limit=limit, settle_seconds=settle),
        )

    async def read_purchase_orders_since(
        self, cursor: str | None, *, limit: int = 100
    ) -> tuple[list[PurchaseOrder], str | None]:
        """The purchases after ``cursor`` with the cursor as text: a ``PurchaseOrderFeed``."""
        position = None if cursor is None else PurchaseCursor.decode(cursor)
        orders, following = await self.read_confirmed_purchase_orders(position, limit=limit)
        return orders, None if following is None else following.encode()

    async def read_purchase_order(self, po_number: str) -> PurchaseOrder | None:
        """The purchase order with this number, if Tryton has it."""
        return await self._read(
            f"purchase order {po_number}", purchases.read_purchase_order, po_number
        )

    async def read_receipt(self, receipt_number: str) -> GoodsReceipt | None:
        """The receipt (incoming shipment) with this number, if Tryton has it."""
        return await self._read(f"receipt {receipt_number}", receipts.read_receipt, receipt_number)

    async def read_sales_order(self, order_number: str) -> SalesOrder | None:
        """The sales order with this number, if Tryton has it."""
        return await self._read(f"sales order {order_number}", sales.read_sales_order, order_number)

    async def read_outgoing_shipments(self, order_number: str) -> list[ShipmentOrder]:
        """The outgoing shipments of a sales order, as shipment orders."""
        read = shipments.read_outgoing_shipments
        return await self._read(f"shipments of sales order {order_number}", read, order_number)

    async def read_shipment_confirmation(
        self, shipment_order_number: str, *, carrier: CarrierRef
    ) -> ShipmentConfirmation | None:
        """A done outgoing shipment as a confirmation (Tryton keeps no carrier: give it)."""
        read = partial(shipments.read_shipment_confirmation, carrier=carrier)
        return await self._read(f"shipment {shipment_order_number}", read, shipment_order_number)

    async def read_supplier_invoice(self, invoice_number: str) -> Invoice | None:
        """The supplier invoice with this number, if Tryton has it."""
        return await self._read(f"invoice {invoice_number}", read_supplier_invoice, invoice_number)

    async def read_stock(
        self, warehouse_id: str, skus: Sequence[str] | None = None
    ) -> InventorySnapshot:
        """Stock on hand and allocated per item in a warehouse (all goods by default)."""
        return await self._run(
            f"reading stock of {warehouse_id} from {self.name}",
            lambda d: master.read_stock(d, warehouse_id, skus),
        )

    async def read_items(self) -> list[Item]:
        """Every goods product with a code, as items."""
        return await self._run(
            f"reading items from {self.name}", lambda d: master.read_items(d, system=self.name)
        )

    async def read_suppliers(self) -> list[Party]:
        """Parties in the party category Supplier."""
        return await self._parties(PartyRole.SUPPLIER)

    async def read_customers(self) -> list[Party]:
        """Parties in the party category Customer."""
        return await self._parties(PartyRole.CUSTOMER)

    async def _parties(self, role: PartyRole) -> list[Party]:
        return await self._run(
            f"reading {role}s from {self.name}",
            lambda d: master.read_parties(d, role, system=self.name),
        )

    async def read_warehouses(self) -> list[Warehouse]:
        """Every Tryton warehouse with an address."""
        return await self._run(
            f"reading warehouses from {self.name}",
            lambda d: master.read_warehouses(d, system=self.name),
        )

    async def read_customer_credit(self, party_ids: Sequence[str]) -> dict[str, CustomerCredit]:
        """Credit limit and exposure per customer code (codes Tryton lacks are left out)."""
        return await self._run(
            f"reading customer credit from {self.name}",
            lambda d: read_customer_credit(d, party_ids),
        )

    async def read_sales_prices(self, skus: Sequence[str] | None = None) -> list[Price]:
        """List prices of salable, active products (of ``skus`` when given)."""
        return await self._run(
            f"reading sales prices from {self.name}", lambda d: read_sales_prices(d, skus)
        )

    async def _read(self, what: str, read: Callable[[TrytonDirectory, str], T], number: str) -> T:
        return await self._run(f"reading {what} from {self.name}", lambda d: read(d, number))


def _parse(action: str, kind: type[Document], body: Mapping[str, Any]) -> Document:
    try:
        return kind.model_validate_json(orjson.dumps(dict(body), default=_json_default))
    except (ValidationError, TypeError) as exc:
        raise SchemaViolation(f"{action}: the body is not a {kind.kind}: {exc}") from exc


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
