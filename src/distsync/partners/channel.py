"""The connector of an X12 trading partner: destination ``partner:<name>``.

One per partner whose landscape entry has a ``channel`` with transport
``http``, ``directory`` or ``as2``; :func:`build_channels` makes them, and the caller
(``bootstrap``) wraps each in the delivery policy as a system's connector is
(timeout, retries, breaker): this package knows no policy.

``send(request)`` takes operation ``x12-<set>`` (``x12-850``) with the
canonical document as body, and:

1. validates the document and writes the set's body with the partner's map
   options, so a refused document draws no control number;
2. draws ISA13, GS06 and ST02 from the partner's counters under the request's
   idempotency key (a retry gets the same numbers);
3. looks for the group recorded under that GS06 (``acks.find_sent_group``):
   when it is this request's, its recorded bytes go out again, so a retry is
   byte-identical; otherwise it renders the interchange and records it
   (``outbound.x12_group_sent``, with its acknowledgement deadline) before
   anything leaves;
4. hands the bytes to the transport:

   - ``http``: POSTed to ``channel.url`` as ``application/edi-x12`` with
     ``Idempotency-Key`` and ``X-Correlation-ID`` (and ``Authorization:
     Bearer`` when the channel has ``token_env`` or ``token_file``);
   - ``directory``: written atomically into ``<channel.path>/outbound/`` as
     ``<partner>_<set>_<ISA13>.edi``; a retry replaces its own file;
   - ``as2``: signed, encrypted and POSTed to ``channel.url``, its MDN
     verified (``channel_as2.py``; a retry carries the same Message-ID).

An operation that is not ``x12-<set>``, a set the partner is not declared to
receive (``partners.<name>.receives``) and a document the map refuses are
permanent errors. SFTP channels are refused when the services are built
(``ConfigError``). What partners send comes in through ``/v1/inbound/x12``
(``api/inbound.py``), ``/v1/as2`` (``api/as2.py``) or, for a directory
channel, ``<path>/inbound/`` (``inbox.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Protocol

import orjson

from distsync.config import Channel, Landscape, Partner, SystemConfig
from distsync.errors import ConfigError, SchemaViolation
from distsync.model.envelope import Envelope
from distsync.partners import acks, x12_out
from distsync.partners.acks import SentGroupRecord
from distsync.partners.channel_as2 import As2Courier, As2Documents, As2Sender
from distsync.runtime.ports import (
    AppendResult,
    Connector,
    ControlNumbers,
    LogInspector,
    OutboundRequest,
    Receipt,
)
from distsync.transports import directory
from distsync.transports.http import HttpAnswer, HttpTransport
from distsync.transports.oauth2_client import ClientCredentials, ClientCredentialsSettings

__all__ = [
    "DESTINATION_PREFIX",
    "ChannelLog",
    "Wrap",
    "X12Channel",
    "build_channels",
    "destination",
]

DESTINATION_PREFIX = "partner:"
CONTENT_TYPE = "application/edi-x12"
OUTBOUND_FOLDER = "outbound"
AVAILABLE = ("http", "directory", "as2")


def destination(partner: str) -> str:
    """The outbox destination of a partner's channel: ``partner:<name>``."""
    return DESTINATION_PREFIX + partner


class ChannelLog(ControlNumbers, LogInspector, As2Documents, Protocol):
    """What a channel needs of the backend: counters, reads of the log, appends, documents."""

    async def append(self, envelopes: Sequence[Envelope]) -> AppendResult: ...


class Courier(Protocol):
    """Moves one interchange to the partner; errors are the taxonomy's."""

    async def deliver(self, record: SentGroupRecord, request: OutboundRequest) -> Receipt: ...

    async def close(self) -> None: ...


class X12Channel:
    """Renders ``x12-<set>`` requests for one partner and delivers them (module docstring)."""

    def __init__(
        self,
        *,
        partner: str,
        landscape: Landscape,
        log: ChannelLog,
        courier: Courier,
        clock: Callable[[], datetime],
    ) -> None:
        self.partner = partner
        self._landscape = landscape
        self._log = log
        self._courier = courier
        self._clock = clock

    async def connect(self) -> None:
        return None  # the transports connect on first use

    async def close(self) -> None:
        await self._courier.close()

    async def send(self, request: OutboundRequest) -> Receipt:
        record = await self.sent_group(request)
        return await self._courier.deliver(record, request)

    async def sent_group(self, request: OutboundRequest) -> SentGroupRecord:
        """The group this request sends: recorded before, or rendered and recorded now."""
        set_id = self._set_id(request)
        identity = x12_out.partner_identity(self._landscape, self.partner)
        document = x12_out.read_document(set_id, identity, request.body, partner=self.partner)
        body = x12_out.write_body(self._landscape, self.partner, set_id, document)
        key = request.idempotency_key
        controls = await x12_out.assign_controls(self._log, self.partner, key)
        found = await acks.find_sent_group(self._log, self.partner, controls[1])
        if found is not None and found.request_key == key:
            return found
        record = self._record(request, body, controls)
        result = await self._log.append([acks.sent_group_envelope(record)])
        if result.duplicates:  # recorded meanwhile by another attempt: send that one
            return await acks.find_sent_group(self._log, self.partner, controls[1]) or record
        return record

    def _record(
        self, request: OutboundRequest, body: x12_out.Body, controls: x12_out.Controls
    ) -> SentGroupRecord:
        now = self._clock()
        rendered = x12_out.render(self._landscape, self.partner, body, controls=controls, at=now)
        return SentGroupRecord(
            partner=self.partner,
            destination=request.destination,
            request_key=request.idempotency_key,
            correlation_id=request.correlation_id,
            interchange_control=rendered.isa13,
            group_control=str(rendered.group_control),
            functional_id=rendered.functional_id,
            set_ids=(rendered.set_id,),
            set_controls=(rendered.st02,),
            document_numbers=(rendered.document_number,),
            sent_at=now,
            ack_due=now + acks.ack_deadline(self._landscape, self.partner),
            file_name=f"{self.partner}_{rendered.set_id}_{rendered.isa13}.edi",
            text=rendered.text,
        )

    def _set_id(self, request: OutboundRequest) -> str:
        operation = request.operation
        set_id = operation.removeprefix("x12-")
        if not (operation.startswith("x12-") and set_id.isdigit() and len(set_id) == 3):
            raise SchemaViolation(
                f"sending {operation} to {request.destination}: a partner channel takes "
                "operations x12-<set>, such as x12-850"
            )
        receives = self._landscape.partners[self.partner].receives
        if operation not in receives:
            raise SchemaViolation(
                f"sending {operation} to {request.destination}: {self.partner} is not declared "
                f"to receive it (partners.{self.partner}.receives: {', '.join(receives) or '-'})"
            )
        return set_id


class HttpCourier:
    """POSTs the interchange to the channel's URL."""

    def __init__(self, partner: str, channel: Channel) -> None:
        self._partner = partner
        self._channel = channel
        self._transport: HttpTransport | None = None
        self._tokens: ClientCredentials | None = None

    async def deliver(self, record: SentGroupRecord, request: OutboundRequest) -> Receipt:
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Idempotency-Key": request.idempotency_key,
            "X-Correlation-ID": request.correlation_id,
        }
        action = f"sending {_describe(record)} to {self._partner}"
        answer = await self._connected().post(record.text.encode(), headers=headers, action=action)
        return Receipt(remote_id=_remote_id(answer), duplicate=_replayed(answer))

    async def close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.close()
        tokens, self._tokens = self._tokens, None
        if tokens is not None:
            await tokens.close()

    def _connected(self) -> HttpTransport:
        if self._transport is None:
            channel = self._channel
            has_token = "token_env" in channel.secret_env or "token_file" in channel.secret_files
            token = channel.secret("token") if has_token else None
            self._tokens = _client_credentials(self._partner, channel)
            self._transport = HttpTransport(channel.url or "", token=token, tokens=self._tokens)
        return self._transport


def _client_credentials(partner: str, channel: Channel) -> ClientCredentials | None:
    """The channel's OAuth 2.0 token source, when it has ``oauth2_token_url``."""
    if channel.oauth2_token_url is None or channel.oauth2_client_id is None:
        return None
    settings = ClientCredentialsSettings(
        system=f"partner {partner}",
        token_url=channel.oauth2_token_url,
        client_id=channel.oauth2_client_id,
        client_secret=partial(channel.secret, "client_secret"),
        scope=channel.oauth2_scope,
        audience=channel.oauth2_audience,
        client_auth=channel.oauth2_client_auth,
    )
    return ClientCredentials(settings)


class DirectoryCourier:
    """Writes the interchange into ``<path>/outbound/``, named by its control numbers."""

    def __init__(self, folder: Path) -> None:
        self._transport = directory.DirectoryTransport(folder / OUTBOUND_FOLDER, create=True)

    async def deliver(self, record: SentGroupRecord, request: OutboundRequest) -> Receipt:
        written = await self._transport.write(record.file_name, record.text.encode())
        return Receipt(remote_id=written.path.name, duplicate=written.replaced_same)

    async def close(self) -> None:
        return None


Wrap = Callable[[str, Connector, SystemConfig], Connector]
"""Puts a connector in a delivery policy: ``(destination, connector, settings) -> connector``."""


def build_channels(
    landscape: Landscape,
    log: ChannelLog,
    *,
    clock: Callable[[], datetime],
    wrap: Wrap,
    skip: Collection[str] = (),
) -> dict[str, Connector]:
    """One connector per partner with a channel, by destination, each passed through ``wrap``.

    ``wrap`` gets the policy settings of a channel (``SystemConfig`` with the
    channel's URL and the default policy). Destinations in ``skip`` are not
    built (tests and the demo put their own).
    """
    built: dict[str, Connector] = {}
    for name, partner in landscape.partners.items():
        channel = partner.channel
        if channel is None or destination(name) in skip:
            continue
        if partner.x12 is None and _drops_json_only(partner):
            continue  # its folder is read by the inbox; nothing is sent to it yet
        if partner.x12 is None:
            raise ConfigError(
                f"partners.{name}.channel: only X12 partners have a channel yet; give {name} "
                "an x12 identity, or reach it as a system"
            )
        x12_out.own_identity(landscape)
        courier = _courier(name, channel, landscape, log, clock)
        connector = X12Channel(
            partner=name, landscape=landscape, log=log, courier=courier, clock=clock
        )
        system = SystemConfig(type="x12-channel", url=channel.url)
        built[destination(name)] = wrap(destination(name), connector, system)
    return built


def _courier(
    name: str,
    channel: Channel,
    landscape: Landscape,
    log: ChannelLog,
    clock: Callable[[], datetime],
) -> Courier:
    if channel.transport == "http":
        if channel.url is None:
            raise ConfigError(f"partners.{name}.channel: transport http needs url")
        return HttpCourier(name, channel)
    if channel.transport == "directory" and channel.path is not None:
        return DirectoryCourier(Path(channel.path))
    if channel.transport == "as2":
        sender = As2Sender(partner=name, landscape=landscape, documents=log, clock=clock)
        return As2Courier(sender)
    raise ConfigError(
        f"partners.{name}.channel: transport {channel.transport} is not available yet; "
        f"use one of {', '.join(AVAILABLE)}"
    )


def _describe(record: SentGroupRecord) -> str:
    numbers = ", ".join(record.document_numbers)
    return f"{'/'.join(record.set_ids)} {numbers} (ISA13 {record.interchange_control})"


def _remote_id(answer: HttpAnswer) -> str | None:
    if "json" not in (answer.header("content-type") or ""):
        return None
    try:
        parsed = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        return None
    found = parsed.get("id") if isinstance(parsed, dict) else None
    return None if found is None else str(found)


def _replayed(answer: HttpAnswer) -> bool:
    return (answer.header("idempotent-replayed") or "").strip().lower() == "true"


def _drops_json_only(partner: Partner) -> bool:
    """A partner without X12 that drops JSON documents into a directory channel."""
    channel = partner.channel
    return (
        channel is not None
        and channel.transport == "directory"
        and any(d.startswith("json-") for d in partner.sends)
    )
