"""The installation's own certificate authority for the Kubernetes API over HTTPS.

Made once, on first use, under ``var/kube-tls/``: a CA (its certificate goes into every kubeconfig as
``certificate-authority-data``) and a server certificate it signs for the names kubectl dials
(``PODPATH_ALLOWED_HOSTS``, 127.0.0.1 and localhost). ``podpath serve --tls`` serves them with
daphne's TLS endpoint; behind nginx, give nginx these two files instead.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from django.conf import settings

TEN_YEARS = datetime.timedelta(days=3650)


def tls_dir() -> Path:
    return Path(settings.VAR_DIR) / "kube-tls"


def ca_certificate() -> bytes:
    """The CA's certificate (PEM), made with the server's on first use."""
    ensure_certificates()
    return (tls_dir() / "ca.crt").read_bytes()


def server_files() -> tuple[Path, Path]:
    """The server's certificate and key files, for daphne's ``ssl:`` endpoint or nginx."""
    ensure_certificates()
    return tls_dir() / "server.crt", tls_dir() / "server.key"


def ensure_certificates() -> None:
    directory = tls_dir()
    if (directory / "server.key").exists():
        return
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Podpath Kubernetes API CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + TEN_YEARS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    hosts = {h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")} | {"localhost", "127.0.0.1"}
    names: list[x509.GeneralName] = []
    for host in sorted(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "podpath")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + TEN_YEARS)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    private = serialization.PrivateFormat.PKCS8
    (directory / "ca.crt").write_bytes(ca.public_bytes(pem))
    (directory / "server.crt").write_bytes(server.public_bytes(pem))
    key_file = directory / "server.key"
    key_file.write_bytes(key.private_bytes(pem, private, serialization.NoEncryption()))
    os.chmod(key_file, 0o600)
