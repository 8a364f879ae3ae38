"""Customer credit from Tryton: the credit limit and what counts against it.

Mapping (``party.party`` -> canonical ``CustomerCredit``)::

    code                  party_id
    credit_limit_amount   credit_limit (module account_credit_limit; a value
                          per company, in the company currency; None: no limit)
    credit_amount         exposure: the party's receivable balance (posted
                          account move lines) plus, with module
                          sale_credit_limit, the untaxed amount of its sales
                          confirmed or processing not yet covered by a posted
                          invoice (shipped but uninvoiced sales still count)
    currency.code         currency (the company's)
    active                active (an archived customer is read, not dropped)

Tryton checks the same figure itself when a sale is confirmed: a sale that
would take the customer over its limit is refused (``Rejected``), so an
order must pass the credit check before it is posted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from distsync.connectors.tryton_directory import TrytonDirectory
from distsync.connectors.tryton_map import money
from distsync.model.credit import CustomerCredit

__all__ = ["read_customer_credit"]

FIELDS = ["code", "active", "credit_limit_amount", "credit_amount", "currency.code"]


def read_customer_credit(
    directory: TrytonDirectory, party_ids: Sequence[str]
) -> dict[str, CustomerCredit]:
    """Credit per party code; codes Tryton does not know are left out."""
    if not party_ids:
        return {}
    directory.company()  # the credit limit is per company: the context must name it
    rows = directory.rpc.model(
        "party.party", "search_read", [["code", "in", list(party_ids)]],
        0, None, [["code", "ASC"]], FIELDS, context={"active_test": False},
    )  # fmt: skip
    return {str(row["code"]): _credit(row) for row in rows}


def _credit(row: Mapping[str, Any]) -> CustomerCredit:
    currency = str(row["currency."]["code"])
    limit = row["credit_limit_amount"]
    return CustomerCredit(
        party_id=row["code"],
        currency=currency,
        credit_limit=None if limit is None else money(limit, currency),
        exposure=money(row["credit_amount"] or 0, currency),
        active=bool(row["active"]),
    )
