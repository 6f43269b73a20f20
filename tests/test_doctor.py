"""The SM2 doctor names exactly the variant a peer used.

Each signature is made the way a peer would make it (empty ID, no Z, GM/T 0018
padding, a prehashed digest, hex/base64 text, a key without its 04 prefix) and the
doctor must report that variant and no other.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trustkit import sm2, sm3
from trustkit.doctor import DoctorReport, Variant, diagnose_signature
from trustkit_cli.main import main

KEY = sm2.generate_private_key()
PUB = KEY.public_key()
DATA = b"document signed by another system"
DEFAULT = sm2.DEFAULT_UID


def variants(report: DoctorReport) -> list[tuple[str, bytes | None, str, str]]:
    return [(m.hashing, m.uid, m.encoding, m.text) for m in report.matches]


def padded(raw: bytes) -> bytes:
    """GM/T 0018 ECCSignature: r and s right-aligned in two 64-byte halves."""
    return bytes(32) + raw[:32] + bytes(32) + raw[32:]


def test_standard_signature() -> None:
    report = diagnose_signature(PUB, KEY.sign(DATA), DATA)
    assert variants(report) == [("z", DEFAULT, "der", "binary")]
    assert report.matches[0].standard and report.ok and report.public_key_form == "as-given"
    assert "GM/T 0009" in report.advice


def test_empty_id_openssl_default() -> None:
    report = diagnose_signature(PUB, KEY.sign(DATA, uid=b""), DATA)
    assert variants(report) == [("z", b"", "der", "binary")]
    assert not report.matches[0].standard
    assert "EMPTY" in report.advice and "OpenSSL 3.0" in report.advice and "distid" in report.advice


def test_custom_id_only_when_given() -> None:
    signature = KEY.sign(DATA, uid=b"ALICE123@YAHOO.COM", encoding="raw")
    assert variants(diagnose_signature(PUB, signature, DATA)) == []
    report = diagnose_signature(PUB, signature, DATA, extra_uids=[b"ALICE123@YAHOO.COM", DEFAULT])
    assert variants(report) == [("z", b"ALICE123@YAHOO.COM", "raw", "binary")]
    assert "ALICE123@YAHOO.COM" in report.advice and "raw" in report.advice


def test_plain_sm3_without_z() -> None:
    signature = KEY.sign_digest(sm3.hash(DATA))
    report = diagnose_signature(PUB, signature, DATA)
    assert variants(report) == [("plain-sm3", None, "der", "binary")]
    assert "without Z" in report.advice


def test_raw_signature() -> None:
    report = diagnose_signature(PUB, KEY.sign(DATA, encoding="raw"), DATA)
    assert variants(report) == [("z", DEFAULT, "raw", "binary")]


def test_padded_gmt0018_signature() -> None:
    report = diagnose_signature(PUB, padded(KEY.sign(DATA, encoding="raw")), DATA)
    assert variants(report) == [("z", DEFAULT, "ecc-signature", "binary")]
    assert "GM/T 0018" in report.advice


def test_prehashed_data() -> None:
    e = os.urandom(32)  # the peer handed over e itself and signed it
    report = diagnose_signature(PUB, KEY.sign_digest(e), e)
    assert variants(report) == [("prehashed", None, "der", "binary")]
    assert "verify_digest" in report.advice


def test_prehashed_and_padded_together() -> None:
    e = os.urandom(32)
    report = diagnose_signature(PUB, padded(KEY.sign_digest(e, encoding="raw")), e)
    assert variants(report) == [("prehashed", None, "ecc-signature", "binary")]


@pytest.mark.parametrize("wrap", ["hex", "base64"])
@pytest.mark.parametrize("encoding", ["raw", "der"])
def test_text_wrapped(wrap: str, encoding: str) -> None:
    signature = KEY.sign(DATA, encoding=encoding)  # type: ignore[arg-type]
    text = signature.hex().encode() + b"\n" if wrap == "hex" else base64.b64encode(signature) + b"\r\n"
    report = diagnose_signature(PUB, text, DATA)
    assert variants(report) == [("z", DEFAULT, encoding, wrap)]
    assert wrap in report.advice


@pytest.mark.parametrize("form", ["binary", "hex"])
def test_public_key_missing_04_prefix(form: str) -> None:
    bare = PUB.public_bytes("raw")[1:]
    assert len(bare) == 64
    key_bytes = bare if form == "binary" else bare.hex().encode() + b"\n"
    report = diagnose_signature(key_bytes, KEY.sign(DATA), DATA)
    assert variants(report) == [("z", DEFAULT, "der", "binary")]
    assert report.public_key_form == "missing-04-prefix" and "04 prefix" in report.advice
    as_given = diagnose_signature(PUB.public_bytes("PEM"), KEY.sign(DATA), DATA)
    assert as_given.public_key_form == "as-given" and "04 prefix" not in as_given.advice


def test_wrong_key_or_data_matches_nothing() -> None:
    signature = KEY.sign(DATA)
    other = sm2.generate_private_key().public_key()
    assert variants(diagnose_signature(other, signature, DATA)) == []
    assert variants(diagnose_signature(PUB, signature, DATA + b"\n")) == []


@pytest.mark.parametrize("garbage", [os.urandom(64), os.urandom(71), os.urandom(128), b"\x30\x05hello", b"zz"])
def test_garbage_matches_nothing(garbage: bytes) -> None:
    report = diagnose_signature(PUB, garbage, DATA)
    assert not report.ok and report.matches == () and report.best is None
    assert "No known variant" in report.advice


def test_report_is_frozen_and_serialisable() -> None:
    report = diagnose_signature(PUB, KEY.sign(DATA, uid=b""), DATA)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.tried = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.matches[0].uid = DEFAULT  # type: ignore[misc]
    data = json.loads(json.dumps(report.to_dict()))
    assert data["verified"] is True and data["tried"] == report.tried > 0
    assert data["matches"][0]["uid"] == "" and data["matches"][0]["uid_hex"] == ""
    assert isinstance(report.matches[0], Variant)


# ---- the command ------------------------------------------------------------------------------


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    (tmp_path / "p.pem").write_bytes(PUB.public_bytes("PEM"))
    (tmp_path / "bare.hex").write_bytes(PUB.public_bytes("raw")[1:].hex().encode())
    (tmp_path / "m").write_bytes(DATA)
    return tmp_path


def doctor(files: Path, *extra: str, pub: str = "p.pem") -> list[str]:
    return ["sm2", "doctor", "--pub", str(files / pub), "--sig", str(files / "s"), "--in", str(files / "m"), *extra]


def test_cli_doctor_json(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "s").write_bytes(base64.b64encode(KEY.sign(DATA, uid=b"", encoding="raw")))
    assert main([*doctor(files), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["verified"] is True
    assert [(m["hashing"], m["uid"], m["signature_encoding"], m["text"]) for m in out["matches"]] == [
        ("z", "", "raw", "base64")
    ]
    assert "EMPTY" in out["advice"]


def test_cli_doctor_text_and_extra_ids(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "s").write_bytes(KEY.sign(DATA, uid=b"\xff\x00id"))
    assert main(doctor(files)) == 1
    assert "no variant verifies" in capsys.readouterr().out
    assert main(doctor(files, "--id", "someone", "--id-hex", "ff00" + b"id".hex())) == 0
    out = capsys.readouterr().out
    assert "VERIFIES" in out and "hex:ff006964" in out
    (files / "s").write_bytes(KEY.sign(DATA))
    assert main(doctor(files, pub="bare.hex")) == 0
    assert "without the 04 prefix" in capsys.readouterr().out


def test_cli_doctor_garbage_exits_1(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "s").write_bytes(os.urandom(70))
    assert main(doctor(files)) == 1
    assert main([*doctor(files), "--json"]) == 1
    capsys.readouterr()
    assert main([*doctor(files), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["verified"] is False and out["matches"] == []


def test_cli_doctor_bad_input_exits_2(files: Path) -> None:
    (files / "s").write_bytes(KEY.sign(DATA))
    (files / "junk").write_bytes(b"not a key")
    for args in (doctor(files, pub="junk"), doctor(files, pub="missing.pem"), doctor(files, "--id-hex", "q")):
        result = subprocess.run([sys.executable, "-m", "trustkit_cli", *args], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("trustkit: error: ")
