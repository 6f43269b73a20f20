"""The trustkit command: round trips, exit codes (0 valid, 1 invalid, 2 error), --json, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trustkit import sm2
from trustkit_cli.main import main


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "trustkit_cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=None if stdin is None else stdin.decode(),
        timeout=120,
    )


@pytest.fixture()
def keypair(tmp_path: Path) -> tuple[Path, Path]:
    assert main(["key", "gen", "--out", str(tmp_path / "k.pem"), "--pub", str(tmp_path / "p.pem")]) == 0
    return tmp_path / "k.pem", tmp_path / "p.pem"


@pytest.mark.parametrize("sig_format", ["der", "raw"])
def test_sign_verify_round_trip(tmp_path: Path, keypair: tuple[Path, Path], sig_format: str) -> None:
    key, pub = keypair
    (tmp_path / "m").write_bytes(b"hello licence")
    assert main(["sign", "--key", str(key), "--in", str(tmp_path / "m"), "--out", str(tmp_path / "s"),
                 "--sig-format", sig_format]) == 0
    assert main(["verify", "--key", str(pub), "--sig", str(tmp_path / "s"), "--in", str(tmp_path / "m")]) == 0
    (tmp_path / "m").write_bytes(b"hello licence!")
    assert main(["verify", "--key", str(pub), "--sig", str(tmp_path / "s"), "--in", str(tmp_path / "m")]) == 1


def test_custom_id_and_text_encodings(tmp_path: Path, keypair: tuple[Path, Path]) -> None:
    key, pub = keypair
    (tmp_path / "m").write_bytes(b"x")
    for encoding in ("hex", "base64"):
        assert main(["sign", "--key", str(key), "--in", str(tmp_path / "m"), "--out", str(tmp_path / "s"),
                     "--id", "ALICE123@YAHOO.COM", "--encoding", encoding]) == 0
        assert main(["verify", "--key", str(pub), "--sig", str(tmp_path / "s"), "--in", str(tmp_path / "m"),
                     "--id", "ALICE123@YAHOO.COM"]) == 0
        assert main(["verify", "--key", str(pub), "--sig", str(tmp_path / "s"), "--in", str(tmp_path / "m")]) == 1


def test_encrypted_key_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env_key = "TRUSTKIT_TEST_PASSWORD"
    os.environ[env_key] = "correct horse"
    try:
        assert main(["key", "gen", "--out", str(tmp_path / "k.pem"), "--password-env", env_key, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["ok"] and out["encrypted"]
        assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
        assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "k.pem").read_bytes()
        assert main(["key", "show", str(tmp_path / "k.pem"), "--password-env", env_key, "--json"]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert shown["kind"] == "private" and "PRIVATE" not in json.dumps(shown)
        assert main(["key", "show", str(tmp_path / "k.pem"), "--json"]) == 2  # no password
        err = json.loads(capsys.readouterr().out)
        assert err["ok"] is False and "password" in err["error"]["message"]
    finally:
        del os.environ[env_key]


def test_refuses_to_overwrite(tmp_path: Path, keypair: tuple[Path, Path]) -> None:
    key, _ = keypair
    before = key.read_bytes()
    assert main(["key", "gen", "--out", str(key)]) == 2
    assert key.read_bytes() == before
    assert main(["key", "gen", "--out", str(key), "--force"]) == 0
    assert key.read_bytes() != before


def test_export_formats(tmp_path: Path, keypair: tuple[Path, Path]) -> None:
    key, _ = keypair
    loaded = sm2.load_private_key(key.read_bytes())
    for fmt in ("pem", "der", "raw", "compressed", "hex"):
        target = tmp_path / f"pub.{fmt}"
        assert main(["key", "export", str(key), "--public", "--format", fmt, "--out", str(target)]) == 0
        assert sm2.load_public_key(target.read_bytes()) == loaded.public_key()
    assert main(["key", "export", str(key), "--private", "--format", "der", "--out", str(tmp_path / "k.der")]) == 0
    assert sm2.load_private_key((tmp_path / "k.der").read_bytes()).public_key() == loaded.public_key()


@pytest.mark.parametrize(
    "args,code",
    [
        (["verify", "--key", "missing.pem", "--sig", "s", "--in", "m"], 2),
        (["verify", "--key", "garbage.pem", "--sig", "s", "--in", "m"], 2),
        (["verify", "--key", "p.pem", "--sig", "garbage.sig", "--in", "m"], 2),
        (["sign", "--key", "p.pem", "--in", "m", "--out", "x"], 2),
        (["frobnicate"], 2),
        (["verify"], 2),
    ],
)
def test_errors_are_one_clean_line(
    tmp_path: Path, keypair: tuple[Path, Path], args: list[str], code: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "m").write_bytes(b"data")
    (tmp_path / "garbage.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n")
    (tmp_path / "garbage.sig").write_bytes(b"\x30\x05garbage")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.pem").write_bytes(keypair[1].read_bytes())
    result = run_cli(*args)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().count("\n") <= 20  # argparse usage may print a few lines; never a stack


def test_wrong_password_is_a_clean_error(tmp_path: Path) -> None:
    key = sm2.generate_private_key()
    (tmp_path / "k.pem").write_bytes(key.private_bytes("PEM", password=b"right"))
    result = run_cli("key", "show", str(tmp_path / "k.pem"), "--password-env", "PW", env={"PW": "wrong"})
    assert result.returncode == 2
    assert result.stderr.startswith("trustkit: error:") and "wrong password" in result.stderr
    assert "Traceback" not in result.stderr


def test_openssl_interop(openssl: str, tmp_path: Path, keypair: tuple[Path, Path]) -> None:
    key, pub = keypair
    (tmp_path / "m").write_bytes(b"interop")
    # OpenSSL signs with our key file; we verify.
    subprocess.run([openssl, "pkeyutl", "-sign", "-inkey", str(key), "-rawin", "-in", str(tmp_path / "m"),
                    "-digest", "sm3", "-pkeyopt", "distid:1234567812345678", "-out", str(tmp_path / "os")], check=True)
    assert main(["verify", "--key", str(pub), "--sig", str(tmp_path / "os"), "--in", str(tmp_path / "m")]) == 0
    # We sign; OpenSSL verifies with our public key file.
    assert main(["sign", "--key", str(key), "--in", str(tmp_path / "m"), "--out", str(tmp_path / "ts")]) == 0
    result = subprocess.run([openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(pub), "-rawin", "-in",
                             str(tmp_path / "m"), "-sigfile", str(tmp_path / "ts"), "-digest", "sm3",
                             "-pkeyopt", "distid:1234567812345678"], capture_output=True)
    assert result.returncode == 0, result.stderr


def test_demo_and_help() -> None:
    result = run_cli("demo", "--quick", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verified"] and data["tampered_message_rejected"] and data["encryption_round_trip"]
    assert set(data["rates_per_second"]) == {"sign", "verify", "verify_prepared_key", "sign_many"}
    assert run_cli("--help").returncode == 0
    assert run_cli("--version").stdout.startswith("trustkit ")
