"""``trustkit ca init``, ``trustkit cert issue|show|verify``, ``trustkit csr new|show``, ``trustkit crl issue|show``.

A CA directory made by ``ca init`` holds::

    root.key.pem  root.cert.pem  root.crl.pem                      the self-signed root (RFC 5280 4.2.1.9 CA:TRUE)
    intermediate.key.pem  intermediate.cert.pem  intermediate.crl.pem   the issuing CA (pathLen 0)
    chain.pem     the intermediate then the root, for --untrusted/--trust
    ca.json       state: CRL numbers, revoked serials, an index of issued certificates

Private keys are written with mode 0600 and encrypted unless --no-key-password is given; every
file is written atomically, so an interrupted command leaves either the old file or the new one.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from trustkit import sm2
from trustkit.errors import DecodeError, InvalidSignature, TrustkitError, UnsupportedAlgorithmError
from trustkit.pki.algorithms import PublicKey, SigningKey, public_key_of
from trustkit.pki.builder import CertificateProfile, issue_certificate, issue_from_request
from trustkit.pki.certificate import Certificate, load_certificates
from trustkit.pki.crl import CertificateRevocationList, RevocationReason, RevokedCertificate, issue_crl
from trustkit.pki.csr import CertificateRequest
from trustkit.pki.names import make_name, parse_name
from trustkit.pki.validation import Purpose, ValidationContext, ValidationReport, validate_chain

from ._output import (
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    add_password_options,
    check_writable,
    command,
    emit,
    password_from,
    read_input,
    wants_json,
    write_output,
)

T = TypeVar("T")

STATE_FILE = "ca.json"
STATE_FORMAT = "trustkit-ca"
ROLES = ("root", "intermediate")
ALGORITHMS = ("sm2", "p256", "rsa")
RSA_BITS = 3072
MAX_INPUT = 1 << 20  # certificates, CSRs and CRLs larger than 1 MiB are refused (the library caps them too)

PROFILES: dict[str, CertificateProfile] = {
    "seal-signer": CertificateProfile.SEAL_SIGNER,
    "seal-maker": CertificateProfile.SEAL_MAKER,
    "person": CertificateProfile.PERSON,
    "tls-server": CertificateProfile.TLS_SERVER,
    "timestamping": CertificateProfile.TIMESTAMPING,
}

EKU_NAMES = {
    "1.3.6.1.5.5.7.3.1": "serverAuth",
    "1.3.6.1.5.5.7.3.2": "clientAuth",
    "1.3.6.1.5.5.7.3.3": "codeSigning",
    "1.3.6.1.5.5.7.3.4": "emailProtection",
    "1.3.6.1.5.5.7.3.8": "timeStamping",
    "1.3.6.1.5.5.7.3.9": "OCSPSigning",
    "2.5.29.37.0": "anyExtendedKeyUsage",
}

SIGNATURE_ALGORITHMS = {
    "1.2.156.10197.1.501": "sm2sign-with-sm3",
    "1.2.156.10197.1.301.1": "sm2sign",
    "1.2.156.10197.1.301": "sm2",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
    "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
    "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
    "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
}

OID_NAMES = {
    **SIGNATURE_ALGORITHMS,
    "1.2.156.10197.1.401": "sm3",
    "1.2.156.10197.1.401.1": "sm3",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
    "1.2.840.113549.1.1.1": "rsaEncryption",
    "1.2.840.10045.2.1": "ecPublicKey",
    "1.2.156.10197.6.1.4.2.1": "data (GM/T 0010)",
    "1.2.840.113549.1.7.1": "data",
    "1.2.840.113549.1.9.16.1.4": "TSTInfo",
    "2.5.29.15": "keyUsage",
    "2.5.29.17": "subjectAltName",
    "2.5.29.19": "basicConstraints",
    "2.5.29.30": "nameConstraints",
    "2.5.29.31": "cRLDistributionPoints",
    "2.5.29.32": "certificatePolicies",
    "2.5.29.35": "authorityKeyIdentifier",
    "2.5.29.14": "subjectKeyIdentifier",
    "2.5.29.36": "policyConstraints",
    "2.5.29.37": "extendedKeyUsage",
    "2.5.29.54": "inhibitAnyPolicy",
}


def oid_label(oid: str) -> str:
    """``name (dotted)`` when the OID is known, else the dotted form."""
    name = OID_NAMES.get(oid)
    return f"{name} ({oid})" if name else oid


# ---- small shared helpers (also used by cli/cms.py and cli/ts.py) ---------------------------


def purpose_choices() -> list[str]:
    """``--purpose`` values: the :class:`Purpose` members, lower case with dashes."""
    return [member.name.lower().replace("_", "-") for member in Purpose]


def parse_purpose(text: str) -> Purpose:
    return Purpose[text.upper().replace("-", "_")]


def parse_time(text: str, option: str) -> datetime:
    """ISO 8601 (``2026-01-01T00:00:00Z``, an offset, or a date); a time without offset is UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {text!r} is not an ISO 8601 time such as 2026-01-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def serial_hex(serial: int) -> str:
    text = format(serial, "x")
    return text if len(text) % 2 == 0 else "0" + text


def parse_serial(text: str) -> int:
    """A serial number as hex (what ``cert show`` prints), optionally with ``0x`` or colons."""
    cleaned = text.strip().lower().replace(":", "")
    if cleaned.startswith("0x"):
        cleaned = cleaned[2:]
    if not cleaned or not re.fullmatch(r"[0-9a-f]+", cleaned):
        raise CommandError(f"serial number {text!r} is not hex (give it as 'cert show' prints it)")
    return int(cleaned, 16)


def subject_name(text: str) -> Any:
    """``--subject`` text (RFC 4514 order, e.g. ``CN=张三,O=示例单位,C=CN``) as an X.509 Name."""
    try:
        return parse_name(text)
    except ValueError as exc:
        raise CommandError(f"--subject {text!r}: {exc}", code="invalid_subject") from None


def describe_key(public: PublicKey) -> str:
    if isinstance(public, sm2.PublicKey):
        return "SM2 (sm2p256v1)"
    if isinstance(public, rsa.RSAPublicKey):
        return f"RSA {public.key_size}"
    if isinstance(public, ec.EllipticCurvePublicKey):
        return f"ECDSA {public.curve.name}"
    return type(public).__name__


def _password_hint(option: str) -> str:
    return f"give {option}-file FILE or {option}-env VAR"


def load_signing_key(data: bytes, password: bytes | None, *, option: str = "--password",
                     what: str = "the key") -> SigningKey:
    """An SM2 private key, or an RSA / ECDSA P-256/P-384 key through ``cryptography``."""
    try:
        return sm2.load_private_key(data, password)
    except (DecodeError, UnsupportedAlgorithmError) as exc:
        if exc.code == "password_required":
            raise CommandError(f"{what} is encrypted: {_password_hint(option)}", code="password_needed") from None
        if not isinstance(exc, UnsupportedAlgorithmError):
            raise
        sm2_error = exc
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password)
        else:
            key = serialization.load_der_private_key(data, password)
    except TypeError:
        if password is None:
            raise CommandError(f"{what} is encrypted: {_password_hint(option)}", code="password_needed") from None
        raise CommandError(f"{what} is not encrypted: drop {option}-file/{option}-env") from None
    except (ValueError, UnsupportedAlgorithm):
        raise sm2_error from None
    if isinstance(key, rsa.RSAPrivateKey):
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, (ec.SECP256R1, ec.SECP384R1)):
        return key
    raise sm2_error


def load_public_key_any(data: bytes, password: bytes | None, *, option: str = "--password") -> PublicKey:
    """The public key of a private key file, or a public key file (SM2, RSA, ECDSA)."""
    try:
        return sm2.load_public_key(data)
    except (DecodeError, UnsupportedAlgorithmError) as public_error:
        try:
            key = load_signing_key(data, password, option=option)
        except UnsupportedAlgorithmError:
            try:
                loaded = (serialization.load_pem_public_key(data) if b"-----BEGIN" in data
                          else serialization.load_der_public_key(data))
            except (ValueError, UnsupportedAlgorithm):
                raise public_error from None
            if isinstance(loaded, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
                return loaded
            raise public_error from None
        except DecodeError:
            raise public_error from None
        return public_key_of(key)


def read_limited(path: str, what: str) -> bytes:
    data = read_input(path, what)
    if len(data) > MAX_INPUT:
        raise CommandError(f"{path}: too large for {what} ({len(data)} bytes; the limit is {MAX_INPUT})",
                           code="decode_error")
    return data


def parse_file(path: str, what: str, parse: Callable[[bytes], T]) -> T:
    """Read and parse a file; a DecodeError names the file it comes from."""
    data = read_limited(path, what)
    try:
        return parse(data)
    except DecodeError as exc:
        raise DecodeError(f"{path}: {exc.message}", code=exc.code) from None


def read_certificates(paths: Iterable[str], what: str = "certificate") -> list[Certificate]:
    """Every certificate of every file (PEM bundles, DER, concatenated DER)."""
    certificates: list[Certificate] = []
    for path in paths:
        found = parse_file(path, what, load_certificates)
        if not found:
            raise CommandError(f"{path}: no certificate found", code="decode_error")
        certificates.extend(found)
    return certificates


def read_one_certificate(path: str, what: str = "certificate") -> Certificate:
    return read_certificates([path], what)[0]


def read_crls(paths: Iterable[str]) -> list[CertificateRevocationList]:
    return [parse_file(path, "CRL", CertificateRevocationList.load) for path in paths]


def add_trust_options(parser: argparse.ArgumentParser, *, trust_required: bool, with_time: bool = True) -> None:
    parser.add_argument("--trust", action="append", required=trust_required, metavar="ROOT.pem",
                        help="trust anchor certificate(s) (PEM bundle or DER; repeatable)")
    parser.add_argument("--untrusted", action="append", default=[], metavar="CERTS.pem",
                        help="intermediate certificates to build the path from (repeatable)")
    parser.add_argument("--crl", action="append", default=[], metavar="CRL",
                        help="CRL(s) to check revocation against (PEM or DER; repeatable)")
    if with_time:
        parser.add_argument("--at", metavar="TIME",
                            help="validation time, ISO 8601 (default: now), e.g. 2026-01-01T00:00:00Z")
    parser.add_argument("--require-revocation", action="store_true",
                        help="fail unless a usable CRL covers every certificate (default: check the CRLs given)")


def validation_context(args: argparse.Namespace, extra_intermediates: Sequence[Certificate] = ()) -> ValidationContext:
    anchors = read_certificates(args.trust, "trust anchor")
    intermediates = [*extra_intermediates, *read_certificates(args.untrusted, "intermediate certificate")]
    crls = read_crls(args.crl)
    return ValidationContext(anchors, intermediates, crls,
                             revocation="require" if args.require_revocation else "if_present")


def validation_time(args: argparse.Namespace) -> datetime | None:
    return parse_time(args.at, "--at") if getattr(args, "at", None) else None


def report_lines(report: ValidationReport) -> list[str]:
    """Human lines for a validation report: the verdict, the path, every failure with its code."""
    path = " -> ".join(cert.subject_text for cert in report.path) or "(no path)"
    if report.valid:
        revocation = "revocation checked" if report.revocation_checked else "revocation NOT checked (no CRL given)"
        return [f"valid: {path}",
                f"  purpose {report.purpose.name.lower().replace('_', '-')}, at {iso(report.validation_time)}, "
                f"{revocation}"]
    count = len(report.failures)
    lines = [f"invalid: {count} failure{'s' if count != 1 else ''}", f"  path: {path}"]
    for failure in report.failures:
        where = f" [{failure.subject}]" if failure.subject and failure.subject not in failure.message else ""
        lines.append(f"  {failure.code}: {failure.message}{where}")
    return lines


def eku_label(oid: str) -> str:
    name = EKU_NAMES.get(oid)
    return f"{name} ({oid})" if name else oid


def certificate_info(cert: Certificate) -> dict[str, Any]:
    """A JSON-ready description of a certificate (also used by ``cms verify`` and ``ts verify``)."""
    try:
        key = describe_key(cert.public_key)
    except TrustkitError as exc:  # an unusual key type is shown, not fatal for 'show'
        key = f"unsupported ({exc.message})"
    return {
        "subject": cert.subject_text,
        "issuer": cert.issuer_text,
        "serial_number": serial_hex(cert.serial_number),
        "not_before": iso(cert.not_before),
        "not_after": iso(cert.not_after),
        "key": key,
        "signature_algorithm": cert.signature_algorithm_oid,
        "signature_algorithm_name": SIGNATURE_ALGORITHMS.get(cert.signature_algorithm_oid),
        "is_ca": cert.is_ca,
        "path_length": cert.path_length,
        "self_issued": cert.is_self_issued,
        "key_usage": sorted(cert.key_usage) if cert.key_usage is not None else None,
        "extended_key_usage": sorted(cert.extended_key_usage) if cert.extended_key_usage is not None else None,
        "dns_names": list(cert.dns_names),
        "email_addresses": list(cert.email_addresses),
        "policy_oids": list(cert.policy_oids),
        "subject_key_identifier": cert.subject_key_identifier.hex() if cert.subject_key_identifier else None,
        "authority_key_identifier": cert.authority_key_identifier.hex() if cert.authority_key_identifier else None,
        "crl_distribution_points": list(cert.crl_distribution_points),
        "critical_extensions": sorted(cert.critical_extensions),
        "unknown_critical_extensions": sorted(cert.unknown_critical_extensions),
        "fingerprint_sm3": cert.fingerprint("sm3").hex(),
        "fingerprint_sha256": cert.fingerprint("sha256").hex(),
    }


def certificate_text(info: dict[str, Any]) -> list[str]:
    sig = info["signature_algorithm"]
    if info["signature_algorithm_name"]:
        sig = f"{info['signature_algorithm_name']} ({sig})"
    if info["is_ca"]:
        basic = "CA" + (f", pathLen {info['path_length']}" if info["path_length"] is not None else "")
    else:
        basic = "end entity"
    lines = [
        f"subject        {info['subject']}",
        f"issuer         {info['issuer']}" + ("  (self-issued)" if info["self_issued"] else ""),
        f"serial         {info['serial_number']}",
        f"valid          {info['not_before']} .. {info['not_after']}",
        f"key            {info['key']}",
        f"signature      {sig}",
        f"basic          {basic}",
    ]
    if info["key_usage"] is not None:
        lines.append(f"key usage      {', '.join(info['key_usage'])}")
    if info["extended_key_usage"] is not None:
        lines.append(f"ext key usage  {', '.join(eku_label(oid) for oid in info['extended_key_usage'])}")
    if info["dns_names"]:
        lines.append(f"DNS names      {', '.join(info['dns_names'])}")
    if info["email_addresses"]:
        lines.append(f"e-mail         {', '.join(info['email_addresses'])}")
    if info["policy_oids"]:
        lines.append(f"policies       {', '.join(info['policy_oids'])}")
    if info["subject_key_identifier"]:
        lines.append(f"SKI            {info['subject_key_identifier']}")
    if info["authority_key_identifier"]:
        lines.append(f"AKI            {info['authority_key_identifier']}")
    for url in info["crl_distribution_points"]:
        lines.append(f"CRL            {url}")
    if info["critical_extensions"]:
        lines.append(f"critical       {', '.join(oid_label(oid) for oid in info['critical_extensions'])}")
    if info["unknown_critical_extensions"]:
        lines.append(f"UNKNOWN critical extensions: {', '.join(info['unknown_critical_extensions'])}")
    lines.append(f"SM3 fingerprint     {info['fingerprint_sm3']}")
    lines.append(f"SHA-256 fingerprint {info['fingerprint_sha256']}")
    return lines


# ---- keys --------------------------------------------------------------------------------------


def generate_key(algorithm: str) -> SigningKey:
    if algorithm == "sm2":
        return sm2.generate_private_key()
    if algorithm == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def encode_private_key(key: SigningKey, password: bytes | None) -> bytes:
    """PKCS#8 PEM; encrypted with PBES2 AES-256-CBC (what OpenSSL reads) when a password is given."""
    if isinstance(key, sm2.PrivateKey):
        return key.private_bytes("PEM", password=password, cipher="aes-256-cbc")
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password is not None else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def new_key_password(args: argparse.Namespace) -> bytes | None:
    """The password for new private keys: required unless --no-key-password (keys are encrypted at rest)."""
    password = password_from(args, "key-password")
    if password is None and not args.no_key_password:
        raise CommandError("new private keys are encrypted at rest: give --key-password-file FILE or "
                           "--key-password-env VAR (or --no-key-password for a throw-away test key)",
                           code="password_needed")
    return password


def add_new_key_password_options(parser: argparse.ArgumentParser, what: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--key-password-file", metavar="FILE", help=f"encrypt {what} with the password in FILE")
    group.add_argument("--key-password-env", metavar="VAR",
                       help=f"encrypt {what} with the password in the environment variable VAR")
    group.add_argument("--no-key-password", action="store_true", help=f"write {what} unencrypted (tests only)")


# ---- the CA directory ------------------------------------------------------------------------


class CADirectory:
    """The files of a CA made by ``ca init`` and its ``ca.json`` state."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        state_path = self.path / STATE_FILE
        if not state_path.is_file():
            raise CommandError(f"{path} is not a CA directory (no {STATE_FILE}); "
                               f"make one with 'trustkit ca init {path}'",
                               code="file_not_found")
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(f"{state_path} is not valid JSON ({exc})", code="decode_error") from None
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT or state.get("version") != 1:
            raise CommandError(f"{state_path} is not a trustkit CA state file (version 1)", code="decode_error")
        self.state: dict[str, Any] = state

    def file(self, role: str, kind: str) -> Path:
        return self.path / f"{role}.{kind}.pem"

    def certificate(self, role: str) -> Certificate:
        return Certificate.load(self.file(role, "cert").read_bytes())

    def key(self, role: str, password: bytes | None) -> SigningKey:
        return load_signing_key(self.file(role, "key").read_bytes(), password, option="--ca-password",
                                what=f"the {role} CA key")

    def role_state(self, role: str) -> dict[str, Any]:
        value = self.state.get(role)
        if not isinstance(value, dict):
            raise CommandError(f"{self.path / STATE_FILE} has no '{role}' section", code="decode_error")
        return value

    def save(self) -> None:
        text = json.dumps(self.state, ensure_ascii=False, indent=2) + "\n"
        write_output(str(self.path / STATE_FILE), text.encode("utf-8"))


def _crl_days(days: int) -> timedelta:
    if days < 1:
        raise CommandError("--crl-days / --days must be at least 1")
    return timedelta(days=days)


def _revoked_entries(role_state: dict[str, Any]) -> list[RevokedCertificate]:
    entries = []
    for item in role_state.get("revoked", []):
        try:
            reason = RevocationReason[item["reason"]] if item.get("reason") else None
            entries.append(RevokedCertificate(int(item["serial"], 16), parse_time(item["date"], "revocation date"),
                                              reason))
        except (KeyError, ValueError, TypeError, AttributeError, CommandError):
            raise CommandError(f"{STATE_FILE}: unreadable revoked entry {item!r}", code="decode_error") from None
    return entries


def _issuing_name(root_name: str) -> str:
    """示例政务根CA -> 示例政务签发CA, Example Root CA -> Example Issuing CA, else NAME - Issuing CA."""
    for root_word, issuing_word in (("根CA", "签发CA"), ("Root CA", "Issuing CA"), ("根证书", "签发证书")):
        if root_word in root_name:
            return root_name.replace(root_word, issuing_word)
    return f"{root_name} - Issuing CA"


def _ca_init(args: argparse.Namespace) -> int:
    target = Path(args.dir)
    if target.exists() and not target.is_dir():
        raise CommandError(f"{args.dir} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not args.force:
        raise CommandError(f"{args.dir} is not empty: choose a new directory (or --force to overwrite its CA files)",
                           code="file_exists")
    if args.root_days < 1 or args.intermediate_days < 1:
        raise CommandError("--root-days and --intermediate-days must be at least 1")
    if args.intermediate_days > args.root_days:
        raise CommandError("the intermediate cannot outlive the root: --intermediate-days must be <= --root-days")
    crl_validity = _crl_days(args.crl_days)
    password = new_key_password(args)
    if not target.parent.is_dir():
        raise CommandError(f"cannot create {args.dir}: the directory {target.parent} does not exist",
                           code="file_not_found")
    target.mkdir(mode=0o700, exist_ok=True)

    now = datetime.now(timezone.utc).replace(microsecond=0)
    root_name = args.name
    intermediate_name = args.intermediate_name or _issuing_name(root_name)
    root_key = generate_key(args.algorithm)
    root = issue_certificate(
        subject=make_name(common_name=root_name, organization=args.org, country=args.country),
        public_key=public_key_of(root_key), issuer=None, issuer_key=root_key, profile=CertificateProfile.ROOT_CA,
        not_before=now, validity=timedelta(days=args.root_days),
    )
    intermediate_key = generate_key(args.algorithm)
    base_url = args.crl_base_url.rstrip("/") if args.crl_base_url else None
    intermediate = issue_certificate(
        subject=make_name(common_name=intermediate_name, organization=args.org, country=args.country),
        public_key=public_key_of(intermediate_key), issuer=root, issuer_key=root_key,
        profile=CertificateProfile.INTERMEDIATE_CA, not_before=now, validity=timedelta(days=args.intermediate_days),
        path_length=0, crl_urls=(f"{base_url}/root.crl",) if base_url else (),
    )
    root_crl = issue_crl(root, root_key, [], this_update=now, next_update=crl_validity, crl_number=1)
    intermediate_crl = issue_crl(intermediate, intermediate_key, [], this_update=now, next_update=crl_validity,
                                 crl_number=1)

    files: dict[str, str] = {}

    def put(name: str, data: bytes, secret: bool = False) -> None:
        path = target / name
        write_output(str(path), data, secret=secret)
        files[name] = str(path)

    put("root.key.pem", encode_private_key(root_key, password), secret=True)
    put("root.cert.pem", root.to_pem())
    put("root.crl.pem", root_crl.to_pem())
    put("intermediate.key.pem", encode_private_key(intermediate_key, password), secret=True)
    put("intermediate.cert.pem", intermediate.to_pem())
    put("intermediate.crl.pem", intermediate_crl.to_pem())
    put("chain.pem", intermediate.to_pem() + root.to_pem())
    state: dict[str, Any] = {
        "format": STATE_FORMAT,
        "version": 1,
        "algorithm": args.algorithm,
        "created": iso(now),
        "keys_encrypted": password is not None,
        "crl_base_url": base_url,
        "root": {"crl_number": 1, "revoked": []},
        "intermediate": {"crl_number": 1, "revoked": []},
        "issued": [{"serial": serial_hex(intermediate.serial_number), "subject": intermediate.subject_text,
                    "profile": "intermediate-ca", "issuer": "root", "not_after": iso(intermediate.not_after),
                    "certificate": "intermediate.cert.pem"}],
    }
    put(STATE_FILE, (json.dumps(state, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))

    protection = "encrypted (PBES2 AES-256-CBC)" if password else "NOT encrypted (--no-key-password)"
    lines = [f"CA in {args.dir} ({args.algorithm}); private keys {protection}, mode 0600",
             f"  root          {root.subject_text}  serial {serial_hex(root.serial_number)}  "
             f"until {iso(root.not_after)}",
             f"  intermediate  {intermediate.subject_text}  serial {serial_hex(intermediate.serial_number)}  "
             f"until {iso(intermediate.not_after)}  (pathLen 0)"]
    lines += [f"  wrote {path}" for path in files.values()]
    lines.append(f"next: trustkit cert issue --ca {args.dir} --profile seal-signer --subject 'CN=...,O=...,C=CN' "
                 "--out cert.pem")
    emit(args, {"directory": str(target), "algorithm": args.algorithm, "keys_encrypted": password is not None,
                "files": files, "root": certificate_info(root), "intermediate": certificate_info(intermediate)},
         "\n".join(lines))
    return EXIT_OK


# ---- cert issue / show / verify ----------------------------------------------------------------


def _key_out_path(out: str) -> str:
    path = Path(out)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return str(path.with_name(f"{stem}.key.pem"))


def _cert_issue(args: argparse.Namespace) -> int:
    if args.out == "-":
        raise CommandError("cert issue writes files: give --out CERT.pem")
    if args.csr and (args.key or args.subject):
        raise CommandError("--csr already carries the subject and the public key: drop --key/--subject")
    if args.days < 1:
        raise CommandError("--days must be at least 1")
    profile = PROFILES[args.profile]
    ca = CADirectory(args.ca)
    issuer = ca.certificate("intermediate")
    check_writable(args.out, args.force)
    key_out = None
    if not args.csr and not args.key:
        key_out = args.key_out or _key_out_path(args.out)
        if Path(key_out).resolve() == Path(args.out).resolve():
            raise CommandError("--key-out and --out must be different files")
        check_writable(key_out, args.force)
    elif args.key_out:
        raise CommandError("--key-out applies only when a new key is made (no --key, no --csr)")
    new_password = new_key_password(args) if key_out else None

    now = datetime.now(timezone.utc).replace(microsecond=0)
    validity = timedelta(days=args.days)
    if now + validity > issuer.not_after:
        left = max(0, (issuer.not_after - now).days)
        raise CommandError(f"the certificate would outlive the issuing CA (valid until {iso(issuer.not_after)}): "
                           f"use --days {left} or less")
    issuer_key = ca.key("intermediate", password_from(args, "ca-password"))
    base_url = ca.state.get("crl_base_url")
    crl_urls = tuple(args.crl_url) if args.crl_url else ((f"{base_url}/intermediate.crl",) if base_url else ())
    new_key: SigningKey | None = None
    if args.csr:
        request = parse_file(args.csr, "certificate request", CertificateRequest.load)
        dns = tuple(args.dns) if args.dns else tuple(request.dns_names)
        if profile is CertificateProfile.TLS_SERVER and not dns:
            raise CommandError("the tls-server profile needs at least one --dns name (none in the CSR either)")
        cert = issue_from_request(request, issuer=issuer, issuer_key=issuer_key, profile=profile, not_before=now,
                                  validity=validity, dns_names=dns, email=args.email, crl_urls=crl_urls)
    else:
        if not args.subject:
            raise CommandError("give --subject 'CN=...,O=...,C=CN' or --csr REQ.pem")
        if profile is CertificateProfile.TLS_SERVER and not args.dns:
            raise CommandError("the tls-server profile needs at least one --dns name")
        subject = subject_name(args.subject)
        if args.key:
            public = load_public_key_any(read_limited(args.key, "key"), password_from(args))
        else:
            new_key = generate_key(str(ca.state.get("algorithm", "sm2")))
            public = public_key_of(new_key)
        cert = issue_certificate(subject=subject, public_key=public, issuer=issuer, issuer_key=issuer_key,
                                 profile=profile, not_before=now, validity=validity, dns_names=tuple(args.dns or ()),
                                 email=args.email, crl_urls=crl_urls)
    if new_key is not None and key_out is not None:
        write_output(key_out, encode_private_key(new_key, new_password), secret=True, force=args.force)
    write_output(args.out, cert.to_pem(), force=args.force)
    ca.state.setdefault("issued", []).append({
        "serial": serial_hex(cert.serial_number), "subject": cert.subject_text, "profile": args.profile,
        "issuer": "intermediate", "not_after": iso(cert.not_after), "certificate": str(Path(args.out).resolve()),
    })
    ca.save()

    lines = [f"issued {args.profile} certificate {args.out}",
             f"  subject {cert.subject_text}", f"  serial  {serial_hex(cert.serial_number)}",
             f"  valid   {iso(cert.not_before)} .. {iso(cert.not_after)}", f"  issuer  {cert.issuer_text}"]
    if key_out:
        protection = "encrypted" if new_password else "NOT encrypted"
        lines.append(f"  wrote new private key {key_out} (mode 0600, {protection})")
    emit(args, {"certificate_file": args.out, "key_file": key_out, "profile": args.profile,
                "certificate": certificate_info(cert)}, "\n".join(lines))
    return EXIT_OK


def _cert_show(args: argparse.Namespace) -> int:
    certificates = read_certificates([args.file])
    infos = [certificate_info(cert) for cert in certificates]
    blocks = []
    for index, info in enumerate(infos):
        header = [f"certificate {index + 1} of {len(infos)}"] if len(infos) > 1 else []
        blocks.append("\n".join(header + certificate_text(info)))
    emit(args, {"certificates": infos}, "\n\n".join(blocks))
    return EXIT_OK


def _cert_verify(args: argparse.Namespace) -> int:
    certificates = read_certificates([args.cert])
    leaf = certificates[0]
    context = validation_context(args, certificates[1:])
    report = validate_chain(leaf, context, at=validation_time(args), purpose=parse_purpose(args.purpose))
    payload: dict[str, Any] = {**report.to_dict(), "valid": report.valid}
    if not report.valid:
        first = report.failures[0] if report.failures else None
        payload["error"] = {"code": first.code if first else "certificate_invalid",
                            "message": "; ".join(f"{f.code}: {f.message}" for f in report.failures)
                            or "the certificate path is not valid"}
    emit(args, payload, "\n".join(report_lines(report)), ok=report.valid)
    return EXIT_OK if report.valid else EXIT_INVALID


# ---- csr new / show ------------------------------------------------------------------------------


def _csr_new(args: argparse.Namespace) -> int:
    if args.out != "-":
        check_writable(args.out, args.force)
    key = load_signing_key(read_limited(args.key, "key"), password_from(args))
    request = CertificateRequest.create(key, subject_name(args.subject), dns_names=tuple(args.dns or ()),
                                        email=args.email)
    write_output(args.out, request.to_pem(), force=args.force)
    if args.out != "-":
        emit(args, {"request_file": args.out, "subject": request.subject_text, "dns_names": list(request.dns_names),
                    "key": describe_key(request.public_key)},
             f"wrote certificate request {args.out} for {request.subject_text} ({describe_key(request.public_key)})")
    return EXIT_OK


def _csr_show(args: argparse.Namespace) -> int:
    request = parse_file(args.file, "certificate request", CertificateRequest.load)
    try:
        request.verify_self_signature_vartime()
        signature_ok = True
    except InvalidSignature:
        signature_ok = False
    info: dict[str, Any] = {"subject": request.subject_text, "key": describe_key(request.public_key),
                            "dns_names": list(request.dns_names), "signature_valid": signature_ok}
    lines = [f"subject    {request.subject_text}", f"key        {info['key']}"]
    if request.dns_names:
        lines.append(f"DNS names  {', '.join(request.dns_names)}")
    lines.append("signature  " + ("valid (self-signed with the request's key)" if signature_ok
                                  else "INVALID: the request's self-signature does not verify"))
    if not signature_ok:
        info["error"] = {"code": "invalid_signature", "message": "the request's self-signature does not verify"}
    emit(args, info, "\n".join(lines), ok=signature_ok)
    return EXIT_OK if signature_ok else EXIT_INVALID


# ---- crl issue / show ------------------------------------------------------------------------------


def _reason_key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def parse_reason(text: str) -> RevocationReason:
    wanted = _reason_key(text)
    for member in RevocationReason:
        if _reason_key(member.name) == wanted or _reason_key(str(member.value)) == wanted:
            return member
    names = ", ".join(reason_label(m) for m in RevocationReason)
    raise CommandError(f"unknown revocation reason {text!r}; use one of: {names}")


RFC_REASON_NAMES = {
    "UNSPECIFIED": "unspecified", "KEY_COMPROMISE": "keyCompromise", "CA_COMPROMISE": "cACompromise",
    "AFFILIATION_CHANGED": "affiliationChanged", "SUPERSEDED": "superseded",
    "CESSATION_OF_OPERATION": "cessationOfOperation", "CERTIFICATE_HOLD": "certificateHold",
    "REMOVE_FROM_CRL": "removeFromCRL", "PRIVILEGE_WITHDRAWN": "privilegeWithdrawn", "AA_COMPROMISE": "aACompromise",
}


def reason_label(reason: RevocationReason | None) -> str:
    """The RFC 5280 5.3.1 name (keyCompromise, cACompromise, ...)."""
    if reason is None:
        return "unspecified"
    return RFC_REASON_NAMES.get(reason.name, reason.name.lower())


def _parse_revocation(text: str) -> tuple[int, RevocationReason | None]:
    serial_text, _, reason_text = text.partition("/") if "/" in text else text.partition("@")
    if not reason_text and text.count(":") >= 1:
        # SERIAL:reason, where the serial itself may be written with colons (aa:bb:cc:reason).
        head, _, tail = text.rpartition(":")
        if tail and not re.fullmatch(r"[0-9a-fA-F]+", tail):
            serial_text, reason_text = head, tail
        else:
            serial_text = text
    return parse_serial(serial_text), parse_reason(reason_text) if reason_text else None


def _crl_issue(args: argparse.Namespace) -> int:
    ca = CADirectory(args.ca)
    role = "root" if args.root else "intermediate"
    role_state = ca.role_state(role)
    default_out = str(ca.file(role, "crl"))
    if args.out == "-" and wants_json(args):
        raise CommandError("--out - and --json would mix the CRL with the JSON result: give --out FILE")
    if args.out and args.out != "-" and Path(args.out).resolve() != Path(default_out).resolve():
        check_writable(args.out, args.force)
    validity = _crl_days(args.days)
    issued = {str(item.get("serial")): item for item in ca.state.get("issued", [])
              if item.get("issuer") == role}
    revoked_state: list[dict[str, Any]] = list(role_state.get("revoked", []))
    already = {item["serial"] for item in revoked_state}
    now = datetime.now(timezone.utc).replace(microsecond=0)
    added: list[dict[str, Any]] = []
    skipped: list[str] = []
    for spec in args.revoke or []:
        serial, reason = _parse_revocation(spec)
        key = serial_hex(serial)
        if key not in issued and not args.allow_unknown:
            raise CommandError(f"serial {key} was not issued by the {role} CA of {args.ca} (see {STATE_FILE}); "
                               "check the number, or pass --allow-unknown to revoke it anyway")
        if key in already:
            skipped.append(key)
            continue
        entry = {"serial": key, "date": iso(now), "reason": reason.name if reason else None,
                 "subject": issued.get(key, {}).get("subject")}
        revoked_state.append(entry)
        already.add(key)
        added.append(entry)
    issuer = ca.certificate(role)
    issuer_key = ca.key(role, password_from(args, "ca-password"))
    number = int(role_state.get("crl_number", 0)) + 1
    role_state_new = {**role_state, "revoked": revoked_state, "crl_number": number}
    crl = issue_crl(issuer, issuer_key, _revoked_entries(role_state_new), this_update=now, next_update=validity,
                    crl_number=number)
    pem = crl.to_pem()
    # State first: if a write fails later, the next CRL skips a number, which RFC 5280 5.2.3 allows
    # (monotonically increasing), rather than reusing one.
    ca.state[role] = role_state_new
    ca.save()
    write_output(default_out, pem)
    if args.out == "-":
        write_output("-", pem)
        return EXIT_OK
    if args.out and Path(args.out).resolve() != Path(default_out).resolve():
        write_output(args.out, pem, force=args.force)
    lines = [f"issued CRL number {number} of the {role} CA ({crl.issuer_text})",
             f"  this update {iso(crl.this_update)}, next update {iso(crl.next_update)}",
             f"  {len(crl.revoked)} revoked certificate(s)" + (f", {len(added)} added now" if added else "")]
    for entry in added:
        label = RFC_REASON_NAMES.get(entry["reason"], "no reason code") if entry["reason"] else "no reason code"
        lines.append(f"  revoked {entry['serial']} ({label})"
                     + (f" {entry['subject']}" if entry["subject"] else ""))
    lines += [f"  {serial} was already revoked (kept as it was)" for serial in skipped]
    lines.append(f"  wrote {default_out}" + (f" and {args.out}" if args.out and args.out != default_out else ""))
    emit(args, {"crl_file": args.out or default_out, "ca_copy": default_out, "crl_number": number,
                "issuer": crl.issuer_text, "this_update": iso(crl.this_update), "next_update": iso(crl.next_update),
                "revoked": [_revoked_info(r) for r in crl.revoked], "added": [e["serial"] for e in added]},
         "\n".join(lines))
    return EXIT_OK


def _revoked_info(entry: RevokedCertificate) -> dict[str, Any]:
    return {"serial_number": serial_hex(entry.serial_number), "revocation_date": iso(entry.revocation_date),
            "reason": reason_label(entry.reason) if entry.reason is not None else None}


def _crl_show(args: argparse.Namespace) -> int:
    crl = parse_file(args.file, "CRL", CertificateRevocationList.load)
    info: dict[str, Any] = {
        "issuer": crl.issuer_text, "this_update": iso(crl.this_update), "next_update": iso(crl.next_update),
        "crl_number": crl.crl_number,
        "authority_key_identifier": crl.authority_key_identifier.hex() if crl.authority_key_identifier else None,
        "critical_extensions": sorted(crl.critical_extensions),
        "unknown_critical_extensions": sorted(crl.unknown_critical_extensions),
        "revoked": [_revoked_info(r) for r in crl.revoked],
    }
    lines = [f"issuer       {crl.issuer_text}", f"this update  {info['this_update']}",
             f"next update  {info['next_update'] or '(none)'}", f"CRL number   {crl.crl_number}"]
    if info["authority_key_identifier"]:
        lines.append(f"AKI          {info['authority_key_identifier']}")
    if info["unknown_critical_extensions"]:
        lines.append(f"UNKNOWN critical extensions: {', '.join(info['unknown_critical_extensions'])}")
    lines.append(f"revoked      {len(crl.revoked)}")
    for entry in info["revoked"]:
        lines.append(f"  {entry['serial_number']}  {entry['revocation_date']}  {entry['reason'] or ''}".rstrip())
    ok = True
    if args.issuer:
        issuer = read_one_certificate(args.issuer, "issuer certificate")
        try:
            crl.verify_signed_by_vartime(issuer)
            info["signature_valid"] = True
            lines.append(f"signature    valid (signed by {issuer.subject_text})")
        except InvalidSignature:
            ok = False
            info["signature_valid"] = False
            info["error"] = {"code": "invalid_signature", "message": "the CRL signature does not verify with --issuer"}
            lines.append(f"signature    INVALID: not signed by {issuer.subject_text}")
    emit(args, info, "\n".join(lines), ok=ok)
    return EXIT_OK if ok else EXIT_INVALID


# ---- registration ------------------------------------------------------------------------------


def _group(sub: Any, name: str, help: str, description: str, commands: str) -> Any:
    parser = sub.add_parser(name, help=help, description=description,
                            epilog=f"Run 'trustkit {name} COMMAND --help' for the options of each command.")
    group = parser.add_subparsers(dest=f"{name}_command", metavar=commands, title="commands")
    group.required = True
    return group


def register(sub: Any) -> None:
    ca_sub = _group(sub, "ca", "make a certificate authority (root + issuing CA) in a directory",
                    "Make and run a small SM2 (or P-256/RSA) certificate authority kept in a directory.", "{init}")
    init = command(
        ca_sub, "init", help="make a root CA and an issuing (intermediate) CA in a new directory",
        description="Make a root CA and an intermediate (issuing) CA with pathLen 0, an empty CRL from\n"
                    "each, chain.pem and ca.json (CRL numbers, revocations, issued index) in DIR.\n"
                    "Private keys are encrypted at rest (PKCS#8 PBES2 AES-256-CBC, mode 0600).",
        examples="  trustkit ca init ./ca --name '示例政务根CA' --org '示例市数据局' --key-password-file pw.txt\n"
                 "  trustkit ca init ./test-ca --no-key-password --algorithm p256",
    )
    init.add_argument("dir", metavar="DIR", help="directory to create (must be empty or absent)")
    init.add_argument("--name", default="trustkit Root CA", help="common name of the root CA")
    init.add_argument("--intermediate-name", metavar="NAME",
                      help="common name of the issuing CA (default: NAME with 根CA -> 签发CA, "
                           "Root CA -> Issuing CA, or NAME - Issuing CA)")
    init.add_argument("--org", metavar="ORG", help="organization (O) of both CAs")
    init.add_argument("--country", default="CN", help="country (C), default CN")
    init.add_argument("--algorithm", choices=ALGORITHMS, default="sm2",
                      help="sm2 (SM2 with SM3, default), p256 (ECDSA-SHA256) or rsa (3072-bit, SHA-256)")
    init.add_argument("--root-days", type=int, default=7300, metavar="N", help="root validity in days (7300)")
    init.add_argument("--intermediate-days", type=int, default=3650, metavar="N",
                      help="intermediate validity in days (3650)")
    init.add_argument("--crl-days", type=int, default=7, metavar="N", help="validity of the initial CRLs (7)")
    init.add_argument("--crl-base-url", metavar="URL",
                      help="publish CRLs under URL: certificates get URL/root.crl or URL/intermediate.crl "
                           "as CRL distribution point")
    init.add_argument("--force", action="store_true", help="write into a non-empty directory, overwriting CA files")
    add_new_key_password_options(init, "the CA keys")
    init.set_defaults(handler=_ca_init)

    cert_sub = _group(sub, "cert", "issue, show and verify X.509 certificates",
                      "Issue, show and verify X.509 v3 certificates (SM2 with SM3, and RSA/ECDSA).",
                      "{issue,show,verify}")
    issue = command(
        cert_sub, "issue", help="issue a certificate from the CA's intermediate",
        description="Issue an end-entity certificate signed by the intermediate CA of a 'ca init' directory.\n"
                    "The subject key comes from --key (public or private key file), from --csr, or is\n"
                    "made new (same algorithm as the CA) and written next to the certificate.",
        examples="  trustkit cert issue --ca ./ca --profile seal-signer --subject 'CN=示例单位,O=示例单位,C=CN' \\\n"
                 "      --ca-password-file pw.txt --key-password-file pw.txt --out seal.pem\n"
                 "  trustkit cert issue --ca ./ca --profile tls-server --csr req.pem --dns www.example.cn \\\n"
                 "      --out tls.pem\n"
                 "  trustkit cert issue --ca ./ca --profile timestamping --subject 'CN=TSA,C=CN' --key tsa.pem "
                 "--out tsa.crt",
    )
    issue.add_argument("--ca", required=True, metavar="DIR", help="CA directory made by 'trustkit ca init'")
    issue.add_argument("--profile", required=True, choices=list(PROFILES), help="certificate profile")
    issue.add_argument("--subject", metavar="DN", help="subject, e.g. 'CN=张三,O=示例单位,C=CN' (RFC 4514 order)")
    issue.add_argument("--csr", metavar="REQ", help="issue for this PKCS#10 request (its signature is checked)")
    issue.add_argument("--key", metavar="KEY", help="the subject's existing key (public or private key file)")
    issue.add_argument("--key-out", metavar="FILE", help="where to write the new key (default: OUT with .key.pem)")
    issue.add_argument("--dns", action="append", metavar="NAME", help="subjectAltName DNS name (repeatable)")
    issue.add_argument("--email", metavar="ADDR", help="subjectAltName e-mail address")
    issue.add_argument("--crl-url", action="append", metavar="URL", help="CRL distribution point (repeatable)")
    issue.add_argument("--days", type=int, default=365, metavar="N", help="validity in days (365)")
    issue.add_argument("--out", required=True, metavar="CERT", help="certificate file to write (PEM)")
    issue.add_argument("--force", action="store_true", help="overwrite existing files")
    add_password_options(issue, "ca-password", "the CA key")
    add_password_options(issue, "password", "an encrypted --key")
    add_new_key_password_options(issue, "the new private key")
    issue.set_defaults(handler=_cert_issue)

    show = command(
        cert_sub, "show", help="show certificates (PEM, DER or a bundle)",
        description="Show subject, issuer, serial (hex), validity, key type, extensions and the SM3 and\n"
                    "SHA-256 fingerprints of every certificate in a file.",
        examples="  trustkit cert show seal.pem\n  trustkit cert show ./ca/chain.pem --json",
    )
    show.add_argument("file", metavar="FILE", help="certificate file ('-' for stdin)")
    show.set_defaults(handler=_cert_show)

    verify = command(
        cert_sub, "verify", help="validate a certificate path (exit 0 valid, 1 invalid, 2 error)",
        description="Build and validate the path from CERT to a trust anchor (RFC 5280 6): validity at the\n"
                    "given time, signatures, CA flags, pathLen, key usage for the purpose, CRLs. Prints\n"
                    "'valid' (exit 0) or 'invalid' and the code and reason of each failure (exit 1).\n"
                    "Extra certificates in the CERT file are used as intermediates.",
        examples="  trustkit cert verify seal.pem --trust ./ca/root.cert.pem --untrusted ./ca/intermediate.cert.pem\n"
                 "  trustkit cert verify seal.pem --trust root.pem --untrusted ca/chain.pem \\\n"
                 "      --crl ca/intermediate.crl.pem --crl ca/root.crl.pem --require-revocation \\\n"
                 "      --purpose seal-signing",
    )
    verify.add_argument("cert", metavar="CERT", help="certificate to validate (its file may carry intermediates)")
    add_trust_options(verify, trust_required=True)
    verify.add_argument("--purpose", choices=purpose_choices(), default="any", help="what the certificate is for")
    verify.set_defaults(handler=_cert_verify)

    csr_sub = _group(sub, "csr", "make and inspect PKCS#10 certificate requests",
                     "Make and inspect PKCS#10 certificate requests (SM2, RSA or ECDSA keys).", "{new,show}")
    new = command(
        csr_sub, "new", help="make a certificate request signed with your key",
        examples="  trustkit csr new --key k.pem --subject 'CN=www.example.cn,O=示例,C=CN' --dns www.example.cn "
                 "--out req.pem",
    )
    new.add_argument("--key", required=True, metavar="KEY", help="private key file")
    new.add_argument("--subject", required=True, metavar="DN", help="subject, e.g. 'CN=张三,O=示例单位,C=CN'")
    new.add_argument("--dns", action="append", metavar="NAME", help="subjectAltName DNS name (repeatable)")
    new.add_argument("--email", metavar="ADDR", help="subjectAltName e-mail address")
    new.add_argument("--out", required=True, metavar="REQ", help="request file to write (PEM; '-' for stdout)")
    new.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    add_password_options(new, "password", "an encrypted key")
    new.set_defaults(handler=_csr_new)

    csr_show = command(csr_sub, "show", help="show a request and check its self-signature (exit 1 if it fails)",
                       examples="  trustkit csr show req.pem --json")
    csr_show.add_argument("file", metavar="FILE", help="request file (PEM or DER; '-' for stdin)")
    csr_show.set_defaults(handler=_csr_show)

    crl_sub = _group(sub, "crl", "issue and inspect certificate revocation lists",
                     "Issue and inspect X.509 CRLs (RFC 5280 5).", "{issue,show}")
    crl_issue = command(
        crl_sub, "issue", help="issue a new CRL from a CA directory, optionally revoking certificates",
        description="Issue the next CRL of the intermediate CA (or of the root with --root). Revocations\n"
                    "and the CRL number are kept in the CA directory's ca.json, so every CRL lists all\n"
                    "certificates revoked so far. The CA's own copy (DIR/intermediate.crl.pem or\n"
                    "DIR/root.crl.pem) is always updated.\n\n"
                    "Reasons (RFC 5280 5.3.1): " + ", ".join(reason_label(m) for m in RevocationReason),
        examples="  trustkit crl issue --ca ./ca --revoke 5f3a...:keyCompromise --out ca.crl\n"
                 "  trustkit crl issue --ca ./ca --root --revoke <intermediate serial>:cACompromise",
    )
    crl_issue.add_argument("--ca", required=True, metavar="DIR", help="CA directory made by 'trustkit ca init'")
    crl_issue.add_argument("--root", action="store_true", help="issue the root CA's CRL instead")
    crl_issue.add_argument("--revoke", action="append", metavar="SERIAL[:REASON]",
                           help="revoke this serial number (hex, as 'cert show' prints it); repeatable")
    crl_issue.add_argument("--allow-unknown", action="store_true",
                           help="revoke serials that are not in the CA's index of issued certificates")
    crl_issue.add_argument("--days", type=int, default=7, metavar="N", help="days until nextUpdate (7)")
    crl_issue.add_argument("--out", metavar="CRL", help="also write the CRL here (PEM; '-' for stdout)")
    crl_issue.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    add_password_options(crl_issue, "ca-password", "the CA key")
    crl_issue.set_defaults(handler=_crl_issue)

    crl_show = command(crl_sub, "show", help="show a CRL (and check its signature with --issuer)",
                       examples="  trustkit crl show ./ca/intermediate.crl.pem --issuer ./ca/intermediate.cert.pem")
    crl_show.add_argument("file", metavar="FILE", help="CRL file (PEM or DER; '-' for stdin)")
    crl_show.add_argument("--issuer", metavar="CERT", help="check the signature with this CA certificate")
    crl_show.set_defaults(handler=_crl_show)


__all__ = [
    "add_trust_options",
    "certificate_info",
    "certificate_text",
    "describe_key",
    "iso",
    "load_public_key_any",
    "load_signing_key",
    "oid_label",
    "parse_file",
    "parse_purpose",
    "parse_time",
    "purpose_choices",
    "read_certificates",
    "read_limited",
    "read_one_certificate",
    "register",
    "report_lines",
    "serial_hex",
    "validation_context",
    "validation_time",
]

