"""Certificates for the serving tier's TLS and mutual TLS.

* ``check_ca_bundle`` validates the client CA bundle an environment names (at the config edge, so a
  wrong file fails before synthesis with the file, field, value and fix).
* ``ensure_local_server_certificate`` creates the throwaway listener certificate that the `local`
  environment imports into the emulator's ACM (cloud environments use an ACM private CA instead). It is
  written under ``.emulator/pki`` (git-ignored) and reused while valid; private keys are never committed.
* ``python -m stacks.config.pki example-ca <env>`` writes an example client CA certificate (public part
  only) to ``environments/pki/<env>-client-ca.pem``; replace it with your organisation's client CA.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
_PEM_CERT = b"-----BEGIN CERTIFICATE-----"


# Bounds for files an environment names: a CA bundle or a revocation list of a real CA is a few KB.
MAX_PKI_FILE_BYTES = 1024 * 1024


def _read_bounded(path: Path) -> bytes | str:
    """The bytes of a regular file of at most MAX_PKI_FILE_BYTES, else what is wrong with it."""
    try:
        if not path.is_file():
            return "is not a regular file" if path.exists() else "cannot be read (No such file or directory)"
        with path.open("rb") as handle:
            data = handle.read(MAX_PKI_FILE_BYTES + 1)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if len(data) > MAX_PKI_FILE_BYTES:
        return f"is larger than {MAX_PKI_FILE_BYTES // 1024} KiB"
    return data


def check_ca_bundle(path: Path, *, now: dt.datetime | None = None) -> str | None:
    """None when ``path`` is a PEM bundle of CA certificates valid at ``now``, else what is wrong with it."""
    data = _read_bounded(path)
    if isinstance(data, str):
        return data
    if _PEM_CERT not in data:
        return "holds no PEM certificate"
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        return f"is not valid PEM ({exc})"
    now = now or dt.datetime.now(dt.UTC)
    for certificate in certificates:
        subject = certificate.subject.rfc4514_string()
        try:
            constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            constraints = None
        except ValueError as exc:  # a malformed extension
            return f"contains {subject!r}, whose extensions cannot be parsed ({exc})"
        if constraints is None or not constraints.ca:
            return f"contains {subject!r}, which is not a CA certificate"
        if certificate.not_valid_after_utc <= now:
            return (f"contains {subject!r}, which expired on {certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC, "
                    "so no client certificate it signed can be verified")
        if certificate.not_valid_before_utc > now:
            return (f"contains {subject!r}, which is not valid before "
                    f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")
    return None


def check_revocation_list(path: Path) -> str | None:
    """None when ``path`` is a PEM or DER certificate revocation list, else what is wrong with it."""
    data = _read_bounded(path)
    if isinstance(data, str):
        return data
    try:
        if b"-----BEGIN X509 CRL-----" in data:
            x509.load_pem_x509_crl(data)
        else:
            x509.load_der_x509_crl(data)
    except ValueError as exc:
        return f"is not a PEM or DER certificate revocation list ({exc})"
    return None


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, *, ca: bool, days: int,
                 dns_name: str | None = None) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "zero-trust-ai-platform"),
                      x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
    )
    if dns_name:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
    return builder.sign(key, hashes.SHA256())


def ensure_local_server_certificate(certificate_file: Path, private_key_file: Path, dns_name: str) -> bool:
    """Create the emulator's self-signed listener certificate unless a valid one exists. True if created."""
    if certificate_file.exists() and private_key_file.exists():
        current = x509.load_pem_x509_certificate(certificate_file.read_bytes())
        if current.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=7):
            return False
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _certificate(dns_name, key, ca=False, days=90, dns_name=dns_name)
    certificate_file.parent.mkdir(parents=True, exist_ok=True)
    private_key_file.touch(mode=0o600, exist_ok=True)
    private_key_file.write_bytes(_key_pem(key))
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return True


def write_example_client_ca(env: str, out: Path) -> None:
    """An example client CA (public certificate only; the key is discarded)."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _certificate(f"ztai-{env} example client CA", key, ca=True, days=3650)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.config.pki", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    example = sub.add_parser("example-ca", help="write environments/pki/<env>-client-ca.pem")
    example.add_argument("env")
    args = parser.parse_args(argv)
    out = ROOT / "environments" / "pki" / f"{args.env}-client-ca.pem"
    write_example_client_ca(args.env, out)
    print(out.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def prepare_imported_certificate(config: object, root: Path = ROOT) -> bool:
    """Before deploying an environment whose listener certificate is imported from files (`local`),
    make sure those files exist. True if a certificate was created."""
    from stacks.config.model import EnvironmentConfig, ImportedCertificateConfig

    assert isinstance(config, EnvironmentConfig)
    certificate = config.serving.certificate
    if not isinstance(certificate, ImportedCertificateConfig):
        return False
    return ensure_local_server_certificate(root / certificate.certificate_file, root / certificate.private_key_file,
                                           dns_name=f"serving.{config.tags.get('environment', 'local')}.ztai.internal")
