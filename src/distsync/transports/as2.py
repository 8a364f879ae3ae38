"""AS2 (RFC 4130) at the byte level: messages and MDNs built, parsed and verified with pyas2lib.

- :func:`build_message`: a payload signed with our key and encrypted to the
  partner's certificate (as the partner's :class:`PartnerProfile` says), with
  the Message-ID the caller chooses, so a retry can carry the same one;
- :func:`parse_message`: what a partner POSTed (headers and body) decrypted
  and verified into :class:`Received`: the payload, the Message-ID, the
  disposition, and the MDN to answer (signed when the partner asks for it);
- :func:`answer_with`: the MDN for a message with another disposition (the
  payload was verified but could not be taken);
- :func:`read_mdn`: an MDN for a message we sent, verified against the
  partner's certificate and the MIC we computed.

Failures are translated once, here::

    the partner's MDN says failed or processed/error      Rejected (its disposition quoted)
    an MDN that does not verify, is unsigned though a
    signed one was asked for, or whose MIC differs         PermanentError
    a key or certificate pyas2lib cannot use               ConfigError

A message that does not decrypt or verify is not an exception: it is a
:class:`Received` with ``accepted`` false and the negative MDN to send back.
pyas2lib comes through ``as2_backend`` only.
"""

from __future__ import annotations

import email
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message as MimeMessage
from typing import Any, Literal

from distsync.errors import ConfigError, PermanentError, Rejected
from distsync.transports.as2_backend import load

__all__ = [
    "DUPLICATE",
    "MdnOutcome",
    "MdnToSend",
    "Ours",
    "Outbound",
    "PartnerProfile",
    "Received",
    "answer_with",
    "build_message",
    "is_mdn",
    "mdn_original_id",
    "parse_message",
    "raw_message",
    "read_mdn",
]

DUPLICATE = "duplicate-document"
MDN_TYPES = ("multipart/report",)
LOCAL_MDN_FAILURES = ("Failed to parse", "Expected signed MDN", "mdn-not-found", "original-")


@dataclass(frozen=True)
class Ours:
    """Our AS2 identity: id, private key PEM (certificate after it), its password, MDN URL."""

    as2_id: str
    key_and_certificate: bytes
    key_password: str | None = None
    mdn_url: str | None = None


@dataclass(frozen=True)
class PartnerProfile:
    """A partner's AS2 id, certificate (PEM) and what its channel asks for."""

    as2_id: str
    certificate: bytes
    sign: bool = True
    encrypt: bool = True
    mdn: Literal["sync", "async"] = "sync"
    require_signed: bool = True
    require_encrypted: bool = True
    encryption: str = "aes_256_cbc"
    digest: str = "sha256"
    signature: str = "rsassa_pkcs1v15"


@dataclass(frozen=True)
class Outbound:
    """A built message: HTTP headers and body, its Message-ID and the MIC its MDN must quote."""

    message_id: str
    headers: dict[str, str]
    body: bytes
    mic: str | None


@dataclass(frozen=True)
class MdnToSend:
    """An MDN: HTTP headers and body; ``url`` is where to POST it when it is asynchronous."""

    headers: dict[str, str]
    body: bytes
    url: str | None


@dataclass(frozen=True)
class Received:
    """An inbound message after decryption and verification."""

    message_id: str
    partner: str
    disposition: str
    detail: str | None
    payload: bytes | None
    mdn: MdnToSend | None
    parsed: Any  # pyas2lib's message, to answer it again with another disposition

    @property
    def accepted(self) -> bool:
        return self.disposition == "processed"

    @property
    def duplicate(self) -> bool:
        return self.detail == DUPLICATE


@dataclass(frozen=True)
class MdnOutcome:
    """What an MDN says of one message we sent."""

    message_id: str
    disposition: str
    detail: str | None

    @property
    def duplicate(self) -> bool:
        return (self.detail or "").strip() == DUPLICATE


def build_message(
    ours: Ours,
    partner: PartnerProfile,
    payload: bytes,
    *,
    message_id: str,
    filename: str,
    content_type: str = "application/edi-x12",
) -> Outbound:
    """``payload`` as an AS2 message to ``partner``, Message-ID ``<message_id>@<our domain>``."""
    as2 = load()
    with map_setup_errors(f"building an AS2 message to {partner.as2_id}"):
        message = as2.Message(_organization(ours), _partner(partner))
        message.build(
            payload,
            filename=filename,
            subject=f"{filename} from {ours.as2_id}",
            content_type=content_type,
            message_id=message_id,
        )
    headers = {str(k): str(v) for k, v in message.headers.items() if k != "MIME-Version"}
    mic = None if message.mic is None else message.mic.decode()
    return Outbound(message.message_id, headers, message.content, mic)


def parse_message(
    ours: Ours, partner: PartnerProfile, raw: bytes, *, seen_before: bool
) -> Received:
    """Decrypt and verify ``raw`` (headers, blank line, body); ``seen_before``: a replay."""
    as2 = load()
    message = as2.Message()
    with map_setup_errors(f"reading an AS2 message from {partner.as2_id}"):
        status, (failure, _), mdn = message.parse(
            raw,
            find_org_cb=lambda _: _organization(ours),
            find_partner_cb=lambda _: _partner(partner, inbound=True),
            find_message_cb=lambda _, __: seen_before,
        )
    disposition = str(status)
    accepted = disposition == "processed"
    return Received(
        message_id=str(message.message_id or ""),
        partner=partner.as2_id,
        disposition=disposition,
        detail=None if accepted else _modifier(failure),
        payload=_payload(message) if accepted else None,
        mdn=_to_send(mdn),
        parsed=message,
    )


def answer_with(received: Received, disposition: str, detail: str) -> MdnToSend | None:
    """The MDN for ``received`` saying ``disposition: detail`` (None: no MDN was asked for)."""
    if received.mdn is None:
        return None
    as2 = load()
    original = received.parsed
    with map_setup_errors(f"answering AS2 message {received.message_id}"):
        mdn = as2.Mdn(
            mdn_mode="ASYNC" if received.mdn.url else "SYNC",
            digest_alg=None,
            mdn_url=received.mdn.url,
        )
        mdn.build(message=original, status=disposition, detailed_status=detail)
    return _to_send(mdn)


def read_mdn(
    partner: PartnerProfile, raw: bytes, *, message_id: str, mic: str | None
) -> MdnOutcome:
    """The outcome the MDN ``raw`` reports for our message ``message_id``; raises on failure."""
    as2 = load()
    original = as2.Message(None, _partner(partner))
    original.message_id = message_id
    original.mic = None if mic is None else mic.encode()
    mdn = as2.Mdn()
    status, detail = mdn.parse(raw, find_message_cb=lambda *_: original)
    action = f"AS2 message {message_id} to {partner.as2_id}"
    disposition = str(status or "")
    text = None if detail is None else str(detail).strip()
    if mdn.orig_message_id not in (None, message_id):
        raise PermanentError(f"{action}: the MDN is for message {mdn.orig_message_id}")
    if disposition == "failed/Failure" and (text or "").startswith(LOCAL_MDN_FAILURES):
        raise PermanentError(f"{action}: the MDN does not verify: {text}")
    if disposition == "processed/warning" and mic is not None:
        raise PermanentError(f"{action}: the MDN quotes another MIC than ours ({text})")
    outcome = MdnOutcome(message_id, disposition, text)
    if disposition != "processed" and not outcome.duplicate:
        raise Rejected(f"{action}: the partner answered {disposition}: {text or '-'}")
    return outcome


def raw_message(headers: Mapping[str, str], body: bytes) -> bytes:
    """HTTP headers and body as the one MIME text pyas2lib parses."""
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return lines.encode("utf-8") + b"\r\n" + body


def is_mdn(raw: bytes) -> bool:
    """True when ``raw`` is an MDN (a disposition report, signed or not), not a message."""
    mime = email.message_from_bytes(raw)
    return any(part.get_content_type() in MDN_TYPES for part in mime.walk())


def mdn_original_id(raw: bytes) -> str | None:
    """The Original-Message-ID an MDN reports on, unverified (to find what it answers)."""
    for part in email.message_from_bytes(raw).walk():
        if part.get_content_type() == "message/disposition-notification":
            fields = part.get_payload()
            first = fields[0] if isinstance(fields, list) and fields else None
            found = first.get("Original-Message-ID") if isinstance(first, MimeMessage) else None
            return None if found is None else str(found).strip().strip("<>")
    return None


@contextmanager
def map_setup_errors(action: str) -> Iterator[None]:
    """pyas2lib's complaints about keys, certificates and settings, as ``ConfigError``."""
    as2 = load()
    try:
        yield
    except (as2.ImproperlyConfigured, as2.AS2Exception, ValueError, OSError) as exc:
        raise ConfigError(f"{action}: {exc}") from exc


def _organization(ours: Ours) -> Any:
    key = ours.key_and_certificate
    return load().Organization(
        as2_name=ours.as2_id,
        sign_key=key,
        sign_key_pass=ours.key_password,
        decrypt_key=key,
        decrypt_key_pass=ours.key_password,
        mdn_url=ours.mdn_url,
        domain=_domain(ours.as2_id),
    )


def _partner(profile: PartnerProfile, *, inbound: bool = False) -> Any:
    return load().Partner(
        as2_name=profile.as2_id,
        verify_cert=profile.certificate,
        encrypt_cert=profile.certificate,
        validate_certs=False,  # the certificate is pinned: the file is the trust
        sign=profile.require_signed if inbound else profile.sign,
        encrypt=profile.require_encrypted if inbound else profile.encrypt,
        enc_alg=profile.encryption,
        digest_alg=profile.digest,
        sign_alg=profile.signature,
        mdn_mode=profile.mdn.upper(),
        mdn_digest_alg=profile.digest,
    )


def _domain(as2_id: str) -> str:
    kept = "".join(c if c.isalnum() or c in "-." else "-" for c in as2_id.lower())
    return f"{kept.strip('-.') or 'as2'}.as2"


def _payload(message: Any) -> bytes:
    content = message.content
    return content if isinstance(content, bytes) else str(content).encode()


def _modifier(failure: BaseException | None) -> str:
    return str(getattr(failure, "disposition_modifier", "") or "unexpected-processing-error")


def _to_send(mdn: Any) -> MdnToSend | None:
    if mdn is None:
        return None
    headers = {str(k): str(v) for k, v in mdn.headers.items() if k != "MIME-Version"}
    body = mdn.content
    return MdnToSend(headers, body if isinstance(body, bytes) else body.encode(), mdn.mdn_url)
