"""The SM2 doctor names exactly the variant a peer used."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from trustkit import sm2, sm3
from trustkit.doctor import diagnose_signature
from trustkit_cli.main import main

KEY = sm2.generate_private_key()
PUB = KEY.public_key()
DATA = b"document signed by another system"


def _variants(result: object) -> list[tuple[str, bytes | None, str, str]]:
    return [(m.hashing, m.uid, m.encoding, m.text) for m in result.matches]  # type: ignore[attr-defined]


def test_standard_signature() -> None:
    report = diagnose_signature(PUB, KEY.sign(DATA), DATA)
    assert _variants(report) == [("z", sm2.DEFAULT_UID, "der", "binary")]
    assert "GM/T 0009" in report.advice


def test_empty_id_openssl_default() -> None:
    report = diagnose_signature(PUB, KEY.sign(DATA, uid=b""), DATA)
    assert _variants(report) == [("z", b"", "der", "binary")]
    assert "EMPTY" in report.advice and "distid" in report.advice


def test_custom_id_only_when_given() -> None:
    signature = KEY.sign(DATA, uid=b"ALICE123@YAHOO.COM", encoding="raw")
    assert not diagnose_signature(PUB, signature, DATA).ok
    report = diagnose_signature(PUB, signature, DATA, extra_uids=[b"ALICE123@YAHOO.COM"])
    assert _variants(report) == [("z", b"ALICE123@YAHOO.COM", "raw", "binary")]


def test_plain_sm3_without_z() -> None:
    signature = KEY.sign_digest(sm3.hash(DATA))
    report = diagnose_signature(PUB, signature, DATA)
    assert _variants(report) == [("plain-sm3", None, "der", "binary")]


def test_prehashed_and_padded_gmt0018() -> None:
    e = os.urandom(32)
    raw = KEY.sign_digest(e, encoding="raw")
    padded = bytes(32) + raw[:32] + bytes(32) + raw[32:]
    report = diagnose_signature(PUB, padded, e)
    assert ("prehashed", None, "ecc-signature", "binary") in _variants(report)


@pytest.mark.parametrize("wrap", ["hex", "base64"])
def test_text_wrapped(wrap: str) -> None:
    raw = KEY.sign(DATA, encoding="raw")
    text = raw.hex().encode() if wrap == "hex" else base64.b64encode(raw)
    report = diagnose_signature(PUB, text, DATA)
    assert ("z", sm2.DEFAULT_UID, "raw", wrap) in _variants(report)


def test_garbage_matches_nothing() -> None:
    report = diagnose_signature(PUB, os.urandom(64), DATA)
    assert not report.ok and report.tried > 0 and "No known variant" in report.advice


def test_cli_doctor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.pem").write_bytes(PUB.public_bytes("PEM"))
    (tmp_path / "m").write_bytes(DATA)
    (tmp_path / "s").write_bytes(KEY.sign(DATA, uid=b""))
    args = ["sm2", "doctor", "--pub", str(tmp_path / "p.pem"), "--sig", str(tmp_path / "s"), "--in", str(tmp_path / "m")]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verified"] and out["matches"][0]["uid"] == ""
    (tmp_path / "s").write_bytes(os.urandom(70))
    assert main(args) == 1
