"""Certificates: names, algorithms, issuing by profile, strict parsing, real vendor certificates."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from asn1crypto import core, pem, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pki_helpers import (
    NOW,
    add_extension,
    make_chain,
    new_key,
    p256_chain,
    resign,
    rsa_chain,
    sm2_chain,
)

from trustkit import oids, sm2
from trustkit.errors import (
    DecodeError,
    InvalidSignature,
    TrustkitError,
    UnsupportedAlgorithmError,
)
from trustkit.pki import algorithms
from trustkit.pki.builder import (
    CertificateProfile,
    create_root_ca,
    issue_certificate,
    random_serial_number,
)
from trustkit.pki.certificate import (
    MAX_CERTIFICATE_BYTES,
    Certificate,
    load_certificates,
)
from trustkit.pki.names import format_name, make_name, parse_name
from vectors import VECTORS

PKI = VECTORS / "pki"
P = CertificateProfile


# ---- names --------------------------------------------------------------------------------------


def test_make_name_order_and_string_types() -> None:
    name = make_name(common_name="张三", organization="某单位", organizational_unit="办公室", province="北京",
                     locality="海淀", serial_number="91110000X", email="a@example.cn")
    rdns = [rdn[0] for rdn in name.chosen]
    assert [atav["type"].native for atav in rdns] == [
        "country_name", "state_or_province_name", "locality_name", "organization_name",
        "organizational_unit_name", "common_name", "serial_number", "email_address",
    ]
    assert rdns[0]["value"].name == "printable_string"  # C is PrintableString (RFC 5280 4.1.2.4)
    assert rdns[5]["value"].name == "utf8_string"
    assert format_name(name) == "emailAddress=a@example.cn,serialNumber=91110000X,CN=张三,OU=办公室,O=某单位,L=海淀,ST=北京,C=CN"


def test_parse_name_round_trip_rfc4514_and_slash_form() -> None:
    name = make_name(common_name="张三", organization="A, B+C")
    text = format_name(name)
    assert text == "CN=张三,O=A\\, B\\+C,C=CN"
    assert parse_name(text).dump() == name.dump()
    slash = parse_name("/C=CN/O=A\\, B/CN=张三")  # OpenSSL's form, most general first
    assert format_name(slash) == "CN=张三,O=A\\, B,C=CN"
    multi = parse_name("CN=x+serialNumber=1,C=CN")
    assert len(multi.chosen[1]) == 2
    assert parse_name("CN=\\E5\\BC\\A0").chosen[0][0]["value"].native == "张"


@pytest.mark.parametrize("bad", ["", "CN", "XYZ=1", "CN=x\\", "C=CHN"])
def test_parse_name_errors(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_name(bad)


# ---- algorithms ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sm2", "rsa", "p256"])
def test_sign_verify_each_key_type(kind: str) -> None:
    key = new_key(kind)  # type: ignore[arg-type]
    oid = algorithms.signature_algorithm(key)["algorithm"].dotted
    sig = algorithms.sign(key, b"tbs")
    algorithms.verify_vartime(algorithms.public_key_of(key), oid, sig, b"tbs")
    with pytest.raises(InvalidSignature):
        algorithms.verify_vartime(algorithms.public_key_of(key), oid, sig, b"tbx")
    other = new_key("sm2" if kind != "sm2" else "p256")
    with pytest.raises(InvalidSignature):  # key type and algorithm disagree
        algorithms.verify_vartime(algorithms.public_key_of(other), oid, sig, b"tbs")


def test_signature_algorithm_encodings() -> None:
    sm2_alg = algorithms.signature_algorithm(sm2.generate_private_key()).dump()
    assert sm2_alg == bytes.fromhex("300a06082a811ccf55018375")  # 1.501, parameters absent
    rsa_alg = algorithms.signature_algorithm(rsa_chain().leaf_key).dump()
    assert rsa_alg.endswith(b"\x05\x00")  # sha256WithRSAEncryption with NULL (RFC 4055)
    ec_alg = algorithms.signature_algorithm(p256_chain().leaf_key).dump()
    assert ec_alg == bytes.fromhex("300a06082a8648ce3d040302")  # ecdsa-with-SHA256, absent


def test_sm2_verify_accepts_oid_variants_and_raw_signature() -> None:
    key = sm2.generate_private_key()
    der = algorithms.sign(key, b"m")
    raw = sm2.decode_signature_der(der)
    for oid in (oids.SM2_SIGN_WITH_SM3, oids.SM2_SIGN, oids.SM2):
        algorithms.verify_vartime(key.public_key(), oid, der, b"m")
        algorithms.verify_vartime(key.public_key(), oid, raw, b"m")
    no_z = key.sign_digest(hashlib.new("sm3", b"m").digest())
    with pytest.raises(InvalidSignature):
        algorithms.verify_vartime(key.public_key(), oids.SM2_SIGN_WITH_SM3, no_z, b"m")
    algorithms.verify_vartime(key.public_key(), oids.SM2_SIGN_WITH_SM3, no_z, b"m", allow_no_z=True)


def test_unsupported_algorithms() -> None:
    key = sm2.generate_private_key()
    with pytest.raises(UnsupportedAlgorithmError):
        algorithms.verify_vartime(key.public_key(), "1.2.840.113549.1.1.5", b"x", b"m")  # sha1WithRSA
    with pytest.raises(UnsupportedAlgorithmError):
        algorithms.signature_algorithm(ec.generate_private_key(ec.SECP521R1()))
    with pytest.raises(UnsupportedAlgorithmError):
        algorithms.digest("md5", b"")
    assert algorithms.digest(oids.SM3, b"abc").hex().startswith("66c7f0f4")
    assert algorithms.digest("SHA256", b"") == hashlib.sha256().digest()


def test_key_identifier_matches_rfc5280_method_1() -> None:
    for key in (rsa_chain().leaf_key, p256_chain().leaf_key):
        expected = cx509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest  # type: ignore[arg-type]
        assert algorithms.key_identifier(algorithms.public_key_of(key)) == expected
    point = sm2_chain().leaf_key.public_key().public_bytes("raw")  # type: ignore[union-attr]
    assert algorithms.key_identifier(sm2_chain().leaf.public_key) == hashlib.sha1(point).digest()


def test_public_key_info_round_trip_and_sm2_oid_algorithm() -> None:
    for chain in (sm2_chain(), rsa_chain(), p256_chain()):
        info = algorithms.public_key_info(chain.leaf.public_key)
        assert algorithms.public_keys_equal(algorithms.public_key_from_info(info.dump()), chain.leaf.public_key)
    # Tongsuo writes algorithm = 1.2.156.10197.1.301 instead of id-ecPublicKey + curve.
    cert = Certificate.load((PKI / "tongsuo" / "sm2-cert.pem").read_bytes())
    assert isinstance(cert.public_key, sm2.PublicKey)


# ---- issuing by profile -------------------------------------------------------------------------

_PROFILE_EXPECTATIONS = {
    P.SEAL_SIGNER: ({"digital_signature", "non_repudiation"}, None),
    P.SEAL_MAKER: ({"digital_signature", "non_repudiation"}, None),
    P.PERSON: ({"digital_signature", "non_repudiation"}, None),
    P.TLS_SERVER: ({"digital_signature"}, {oids.KP_SERVER_AUTH}),
    P.TIMESTAMPING: ({"digital_signature", "non_repudiation"}, {oids.KP_TIME_STAMPING}),
}


@pytest.mark.parametrize("profile", list(_PROFILE_EXPECTATIONS))
def test_leaf_profiles(profile: CertificateProfile) -> None:
    chain = sm2_chain(profile)
    leaf = chain.leaf
    usage, eku = _PROFILE_EXPECTATIONS[profile]
    assert leaf.key_usage == usage and leaf.extended_key_usage == (frozenset(eku) if eku else None)
    assert not leaf.is_ca and leaf.has_basic_constraints and leaf.path_length is None
    assert "2.5.29.15" in leaf.critical_extensions and "2.5.29.19" in leaf.critical_extensions
    assert ("2.5.29.37" in leaf.critical_extensions) is (profile is P.TIMESTAMPING)  # RFC 3161 2.3
    assert leaf.authority_key_identifier == chain.intermediate.subject_key_identifier
    assert leaf.subject_key_identifier == algorithms.key_identifier(leaf.public_key)
    assert leaf.crl_distribution_points == ("http://crl.example.cn/int.crl",)
    assert leaf.unknown_critical_extensions == frozenset()
    assert 0 < leaf.serial_number < 1 << 159 and leaf.version == 3
    leaf.verify_signed_by_vartime(chain.intermediate)
    if profile is P.TLS_SERVER:
        assert leaf.dns_names == ("www.example.cn",)


def test_ca_profiles() -> None:
    chain = sm2_chain()
    root, inter = chain.root, chain.intermediate
    assert root.is_ca and root.path_length is None and root.key_usage == {"key_cert_sign", "crl_sign"}
    assert root.is_self_issued and root.authority_key_identifier is None
    assert inter.is_ca and inter.path_length == 0 and not inter.is_self_issued
    assert inter.authority_key_identifier == root.subject_key_identifier
    root.verify_signed_by_vartime(root)
    inter.verify_signed_by_vartime(root.public_key)
    with pytest.raises(InvalidSignature):
        inter.verify_signed_by_vartime(inter)


def test_rsa_tls_server_has_key_encipherment_and_cryptography_loads_it() -> None:
    chain = make_chain("rsa", leaf_profile=P.TLS_SERVER)
    assert chain.leaf.key_usage == {"digital_signature", "key_encipherment"}
    for cert, issuer in zip(chain.certificates, chain.certificates[1:] + (chain.root,)):
        ours = cx509.load_der_x509_certificate(cert.der)
        ours.verify_directly_issued_by(cx509.load_der_x509_certificate(issuer.der))


def test_validity_encoding_and_defaults() -> None:
    key = sm2.generate_private_key()
    late = create_root_ca(make_name(common_name="late"), key, not_before=datetime(2049, 1, 1, tzinfo=timezone.utc),
                          validity=timedelta(days=3 * 365))
    validity = late.asn1["tbs_certificate"]["validity"]
    assert validity["not_before"].name == "utc_time" and validity["not_after"].name == "general_time"
    assert late.not_after == datetime(2052, 1, 1, tzinfo=timezone.utc)
    start = datetime(2026, 1, 1, 0, 0, 0, 999, tzinfo=timezone.utc)
    root = create_root_ca(make_name(common_name="r"), key, not_before=start)
    assert root.not_before == start.replace(microsecond=0)
    assert root.not_after - root.not_before == timedelta(days=20 * 365)


def test_builder_refuses_inconsistent_arguments() -> None:
    chain = sm2_chain()
    key = sm2.generate_private_key()
    base = {"subject": make_name(common_name="x"), "public_key": key.public_key(), "issuer": chain.intermediate,
            "issuer_key": chain.intermediate_key}
    cases = [
        {**base, "profile": P.SEAL_SIGNER, "path_length": 1},
        {**base, "profile": P.TLS_SERVER},  # no DNS names
        {**base, "profile": P.ROOT_CA},  # root with issuer
        {**base, "profile": P.PERSON, "not_before": NOW, "not_after": NOW - timedelta(seconds=1)},
        {**base, "profile": P.PERSON, "not_before": datetime(2026, 1, 1)},  # naive
        {**base, "profile": P.PERSON, "issuer_key": chain.root_key},  # key does not match the issuer
        {**base, "profile": P.PERSON, "issuer": chain.leaf, "issuer_key": chain.leaf_key},  # issuer not a CA
        {**base, "profile": P.PERSON, "serial_number": 0},
        {**base, "profile": P.PERSON, "serial_number": 1 << 159},
        {**base, "profile": P.INTERMEDIATE_CA, "issuer": None, "issuer_key": key},
        {**base, "profile": P.PERSON, "issuer": None},  # self-signed with someone else's key
    ]
    for kwargs in cases:
        with pytest.raises(ValueError):
            issue_certificate(**kwargs)  # type: ignore[arg-type]


def test_random_serial_numbers() -> None:
    serials = {random_serial_number() for _ in range(64)}
    assert len(serials) == 64 and all(1 << 63 <= s < 1 << 159 for s in serials)


def test_optional_extensions() -> None:
    chain = sm2_chain()
    key = sm2.generate_private_key()
    cert = issue_certificate(
        subject=make_name(common_name="张三"), public_key=key.public_key(), issuer=chain.intermediate,
        issuer_key=chain.intermediate_key, profile=P.PERSON, email="zs@example.cn",
        policy_oids=("1.2.156.112559.1.1.1",), crl_urls=("http://a/1.crl", "http://b/2.crl"),
    )
    assert cert.email_addresses == ("zs@example.cn",)
    assert cert.policy_oids == ("1.2.156.112559.1.1.1",)
    assert cert.crl_distribution_points == ("http://a/1.crl", "http://b/2.crl")


# ---- parsing ------------------------------------------------------------------------------------


def test_pem_der_bundle_round_trips() -> None:
    chain = sm2_chain()
    leaf = chain.leaf
    assert Certificate.load(leaf.to_pem()) == leaf == Certificate.load(leaf.der)
    assert hash(Certificate.from_der(leaf.der)) == hash(leaf)
    assert leaf.fingerprint() == hashlib.new("sm3", leaf.der).digest()
    assert leaf.fingerprint("sha256") == hashlib.sha256(leaf.der).digest()
    bundle = b"junk before\n" + b"".join(c.to_pem() for c in chain.certificates) + chain.crl.to_pem()
    assert load_certificates(bundle) == list(chain.certificates)
    assert load_certificates(b"".join(c.der for c in chain.certificates)) == list(chain.certificates)
    assert leaf.subject_text.startswith("CN=某某单位 leaf (sm2)")
    assert leaf.issuer_text == chain.intermediate.subject_text
    assert "某某单位" in repr(leaf)


def _damaged_inputs() -> dict[str, bytes]:
    der = sm2_chain().leaf.der
    pem_text = sm2_chain().leaf.to_pem()
    return {
        "truncated": der[:-10],
        "trailing byte": der + b"\x00",
        "wrong outer tag": b"\x31" + der[1:],
        "empty": b"",
        "2 MiB": b"\x30" + b"\x00" * (2 << 20),
        "garbage PEM": b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        "unterminated PEM": pem_text[:-30],
        "key PEM": sm2.generate_private_key().private_bytes("PEM"),
        "two PEM certs": pem_text + pem_text,
        "random": b"\x30\x82\x01\x00" + bytes(range(256)),
    }


@pytest.mark.parametrize("name", list(_damaged_inputs()))
def test_malformed_certificates_raise_decode_error(name: str) -> None:
    data = _damaged_inputs()[name]
    with pytest.raises(DecodeError) as info:
        Certificate.load(data)
    assert str(info.value).startswith("certificate")


def test_size_limit_message() -> None:
    with pytest.raises(DecodeError, match=f"exceeds the {MAX_CERTIFICATE_BYTES}-byte limit"):
        Certificate.from_der(b"\x30" * (MAX_CERTIFICATE_BYTES + 1))
    with pytest.raises(DecodeError, match="no CERTIFICATE PEM block"):
        load_certificates(sm2_chain().crl.to_pem())
    with pytest.raises(TypeError):
        Certificate.from_der("text")  # type: ignore[arg-type]


def test_structural_rules() -> None:
    chain = sm2_chain()
    # Duplicate extension (RFC 5280 4.2).
    ski = chain.leaf.subject_key_identifier
    assert ski is not None
    dup = add_extension("2.5.29.14", core.OctetString(ski).dump(), critical=False)
    with pytest.raises(DecodeError, match="more than once"):
        resign(chain.leaf, chain.intermediate_key, dup)
    # Outer and inner signature algorithms differ (RFC 5280 4.1.1.2).
    cert = x509.Certificate.load(chain.leaf.der).copy()
    cert["signature_algorithm"] = {"algorithm": "1.2.840.10045.4.3.2"}
    with pytest.raises(DecodeError, match="differ"):
        Certificate.from_der(cert.dump(force=True))
    # SM2 with NULL parameters is accepted (real tax-CA certificates), anything else is not.
    for params, ok in ((core.Null(), True), (core.Integer(1), False)):
        def set_params(tbs: object, params: core.Asn1Value = params) -> None:
            tbs["signature"] = {"algorithm": oids.SM2_SIGN_WITH_SM3, "parameters": params}  # type: ignore[index]
        if ok:
            resign(chain.leaf, chain.intermediate_key, set_params)
        else:
            with pytest.raises(DecodeError):
                resign(chain.leaf, chain.intermediate_key, set_params)


def test_unknown_critical_extension_is_reported() -> None:
    chain = sm2_chain()
    bad = resign(chain.leaf, chain.intermediate_key, add_extension("1.2.3.4.5", b"\x05\x00", critical=True))
    assert bad.unknown_critical_extensions == {"1.2.3.4.5"}
    bad.verify_signed_by_vartime(chain.intermediate)
    quiet = resign(chain.leaf, chain.intermediate_key, add_extension("1.2.3.4.5", b"\x05\x00", critical=False))
    assert quiet.unknown_critical_extensions == frozenset()


def test_broken_signature_fails() -> None:
    chain = sm2_chain()
    der = bytearray(chain.leaf.der)
    der[-5] ^= 0x01
    broken = Certificate.from_der(bytes(der))
    with pytest.raises(InvalidSignature):
        broken.verify_signed_by_vartime(chain.intermediate)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_fuzzed_certificates_raise_only_trustkit_errors(data: st.DataObject) -> None:
    der = bytearray(sm2_chain().leaf.der)
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(der) - 1))
        action = data.draw(st.sampled_from(["flip", "set", "delete", "insert"]))
        if action == "flip":
            der[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "set":
            der[pos] = data.draw(st.integers(0, 255))
        elif action == "delete" and len(der) > 1:
            del der[pos]
        else:
            der.insert(pos, data.draw(st.integers(0, 255)))
    try:
        cert = Certificate.load(bytes(der))
        _ = cert.subject_text, cert.issuer_text, cert.is_self_issued
        try:
            cert.verify_signed_by_vartime(sm2_chain().intermediate)
        except TrustkitError:
            pass
    except TrustkitError:
        pass


# ---- real certificates made by other software ----------------------------------------------------

# (file, index in the file, signer file, signer index, expected: "ok" | "no-z")
_REAL_SIGNATURES = [
    ("tongsuo/chain-ca.crt", 0, "tongsuo/chain-ca.crt", 0, "ok"),
    ("tongsuo/chain-ca.crt", 1, "tongsuo/chain-ca.crt", 0, "ok"),
    ("tongsuo/server_sign.crt", 0, "tongsuo/chain-ca.crt", 1, "ok"),
    ("tongsuo/client_sign_expire.crt", 0, "tongsuo/chain-ca.crt", 1, "ok"),
    ("tongsuo/sm2-root-cert.pem", 0, "tongsuo/sm2-root-cert.pem", 0, "ok"),
    ("tongsuo/sm2-cert.pem", 0, "tongsuo/sm2-root-cert.pem", 0, "ok"),
    ("tongsuo/sm2-noza-root-cert.pem", 0, "tongsuo/sm2-noza-root-cert.pem", 0, "no-z"),
    ("tongsuo/sm2-noza-cert.pem", 0, "tongsuo/sm2-noza-root-cert.pem", 0, "no-z"),
    ("gmssl/CFCA_EV_SM2_ROOT.cer", 0, "gmssl/CFCA_EV_SM2_ROOT.cer", 0, "ok"),
    ("gmssl/CFCA_EV_SM2_OCA.cer", 0, "gmssl/CFCA_EV_SM2_ROOT.cer", 0, "ok"),
    ("gmssl/nrcac-ROOTCA.pem", 0, "gmssl/nrcac-ROOTCA.pem", 0, "ok"),
    ("gmssl/nrcac-civil-servant-root.pem", 0, "gmssl/nrcac-civil-servant-root.pem", 0, "ok"),
    ("gmssl/nrcac-device-root.pem", 0, "gmssl/nrcac-device-root.pem", 0, "ok"),
    ("ofdrw/ROOT-p12-cert.pem", 0, "ofdrw/ROOT-p12-cert.pem", 0, "ok"),
    ("ofdrw/sign_cert.pem", 0, "ofdrw/ROOT-p12-cert.pem", 0, "ok"),
    ("ofdrw/DigitalSign_signer_cert.pem", 0, "ofdrw/ROOT-p12-cert.pem", 0, "ok"),
    ("ofdrw/SealBuilder-p12-cert.pem", 0, "ofdrw/ROOT-p12-cert.pem", 0, "ok"),
]


def _real(path: str, index: int) -> Certificate:
    return load_certificates((PKI / path).read_bytes())[index]


@pytest.mark.parametrize(("path", "index", "signer", "signer_index", "expected"), _REAL_SIGNATURES)
def test_real_vectors(path: str, index: int, signer: str, signer_index: int, expected: str) -> None:
    cert, issuer = _real(path, index), _real(signer, signer_index)
    assert cert.signature_algorithm_oid == oids.SM2_SIGN_WITH_SM3
    assert isinstance(cert.public_key, sm2.PublicKey)
    assert cert.issuer == issuer.subject
    if expected == "ok":
        cert.verify_signed_by_vartime(issuer)
    else:  # Tongsuo sm2-noza: signed without Z, must fail unless explicitly allowed
        with pytest.raises(InvalidSignature):
            cert.verify_signed_by_vartime(issuer)
        cert.verify_signed_by_vartime(issuer, allow_no_z=True)


def test_real_vector_properties() -> None:
    expired = _real("tongsuo/client_sign_expire.crt", 0)
    assert expired.not_after == datetime(2001, 1, 1, tzinfo=timezone.utc)
    assert _real("tongsuo/chain-ca.crt", 1).path_length == 0
    cfca = _real("gmssl/CFCA_EV_SM2_ROOT.cer", 0)
    assert cfca.subject_text == "CN=CFCA EV SM2 ROOT,O=China Financial Certification Authority,C=CN"
    assert cfca.is_self_issued and cfca.is_ca and cfca.key_usage == {"key_cert_sign", "crl_sign"}
    ofd_root = _real("ofdrw/ROOT-p12-cert.pem", 0)
    assert ofd_root.is_ca and "key_cert_sign" not in (ofd_root.key_usage or ())  # see SOURCES.md
    # The ledger names every file in the folder (tests/test_vectors.py checks the reverse).
    listed = (PKI / "SOURCES.md").read_text(encoding="utf-8")
    for path in Path(PKI).rglob("*"):
        if path.is_file() and path.name != "SOURCES.md":
            assert f"`{path.relative_to(PKI).as_posix()}`" in listed


def test_real_pem_is_parsed_like_asn1crypto() -> None:
    for path in ("gmssl/nrcac-ROOTCA.pem", "tongsuo/sm2-cert.pem"):
        data = (PKI / path).read_bytes()
        _, _, der = pem.unarmor(data)
        assert Certificate.load(data).der == der


def test_vendor_name_with_string_unique_identifier() -> None:
    """A CEGN seal CA writes x500UniqueIdentifier (2.5.4.45) as a UTF8String; we parse and compare it."""
    cert = Certificate.load((PKI / "ofdrw" / "keyword-sign3-signer-cert.der").read_bytes())
    assert cert.issuer_text == "CN=CEGN_SEAL_CA,2.5.4.45=B00102,O=12100000000018032A,C=CN"
    assert cert.subject_text.startswith("CN=37030000001721,O=11370306MB2867521U淄博市周村区自然资源局")
    assert cert.issuer == Certificate.from_der(cert.der).issuer and cert.issuer != cert.subject
    assert cert.key_usage == {"digital_signature", "non_repudiation"} and not cert.is_ca
