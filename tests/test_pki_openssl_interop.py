"""Interop of certificates, CSRs and CRLs with the OpenSSL 3 command line and tongsuopy.

OpenSSL 3.0 uses an EMPTY SM2 signer ID unless told otherwise (reference/interop.md), so every
SM2 check passes ``distid:1234567812345678`` explicitly.  Flags that worked on OpenSSL 3.0.19:

- certificates:  ``openssl verify -attime T -CAfile CA.pem -vfyopt distid:1234567812345678 X.pem``
  (``-sm2-id`` of OpenSSL 1.1.1 no longer exists: "verify: Unknown option: -sm2-id").
  ``-vfyopt`` applies the ID only to the TARGET certificate: certificates from ``-untrusted``
  or from a bundle are checked with the empty ID, so a 3-level SM2 chain cannot be verified in
  one call ("error 7 at 1 depth lookup: certificate signature failure").  We therefore check
  each link: root -> intermediate with ``-CAfile root.pem``, and intermediate -> leaf with
  ``-partial_chain -CAfile int.pem``.  RSA/P-256 chains verify in one call, with the CRL.
- requests:      ``openssl req -in X.csr -verify -noout -vfyopt distid:1234567812345678``
- CRLs:          ``openssl crl -in X.pem -noout -text`` parses them; ``openssl crl -verify`` has
  no ``-vfyopt``/distid option in 3.0 and ``openssl verify -crl_check`` checks the CRL with the
  empty ID ("error 8 ... CRL signature failure"), so an SM2 CRL's signature is checked with
  ``openssl pkeyutl -verify -pubin -inkey issuer-pub.pem -rawin -in tbs.der -sigfile sig.der
  -digest sm3 -pkeyopt distid:1234567812345678`` over the exact TBSCertList bytes (and the same
  for certificates), plus tongsuopy.  RSA/P-256 CRLs: ``openssl crl -CAfile int.pem -verify``.
- tongsuopy 1.0.1 has no X.509 API (only keys, hashes, ciphers), so it cannot make
  certificates; it serves as an independent SM2 verifier of the TBS bytes instead.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509 as cx509
from pki_helpers import (
    NOW,
    TestChain,
    make_chain,
    make_crl,
    p256_chain,
    rsa_chain,
    sm2_chain,
)

from trustkit import sm2
from trustkit.errors import InvalidSignature
from trustkit.pki.algorithms import verify_vartime
from trustkit.pki.builder import (
    CertificateProfile,
    issue_certificate,
    issue_from_request,
)
from trustkit.pki.certificate import Certificate
from trustkit.pki.crl import CertificateRevocationList, RevocationReason
from trustkit.pki.csr import CertificateRequest
from trustkit.pki.names import make_name

pytestmark = pytest.mark.interop

DISTID = "distid:1234567812345678"
ATTIME = str(int(NOW.timestamp()))  # -attime pins OpenSSL's clock to the test PKI's NOW
P = CertificateProfile


def _run(openssl: str, *args: str, cwd: Path, ok: bool = True) -> str:
    proc = subprocess.run([openssl, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    output = proc.stdout + proc.stderr
    if ok:
        assert proc.returncode == 0, f"openssl {' '.join(args)} failed:\n{output}"
    else:
        assert proc.returncode != 0, f"openssl {' '.join(args)} unexpectedly succeeded:\n{output}"
    return output


def _write(directory: Path, name: str, data: bytes) -> str:
    (directory / name).write_bytes(data)
    return name


# ---- our certificates, read by OpenSSL -------------------------------------------------------------

_EXPECTED_TEXT = {
    P.SEAL_SIGNER: ["Digital Signature, Non Repudiation", "CA:FALSE"],
    P.SEAL_MAKER: ["Digital Signature, Non Repudiation", "CA:FALSE"],
    P.PERSON: ["Digital Signature, Non Repudiation", "CA:FALSE"],
    P.TLS_SERVER: ["Digital Signature", "TLS Web Server Authentication", "DNS:www.example.cn"],
    P.TIMESTAMPING: ["Digital Signature, Non Repudiation", "X509v3 Extended Key Usage: critical", "Time Stamping"],
}


@pytest.mark.parametrize("profile", list(_EXPECTED_TEXT))
def test_openssl_x509_text_parses_every_profile(openssl: str, tmp_path: Path, profile: CertificateProfile) -> None:
    # openssl x509 -in leaf.pem -noout -text -nameopt utf8
    chain = sm2_chain(profile)
    for cert in chain.certificates:
        name = _write(tmp_path, "c.pem", cert.to_pem())
        text = _run(openssl, "x509", "-in", name, "-noout", "-text", "-nameopt", "utf8", cwd=tmp_path)
        assert "Signature Algorithm: SM2-with-SM3" in text and "ASN1 OID: SM2" in text
        assert "X509v3 Key Usage: critical" in text and "X509v3 Basic Constraints: critical" in text
        assert "X509v3 Subject Key Identifier" in text
    leaf_text = _run(openssl, "x509", "-in", _write(tmp_path, "l.pem", chain.leaf.to_pem()), "-noout", "-text",
                     "-nameopt", "utf8", cwd=tmp_path)
    for needle in _EXPECTED_TEXT[profile] + ["某某单位", "URI:http://crl.example.cn/int.crl"]:
        assert needle in leaf_text
    root_text = _run(openssl, "x509", "-in", _write(tmp_path, "r.pem", chain.root.to_pem()), "-noout", "-text",
                     cwd=tmp_path)
    assert "Certificate Sign, CRL Sign" in root_text and "CA:TRUE" in root_text


def test_openssl_verify_sm2_chain_link_by_link(openssl: str, tmp_path: Path) -> None:
    chain = sm2_chain()
    root = _write(tmp_path, "root.pem", chain.root.to_pem())
    inter = _write(tmp_path, "int.pem", chain.intermediate.to_pem())
    leaf = _write(tmp_path, "leaf.pem", chain.leaf.to_pem())
    # openssl verify -attime T -CAfile root.pem -vfyopt distid:1234567812345678 int.pem
    out = _run(openssl, "verify", "-attime", ATTIME, "-CAfile", root, "-vfyopt", DISTID, inter, cwd=tmp_path)
    assert out.strip().endswith("OK")
    # openssl verify -attime T -partial_chain -CAfile int.pem -vfyopt distid:1234567812345678 leaf.pem
    out = _run(openssl, "verify", "-attime", ATTIME, "-partial_chain", "-CAfile", inter, "-vfyopt", DISTID, leaf,
               cwd=tmp_path)
    assert out.strip().endswith("OK")
    # Without the distid OpenSSL 3.0 uses the empty ID: this must FAIL, which shows our
    # signatures use Z over the default ID and not the empty one.
    _run(openssl, "verify", "-attime", ATTIME, "-CAfile", root, inter, cwd=tmp_path, ok=False)


def test_openssl_verify_two_level_sm2_chain_in_one_call(openssl: str, tmp_path: Path) -> None:
    chain = sm2_chain()
    key = sm2.generate_private_key()
    leaf = issue_certificate(subject=make_name(common_name="direct"), public_key=key.public_key(),
                             issuer=chain.root, issuer_key=chain.root_key, profile=P.PERSON,
                             not_before=NOW - timedelta(days=1))
    root = _write(tmp_path, "root.pem", chain.root.to_pem())
    # openssl verify -attime T -CAfile root.pem -vfyopt distid:1234567812345678 leaf.pem
    out = _run(openssl, "verify", "-attime", ATTIME, "-CAfile", root, "-vfyopt", DISTID,
               _write(tmp_path, "leaf.pem", leaf.to_pem()), cwd=tmp_path)
    assert out.strip().endswith("OK")


def _pkeyutl_verify(openssl: str, tmp_path: Path, issuer: Certificate, tbs: bytes, signature: bytes) -> None:
    pub = _write(tmp_path, "pub.pem", issuer.public_key.public_bytes("PEM"))  # type: ignore[union-attr]
    _write(tmp_path, "tbs.der", tbs)
    _write(tmp_path, "sig.der", signature)
    # openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in tbs.der -sigfile sig.der -digest sm3
    #   -pkeyopt distid:1234567812345678
    out = _run(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", "tbs.der",
               "-sigfile", "sig.der", "-digest", "sm3", "-pkeyopt", DISTID, cwd=tmp_path)
    assert "Signature Verified Successfully" in out


def test_openssl_pkeyutl_checks_sm2_tbs_signatures(openssl: str, tmp_path: Path) -> None:
    chain = make_chain("sm2", revoked_serials=(3, 4))
    _pkeyutl_verify(openssl, tmp_path, chain.root, chain.intermediate.tbs_der, chain.intermediate.signature)
    _pkeyutl_verify(openssl, tmp_path, chain.intermediate, chain.leaf.tbs_der, chain.leaf.signature)
    _pkeyutl_verify(openssl, tmp_path, chain.intermediate, chain.crl.tbs_der, chain.crl.signature)


def test_tongsuopy_checks_sm2_tbs_signatures() -> None:
    ec = pytest.importorskip("tongsuopy.crypto.asymciphers.ec")
    hashes = pytest.importorskip("tongsuopy.crypto.hashes")
    chain = make_chain("sm2", revoked_serials=(9,))

    def check(issuer: Certificate, tbs: bytes, signature: bytes) -> None:
        point = issuer.public_key.public_bytes("raw")  # type: ignore[union-attr]
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SM2(), point)
        peer.verify(signature, tbs, ec.ECDSA(hashes.SM3()))  # default ID 1234567812345678
        with pytest.raises(Exception):  # noqa: B017 - tongsuopy's InvalidSignature
            peer.verify(signature, tbs + b"\x00", ec.ECDSA(hashes.SM3()))

    check(chain.root, chain.root.tbs_der, chain.root.signature)
    check(chain.root, chain.intermediate.tbs_der, chain.intermediate.signature)
    check(chain.intermediate, chain.leaf.tbs_der, chain.leaf.signature)
    check(chain.intermediate, chain.crl.tbs_der, chain.crl.signature)


@pytest.mark.parametrize("chain_factory", [rsa_chain, p256_chain], ids=["rsa", "p256"])
def test_openssl_verify_rsa_p256_chains_with_crl(openssl: str, tmp_path: Path, chain_factory: object) -> None:
    chain: TestChain = chain_factory()  # type: ignore[operator]
    _write(tmp_path, "ca.pem", chain.root.to_pem() + chain.intermediate.to_pem())
    _write(tmp_path, "int.pem", chain.intermediate.to_pem())
    _write(tmp_path, "leaf.pem", chain.leaf.to_pem())
    _write(tmp_path, "crl.pem", chain.crl.to_pem())
    # openssl verify -attime T -crl_check -CRLfile crl.pem -CAfile ca.pem leaf.pem
    out = _run(openssl, "verify", "-attime", ATTIME, "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "ca.pem",
               "leaf.pem", cwd=tmp_path)
    assert out.strip().endswith("OK")
    # openssl crl -in crl.pem -CAfile int.pem -noout -verify
    assert "verify OK" in _run(openssl, "crl", "-in", "crl.pem", "-CAfile", "int.pem", "-noout", "-verify",
                               cwd=tmp_path)
    # A CRL that revokes the leaf: OpenSSL must report it.
    revoked = make_crl(chain.intermediate, chain.intermediate_key, (chain.leaf.serial_number,), crl_number=2)
    _write(tmp_path, "revoked.pem", revoked.to_pem())
    out = _run(openssl, "verify", "-attime", ATTIME, "-crl_check", "-CRLfile", "revoked.pem", "-CAfile", "ca.pem",
               "leaf.pem", cwd=tmp_path, ok=False)
    assert "certificate revoked" in out
    # pyca/cryptography parses every certificate and checks each link.
    certs = [cx509.load_der_x509_certificate(c.der) for c in chain.certificates]
    certs[0].verify_directly_issued_by(certs[1])
    certs[1].verify_directly_issued_by(certs[2])
    assert cx509.load_der_x509_crl(chain.crl.der).is_signature_valid(certs[1].public_key())  # type: ignore[arg-type]


def test_openssl_req_verify_accepts_our_csrs(openssl: str, tmp_path: Path) -> None:
    for kind in ("sm2", "rsa", "p256"):
        key = {"sm2": sm2_chain, "rsa": rsa_chain, "p256": p256_chain}[kind]().leaf_key
        request = CertificateRequest.create(key, make_name(common_name="请求", organization="某单位"),
                                            dns_names=("a.example.cn",))
        name = _write(tmp_path, f"{kind}.csr", request.to_pem())
        # openssl req -in X.csr -verify -noout [-vfyopt distid:1234567812345678 for SM2]
        args = ["req", "-in", name, "-verify", "-noout"] + (["-vfyopt", DISTID] if kind == "sm2" else [])
        out = _run(openssl, *args, cwd=tmp_path)
        assert "verify OK" in out or "self-signature ok" in out.lower()
        text = _run(openssl, "req", "-in", name, "-noout", "-text", "-nameopt", "utf8", cwd=tmp_path)
        assert "DNS:a.example.cn" in text and "请求" in text


def test_openssl_crl_text_parses_our_crls(openssl: str, tmp_path: Path) -> None:
    chain = make_chain("sm2", revoked_serials=(0x1234, 0x5678))
    name = _write(tmp_path, "crl.pem", chain.crl.to_pem())
    # openssl crl -in crl.pem -noout -text
    text = _run(openssl, "crl", "-in", name, "-noout", "-text", cwd=tmp_path)
    for needle in ("Signature Algorithm: SM2-with-SM3", "X509v3 CRL Number", "X509v3 Authority Key Identifier",
                   "Serial Number: 1234", "Serial Number: 5678", "Key Compromise"):
        assert needle in text
    # openssl crl -in crl.pem -inform PEM -outform DER  (re-encoding yields our bytes)
    der = subprocess.run([openssl, "crl", "-in", name, "-outform", "DER"], cwd=tmp_path, capture_output=True,
                         timeout=60, check=True).stdout
    assert der == chain.crl.der


# ---- certificates, CSRs and CRLs made by OpenSSL, read by us ---------------------------------------


@pytest.fixture(scope="module")
def openssl_pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SM2 CA, CSR, end-entity certificate and CRL made by OpenSSL with the default ID."""
    import shutil

    openssl = shutil.which("openssl")
    assert openssl
    d = tmp_path_factory.mktemp("openssl-pki")
    steps = [
        # openssl genpkey -algorithm SM2 -out ca.key (and ee.key)
        ["genpkey", "-algorithm", "SM2", "-out", "ca.key"],
        ["genpkey", "-algorithm", "SM2", "-out", "ee.key"],
        # openssl req -x509 -new -key ca.key -sm3 -sigopt distid:1234567812345678 -subj ... -days 3650
        #   -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
        ["req", "-x509", "-new", "-key", "ca.key", "-sm3", "-sigopt", DISTID, "-subj",
         "/C=CN/O=OpenSSL 测试/CN=OpenSSL SM2 Root", "-utf8", "-days", "3650",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
         "-out", "ca.pem"],
        # openssl req -new -key ee.key -sm3 -sigopt distid:1234567812345678 -subj /C=CN/CN=ee -out ee.csr
        ["req", "-new", "-key", "ee.key", "-sm3", "-sigopt", DISTID, "-subj", "/C=CN/CN=ee",
         "-addext", "subjectAltName=DNS:ee.example.cn", "-out", "ee.csr"],
        # openssl x509 -req -in ee.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sm3
        #   -sigopt distid:1234567812345678 -vfyopt distid:1234567812345678 -days 365 -out ee.pem
        ["x509", "-req", "-in", "ee.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-sm3",
         "-sigopt", DISTID, "-vfyopt", DISTID, "-days", "365", "-out", "ee.pem"],
        # A certificate signed with OpenSSL's default (EMPTY) ID: not what GM/T 0015 wants.
        ["req", "-x509", "-new", "-key", "ca.key", "-sm3", "-subj", "/CN=empty id", "-days", "30",
         "-out", "empty-id.pem"],
    ]
    for step in steps:
        subprocess.run([openssl, *step], cwd=d, check=True, capture_output=True, timeout=60)
    (d / "index.txt").write_text("")
    (d / "crlnumber").write_text("05\n")
    (d / "ca.cnf").write_text(
        "[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sm3\n"
        "default_crl_days=7\ncrl_extensions=ext\n[ext]\nauthorityKeyIdentifier=keyid\n"
    )
    # openssl ca -config ca.cnf -revoke ee.pem -keyfile ca.key -cert ca.pem -crl_reason keyCompromise
    # openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -sigopt distid:1234567812345678 -out crl.pem
    for step in (
        ["ca", "-config", "ca.cnf", "-revoke", "ee.pem", "-keyfile", "ca.key", "-cert", "ca.pem",
         "-crl_reason", "keyCompromise"],
        ["ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "ca.pem", "-sigopt", DISTID,
         "-out", "crl.pem"],
    ):
        subprocess.run([openssl, *step], cwd=d, check=True, capture_output=True, timeout=60)
    return d


def test_we_verify_openssl_certificates(openssl_pki: Path) -> None:
    ca = Certificate.load((openssl_pki / "ca.pem").read_bytes())
    ee = Certificate.load((openssl_pki / "ee.pem").read_bytes())
    assert ca.is_ca and ca.is_self_issued and ca.key_usage == {"key_cert_sign", "crl_sign"}
    assert "OpenSSL 测试" in ca.subject_text
    assert isinstance(ee.public_key, sm2.PublicKey)
    ca.verify_signed_by_vartime(ca)
    ee.verify_signed_by_vartime(ca)
    with pytest.raises(InvalidSignature):
        ca.verify_signed_by_vartime(ee)


def test_empty_id_certificate_fails_unless_that_id_is_given(openssl_pki: Path) -> None:
    cert = Certificate.load((openssl_pki / "empty-id.pem").read_bytes())
    with pytest.raises(InvalidSignature):
        cert.verify_signed_by_vartime(cert)
    verify_vartime(cert.public_key, cert.signature_algorithm_oid, cert.signature, cert.tbs_der, uid=b"")


def test_we_verify_openssl_csr_and_issue_from_it(openssl: str, openssl_pki: Path, tmp_path: Path) -> None:
    request = CertificateRequest.load((openssl_pki / "ee.csr").read_bytes())
    request.verify_self_signature_vartime()
    assert request.subject_text == "CN=ee,C=CN" and request.dns_names == ("ee.example.cn",)
    chain = sm2_chain()
    cert = issue_from_request(request, issuer=chain.root, issuer_key=chain.root_key, profile=P.TLS_SERVER,
                              not_before=NOW - timedelta(days=1))
    assert cert.dns_names == ("ee.example.cn",)
    root = _write(tmp_path, "root.pem", chain.root.to_pem())
    out = _run(openssl, "verify", "-attime", ATTIME, "-CAfile", root, "-vfyopt", DISTID,
               _write(tmp_path, "ee.pem", cert.to_pem()), cwd=tmp_path)
    assert out.strip().endswith("OK")


def test_we_verify_openssl_crl(openssl_pki: Path) -> None:
    ca = Certificate.load((openssl_pki / "ca.pem").read_bytes())
    ee = Certificate.load((openssl_pki / "ee.pem").read_bytes())
    crl = CertificateRevocationList.load((openssl_pki / "crl.pem").read_bytes())
    crl.verify_signed_by_vartime(ca)
    assert crl.crl_number == 5 and crl.authority_key_identifier == ca.subject_key_identifier
    entry = crl.find(ee.serial_number)
    assert entry is not None and entry.reason is RevocationReason.KEY_COMPROMISE
    assert crl.next_update is not None and crl.next_update - crl.this_update == timedelta(days=7)


def test_openssl_signs_with_our_key_files(openssl: str, tmp_path: Path) -> None:
    """Our PKCS#8 key and certificate work as an OpenSSL CA: OpenSSL issues, we verify."""
    chain = sm2_chain()
    _write(tmp_path, "ca.key", chain.intermediate_key.private_bytes("PEM"))  # type: ignore[union-attr]
    _write(tmp_path, "ca.pem", chain.intermediate.to_pem())
    request = CertificateRequest.create(sm2.generate_private_key(), make_name(common_name="via openssl"))
    _write(tmp_path, "r.csr", request.to_pem())
    # openssl x509 -req -in r.csr -CA ca.pem -CAkey ca.key -set_serial 7 -sm3
    #   -sigopt distid:1234567812345678 -vfyopt distid:1234567812345678 -days 30 -out r.pem
    _run(openssl, "x509", "-req", "-in", "r.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "7", "-sm3",
         "-sigopt", DISTID, "-vfyopt", DISTID, "-days", "30", "-out", "r.pem", cwd=tmp_path)
    issued = Certificate.load((tmp_path / "r.pem").read_bytes())
    assert issued.serial_number == 7
    issued.verify_signed_by_vartime(chain.intermediate)
