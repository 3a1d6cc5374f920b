"""TLS for the embedded server: a self-signed certificate made at start, or the caller's own pair.

Rules: :func:`self_signed` writes a fresh key and certificate (valid for ``localhost``, ``127.0.0.1`` and
``::1``, plus the host asked for) into a new private directory and returns their paths; clients trust the
certificate file (``ssl.create_default_context(cafile=...)``, ``NODE_EXTRA_CA_CERTS``, ``SSL_CERT_FILE``).
:func:`server_context` builds the server's ``SSLContext`` from a pair. Nothing is downloaded; the key never
leaves the directory (mode 0600).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
from pathlib import Path

__all__ = ["client_context", "self_signed", "server_context"]


def self_signed(host: str = "127.0.0.1", directory: str | Path | None = None) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` (EC P-256, valid one year) and return (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="sk-realtime-tls-"))
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for address in {"127.0.0.1", "::1", host}:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            names.append(x509.DNSName(address))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sk-realtime local server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(b"")
    os.chmod(key_path, 0o600)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_context(cert: str | Path, key: str | Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    return context


def client_context(cert: str | Path) -> ssl.SSLContext:
    """A client context that trusts ``cert`` (the embedded server's certificate)."""
    return ssl.create_default_context(cafile=str(cert))
