"""AS2 certificates and keys from PEM files, and how long each certificate has left.

:func:`read_certificate` and :func:`read_private_key` read PEM files and
check them with ``cryptography``, so a wrong file is refused at once with its
path and what is wrong (``ConfigError``), instead of as a failed signature at
the first message. :func:`expiry` says whose a certificate is, its subject and
the seconds until its ``not_valid_after`` (negative once it has expired).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from distsync.errors import ConfigError

__all__ = [
    "CertificateExpiry",
    "expiry",
    "read_certificate",
    "read_pem",
    "read_private_key",
]


@dataclass(frozen=True)
class CertificateExpiry:
    """One certificate's owner (``us`` or a partner's name), subject and time left."""

    owner: str
    subject: str
    not_valid_after: datetime
    seconds_left: float

    @property
    def expired(self) -> bool:
        return self.seconds_left <= 0


def read_pem(path: str, *, what: str) -> bytes:
    """The bytes of a PEM file; ``what`` names it in the error (``partners.acme certificate``)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"reading the {what} from {path}: {exc.strerror}") from exc
    if b"-----BEGIN " not in data:
        raise ConfigError(f"the {what} in {path} is not PEM (no -----BEGIN line)")
    return data


def read_certificate(path: str, *, what: str) -> bytes:
    """A PEM certificate file, checked; its bytes as read."""
    data = read_pem(path, what=what)
    load_certificate(data, path=path, what=what)
    return data


def load_certificate(data: bytes, *, path: str, what: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise ConfigError(f"the {what} in {path} is not a PEM certificate: {exc}") from exc


def read_private_key(path: str, password: str | None, *, what: str) -> bytes:
    """A PEM RSA private key file (encrypted when ``password`` is given), checked."""
    data = read_pem(path, what=what)
    secret = None if password is None else password.encode()
    try:
        key = serialization.load_pem_private_key(data, password=secret)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"the {what} in {path} cannot be read: a PEM private key, "
            f"with private_key_password_env/_file when it is encrypted ({exc})"
        ) from exc
    if not isinstance(key, RSAPrivateKey):
        raise ConfigError(f"the {what} in {path} is not an RSA key (AS2 signs with RSA)")
    return data


def expiry(data: bytes, *, owner: str, path: str, now: datetime) -> CertificateExpiry:
    """Who owns the certificate in ``data`` and how long it has left at ``now``."""
    certificate = load_certificate(data, path=path, what=f"{owner} certificate")
    ends = certificate.not_valid_after_utc
    return CertificateExpiry(
        owner=owner,
        subject=certificate.subject.rfc4514_string(),
        not_valid_after=ends,
        seconds_left=(ends - now.astimezone(UTC)).total_seconds(),
    )
