"""The landscape file as pydantic models: runtime settings, systems, ownership, partners, flows.

Every model forbids unknown keys (``flows`` alone takes any flow name);
``docs/configuration.md`` is the reference for users.

Secrets never sit in the file: a key ending in ``_env`` names an environment
variable, one ending in ``_file`` a file; :meth:`SecretRefs.secret` reads them
when a connector asks, never at load time. Relative paths are resolved against
``context={"base_dir": ...}`` (see :func:`build_landscape`). Reading the YAML
and reporting problems with their line numbers is ``landscape.py``'s job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)

from distsync.config_api import ApiPolicy
from distsync.config_as2 import As2Settings
from distsync.config_inventory import InventoryPolicy
from distsync.config_policy import DeliveryPolicy
from distsync.config_security import SecurityConfig, check_partners
from distsync.config_x12 import X12Identity
from distsync.secret_source import read_secret

Scalar = str | int | float | bool
Profile = Literal["embedded", "postgres", "cluster"]
LogLevel = Literal["debug", "info", "warning", "error"]
PartnerKind = Literal["supplier", "customer", "carrier", "warehouse", "channel"]
TransportName = Literal["as2", "http", "sftp", "directory"]
DOCUMENT_TYPE_PATTERN = r"^(x12-\d{3}|json-[a-z0-9_-]+|csv-[a-z0-9_-]+)$"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
OWNERSHIP_KEY_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
SECRET_NAMES = frozenset({"password", "token", "secret", "api_key", "client_secret", "private_key"})
SECRET_SUFFIXES = ("_password", "_token", "_secret", "_api_key")
INTERNAL_FIELDS = frozenset({"secret_env", "secret_files", "options"})
RATE_UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$")
_DB_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+]*)://(?P<rest>.*)$")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([a-z]+)\s*$")


def _is_inline_secret(key: str) -> bool:
    """True when ``key`` looks like a secret written into the file itself."""
    return key in SECRET_NAMES or key.endswith(SECRET_SUFFIXES)


def _scalar(value: object) -> Scalar:
    if isinstance(value, str | int | float | bool):
        return value
    raise ValueError("should be a single value: text, a number, or true/false")


def _env_key(key: str) -> str:
    if not key.endswith("_env"):
        raise ValueError(f"secrets never sit in the landscape file: use {key}_env or {key}_file")
    return key


def _url(value: str) -> str:
    if not _URL.match(value):
        raise ValueError("should be a URL such as http://127.0.0.1:8000")
    return value


def _rate_per_second(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _RATE.match(value) if isinstance(value, str) else None
    if match is None or match.group(2) not in RATE_UNITS:
        raise ValueError("should look like 20/s, 600/min or 1000/h")
    return float(match.group(1)) / RATE_UNITS[match.group(2)]


def _resolve(value: str, info: ValidationInfo) -> str:
    path = Path(value).expanduser()
    base = info.context.get("base_dir") if isinstance(info.context, Mapping) else None
    return str(Path(base) / path) if base is not None and not path.is_absolute() else str(path)


Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
Url = Annotated[str, AfterValidator(_url)]
OptionValue = Annotated[Scalar, PlainValidator(_scalar)]
EnvKey = Annotated[str, AfterValidator(_env_key)]
EnvVarName = Annotated[str, Field(pattern=ENV_VAR_PATTERN)]
RatePerSecond = Annotated[float, Field(gt=0), BeforeValidator(_rate_per_second)]
NonNegative = Annotated[float, Field(ge=0, strict=True)]
DocumentType = Annotated[str, Field(pattern=DOCUMENT_TYPE_PATTERN)]
OwnershipKey = Annotated[str, Field(pattern=OWNERSHIP_KEY_PATTERN)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryPolicy(_Model):
    """Exponential backoff with full jitter: retry n waits up to min(cap, base * 2**n) seconds."""

    max_attempts: int = Field(8, ge=1, le=1000)
    base_seconds: float = Field(1.0, gt=0)
    cap_seconds: float = Field(300.0, gt=0)


class RetryOverride(_Model):
    """Part of a retry policy; what is left out comes from ``runtime.retry``."""

    max_attempts: int | None = Field(None, ge=1, le=1000)
    base_seconds: float | None = Field(None, gt=0)
    cap_seconds: float | None = Field(None, gt=0)


class SubscriptionSettings(_Model):
    """Overrides for one subscription (``runtime.subscriptions.<name>``)."""

    ordered: bool = False
    retry: RetryOverride | None = None
    concurrency: int | None = Field(None, ge=1, le=256)


class SubscriptionPolicy(_Model):
    """What one subscription runs with: its overrides over the runtime defaults."""

    ordered: bool
    retry: RetryPolicy
    concurrency: int


class HttpSettings(_Model):
    """Where the API, the inbound endpoints and the console listen."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)


class Settings(_Model):
    """The ``runtime`` section: state, batching, leases, retry defaults, HTTP, logging.

    ``database`` is a SQLite file path (relative to the landscape file's folder)
    or a URL (``sqlite:///...``, ``postgresql://...``): ``embedded`` wants
    SQLite, ``postgres`` and ``cluster`` want PostgreSQL.
    """

    profile: Profile = "embedded"
    database: str = Field("var/distsync.sqlite", validate_default=True)
    batch_size: int = Field(100, ge=1, le=10_000)
    concurrency: int = Field(4, ge=1, le=256)
    lease_seconds: int = Field(30, ge=1, le=3600)
    max_payload_bytes: int = Field(1_048_576, ge=1024)
    poll_interval_ms: int = Field(200, ge=1, le=60_000)
    retry: RetryPolicy = RetryPolicy()
    http: HttpSettings = HttpSettings()
    log_level: LogLevel = "info"
    durability: Literal["full", "normal"] = "full"
    subscriptions: dict[Name, SubscriptionSettings] = {}

    @field_validator("database")
    @classmethod
    def _database_fits_profile(cls, value: str, info: ValidationInfo) -> str:
        match = _DB_URL.match(value)
        kind = match.group("scheme").split("+")[0] if match else "sqlite"
        if (profile := info.data.get("profile")) is None:
            return value  # the profile itself is wrong and reported
        wanted = "sqlite" if profile == "embedded" else "postgresql"
        if kind != wanted:
            raise ValueError(f"profile {profile} needs a {wanted} database, not {kind}")
        if match is None:
            return _resolve(value, info)
        rest = match.group("rest")
        if kind == "sqlite" and rest.startswith("/") and rest[1:] not in ("", ":memory:"):
            return f"{match.group('scheme')}:///{_resolve(rest[1:], info)}"
        return value

    @property
    def database_url(self) -> str:
        """The database as a SQLAlchemy URL; a bare path becomes ``sqlite:////abs/path``."""
        if _DB_URL.match(self.database):
            return self.database
        return f"sqlite:///{Path(self.database).resolve()}"

    def subscription_policy(self, name: str) -> SubscriptionPolicy:
        """The settings subscription ``name`` runs with, defaults filled in."""
        own = self.subscriptions.get(name, SubscriptionSettings())
        changes = own.retry.model_dump(exclude_none=True) if own.retry else {}
        retry = self.retry.model_copy(update=changes)
        return SubscriptionPolicy(
            ordered=own.ordered, retry=retry, concurrency=own.concurrency or self.concurrency
        )


class SecretRefs(_Model):
    """Secret references: ``<name>_env: VARIABLE`` and ``<name>_file: path``.

    Validation collects them into ``secret_env`` and ``secret_files``; a key
    that looks like an inline secret (``password``, ``token``, ...) is refused.
    """

    secret_env: dict[EnvKey, EnvVarName] = {}
    secret_files: dict[Annotated[str, Field(pattern=r"_file$")], str] = {}

    @model_validator(mode="before")
    @classmethod
    def _collect_secrets(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        has_options = "options" in cls.model_fields
        out: dict[str, Any] = {"secret_env": {}, "secret_files": {}}
        if has_options:
            out["options"] = {}
        for key, value in data.items():
            name = str(key)
            if name in out and isinstance(value, Mapping):  # a model dump read back
                out[name] |= value
            elif name.endswith("_env") or _is_inline_secret(name):
                out["secret_env"][key] = value
            elif name.endswith("_file"):
                out["secret_files"][key] = value
            elif key in cls.model_fields or not has_options:
                out[key] = value
            else:
                out["options"][key] = value  # type-specific, for the connector registry
        return out

    @field_validator("secret_files")
    @classmethod
    def _resolve_files(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        return {key: _resolve(path, info) for key, path in value.items()}

    @model_validator(mode="after")
    def _one_source_per_secret(self) -> SecretRefs:
        for key in self.secret_env:
            if key.removesuffix("_env") + "_file" in self.secret_files:
                raise ValueError(f"give {key} or {key[:-4]}_file, not both")
        return self

    def secret(self, name: str) -> str:
        """Read secret ``name`` (``password``, ``token``) now, from its variable or file."""
        variable = self.secret_env.get(f"{name}_env")
        return read_secret(name, variable=variable, file=self.secret_files.get(f"{name}_file"))


class SystemConfig(SecretRefs):
    """One system distsync talks to (``systems.<name>``): ERP, WMS, carrier, shop.

    ``type`` picks the connector. ``rate_limit`` is written ``20/s``,
    ``600/min`` or ``1000/h`` (a bare number means calls per second) and is
    held as calls per second. Keys the common model does not know land in
    ``options``; the connector registry validates them per type.
    """

    type: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
    url: Url | None = None
    rate_limit: RatePerSecond | None = None
    concurrency: int | None = Field(None, ge=1, le=256)
    timeout_seconds: float | None = Field(None, gt=0, le=3600)
    policy: DeliveryPolicy = DeliveryPolicy()
    options: dict[str, OptionValue] = {}


class Channel(SecretRefs):
    """How a partner's documents travel: ``as2`` needs ``as2_id``, ``sftp`` a ``url``,
    ``directory`` a ``path`` (relative to the landscape file's folder).

    An ``as2`` channel is used only with ``certificate_file`` (the partner's PEM
    certificate: it verifies what the partner signs, and we encrypt to it) and
    ``url`` (where we send); building the services checks them. The other AS2
    keys have safe defaults and are refused on other transports (``docs/as2.md``).
    """

    transport: TransportName
    url: Url | None = None
    as2_id: str | None = Field(None, min_length=1, max_length=128)
    user: str | None = None
    path: str | None = None
    sign: bool = Field(True, description="as2: sign what we send with our key")
    encrypt: bool = Field(True, description="as2: encrypt what we send to the partner")
    mdn: Literal["sync", "async"] = Field(
        "sync", description="as2: the partner answers its MDN at once, or later to as2.mdn_url"
    )
    require_signed: bool = Field(True, description="as2: refuse unsigned messages")
    require_encrypted: bool = Field(True, description="as2: refuse unencrypted messages")
    encryption: Literal["aes_256_cbc", "aes_192_cbc", "aes_128_cbc", "tripledes_192_cbc"] = (
        "aes_256_cbc"
    )
    digest: Literal["sha256", "sha384", "sha512", "sha1"] = "sha256"
    signature: Literal["rsassa_pkcs1v15", "rsassa_pss"] = "rsassa_pkcs1v15"
    oauth2_token_url: Url | None = Field(
        None, description="http: get bearer tokens here (OAuth 2.0 client credentials)"
    )
    oauth2_client_id: str | None = Field(None, min_length=1, max_length=256)
    oauth2_scope: str | None = None
    oauth2_audience: str | None = None
    oauth2_client_auth: Literal["basic", "body"] = "basic"

    @field_validator("path")
    @classmethod
    def _resolve_path(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _resolve(value, info)

    @model_validator(mode="after")
    def _transport_has_what_it_needs(self) -> Channel:
        needs = {"as2": "as2_id", "sftp": "url", "directory": "path", "http": "url"}.get(
            self.transport
        )
        if needs is not None and getattr(self, needs) is None:
            raise ValueError(f"transport {self.transport} needs {needs}")
        return self

    @model_validator(mode="after")
    def _oauth2_is_whole(self) -> Channel:
        fields = type(self).model_fields
        given = sorted(k for k in OAUTH2_CHANNEL_KEYS if getattr(self, k) != fields[k].default)
        if given and self.transport != "http":
            raise ValueError(f"{', '.join(given)}: only an http channel takes these keys")
        if not given:
            return self
        if self.oauth2_token_url is None or self.oauth2_client_id is None:
            raise ValueError("oauth2 needs both oauth2_token_url and oauth2_client_id")
        secret = ("client_secret_env" in self.secret_env) or (
            "client_secret_file" in self.secret_files
        )
        if not secret:
            raise ValueError("oauth2 needs client_secret_env or client_secret_file")
        if "token_env" in self.secret_env or "token_file" in self.secret_files:
            raise ValueError("give a fixed token (token_env, token_file) or oauth2_*, not both")
        return self

    @model_validator(mode="after")
    def _as2_keys_only_on_as2(self) -> Channel:
        fields = type(self).model_fields
        given = sorted(k for k in AS2_CHANNEL_KEYS if getattr(self, k) != fields[k].default)
        if self.transport != "as2" and given:
            raise ValueError(f"{', '.join(given)}: only an as2 channel takes these keys")
        return self


OAUTH2_CHANNEL_KEYS = frozenset(
    {"oauth2_token_url", "oauth2_client_id", "oauth2_scope", "oauth2_audience",
     "oauth2_client_auth"}
)  # fmt: skip

AS2_CHANNEL_KEYS = frozenset(
    {"sign", "encrypt", "mdn", "require_signed", "require_encrypted", "encryption", "digest",
     "signature"}
)  # fmt: skip


class Partner(_Model):
    """A trading partner: what it is, how it is identified and reached, what it exchanges."""

    kind: PartnerKind
    x12: X12Identity | None = None
    channel: Channel | None = None
    sends: list[DocumentType] = []
    receives: list[DocumentType] = []
    sku_xref: str | None = None
    party_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="The party id the ERP gives this partner (its supplier code); "
        "defaults to the partner's name.",
    )
    portal: Name | None = Field(
        None,
        description="A system (type http-json) that is this partner's own API: a supplier's "
        "order portal (it takes purchase orders as JSON, operation purchase_order, instead of "
        "an X12 850), or a web shop's admin API (which holds its webhook_secret_env or _file).",
    )
    ack_deadline_hours: NonNegative | None = Field(
        None,
        description="How long this partner has to answer what we send (its 997, and a "
        "supplier's acknowledgement); flows.procure.ack_deadline_hours when not given.",
    )

    def ack_deadline(self, default_hours: float) -> float:
        """Hours this partner has to acknowledge: its own deadline, else the flow's."""
        return default_hours if self.ack_deadline_hours is None else self.ack_deadline_hours

    def erp_party_id(self, name: str) -> str:
        """The ERP's party id of the partner called ``name`` in the landscape."""
        return self.party_id or name

    @field_validator("sku_xref")
    @classmethod
    def _resolve_xref(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _resolve(value, info)

    @model_validator(mode="after")
    def _x12_documents_need_an_identity(self) -> Partner:
        if self.x12 is None and any(d.startswith("x12-") for d in self.sends + self.receives):
            raise ValueError("exchanges X12 documents, so it needs an x12 identity")
        return self


class ProcurePolicy(_Model):
    """Tolerances and deadlines of the procure flow (PO, acknowledgement, ASN, receipt, invoice).

    Percentages are of the ordered (or expected) figure; a difference exactly at the
    tolerance is within it. ``distsync.rules.tolerances.Tolerances.from_policy`` turns
    this into the exact decimals the rules compare with.
    """

    asn_qty_tolerance_pct: NonNegative = Field(
        0.0,
        description="How far, in percent of the ordered quantity, a PO line may be "
        "over-shipped in total across its ship notices; shipping less is a partial shipment.",
    )
    asn_date_tolerance_days: NonNegative = Field(
        0.0,
        description="How many days a ship notice's delivery date may lie before or after "
        "the PO line's requested delivery date.",
    )
    price_tolerance_pct: NonNegative = Field(
        0.0,
        description="How far, in percent, an acknowledged or invoiced unit price (and an "
        "invoice total) may differ from the order's, up or down.",
    )
    po_wait_minutes: NonNegative = Field(
        60.0,
        description="How long a document naming an unknown purchase order is retried "
        "before it is parked as purchase order not found.",
    )
    ack_deadline_hours: NonNegative = Field(
        24.0, description="How long a supplier has to acknowledge a purchase order."
    )
    ack_qty_tolerance_pct: NonNegative = Field(
        0.0,
        description="How far, in percent, an acknowledgement may change a line's quantity "
        "and still be applied without a buyer.",
    )
    ack_date_tolerance_days: NonNegative = Field(
        0.0,
        description="How many days an acknowledgement may move a line's delivery date and "
        "still be applied without a buyer.",
    )
    receipt_qty_tolerance_pct: NonNegative = Field(
        0.0,
        description="How far, in percent of the ship notice's quantity, a warehouse receipt "
        "may differ (short, over or damaged) before it is raised as a receipt variance.",
    )
    invoice_qty_tolerance_pct: NonNegative = Field(
        0.0,
        description="How far, in percent of the received quantity, a supplier may invoice "
        "more than was received and not yet invoiced.",
    )
    invoice_charge_codes: tuple[Annotated[str, Field(pattern=r"^[A-Z0-9]{4}$")], ...] = Field(
        ("D240",),
        description="X12 SAC02 codes of the charges an invoice may carry (D240 freight); "
        "allowances are always accepted.",
    )
    invoice_charge_tolerance_pct: NonNegative = Field(
        10.0,
        description="The most an invoice's charges may add, in percent of its lines' amount.",
    )
    enabled: bool = Field(
        False,
        description="Run the procure flow: poll the ERP's confirmed purchase orders, send them "
        "to suppliers, and handle acknowledgements, ship notices, receipts and invoices.",
    )
    poll_seconds: float = Field(
        5.0, gt=0, le=3600, description="How often the ERP is asked for new purchase orders."
    )
    master_data_minutes: float = Field(
        15.0,
        gt=0,
        le=1440,
        description="How often items, suppliers and warehouses are read from the ERP into "
        "the reference cache.",
    )
    erp: Name = Field(
        "erp",
        description="The system that owns purchase orders: receipts are posted to it, "
        "supplier invoices recorded in it and accepted acknowledgements amend its orders.",
    )
    warehouses: dict[Annotated[str, Field(min_length=1, max_length=64)], str] = Field(
        default_factory=dict,
        description="Where each warehouse learns of a matched ship notice: "
        "'partner:<name>' sends an X12 943 to that 3PL; a system name calls its "
        "expected_receipt operation (a WMS over REST). A warehouse not listed is "
        "not told.",
    )


WarehouseId = Annotated[str, Field(min_length=1, max_length=64)]


class OrdersPolicy(_Model):
    """Order release: validation, allocation, shipment and invoicing of sales orders."""

    enabled: bool = Field(
        False,
        description="Run the order-to-cash flow: validate and release sales orders from every "
        "channel, allocate them to warehouses, post them to the ERP, confirm shipments and "
        "invoice delivered orders.",
    )
    erp: Name = Field(
        "erp",
        description="The system that owns sales orders, customer credit and the price list "
        "(it needs create_sales_order, confirm_shipment and invoice_sales_order).",
    )
    price_tolerance_pct: NonNegative = Field(
        0.0,
        description="How far, in percent, an order's unit price may differ from the list price "
        "before the line is held for a person.",
    )
    check_stock: bool = Field(
        True,
        description="Hold a line when the network's available to promise does not cover it.",
    )
    split: bool = Field(
        True,
        description="Ship an order from several warehouses when no single one holds it all; "
        "false ships complete or holds the order.",
    )
    regions: dict[str, list[WarehouseId]] = Field(
        default_factory=dict,
        description="Warehouses in order of preference per ship-to region (the address's "
        "region code, '*' for any other); warehouses not listed are tried after, by id.",
    )
    warehouses: dict[WarehouseId, str] = Field(
        default_factory=dict,
        description="How each warehouse gets its shipment orders: 'partner:<name>' sends an "
        "X12 940 to that 3PL; a system name calls its shipment_order operation (a WMS). "
        "Only warehouses listed here are allocated.",
    )
    short_shipment: Literal["backorder", "exception"] = Field(
        "backorder",
        description="What a line shipped short becomes: a backorder kept on the order, or an "
        "exception for a person (short_shipment).",
    )
    terms_ttl_seconds: float = Field(
        60.0,
        gt=0,
        le=86_400,
        description="How long customer credit and the price list read from the ERP are used "
        "before they are read again.",
    )
    invoice_on_delivery: bool = Field(
        True,
        description="Ask the ERP to invoice each of the order's sales once every portion of "
        "the order is delivered.",
    )


class ShippingPolicy(_Model):
    """Rate quotes at checkout (``POST /v1/shipping/rates``): whom to ask, how long to wait."""

    carriers: tuple[Name, ...] = Field(
        (),
        description="The systems asked for rate quotes (POST {url}/rates), by name; each "
        "must be declared under systems with a url. Empty: the rates route is not served.",
    )
    rate_deadline_ms: int = Field(
        800,
        ge=50,
        le=30_000,
        strict=True,
        description="How long, in milliseconds, a checkout waits for the carriers' quotes; "
        "a carrier that has not answered by then is reported timed_out.",
    )


class Flows(BaseModel):
    """Policies per flow. ``procure``, ``shipping``, ``orders`` and ``inventory`` are typed;
    other flows are plain key/value mappings."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[Name, dict[str, OptionValue]] = Field(init=False)

    procure: ProcurePolicy = ProcurePolicy()
    shipping: ShippingPolicy = ShippingPolicy()
    orders: OrdersPolicy = OrdersPolicy()
    inventory: InventoryPolicy = InventoryPolicy()


def _owner_declared(owner: str, info: ValidationInfo) -> str:
    systems = info.data.get("systems")
    if systems is not None and not any(fnmatchcase(name, owner) for name in systems):
        raise ValueError(f"{owner!r} matches no system declared under systems")
    return owner


class Landscape(_Model):
    """One distributor's landscape: the whole landscape file."""

    tenant: Name = "default"
    runtime: Settings = Settings()
    systems: dict[Name, SystemConfig] = {}
    ownership: dict[OwnershipKey, Annotated[str, AfterValidator(_owner_declared)]] = {}
    partners: dict[Name, Partner] = {}
    flows: Flows = Flows()
    x12: X12Identity | None = None  # our own interchange identity, when we trade X12
    security: SecurityConfig | None = None  # who may call the HTTP API; None: open on loopback
    api: ApiPolicy = ApiPolicy()  # rate limits and body limits of the HTTP API
    as2: As2Settings | None = None  # our own AS2 identity, when a partner trades over AS2

    @model_validator(mode="before")
    @classmethod
    def _empty_sections_are_defaults(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        given = {key: value for key, value in data.items() if value is not None}
        return {"runtime": {}} | given  # validated, so its paths resolve against base_dir

    @model_validator(mode="after")
    def _security_partners_declared(self) -> Landscape:
        if self.security is not None and (problems := check_partners(self.security, self.partners)):
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _carriers_are_systems_with_a_url(self) -> Landscape:
        for name in self.flows.shipping.carriers:
            system = self.systems.get(name)
            if system is None or system.url is None:
                raise ValueError(
                    f"flows.shipping.carriers names {name}, which is not a system with a url"
                )
        return self

    @model_validator(mode="after")
    def _adjustments_go_to_a_system(self) -> Landscape:
        erp = self.flows.inventory.adjustments_erp
        if erp is not None and erp not in self.systems:
            raise ValueError(f"flows.inventory.adjustments_erp names {erp}, which is not a system")
        return self


def build_landscape(data: Mapping[str, Any], *, base_dir: Path) -> Landscape:
    """Validate plain landscape data, resolving relative paths against ``base_dir``."""
    return Landscape.model_validate(data, context={"base_dir": base_dir})


def default_landscape(base_dir: Path) -> Landscape:
    """The zero set-up landscape: embedded profile, ``var/distsync.sqlite`` under ``base_dir``."""
    return build_landscape({}, base_dir=base_dir)
