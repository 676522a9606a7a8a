"""The certificate of the TLS servers: self-signed, made when the runner starts its first TLS server.

Like agnhost's bundled ``localhost.crt`` it names localhost, 127.0.0.1 and ::1; clients are expected
to skip verification (``curl -k``), as the e2e suites do. ``cryptography`` is imported only here, so
a runner without TLS servers does not pay for it.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from pathlib import Path

_context: ssl.SSLContext | None = None


def server_context() -> ssl.SSLContext:
    """Return the runner's TLS server context, making its key and certificate on first use."""
    global _context
    if _context is None:
        cert_pem, key_pem = self_signed_pem("localhost")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # The ssl module loads keys only from files: write them to a private directory for a moment.
        with tempfile.TemporaryDirectory(prefix="podpath-tls-") as directory:
            cert, key = Path(directory) / "cert.pem", Path(directory) / "key.pem"
            cert.write_bytes(cert_pem)
            key.touch(mode=0o600)
            key.write_bytes(key_pem)
            context.load_cert_chain(cert, key)
        _context = context
    return _context


def self_signed_pem(common_name: str) -> tuple[bytes, bytes]:
    """Return (certificate, private key) in PEM for ``common_name``, localhost and loopback."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Podpath"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )
    now = datetime.datetime.now(datetime.UTC)
    alt_names = [
        *(x509.DNSName(n) for n in dict.fromkeys((common_name, "localhost"))),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem
