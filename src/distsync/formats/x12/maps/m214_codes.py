"""The 214's code tables: shipment status (AT701) to milestone, and status reasons (AT702).

Milestones follow the meaning of each X12 code (4010 code list; the 5010
"shipment status indicator" list keeps these codes):

- ``label_created``: the carrier knows the shipment and has not taken it yet
  (acknowledged, pick-up estimated, arrived at the pick-up location or dock);
- ``picked_up``: loading at, or departed from, the pick-up location;
- ``in_transit``: terminals, connecting carriers, ramps, customs, estimates;
- ``out_for_delivery``: en route to, tendered for, arrived or spotted at the
  delivery location;
- ``delivered``: unloading completed, or departed the delivery location;
- ``exception``: refused, damaged, attempted, not completed, cancelled,
  delayed, held, paperwork without goods;
- ``returned``: returned to the shipper.

A code not in the table is read as ``exception`` with the carrier's code kept
and a warning: an unknown status is surfaced to a person rather than guessed,
and rather than stopping every update of the shipment.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from distsync.model.tracking import Milestone
from distsync.rules.tracking_codes import X12_MILESTONES

MILESTONES: Mapping[str, Milestone] = X12_MILESTONES
"""AT701 shipment status code → milestone."""

DEFAULT_CODES: Mapping[Milestone, str] = MappingProxyType({
    Milestone.LABEL_CREATED: "XB", Milestone.PICKED_UP: "AF", Milestone.IN_TRANSIT: "P1",
    Milestone.OUT_FOR_DELIVERY: "X6", Milestone.DELIVERED: "D1", Milestone.EXCEPTION: "SD",
    Milestone.RETURNED: "A3",
})  # fmt: skip
"""The code written for a milestone when the event's own code is not an X12 214 code."""

ESTIMATED_DELIVERY = "AG"
NORMAL = "NS"
OTHER = "BG"

REASONS: Mapping[str, str] = MappingProxyType({
    "A1": "Missed Delivery", "A2": "Incorrect Address", "A3": "Indirect Delivery",
    "A5": "Unable to Locate", "A6": "Address Corrected - Delivery Attempted",
    "AA": "Mis-sort", "AD": "Customer Requested Future Delivery",
    "AE": "Restricted Articles Unacceptable", "AF": "Accident", "AG": "Consignee Related",
    "AH": "Driver Related", "AI": "Mechanical Breakdown", "AJ": "Other Carrier Related",
    "AK": "Damaged, Rewrapped in Hub", "AL": "Previous Stop", "AM": "Shipper Related",
    "AN": "Holiday - Closed", "AO": "Weather or Natural Disaster Related",
    "AQ": "Recipient Unavailable - Delivery Delayed", "AR": "Improper International Paperwork",
    "AS": "Hold Due to Customs Documentation Problems",
    "AT": "Unable to Contact Recipient for Broker Information",
    "AV": "Exceeds Service Limitations", "AW": "Past Cut-off Time",
    "AX": "Insufficient Pick-up Time", "AY": "Missed Pick-up",
    "AZ": "Alternate Carrier Delivered", "B1": "Consignee Closed", "B2": "Trap for Customer",
    "B5": "Held for Consignee", "B8": "Improper Unloading Facility or Equipment",
    "B9": "Receiving Time Restricted", "BB": "Held per Shipper", "BC": "Missing Documents",
    "BD": "Border Clearance", "BE": "Road Conditions", "BF": "Carrier Keying Error",
    "BG": "Other", "BH": "Insufficient Time to Complete Delivery", "BI": "Cartage Agent",
    "BL": "Held for Protective Service", "BS": "Refused by Customer",
    "BT": "Returned to Shipper", "C1": "Waiting for Customer Pick-up", "C2": "Credit Hold",
    "C3": "Suspended at Customer Request", "C4": "Customer Vacation", "C5": "Customer Strike",
    "C6": "Waiting Shipping Instructions", "C7": "Waiting for Customer Specified Carrier",
    "C8": "Collect on Delivery Required", "C9": "Cash Not Available From Consignee",
    "CA": "Customs (Import or Export)",
    "CB": "No Requested Arrival Date Provided by Shipper",
    "CC": "No Requested Arrival Time Provided by Shipper", "D1": "Carrier Dispatch Error",
    "D2": "Driver Not Available", "F2": "International Non-carrier Delay",
    "P1": "Processing Delay", "P2": "Waiting Inspection", "P3": "Production Falldown",
    "P4": "Held for Full Carrier Load", "RC": "Reconsigned",
    "T2": "Tractor, Conventional, Not Available", "T3": "Trailer not Available",
    "T4": "Trailer Not Usable Due to Prior Product", "T5": "Trailer Class Not Available",
    "T6": "Trailer Volume Not Available", "T7": "Insufficient Delivery Time",
})  # fmt: skip
"""AT702 shipment status reason → its X12 name (what ``exception_reason`` says)."""

REASON_CODES: Mapping[str, str] = MappingProxyType(
    {name.casefold(): code for code, name in REASONS.items()}
)
