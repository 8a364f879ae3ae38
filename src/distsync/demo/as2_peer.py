"""An AS2 trading partner built on pyas2lib: a real HTTP server on 127.0.0.1, and a client.

As a server (``POST /as2``) it decrypts and verifies what distsync sends,
keeps each payload once per Message-ID (:attr:`As2Peer.received`; a repeated
Message-ID is answered ``processed/Warning: duplicate-document``), and answers
a signed MDN: synchronously, or, when the message names a
``Receipt-Delivery-Option``, by POSTing it there after a 200.
:meth:`As2Peer.stop` and :meth:`As2Peer.start` take it down and up again on
the same port; ``lose_answers`` makes it take a message and then answer 503,
as when its MDN is lost on the way back.

As a client, :meth:`As2Peer.send` signs and encrypts a payload to distsync
(``tamper=True`` changes one byte of the signed content before encrypting),
POSTs it (``HttpTransport``: a non-2xx answer raises its taxonomy error) and
verifies the MDN (:class:`PeerResult`).

:func:`make_key_pair` writes a self-signed RSA certificate and its key as
PEM files, valid for a chosen number of days (tests and the demo).

Deliberately independent of ``transports/as2.py``: both sides meeting in the
middle is what the round trip proves. pyas2lib comes through ``as2_backend``.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request, Response

from distsync.transports.as2_backend import load
from distsync.transports.http import HttpAnswer, HttpTransport

__all__ = ["As2Peer", "KeyPair", "PeerResult", "make_key_pair"]


@dataclass(frozen=True)
class KeyPair:
    """A PEM private key file (certificate appended) and the certificate alone."""

    key_file: Path
    certificate_file: Path

    @property
    def certificate(self) -> bytes:
        return self.certificate_file.read_bytes()


def make_key_pair(folder: Path, name: str, *, days: float = 365) -> KeyPair:
    """A self-signed RSA key and certificate (``CN=<name>``), valid ``days`` from now
    (negative: expired that long ago)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ends = datetime.now(UTC) + timedelta(days=days)  # in the past, for an expired one
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(min(datetime.now(UTC), ends) - timedelta(days=1))
        .not_valid_after(ends)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    folder.mkdir(parents=True, exist_ok=True)
    pair = KeyPair(folder / f"{name}-key.pem", folder / f"{name}-cert.pem")
    pair.key_file.write_bytes(key_pem + cert_pem)
    pair.certificate_file.write_bytes(cert_pem)
    return pair


@dataclass(frozen=True)
class PeerResult:
    """distsync's answer to a message the peer sent: HTTP status and the verified MDN."""

    status_code: int
    message_id: str
    disposition: str | None
    detail: str | None


@dataclass
class As2Peer:
    """The partner ``as2_id`` holding ``keys``, trading with distsync (``distsync_id``)."""

    as2_id: str
    keys: KeyPair
    distsync_id: str
    distsync_certificate: bytes
    received: list[bytes] = field(default_factory=list)
    lose_answers: int = 0
    mdn_url: str | None = None
    _message_ids: set[str] = field(default_factory=set)
    _port: int = 0
    _server: uvicorn.Server | None = None
    _serving: asyncio.Task[None] | None = None
    _listener: socket.socket | None = None
    _tasks: set[asyncio.Task[HttpAnswer]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/as2"

    def reserve_port(self) -> int:
        """Pick the port now (the server may start later): distsync's channel points at it."""
        if self._port == 0:
            probe = socket.create_server(("127.0.0.1", 0))
            self._port = probe.getsockname()[1]
            probe.close()
        return self._port

    async def start(self) -> None:
        self.reserve_port()
        self._listener = socket.create_server(("127.0.0.1", self._port))  # queues until served
        self._listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        config = uvicorn.Config(self._app(), log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        self._serving = asyncio.create_task(self._server.serve(sockets=[self._listener]))

    async def stop(self) -> None:
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving
        if self._listener is not None:
            self._listener.close()
        self._server = self._serving = self._listener = None
        for task in list(self._tasks):
            await task

    async def send(
        self, url: str, payload: bytes, *, tamper: bool = False, message_id: str | None = None
    ) -> PeerResult:
        """Sign and encrypt ``payload`` to distsync, POST it to ``url``, verify the MDN."""
        as2 = load()
        message = as2.Message(self._organization(), self._distsync(mdn="SYNC"))
        if tamper:
            _build_tampered(as2, message, payload)
        else:
            message.build(payload, filename="order.edi", content_type="application/edi-x12",
                          message_id=message_id)  # fmt: skip
        headers = {k: v for k, v in message.headers.items() if k != "MIME-Version"}
        answer = await _post(url, headers, message.content)
        if b"disposition-notification" not in answer.body:
            return PeerResult(answer.status, message.message_id, None, None)
        raw = _raw(dict(answer.headers), answer.body)
        status, detail = as2.Mdn().parse(raw, find_message_cb=lambda *_: message)
        return PeerResult(answer.status, message.message_id, status, detail)

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/as2")
        async def receive(request: Request) -> Response:
            return await self._receive(_raw(dict(request.headers), await request.body()))

        return app

    async def _receive(self, raw: bytes) -> Response:
        as2 = load()
        message = as2.Message()
        status, _, mdn = message.parse(
            raw,
            find_org_cb=lambda _: self._organization(),
            find_partner_cb=lambda _: self._distsync(mdn=None),
            find_message_cb=lambda mid, _: mid in self._message_ids,
        )
        if status == "processed":
            self._message_ids.add(message.message_id)
            self.received.append(message.content)
            if self.lose_answers > 0:
                self.lose_answers -= 1
                return Response(b"answer lost", status_code=503)
        if mdn is None:
            return Response(b"", status_code=200)
        headers = {k: v for k, v in mdn.headers.items() if k != "MIME-Version"}
        if mdn.mdn_mode == "ASYNC":
            task = asyncio.create_task(_post(mdn.mdn_url, headers, mdn.content))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return Response(b"", status_code=200)
        return Response(mdn.content, headers=headers)

    def _organization(self) -> Any:
        key = self.keys.key_file.read_bytes()
        return load().Organization(
            as2_name=self.as2_id, sign_key=key, decrypt_key=key, mdn_url=self.mdn_url,
            domain=f"{self.as2_id.lower()}.peer",
        )  # fmt: skip

    def _distsync(self, *, mdn: str | None) -> Any:
        cert = self.distsync_certificate
        return load().Partner(
            as2_name=self.distsync_id, verify_cert=cert, encrypt_cert=cert,
            validate_certs=False, sign=True, encrypt=True, enc_alg="aes_256_cbc",
            mdn_mode=mdn, mdn_digest_alg="sha256",
        )  # fmt: skip


def _build_tampered(as2: Any, message: Any, payload: bytes) -> None:
    """Build signed and encrypted as pyas2lib does, but change a byte after signing."""
    receiver = message.receiver
    message.receiver = as2.Partner(**{**receiver.__dict__, "encrypt": False})
    message.build(payload, filename="order.edi", content_type="application/edi-x12")
    signed = as2.mime_to_bytes(message.payload)
    at = signed.index(payload[:20]) + 10  # a byte inside the signed content
    changed = signed[:at] + (b"X" if signed[at : at + 1] != b"X" else b"Y") + signed[at + 1 :]
    envelope = as2.email_message.Message()
    envelope.set_type("application/pkcs7-mime")
    envelope.set_param("smime-type", "enveloped-data")
    envelope.add_header("Content-Transfer-Encoding", "binary")
    envelope.set_payload(as2.encrypt_message(changed, "aes_256_cbc", receiver.load_encrypt_cert()))
    for name, value in message.payload.items():
        if name.lower() not in ("content-type", "mime-version", "content-transfer-encoding"):
            envelope.add_header(name, value)
    message.payload, message.receiver = envelope, receiver


async def _post(url: str, headers: dict[str, str], body: bytes) -> HttpAnswer:
    transport = HttpTransport(url, timeout_seconds=10)
    try:
        return await transport.post(body, headers=headers, action=f"the AS2 peer posting to {url}")
    finally:
        await transport.close()


def _raw(headers: dict[str, str], body: bytes) -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return lines.encode() + b"\r\n" + body
