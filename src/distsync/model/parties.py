"""Parties (suppliers, customers, carriers), addresses, and references to them.

One :class:`Party` with a set of roles, rather than a class per role: the same
company is often supplier and customer at once (a distributor buys from and
sells to its peers), and a carrier is a supplier of transport that also gets
invoices matched. One record per legal entity keeps GLN, D-U-N-S and partner
ids in one place; the roles say which documents it may appear in.

Documents do not embed the party master record; they carry a
:class:`PartyRef` (or a :class:`CarrierRef`): our party id plus whatever
identifiers the sender gave, which is what an EDI N1 segment holds.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import Field, StringConstraints, model_validator

from distsync.model.base import (
    Canonical,
    Code,
    CountryCode,
    Document,
    DocumentNumber,
    Many,
    Name,
    SystemName,
    duplicates,
)
from distsync.model.identifiers import DUNS, GLN

__all__ = [
    "SCAC",
    "Address",
    "AddressPurpose",
    "CarrierRef",
    "PartnerIds",
    "Party",
    "PartyAddress",
    "PartyRef",
    "PartyRole",
    "TrackingNumber",
]

SCAC = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,4}$")]
"""Standard Carrier Alpha Code: two to four upper-case letters (``UPSN``, ``FDEG``)."""

TrackingNumber = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{3,49}$")]
"""A carrier's tracking number (or PRO number) for a package or shipment."""

PartnerIds = dict[SystemName, DocumentNumber]
"""How other systems and partners call this object: ``{"erp": "S-100", "acme": "V0042"}``."""


class PartyRole(StrEnum):
    """What a party does for us."""

    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    CARRIER = "carrier"


class AddressPurpose(StrEnum):
    """What a party's address is used for."""

    MAIN = "main"
    BILLING = "billing"
    SHIPPING = "shipping"
    REMIT_TO = "remit_to"


class Address(Canonical):
    """A postal address; ``name`` is the addressee when it differs from the party."""

    name: Name | None = None
    lines: Many[Name] = Field(min_length=1, max_length=4)
    city: Name
    region: Name | None = None
    postal_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$")]
    country: CountryCode
    gln: GLN | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()./-]{4,32}$")] | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None


class PartyAddress(Address):
    """An address in the party master, with what it is used for."""

    purpose: AddressPurpose


class PartyRef(Canonical):
    """A party as a document names it: our id, plus the identifiers the sender gave."""

    party_id: Code
    name: Name | None = None
    gln: GLN | None = None
    duns: DUNS | None = None


class CarrierRef(Canonical):
    """The carrier of a shipment and the service booked (``ground``, ``express``)."""

    party_id: Code
    name: Name | None = None
    scac: SCAC | None = None
    service: Name | None = None


class Party(Document):
    """A supplier, customer or carrier as master data (event ``party.changed``)."""

    number_field: ClassVar[str] = "party_id"
    kind: ClassVar[str] = "party"

    party_id: Code
    name: Name
    roles: Many[PartyRole] = Field(min_length=1)
    gln: GLN | None = None
    duns: DUNS | None = None
    scac: SCAC | None = None
    tax_id: DocumentNumber | None = None
    partner_ids: PartnerIds = Field(default_factory=dict)
    addresses: Many[PartyAddress] = ()
    active: bool = True

    @model_validator(mode="after")
    def _roles_are_distinct(self) -> Self:
        repeated = duplicates(list(self.roles))
        if repeated:
            raise ValueError(f"{self.describe()}: roles lists {repeated[0]} twice")
        return self

    @model_validator(mode="after")
    def _scac_only_for_carriers(self) -> Self:
        if self.scac is not None and PartyRole.CARRIER not in self.roles:
            raise ValueError(f"{self.describe()}: scac is set but roles does not include carrier")
        return self

    def has_role(self, role: PartyRole) -> bool:
        """Whether this party acts in ``role``."""
        return role in self.roles

    def address_for(self, purpose: AddressPurpose) -> PartyAddress | None:
        """The first address for ``purpose``, else the main address, else none."""
        for wanted in (purpose, AddressPurpose.MAIN):
            for address in self.addresses:
                if address.purpose is wanted:
                    return address
        return None

    def reference(self) -> PartyRef:
        """How documents name this party."""
        return PartyRef(party_id=self.party_id, name=self.name, gln=self.gln, duns=self.duns)
