"""CMS SignedData (GM/T 0010 and RFC 5652 OIDs) with SM2, RSA and P-256: trustkit.pki.cms.

Independent checks (the issue asks for more than our own verifier):
- tongsuopy and gmssl re-verify the SignerInfo signature over the exact signed-attributes DER;
- ``openssl cms -cmsout -print -inform DER`` parses the rfc-OID variant, ``openssl asn1parse``
  the GM one;
- ``openssl cms -verify`` accepts our RSA and P-256 messages.  OpenSSL 3.0 cannot MAKE SM2 CMS
  (``openssl cms -sign`` with an SM2 key fails with "illegal zero content", reference/interop.md),
  and it cannot VERIFY ours either: ``cms -verify`` has no ``-vfyopt distid:`` option, so the
  certificate check fails ("certificate signature failure") and, with ``-noverify``, the SignerInfo
  check fails too ("CMS_SignerInfo_verify:verification failure") because OpenSSL < 4 uses an
  empty SM2 ID.  The test below records that outcome.
"""

from __future__ import annotations

import base64
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
from asn1crypto import algos, cms, core
from hypothesis import given
from hypothesis import strategies as st

from pki_helpers import NOW, make_chain, p256_chain, rsa_chain, sm2_chain
from trustkit import oids, sm2, sm3
from trustkit.errors import CertificateValidationError, DecodeError, InvalidKeyError, InvalidSignature
from trustkit.errors import UnsupportedAlgorithmError
from trustkit.pki import cms as tk_cms
from trustkit.pki.algorithms import public_key_of
from trustkit.pki.builder import CertificateProfile, issue_certificate
from trustkit.pki.cms import MAX_CMS_SIZE, sign_cms, verify_cms
from trustkit.pki.names import make_name
from trustkit.pki.validation import Purpose, ValidationContext

DATA = b"GM/T 0010 \xe7\xad\xbe\xe5\x90\x8d content"


def _context(chain: Any) -> ValidationContext:
    return ValidationContext([chain.root])


def _rebuild(der: bytes, mutate: Callable[[Any], None]) -> bytes:
    """Parse one of our messages with the module's own spec, let ``mutate`` edit the SignedData, re-encode."""
    info = tk_cms._ContentInfo.load(der)
    mutate(info["content"])
    return bytes(info.dump(force=True))


# ---- round trips ------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["gm", "rfc"])
@pytest.mark.parametrize("detached", [False, True])
@pytest.mark.parametrize("attributes", [True, False])
def test_round_trip_sm2(family: str, detached: bool, attributes: bool) -> None:
    chain = sm2_chain()
    der = sign_cms(
        DATA, chain.leaf_key, chain.leaf, oids=family, detached=detached,  # type: ignore[arg-type]
        signed_attributes=attributes, extra_certificates=[chain.intermediate], signing_time=NOW,
    )
    result = verify_cms(der, data=DATA if detached else None, context=_context(chain), at=NOW)
    assert result.content == DATA
    assert result.content_type == (oids.GM_CMS_DATA if family == "gm" else oids.CMS_DATA)
    assert result.signer == chain.leaf
    assert result.digest_algorithm == oids.SM3
    assert result.signature_algorithm == oids.SM2_SIGN_WITH_SM3
    assert result.chain is not None and result.chain.valid
    assert result.chain.path == (chain.leaf, chain.intermediate, chain.root)  # intermediate from the message
    if attributes:
        assert result.signing_time == NOW
        assert result.signed_attributes_der is not None and result.signed_attributes_der[0] == 0x31
    else:
        assert result.signing_time is None and result.signed_attributes_der is None


def test_gm_layout() -> None:
    """The GM/T 0010 OIDs, SM3 without parameters, sm2sign-with-sm3 and version 1 are written."""
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, signing_time=NOW)  # default family for SM2: gm
    info = tk_cms._ContentInfo.load(der, strict=True)
    assert info["content_type"].dotted == oids.GM_CMS_SIGNED_DATA
    signed = info["content"]
    assert signed["version"].native == 1
    assert signed["encap_content_info"]["content_type"].dotted == oids.GM_CMS_DATA
    assert signed["encap_content_info"]["content"].native == DATA
    signer = signed["signer_infos"][0]
    assert signer["digest_algorithm"]["algorithm"].dotted == oids.SM3
    assert isinstance(signer["digest_algorithm"]["parameters"], core.Void)
    assert signer["signature_algorithm"]["algorithm"].dotted == oids.SM2_SIGN_WITH_SM3
    assert isinstance(signer["signature_algorithm"]["parameters"], core.Void)
    attrs = {a["type"].dotted: a["values"][0] for a in signer["signed_attrs"]}
    assert attrs[oids.ATTR_CONTENT_TYPE].dotted == oids.GM_CMS_DATA
    assert attrs[oids.ATTR_MESSAGE_DIGEST].native == sm3.hash(DATA)
    assert attrs[oids.ATTR_SIGNING_TIME].name == "utc_time"  # RFC 5652 11.3 for 1950-2049


@pytest.mark.parametrize("family", ["gm", "rfc"])
def test_output_is_der(family: str) -> None:
    """Re-encoding with asn1crypto's DER encoder gives the same bytes (sorted SETs, minimal lengths)."""
    chain = sm2_chain()
    extra = [chain.intermediate, chain.root]
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, oids=family, extra_certificates=extra)  # type: ignore[arg-type]
    assert tk_cms._ContentInfo.load(der, strict=True).dump(force=True) == der


def test_signing_time_after_2049_is_generalized_time() -> None:
    chain = sm2_chain()
    later = NOW.replace(year=2051)
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, signing_time=later)
    signer = tk_cms._ContentInfo.load(der)["content"]["signer_infos"][0]
    attrs = {a["type"].dotted: a["values"][0] for a in signer["signed_attrs"]}
    assert attrs[oids.ATTR_SIGNING_TIME].name == "generalized_time"
    assert verify_cms(der).signing_time == later


@pytest.mark.parametrize(
    ("chain_factory", "signature_oid"),
    [(rsa_chain, "1.2.840.113549.1.1.1"), (p256_chain, "1.2.840.10045.4.3.2")],
    ids=["rsa", "p256"],
)
@pytest.mark.parametrize("detached", [False, True])
def test_round_trip_international(chain_factory: Callable[[], Any], signature_oid: str, detached: bool) -> None:
    chain = chain_factory()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, detached=detached, extra_certificates=[chain.intermediate])
    result = verify_cms(der, data=DATA if detached else None, context=_context(chain), at=NOW)
    assert result.content_type == oids.CMS_DATA
    assert result.digest_algorithm == "2.16.840.1.101.3.4.2.1"
    assert result.signature_algorithm == signature_oid
    assert result.chain is not None and result.chain.valid


def test_gm_family_needs_sm2() -> None:
    chain = rsa_chain()
    with pytest.raises(ValueError, match="SM2"):
        sign_cms(DATA, chain.leaf_key, chain.leaf, oids="gm")


def test_key_must_match_certificate() -> None:
    chain = sm2_chain()
    with pytest.raises(ValueError, match="does not match"):
        sign_cms(DATA, chain.intermediate_key, chain.leaf)


def test_naive_signing_time_refused() -> None:
    chain = sm2_chain()
    with pytest.raises(ValueError, match="aware"):
        sign_cms(DATA, chain.leaf_key, chain.leaf, signing_time=NOW.replace(tzinfo=None))


def test_detached_needs_data() -> None:
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, detached=True)
    with pytest.raises(ValueError, match="detached"):
        verify_cms(der)


def test_certificates_from_caller() -> None:
    """A message may omit certificates: the caller passes the signer's."""
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, oids="rfc")
    bare = _rebuild(der, lambda sd: sd.__setitem__("certificates", None))
    with pytest.raises(DecodeError, match="certificate"):
        verify_cms(bare)
    assert verify_cms(bare, certificates=[chain.leaf]).signer == chain.leaf


def _refused_certificate(cert: Any) -> Any:
    """An asn1crypto copy trustkit's parser refuses (outer and inner signature algorithms differ)."""
    from asn1crypto import x509

    copy = x509.Certificate.load(cert.der)
    copy["signature_algorithm"] = algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"})
    return x509.Certificate.load(copy.dump(force=True))


def test_unparsable_extra_certificate_is_skipped() -> None:
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, oids="rfc")

    def add_bad(sd: Any) -> None:
        sd["certificates"] = list(sd["certificates"]) + [
            cms.CertificateChoices({"certificate": _refused_certificate(chain.intermediate)})
        ]

    assert verify_cms(_rebuild(der, add_bad)).signer == chain.leaf

    def replace_signer(sd: Any) -> None:
        sd["certificates"] = [cms.CertificateChoices({"certificate": _refused_certificate(chain.leaf)})]

    with pytest.raises(DecodeError, match="malformed"):
        verify_cms(_rebuild(der, replace_signer))


def test_several_signer_infos_all_verified() -> None:
    sm2_one, sm2_two = sm2_chain(), make_chain("sm2")
    first = sign_cms(DATA, sm2_one.leaf_key, sm2_one.leaf, oids="rfc", signing_time=NOW)
    second = sign_cms(DATA, sm2_two.leaf_key, sm2_two.leaf, oids="rfc", signing_time=NOW)
    other = tk_cms._ContentInfo.load(second)["content"]

    def merge(sd: Any) -> None:
        sd["certificates"] = list(sd["certificates"]) + list(other["certificates"])
        sd["signer_infos"] = list(sd["signer_infos"]) + list(other["signer_infos"])

    both = _rebuild(first, merge)
    result = verify_cms(both)
    assert {s.signer for s in result.signers} == {sm2_one.leaf, sm2_two.leaf}

    def break_second(sd: Any) -> None:
        merge(sd)
        sig = bytearray(sd["signer_infos"][1]["signature"].native)
        sig[-1] ^= 1
        sd["signer_infos"][1]["signature"] = bytes(sig)

    with pytest.raises(InvalidSignature):
        verify_cms(_rebuild(first, break_second))


def test_signer_by_subject_key_identifier() -> None:
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, oids="rfc")
    assert chain.leaf.subject_key_identifier is not None

    def use_ski(sd: Any) -> None:
        si = sd["signer_infos"][0]
        si["version"] = "v3"
        si["sid"] = cms.SignerIdentifier({"subject_key_identifier": chain.leaf.subject_key_identifier})

    assert verify_cms(_rebuild(der, use_ski)).signer == chain.leaf


@pytest.mark.parametrize("oid", [oids.SM2_SIGN, oids.SM2, oids.SM2_SIGN_WITH_SM3])
@pytest.mark.parametrize("null_parameters", [False, True])
def test_tolerated_sm2_signature_algorithms(oid: str, null_parameters: bool) -> None:
    """standards.md 3 / 6: digestEncryptionAlgorithm 1.501, 1.301.1 or 1.301; NULL or absent parameters."""
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, oids="gm")

    def relabel(sd: Any) -> None:
        value: dict[str, Any] = {"algorithm": oid}
        if null_parameters:
            value["parameters"] = core.Null()
        sd["signer_infos"][0]["signature_algorithm"] = algos.SignedDigestAlgorithm(value)
        sd["signer_infos"][0]["digest_algorithm"] = algos.DigestAlgorithm(
            {"algorithm": oids.SM3, "parameters": core.Null()} if null_parameters else {"algorithm": oids.SM3}
        )

    result = verify_cms(_rebuild(der, relabel))
    assert result.signature_algorithm == oid


def test_non_null_sm2_parameters_refused() -> None:
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf)

    def params(sd: Any) -> None:
        sd["signer_infos"][0]["signature_algorithm"] = algos.SignedDigestAlgorithm(
            {"algorithm": oids.SM2_SIGN_WITH_SM3, "parameters": core.OctetString(b"x")}
        )

    with pytest.raises(DecodeError, match="absent or NULL"):
        verify_cms(_rebuild(der, params))


@pytest.mark.parametrize("attributes", [True, False])
def test_raw_signature_accepted(attributes: bool) -> None:
    """A raw 64-byte r || s in place of the DER SM2Signature (vendor variation, standards.md 9.6)."""
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, signed_attributes=attributes)

    def to_raw(sd: Any) -> None:
        si = sd["signer_infos"][0]
        si["signature"] = sm2.decode_signature_der(si["signature"].native)

    assert verify_cms(_rebuild(der, to_raw)).content == DATA


def test_sha256_digest_with_sm2_is_not_allowed_to_mismatch() -> None:
    """The messageDigest is recomputed with the SignerInfo digestAlgorithm; relabelling it fails."""
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf)

    def relabel(sd: Any) -> None:
        sd["signer_infos"][0]["digest_algorithm"] = algos.DigestAlgorithm({"algorithm": "sha256"})

    with pytest.raises(InvalidSignature):
        verify_cms(_rebuild(der, relabel))


def test_unsupported_digest() -> None:
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf)

    def md5(sd: Any) -> None:
        sd["signer_infos"][0]["digest_algorithm"] = algos.DigestAlgorithm({"algorithm": "md5"})

    with pytest.raises(UnsupportedAlgorithmError):
        verify_cms(_rebuild(der, md5))


# ---- a real vendor message ----------------------------------------------------------------------------

# Doc_0/Signs/Sign_3/SignedValue.dat of keyword.ofd (shared/vectors/real/ofdrw, ofdrw/ofdrw at 7459e35,
# made by Shandong Tongzhi's "oesplugin", SOURCES.md): GM/T 0010 SignedData, attached content =
# SM3(Signature.xml), SM3 digestAlgorithm with NULL parameters, signature algorithm 1.501, no signed
# attributes, raw 64-byte r || s.  SHA-256 of the file: 45871975f78982f6...36ae7fe15c.
TONGZHI_SIGNED_VALUE = base64.b64decode(
    "".join([
    "MIID8gYKKoEcz1UGAQQCAqCCA+IwggPeAgEBMQ4wDAYIKoEcz1UBgxEFADAwBgoqgRzPVQYBBAIBoCIEIPg1dxBfZcNPYTwjNSSs"
    "N9mdZ30bOrUmBCuK7RRbwjKXoIIC0zCCAs8wggJ2oAMCAQICByADEAATZ1cwCgYIKoEcz1UBg3UwUjELMAkGA1UEBhMCQ04xGzAZ"
    "BgNVBAoMEjEyMTAwMDAwMDAwMDE4MDMyQTEPMA0GA1UELQwGQjAwMTAyMRUwEwYDVQQDDAxDRUdOX1NFQUxfQ0EwHhcNMjAwNTI1"
    "MTYwMDAwWhcNMjEwNTI1MTYwMDAwWjBkMQswCQYDVQQGEwJDTjE8MDoGA1UECgwzMTEzNzAzMDZNQjI4Njc1MjFV5reE5Y2a5biC"
    "5ZGo5p2R5Yy66Ieq54S26LWE5rqQ5bGAMRcwFQYDVQQDDA4zNzAzMDAwMDAwMTcyMTBZMBMGByqGSM49AgEGCCqBHM9VAYItA0IA"
    "BAhZ5mXtJbppumMKPBnyWnDdAjOzMcPokAV/ZFH5ctK/DZ56LarkwPkiryQmMd1oZ6l4mxYheWEz2hDhMtfnTzKjggEjMIIBHzAJ"
    "BgNVHRMEAjAAMB8GA1UdIwQYMBaAFKvhsedt6qbUODYbVY8ZGpVmPXaWMB0GA1UdDgQWBBT2cVNIfbEwd/n0R9t+ZKHG36rGZzBU"
    "BgNVHSAETTBLMEkGCCsGAQUFBwIBMD0wOwYIKwYBBQUHAgEWL2h0dHA6Ly93d3cuc3RhdGVjYS5nb3YuY24vQ29sdW1uL0NvbHVt"
    "bl8yNDguaHRtMA4GA1UdDwEB/wQEAwIGwDAuBgNVHR8EJzAlMCOgIaAfhh1MZGFwOi8vNTkuMjU1LjEyOC4zOjM4OTAvYz1jbjA8"
    "BggrBgEFBQcBAQQwMC4wLAYIKwYBBQUHMAKGIExkYXA6Ly8xOTIuMTY4LjIwMi4xODM6Mzg5MC9jPWNuMAoGCCqBHM9VAYN1A0cA"
    "MEQCIBZIZgnp8Wy4wMe/jF9nWSZoN3u5iv1we6c56WkVKQ/TAiAGLTtYscDw5tE8Y3wXsERh8PYRMwm2Y+n5WCNp0ppFOjGBvzCB"
    "vAIBATBdMFIxCzAJBgNVBAYTAkNOMRswGQYDVQQKDBIxMjEwMDAwMDAwMDAxODAzMkExDzANBgNVBC0MBkIwMDEwMjEVMBMGA1UE"
    "AwwMQ0VHTl9TRUFMX0NBAgcgAxAAE2dXMAoGCCqBHM9VAYMRMAoGCCqBHM9VAYN1BECVwJo7AA212XHFCSmahdaolN2AhEmAC579"
    "B4GmKodA8W7jEhsiacKhzLVIv8uAycyjdGgySHCZrqMgCjtVvr4V"
    ])
)


def test_real_vendor_gm_signed_data() -> None:
    result = verify_cms(TONGZHI_SIGNED_VALUE)
    assert result.content_type == oids.GM_CMS_DATA
    # The content is SM3 of the Signature.xml beside it (recomputed when the vector was taken).
    assert result.content.hex() == "f83577105f65c34f613c233524ac37d99d677d1b3ab526042b8aed145bc23297"
    assert result.signed_attributes_der is None
    assert result.signature_algorithm == oids.SM2_SIGN_WITH_SM3
    assert len(result.signers[0].signature) == 64
    assert result.signer.subject_text.startswith("CN=37030000001721")
    flipped = bytearray(TONGZHI_SIGNED_VALUE)
    flipped[70] ^= 1  # inside the 32-byte content (octets 61..92)
    with pytest.raises(InvalidSignature):
        verify_cms(bytes(flipped))


@pytest.mark.interop
def test_real_vendor_signature_with_tongsuopy() -> None:
    """tongsuopy agrees: the vendor's raw r || s is an SM2 signature (default ID) over the content."""
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    result = verify_cms(TONGZHI_SIGNED_VALUE)
    point = result.signer.public_key.public_bytes("raw")  # type: ignore[union-attr]
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SM2(), point)
    key.verify(sm2.encode_signature_der(result.signers[0].signature), result.content, ec.ECDSA(hashes.SM3()))


# ---- tampering ---------------------------------------------------------------------------------------


def _signed(family: str = "gm", **kwargs: Any) -> bytes:
    chain = sm2_chain()
    return sign_cms(DATA, chain.leaf_key, chain.leaf, oids=family, signing_time=NOW, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("family", ["gm", "rfc"])
@pytest.mark.parametrize("attributes", [True, False])
def test_content_byte_flip(family: str, attributes: bool) -> None:
    der = _signed(family, signed_attributes=attributes)
    at = der.index(DATA)
    bad = der[:at] + bytes([der[at] ^ 1]) + der[at + 1 :]
    with pytest.raises(InvalidSignature):
        verify_cms(bad)


def test_message_digest_attribute_changed() -> None:
    der = _signed()
    digest = sm3.hash(DATA)
    at = der.index(digest)
    bad = der[:at] + bytes([digest[0] ^ 1]) + der[at + 1 :]
    with pytest.raises(InvalidSignature):
        verify_cms(bad)


def test_signature_bit_flip() -> None:
    der = _signed()

    def flip(sd: Any) -> None:
        si = sd["signer_infos"][0]
        raw = bytearray(sm2.decode_signature_der(si["signature"].native))
        raw[40] ^= 0x10
        si["signature"] = sm2.encode_signature_der(bytes(raw))

    with pytest.raises(InvalidSignature):
        verify_cms(_rebuild(der, flip))


def test_wrong_detached_data() -> None:
    der = _signed(detached=True)
    with pytest.raises(InvalidSignature):
        verify_cms(der, data=DATA + b".")


def test_attached_and_different_data() -> None:
    with pytest.raises(InvalidSignature):
        verify_cms(_signed(), data=b"something else")


def test_certificate_swapped() -> None:
    """Another key under the same issuer name and serial number: the signature must not verify."""
    chain = sm2_chain()
    impostor_key = sm2.generate_private_key()
    impostor = issue_certificate(
        subject=make_name(common_name="impostor"), public_key=public_key_of(impostor_key),
        issuer=chain.intermediate, issuer_key=chain.intermediate_key,
        profile=CertificateProfile.SEAL_SIGNER, serial_number=chain.leaf.serial_number,
        not_before=NOW - timedelta(days=1),
    )
    der = _signed("rfc")

    def swap(sd: Any) -> None:
        sd["certificates"] = [cms.CertificateChoices({"certificate": impostor.asn1})]

    with pytest.raises(InvalidSignature):
        verify_cms(_rebuild(der, swap))


def test_content_type_attribute_mismatch() -> None:
    der = _signed("rfc")

    def retype(sd: Any) -> None:
        sd["encap_content_info"]["content_type"] = "1.2.840.113549.1.9.16.1.4"

    with pytest.raises(InvalidSignature):
        verify_cms(_rebuild(der, retype))


def test_duplicate_message_digest_refused() -> None:
    der = _signed("rfc")

    def duplicate(sd: Any) -> None:
        si = sd["signer_infos"][0]
        attrs = list(si["signed_attrs"])
        si["signed_attrs"] = attrs + [a for a in attrs if a["type"].dotted == oids.ATTR_MESSAGE_DIGEST]

    with pytest.raises(DecodeError, match="twice"):
        verify_cms(_rebuild(der, duplicate))


# ---- chain validation through verify_cms ---------------------------------------------------------------


def test_untrusted_signer_raises_with_report() -> None:
    chain, stranger = sm2_chain(), make_chain("sm2")
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, extra_certificates=[chain.intermediate])
    with pytest.raises(CertificateValidationError) as info:
        verify_cms(der, context=ValidationContext([stranger.root]), at=NOW)
    assert info.value.report is not None and not info.value.report.valid


def test_expired_signer_raises() -> None:
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, extra_certificates=[chain.intermediate])
    with pytest.raises(CertificateValidationError) as info:
        verify_cms(der, context=_context(chain), at=NOW + timedelta(days=3 * 365))
    assert "expired" in info.value.report.codes


def test_purpose_is_checked() -> None:
    chain = sm2_chain()
    der = sign_cms(DATA, chain.leaf_key, chain.leaf, extra_certificates=[chain.intermediate])
    with pytest.raises(CertificateValidationError):
        verify_cms(der, context=_context(chain), at=NOW, purpose=Purpose.CA)


# ---- malformed input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [1, 2, 10, 100, 500])
def test_truncated(cut: int) -> None:
    der = _signed()
    with pytest.raises(DecodeError):
        verify_cms(der[:-cut])


def test_trailing_bytes() -> None:
    with pytest.raises(DecodeError):
        verify_cms(_signed() + b"\x00")


def test_too_large() -> None:
    with pytest.raises(DecodeError, match="limit"):
        verify_cms(b"\x30" + b"\x00" * MAX_CMS_SIZE)


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"\x30\x00",
        b"\x30\x80\x06\x01\x00\x00\x00",  # indefinite length (BER)
        b"\x30\x81\x03\x06\x01\x2a",  # non-minimal length
        bytes.fromhex("300d06092a864886f70d010701a000"),  # id-data, not signedData
        bytes.fromhex("300f06092a864886f70d010702a0023000"),  # empty SignedData
    ],
)
def test_malformed_envelopes(blob: bytes) -> None:
    with pytest.raises(DecodeError):
        verify_cms(blob)


def test_wrong_type() -> None:
    with pytest.raises(TypeError):
        verify_cms("text")  # type: ignore[arg-type]


_BASE = None


def _base() -> bytes:
    global _BASE
    if _BASE is None:
        _BASE = _signed("rfc", extra_certificates=[sm2_chain().intermediate])
    return _BASE


@given(st.data())
def test_mutations_never_crash(data: st.DataObject) -> None:
    der = bytearray(_base())
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(der) - 1))
        der[position] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        der = der[: data.draw(st.integers(0, len(der)))]
    try:
        verify_cms(bytes(der), data=DATA)
    except (DecodeError, InvalidSignature, UnsupportedAlgorithmError, InvalidKeyError):
        pass


# ---- independent verifiers (interop) -----------------------------------------------------------------------


def _sm2_point(chain: Any) -> bytes:
    return bytes(chain.leaf.public_key.public_bytes("raw"))  # 04 || X || Y


@pytest.mark.interop
@pytest.mark.parametrize("family", ["gm", "rfc"])
@pytest.mark.parametrize("attributes", [True, False])
def test_tongsuopy_verifies_signer_info(family: str, attributes: bool) -> None:
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec
    from tongsuopy.crypto.exceptions import InvalidSignature as TongsuoInvalidSignature

    chain = sm2_chain()
    der = sign_cms(
        DATA, chain.leaf_key, chain.leaf, oids=family, signed_attributes=attributes  # type: ignore[arg-type]
    )
    result = verify_cms(der)
    signed = result.signed_attributes_der if attributes else DATA
    assert signed is not None
    # tongsuopy's ECDSA(SM3) on an SM2 key hashes Z(default ID "1234567812345678") || message.
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SM2(), _sm2_point(chain))
    key.verify(result.signers[0].signature, signed, ec.ECDSA(hashes.SM3()))
    with pytest.raises(TongsuoInvalidSignature):
        key.verify(result.signers[0].signature, signed + b"x", ec.ECDSA(hashes.SM3()))


@pytest.mark.interop
@pytest.mark.parametrize("family", ["gm", "rfc"])
def test_gmssl_verifies_signer_info(family: str) -> None:
    from gmssl import sm2 as gmssl_sm2

    chain = sm2_chain()
    result = verify_cms(sign_cms(DATA, chain.leaf_key, chain.leaf, oids=family))  # type: ignore[arg-type]
    signed = result.signed_attributes_der
    assert signed is not None
    # gmssl's constructor lstrips "04" from the key hex (which can eat key bytes): set it afterwards.
    verifier = gmssl_sm2.CryptSM2(private_key=None, public_key="00" * 64)
    verifier.public_key = _sm2_point(chain)[1:].hex()
    raw = sm2.decode_signature_der(result.signers[0].signature)  # gmssl wants r || s hex
    assert verifier.verify_with_sm3(raw.hex(), signed)
    assert not verifier.verify_with_sm3(raw.hex(), signed[:-1] + bytes([signed[-1] ^ 1]))


@pytest.mark.interop
def test_openssl_prints_rfc_variant(openssl: str, tmp_path: Path) -> None:
    chain = sm2_chain()
    path = tmp_path / "m.der"
    path.write_bytes(sign_cms(DATA, chain.leaf_key, chain.leaf, oids="rfc", extra_certificates=[chain.intermediate]))
    # openssl cms -cmsout -print -inform DER -in m.der
    out = subprocess.run(
        [openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "pkcs7-signedData (1.2.840.113549.1.7.2)" in out.stdout
    assert "eContentType: pkcs7-data (1.2.840.113549.1.7.1)" in out.stdout
    assert "SM2-with-SM3 (1.2.156.10197.1.501)" in out.stdout
    assert "sm3 (1.2.156.10197.1.401)" in out.stdout


@pytest.mark.interop
def test_openssl_asn1parse_gm_variant(openssl: str, tmp_path: Path) -> None:
    chain = sm2_chain()
    path = tmp_path / "m.der"
    path.write_bytes(sign_cms(DATA, chain.leaf_key, chain.leaf, oids="gm"))
    # openssl asn1parse -inform DER -in m.der
    out = subprocess.run(
        [openssl, "asn1parse", "-inform", "DER", "-in", str(path)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert ":1.2.156.10197.6.1.4.2.2" in out.stdout and ":1.2.156.10197.6.1.4.2.1" in out.stdout
    assert ":SM2-with-SM3" in out.stdout


@pytest.mark.interop
def test_openssl_cms_verify_sm2_fails_as_recorded(openssl: str, tmp_path: Path) -> None:
    """OpenSSL 3.0 cannot verify SM2 CMS (empty default ID, no distid option in ``cms``); see the module docstring.

    If a future OpenSSL accepts it, this test fails and should become a positive interop check.
    """
    chain = sm2_chain()
    (tmp_path / "m.der").write_bytes(sign_cms(DATA, chain.leaf_key, chain.leaf, oids="rfc"))
    (tmp_path / "root.pem").write_bytes(chain.root.to_pem() + chain.intermediate.to_pem())
    # openssl cms -verify -binary -inform DER -in m.der -CAfile root.pem -out /dev/null
    full = subprocess.run(
        [openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "m.der"),
         "-CAfile", str(tmp_path / "root.pem"), "-out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60,
    )
    assert full.returncode != 0 and "certificate signature failure" in full.stderr
    # openssl cms -verify -binary -inform DER -in m.der -noverify -out out
    bare = subprocess.run(
        [openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "m.der"),
         "-noverify", "-out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60,
    )
    assert bare.returncode != 0 and "CMS_SignerInfo_verify" in bare.stderr


@pytest.mark.interop
@pytest.mark.parametrize("chain_factory", [rsa_chain, p256_chain], ids=["rsa", "p256"])
@pytest.mark.parametrize("detached", [False, True])
def test_openssl_cms_verify_international(
    openssl: str, tmp_path: Path, chain_factory: Callable[[], Any], detached: bool
) -> None:
    chain = chain_factory()
    (tmp_path / "m.der").write_bytes(
        sign_cms(DATA, chain.leaf_key, chain.leaf, detached=detached, extra_certificates=[chain.intermediate])
    )
    (tmp_path / "root.pem").write_bytes(chain.root.to_pem())
    (tmp_path / "data").write_bytes(DATA)
    # openssl cms -verify -binary -inform DER -in m.der -CAfile root.pem -purpose any -attime <NOW> [-content data]
    command = [openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "m.der"),
               "-CAfile", str(tmp_path / "root.pem"), "-purpose", "any", "-attime", str(int(NOW.timestamp())),
               "-out", str(tmp_path / "out")]
    if detached:
        command += ["-content", str(tmp_path / "data")]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "out").read_bytes() == DATA
