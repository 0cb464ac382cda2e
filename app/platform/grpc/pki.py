"""A development certificate authority and per-module certificates for mutual TLS.

Layout under ``<instance>/pki``: ``ca.crt``/``ca.key`` and ``<module>.crt``/``<module>.key``
(keys mode 0600, directory 0700). Each module certificate names its module twice: a
SPIFFE-style URI SAN (``spiffe://shop/<module>``) that servers authorise callers by, and a DNS
SAN (``<module>.shop.internal``) that clients check the server against, so a catalog host
cannot pose as the identity host. Keys are ECDSA P-256 (fast handshakes, TLS 1.2 and 1.3).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TRUST_DOMAIN = "shop"
CA_DAYS = 3650
LEAF_DAYS = 90


def spiffe_id(module: str) -> str:
    return f"spiffe://{TRUST_DOMAIN}/{module}"


def server_name(module: str) -> str:
    """The DNS name a client expects in the certificate of ``module``'s host."""
    return f"{module}.{TRUST_DOMAIN}.internal"


@dataclass(frozen=True)
class CertInfo:
    name: str
    subject: str
    sans: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime

    def days_left(self, now: dt.datetime | None = None) -> float:
        now = now or dt.datetime.now(dt.UTC)
        return (self.not_after - now).total_seconds() / 86_400


def _write_private(path: Path, data: bytes) -> None:
    # Created 0600 from the start: the key is never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class Pki:
    """The certificate files of one shop instance (or of a test's throwaway directory)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def ca_cert_path(self) -> Path:
        return self.directory / "ca.crt"

    def cert_path(self, name: str) -> Path:
        return self.directory / f"{name}.crt"

    def key_path(self, name: str) -> Path:
        return self.directory / f"{name}.key"

    def exists(self) -> bool:
        return self.ca_cert_path.exists() and (self.directory / "ca.key").exists()

    def init(self, *, days: int = CA_DAYS, force: bool = False) -> CertInfo:
        """Create the CA (kept when it exists, unless ``force``)."""
        if self.exists() and not force:
            return self.info("ca")
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop development CA")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256())
        )
        _write_private(self.directory / "ca.key", _key_pem(key))
        self.ca_cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return self.info("ca")

    def issue(self, module: str, *, days: int = LEAF_DAYS,
              not_before: dt.datetime | None = None) -> CertInfo:
        """A certificate for ``module`` (client and server use), signed by the CA."""
        if not module.isidentifier():
            raise ValueError(f"module names are identifiers, not {module!r}")
        ca_key = serialization.load_pem_private_key((self.directory / "ca.key").read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate(self.ca_cert_path.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, module)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([
                x509.UniformResourceIdentifier(spiffe_id(module)),
                x509.DNSName(server_name(module)),
            ]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
        )
        _write_private(self.key_path(module), _key_pem(key))
        self.cert_path(module).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return self.info(module)

    def info(self, name: str) -> CertInfo:
        cert = x509.load_pem_x509_certificate(self.cert_path(name).read_bytes())
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            sans = tuple(str(v) for v in san.get_values_for_type(x509.UniformResourceIdentifier))
            sans += tuple(san.get_values_for_type(x509.DNSName))
        except x509.ExtensionNotFound:
            sans = ()
        return CertInfo(name=name, subject=cert.subject.rfc4514_string(), sans=sans,
                        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc)

    def names(self) -> list[str]:
        if not self.directory.exists():
            return []
        return sorted(p.stem for p in self.directory.glob("*.crt"))

    def material(self, name: str) -> tuple[bytes, bytes, bytes]:
        """``(ca certificate, certificate, private key)`` PEM bytes of ``name``."""
        return (self.ca_cert_path.read_bytes(), self.cert_path(name).read_bytes(),
                self.key_path(name).read_bytes())

    def ensure(self, names: list[str]) -> None:
        """Development: make the CA and any missing certificate (kept when present)."""
        self.init()
        for name in names:
            if not self.cert_path(name).exists() or not self.key_path(name).exists():
                self.issue(name)
