"""The trustkit command: round trips, exit codes (0 valid, 1 invalid, 2 error), --json, no tracebacks.

Most tests call the console entry point ``trustkit_cli.main.main`` in-process; the
ones about what a user sees on a terminal run ``python -m trustkit_cli`` in a
subprocess, so that nothing (pytest included) could hide a traceback.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trustkit import sm2, sm3
from trustkit_cli.main import main

PASSWORD_ENV = "TRUSTKIT_TEST_PASSWORD"


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    full_env = {k: v for k, v in os.environ.items() if k != "TRUSTKIT_DEBUG"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "trustkit_cli", *args],
        capture_output=True,
        env=full_env,
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        timeout=120,
    )


def assert_one_clean_error_line(result: subprocess.CompletedProcess[bytes]) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr: 'trustkit: error: ...'."""
    stderr = result.stderr.decode()
    assert result.returncode == 2, (result.returncode, stderr)
    assert "Traceback" not in stderr and "Traceback" not in result.stdout.decode()
    assert result.stdout == b""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("trustkit: error: "), stderr
    return lines[0]


def last_json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    out = capsys.readouterr().out
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


@pytest.fixture()
def keypair(tmp_path: Path) -> tuple[Path, Path]:
    key, pub = tmp_path / "k.pem", tmp_path / "p.pem"
    assert main(["key", "gen", "--out", str(key), "--pub", str(pub)]) == 0
    return key, pub


@pytest.fixture()
def message(tmp_path: Path) -> Path:
    path = tmp_path / "m"
    path.write_bytes("电子证照 licence 3301XX-2026-000123\n".encode())
    return path


@pytest.fixture()
def password_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(PASSWORD_ENV, "correct horse")
    return PASSWORD_ENV


# ---- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("sig_format", ["der", "raw"])
def test_sign_verify_round_trip(tmp_path: Path, keypair: tuple[Path, Path], message: Path, sig_format: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    key, pub = keypair
    sig = tmp_path / "s"
    assert main(["sign", "--key", str(key), "--in", str(message), "--out", str(sig), "--sig-format", sig_format]) == 0
    blob = sig.read_bytes()
    if sig_format == "raw":
        assert len(blob) == 64
    else:
        assert sm2.decode_signature_der(blob)  # a real DER SM2Signature
    # The signature is a real one, checked by the library directly.
    sm2.load_public_key(pub.read_bytes()).verify(blob, message.read_bytes(), encoding=sig_format)  # type: ignore[arg-type]
    capsys.readouterr()

    assert main(["verify", "--key", str(pub), "--sig", str(sig), "--in", str(message)]) == 0
    assert capsys.readouterr().out.startswith("valid")
    assert main(["verify", "--key", str(key), "--sig", str(sig), "--in", str(message),
                 "--sig-format", sig_format, "--json"]) == 0  # a private key verifies too
    assert last_json(capsys) == {"ok": True, "valid": True, "signature_format": sig_format,
                                 "uid": "1234567812345678", "uid_hex": sm2.DEFAULT_UID.hex()}

    tampered = tmp_path / "m2"
    tampered.write_bytes(message.read_bytes() + b"!")
    assert main(["verify", "--key", str(pub), "--sig", str(sig), "--in", str(tampered)]) == 1
    assert capsys.readouterr().out.startswith("invalid")
    assert main(["verify", "--key", str(pub), "--sig", str(sig), "--in", str(tampered), "--json"]) == 1
    result = last_json(capsys)
    assert result["ok"] is False and result["valid"] is False
    assert result["error"]["code"] == "invalid_signature"  # type: ignore[index]


def test_custom_id_and_text_encodings(tmp_path: Path, keypair: tuple[Path, Path], message: Path) -> None:
    key, pub = keypair
    sig = tmp_path / "s"
    for encoding, sig_format in (("hex", "raw"), ("base64", "der"), ("hex", "der"), ("base64", "raw")):
        assert main(["sign", "--key", str(key), "--in", str(message), "--out", str(sig), "--id", "ALICE123@YAHOO.COM",
                     "--encoding", encoding, "--sig-format", sig_format]) == 0
        text = sig.read_bytes().strip()
        decoded = bytes.fromhex(text.decode()) if encoding == "hex" else base64.b64decode(text, validate=True)
        assert (len(decoded) == 64) == (sig_format == "raw")
        base = ["verify", "--key", str(pub), "--sig", str(sig), "--in", str(message)]
        assert main([*base, "--id", "ALICE123@YAHOO.COM"]) == 0
        assert main([*base, "--id-hex", b"ALICE123@YAHOO.COM".hex(), "--sig-encoding", encoding]) == 0
        assert main(base) == 1  # default ID
        assert main([*base, "--id", ""]) == 1  # empty ID


def test_empty_id(tmp_path: Path, keypair: tuple[Path, Path], message: Path) -> None:
    key, pub = keypair
    sig = tmp_path / "s"
    assert main(["sign", "--key", str(key), "--in", str(message), "--out", str(sig), "--id", ""]) == 0
    sm2.load_public_key(pub.read_bytes()).verify(sig.read_bytes(), message.read_bytes(), uid=b"")
    assert main(["verify", "--key", str(pub), "--sig", str(sig), "--in", str(message), "--id", ""]) == 0
    assert main(["verify", "--key", str(pub), "--sig", str(sig), "--in", str(message)]) == 1


def test_sign_to_stdout(keypair: tuple[Path, Path], message: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    key, pub = keypair
    assert main(["sign", "--key", str(key), "--in", str(message), "--out", "-", "--encoding", "base64"]) == 0
    signature = base64.b64decode(capsysbinary.readouterr().out.strip(), validate=True)
    sm2.load_public_key(pub.read_bytes()).verify(signature, message.read_bytes())
    assert main(["sign", "--key", str(key), "--in", str(message), "--out", "-", "--json"]) == 0
    data = json.loads(capsysbinary.readouterr().out)
    assert data["ok"] is True and data["signature_format"] == "der"
    sm2.load_public_key(pub.read_bytes()).verify(bytes.fromhex(data["signature_hex"]), message.read_bytes())


def test_verify_reads_data_from_stdin(tmp_path: Path, keypair: tuple[Path, Path], message: Path) -> None:
    key, pub = keypair
    assert main(["sign", "--key", str(key), "--in", str(message), "--out", str(tmp_path / "s")]) == 0
    ok = run_cli("verify", "--key", str(pub), "--sig", str(tmp_path / "s"), "--in", "-", stdin=message.read_bytes())
    assert ok.returncode == 0, ok.stderr
    bad = run_cli("verify", "--key", str(pub), "--sig", str(tmp_path / "s"), "--in", "-", stdin=b"other")
    assert bad.returncode == 1 and bad.stdout.startswith(b"invalid") and b"Traceback" not in bad.stderr
    twice = run_cli("verify", "--key", "-", "--sig", str(tmp_path / "s"), "--in", "-")
    assert "only one of the inputs" in assert_one_clean_error_line(twice)


# ---- keys ----------------------------------------------------------------------------------


def test_key_gen_writes_0600_and_show_hides_the_secret(keypair: tuple[Path, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    key, pub = keypair
    assert key.stat().st_mode & 0o777 == 0o600
    assert b"-----BEGIN PRIVATE KEY-----" in key.read_bytes()
    assert b"-----BEGIN PUBLIC KEY-----" in pub.read_bytes()
    private = sm2.load_private_key(key.read_bytes())
    secret_hex = private.private_bytes("raw").hex()
    public = private.public_key()
    assert sm2.load_public_key(pub.read_bytes()) == public
    capsys.readouterr()

    assert main(["key", "show", str(key)]) == 0
    text = capsys.readouterr().out
    assert main(["key", "show", str(key), "--json"]) == 0
    shown = last_json(capsys)
    for output in (text, json.dumps(shown)):
        assert secret_hex not in output.lower() and "PRIVATE KEY-----" not in output
    assert shown["kind"] == "private"
    assert shown["fingerprint"] == sm3.hash(public.public_bytes("raw")).hex()
    assert shown["z_default_id"] == public.compute_z(sm2.DEFAULT_UID).hex()
    assert sm2.load_public_key(str(shown["public_key_pem"]).encode()) == public
    assert main(["key", "show", str(pub), "--json"]) == 0
    from_public = last_json(capsys)
    assert from_public["kind"] == "public" and from_public["fingerprint"] == shown["fingerprint"]


@pytest.mark.parametrize("cipher", ["aes-256-cbc", "sm4-cbc"])
def test_encrypted_key(tmp_path: Path, password_env: str, cipher: str, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "k.pem"
    assert main(["key", "gen", "--out", str(key), "--password-env", password_env, "--cipher", cipher, "--json"]) == 0
    out = last_json(capsys)
    assert out["ok"] is True and out["encrypted"] is True and out["cipher"] == cipher
    assert key.stat().st_mode & 0o777 == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    sm2.load_private_key(key.read_bytes(), password=b"correct horse")

    (tmp_path / "pw").write_bytes(b"correct horse\n")  # a trailing newline is not part of the password
    assert main(["key", "show", str(key), "--password-file", str(tmp_path / "pw"), "--json"]) == 0
    assert last_json(capsys)["kind"] == "private"
    assert main(["key", "show", str(key), "--json"]) == 2  # no password given
    err = last_json(capsys)
    assert err["ok"] is False and "password" in err["error"]["message"]  # type: ignore[index]


def test_key_gen_refuses_to_overwrite(tmp_path: Path, keypair: tuple[Path, Path]) -> None:
    key, pub = keypair
    before = key.read_bytes()
    assert main(["key", "gen", "--out", str(key)]) == 2
    assert key.read_bytes() == before
    # An existing --pub is refused before the private key is written.
    fresh = tmp_path / "fresh.pem"
    assert main(["key", "gen", "--out", str(fresh), "--pub", str(pub)]) == 2
    assert not fresh.exists()
    assert main(["key", "gen", "--out", str(key), "--pub", str(pub), "--force"]) == 0
    assert key.read_bytes() != before
    assert sm2.load_public_key(pub.read_bytes()) == sm2.load_private_key(key.read_bytes()).public_key()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # no temp files left
    assert main(["key", "gen", "--out", "-"]) == 2  # gen never prints a private key
    assert main(["key", "gen", "--out", str(tmp_path / "x.pem"), "--pub", str(tmp_path / "x.pem")]) == 2


@pytest.mark.parametrize("fmt", ["pem", "der", "raw"])
def test_key_gen_formats(tmp_path: Path, fmt: str, password_env: str) -> None:
    key = tmp_path / f"k.{fmt}"
    assert main(["key", "gen", "--out", str(key), "--format", fmt]) == 0
    data = key.read_bytes()
    assert (len(data) == 32) == (fmt == "raw")
    sm2.load_private_key(data)
    assert main(["key", "gen", "--out", str(tmp_path / "e.raw"), "--format", "raw", "--password-env", password_env]) == 2


def test_export_formats(tmp_path: Path, keypair: tuple[Path, Path], password_env: str,
                        capsys: pytest.CaptureFixture[str]) -> None:
    key, _ = keypair
    loaded = sm2.load_private_key(key.read_bytes())
    expected_size = {"der": 91, "raw": 65, "compressed": 33}
    for fmt in ("pem", "der", "raw", "compressed", "hex"):
        target = tmp_path / f"pub.{fmt}"
        assert main(["key", "export", str(key), "--public", "--format", fmt, "--out", str(target)]) == 0
        assert sm2.load_public_key(target.read_bytes()) == loaded.public_key()
        if fmt in expected_size:
            assert len(target.read_bytes()) == expected_size[fmt]
        assert target.stat().st_mode & 0o777 == 0o644
    for fmt in ("pem", "der", "raw", "hex"):
        target = tmp_path / f"priv.{fmt}"
        assert main(["key", "export", str(key), "--private", "--format", fmt, "--out", str(target)]) == 0
        assert target.stat().st_mode & 0o777 == 0o600
        assert sm2.load_private_key(target.read_bytes()).public_key() == loaded.public_key()
    # Re-encrypt on export; the plain export refuses to overwrite without --force.
    target = tmp_path / "priv.pem"
    args = ["key", "export", str(key), "--private", "--new-password-env", password_env, "--out", str(target)]
    assert main(args) == 2
    assert main([*args, "--force"]) == 0
    assert b"ENCRYPTED" in target.read_bytes()
    assert sm2.load_private_key(target.read_bytes(), b"correct horse").public_key() == loaded.public_key()
    # A public key has no private part; --new-password makes no sense for --public.
    capsys.readouterr()
    assert main(["key", "export", str(tmp_path / "pub.pem"), "--private"]) == 2
    assert main(["key", "export", str(key), "--public", "--new-password-env", password_env]) == 2
    # --json to stdout carries the key in the JSON object.
    capsys.readouterr()
    assert main(["key", "export", str(key), "--public", "--format", "der", "--json"]) == 0
    out = last_json(capsys)
    assert sm2.load_public_key(base64.b64decode(str(out["data_base64"]))) == loaded.public_key()


# ---- errors: one clean line, right exit code ---------------------------------------------------


@pytest.fixture()
def workdir(tmp_path: Path, keypair: tuple[Path, Path], message: Path) -> Path:
    key, pub = keypair
    (tmp_path / "garbage.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n")
    (tmp_path / "junk.key").write_bytes(b"this is not a key at all\n")
    (tmp_path / "bad.sig").write_bytes(b"\x30\x05garbage")
    (tmp_path / "long.sig").write_bytes(os.urandom(100))
    (tmp_path / "empty.sig").write_bytes(b"")
    assert main(["sign", "--key", str(key), "--in", str(message), "--out", str(tmp_path / "s")]) == 0
    secret = sm2.load_private_key(key.read_bytes())
    (tmp_path / "enc.pem").write_bytes(secret.private_bytes("PEM", password=b"right"))
    return tmp_path


@pytest.mark.parametrize(
    "args,expected",
    [
        (["verify", "--key", "missing.pem", "--sig", "s", "--in", "m"], "no such file: missing.pem"),
        (["verify", "--key", "p.pem", "--sig", "s", "--in", "missing"], "no such file: missing"),
        (["verify", "--key", "garbage.pem", "--sig", "s", "--in", "m"], "base64"),
        (["verify", "--key", "junk.key", "--sig", "s", "--in", "m"], "not an SM2 key file"),
        (["verify", "--key", "p.pem", "--sig", "bad.sig", "--in", "m"], "neither a DER SM2Signature nor"),
        (["verify", "--key", "p.pem", "--sig", "bad.sig", "--in", "m", "--sig-format", "der"], "not a valid DER"),
        (["verify", "--key", "p.pem", "--sig", "long.sig", "--in", "m", "--sig-format", "raw"], "exactly 64 bytes"),
        (["verify", "--key", "p.pem", "--sig", "empty.sig", "--in", "m"], "empty"),
        (["verify", "--key", "p.pem", "--sig", "s", "--in", "m", "--id-hex", "xyz"], "not valid hex"),
        (["verify", "--key", "p.pem", "--sig", "s", "--in", "."], "Is a directory"),
        (["sign", "--key", "p.pem", "--in", "m", "--out", "x"], "needs a private key"),
        (["sign", "--key", "enc.pem", "--in", "m", "--out", "x"], "encrypted"),
        (["key", "show", "enc.pem", "--password-env", "PW"], "wrong password"),
        (["key", "show", "enc.pem", "--password-env", "UNSET_VARIABLE_X"], "is not set"),
        (["key", "gen", "--out", "k.pem"], "already exists"),
        (["key", "gen", "--out", "nodir/k.pem"], "does not exist"),
    ],
)
def test_errors_are_one_clean_line(workdir: Path, args: list[str], expected: str) -> None:
    result = run_cli(*args, cwd=workdir, env={"PW": "wrong"})
    line = assert_one_clean_error_line(result)
    assert expected in line


def test_tampered_data_exits_1(workdir: Path) -> None:
    (workdir / "m2").write_bytes(b"tampered")
    result = run_cli("verify", "--key", "p.pem", "--sig", "s", "--in", "m2", cwd=workdir)
    assert result.returncode == 1
    assert result.stdout.decode().startswith("invalid:") and result.stderr == b""
    assert run_cli("verify", "--key", "p.pem", "--sig", "s", "--in", "m", cwd=workdir).returncode == 0


@pytest.mark.parametrize("args", [["frobnicate"], ["verify"], ["verify", "--key"], ["key"], ["sm2"],
                                  ["sign", "--key", "k", "--in", "m", "--out", "s", "--sig-format", "pkcs7"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run_cli(*args)
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "Traceback" not in stderr and "usage: trustkit" in stderr and "error:" in stderr


def test_json_errors(workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(workdir)
    assert main(["verify", "--key", "missing.pem", "--sig", "s", "--in", "m", "--json"]) == 2
    assert last_json(capsys) == {"ok": False, "error": {"code": "file_not_found", "message": "no such file: missing.pem"}}
    assert main(["verify", "--key", "p.pem", "--sig", "bad.sig", "--in", "m", "--json"]) == 2
    assert last_json(capsys)["error"]["code"] == "malformed_signature"  # type: ignore[index]
    assert main(["verify", "--key", "junk.key", "--sig", "s", "--in", "m", "--json"]) == 2
    assert last_json(capsys)["error"]["code"] == "decode_error"  # type: ignore[index]
    assert main(["verify", "--bogus", "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"]["code"] == "usage_error" and "usage:" in captured.err


def test_unexpected_exception_is_an_internal_error(workdir: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import trustkit_cli.keys

    def broken(_public: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(trustkit_cli.keys, "fingerprint", broken)
    monkeypatch.delenv("TRUSTKIT_DEBUG", raising=False)
    assert main(["key", "show", str(workdir / "p.pem")]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "trustkit: error: internal error (RuntimeError: boom); rerun with TRUSTKIT_DEBUG=1 for details"
    ]
    monkeypatch.setenv("TRUSTKIT_DEBUG", "1")
    assert main(["key", "show", str(workdir / "p.pem")]) == 2
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.delenv("TRUSTKIT_DEBUG")
    assert main(["key", "show", str(workdir / "p.pem"), "--json"]) == 2
    assert last_json(capsys)["error"]["code"] == "internal_error"  # type: ignore[index]

    def interrupted(_public: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(trustkit_cli.keys, "fingerprint", interrupted)
    assert main(["key", "show", str(workdir / "p.pem")]) == 2
    assert capsys.readouterr().err == "trustkit: error: interrupted\n"


def test_closed_stdout_is_not_a_traceback(keypair: tuple[Path, Path]) -> None:
    _, pub = keypair
    for args in (["key", "show", str(pub), "--json"], ["key", "export", str(pub), "--public"]):
        proc = subprocess.Popen([sys.executable, "-m", "trustkit_cli", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # the reader goes away, like `| head -0`
        stderr = proc.stderr.read().decode()
        proc.wait(timeout=120)
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
        assert proc.returncode == 2


# ---- OpenSSL interop ---------------------------------------------------------------------------


@pytest.mark.interop
def test_openssl_interop(openssl: str, tmp_path: Path, keypair: tuple[Path, Path], message: Path) -> None:
    """Flags as in reference/interop.md: pkeyutl -rawin -digest sm3 -pkeyopt distid:1234567812345678."""
    key, pub = keypair
    distid = ["-pkeyopt", "distid:1234567812345678"]
    # OpenSSL signs with our private key file; we verify with our public key file.
    subprocess.run([openssl, "pkeyutl", "-sign", "-inkey", str(key), "-rawin", "-in", str(message),
                    "-digest", "sm3", *distid, "-out", str(tmp_path / "os")], check=True, capture_output=True)
    assert main(["verify", "--key", str(pub), "--sig", str(tmp_path / "os"), "--in", str(message)]) == 0
    # We sign; OpenSSL verifies with our public key file.
    for fmt_args in ([], ["--encoding", "binary"]):
        assert main(["sign", "--key", str(key), "--in", str(message), "--out", str(tmp_path / "ts"), *fmt_args]) == 0
        result = subprocess.run([openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(pub), "-rawin", "-in",
                                 str(message), "-sigfile", str(tmp_path / "ts"), "-digest", "sm3", *distid],
                                capture_output=True)
        assert result.returncode == 0, result.stderr
    # A wrong message fails on the OpenSSL side too (the check can fail).
    (tmp_path / "other").write_bytes(b"other")
    result = subprocess.run([openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(pub), "-rawin", "-in",
                             str(tmp_path / "other"), "-sigfile", str(tmp_path / "ts"), "-digest", "sm3", *distid],
                            capture_output=True)
    assert result.returncode != 0


@pytest.mark.interop
def test_openssl_reads_our_key_files(openssl: str, tmp_path: Path, password_env: str) -> None:
    public_hex = {}
    for name, extra in (("plain.pem", []), ("plain.der", ["--format", "der"]),
                        ("enc.pem", ["--password-env", password_env])):
        assert main(["key", "gen", "--out", str(tmp_path / name), *extra]) == 0
        cmd = [openssl, "pkey", "-in", str(tmp_path / name), "-pubout", "-outform", "DER"]
        if name.endswith(".der"):
            cmd += ["-inform", "DER"]
        if name.startswith("enc"):
            cmd += ["-passin", "pass:correct horse"]
        result = subprocess.run(cmd, capture_output=True)
        assert result.returncode == 0, result.stderr
        ours = sm2.load_private_key((tmp_path / name).read_bytes(), b"correct horse" if "enc" in name else None)
        assert sm2.load_public_key(result.stdout) == ours.public_key()
        public_hex[name] = ours.public_key().public_bytes("raw").hex()
    assert len(set(public_hex.values())) == 3


@pytest.mark.interop
def test_openssl_keys_and_empty_id_default(openssl: str, tmp_path: Path, message: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    key, pub = tmp_path / "ok.pem", tmp_path / "op.pem"
    subprocess.run([openssl, "genpkey", "-algorithm", "SM2", "-out", str(key)], check=True, capture_output=True)
    subprocess.run([openssl, "pkey", "-in", str(key), "-pubout", "-out", str(pub)], check=True, capture_output=True)
    # OpenSSL 3.0 without distid signs with the EMPTY ID: our default-ID verify says invalid.
    subprocess.run([openssl, "pkeyutl", "-sign", "-inkey", str(key), "-rawin", "-in", str(message), "-digest", "sm3",
                    "-out", str(tmp_path / "s")], check=True, capture_output=True)
    base = ["verify", "--key", str(pub), "--sig", str(tmp_path / "s"), "--in", str(message)]
    assert main(base) == 1
    assert main([*base, "--id", ""]) == 0
    capsys.readouterr()
    assert main(["sm2", "doctor", "--pub", str(pub), "--sig", str(tmp_path / "s"), "--in", str(message), "--json"]) == 0
    report = last_json(capsys)
    assert [m["uid"] for m in report["matches"]] == [""]  # type: ignore[union-attr,index]
    assert "distid" in str(report["advice"])
    # Our sign with OpenSSL's key file, verified by OpenSSL.
    assert main(["sign", "--key", str(key), "--in", str(message), "--out", str(tmp_path / "t")]) == 0
    result = subprocess.run([openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(pub), "-rawin", "-in",
                             str(message), "-sigfile", str(tmp_path / "t"), "-digest", "sm3",
                             "-pkeyopt", "distid:1234567812345678"], capture_output=True)
    assert result.returncode == 0, result.stderr


# ---- demo, bench, help --------------------------------------------------------------------------


def test_demo(tmp_path: Path) -> None:
    """The README's first command: PKI, seal image, SES v4 seal, OFD licence, stamp, verify, tamper, timings."""
    from trustkit.ofd import OFDReader
    from trustkit.seal.ses import parse_seal

    out_dir = tmp_path / "demo"
    result = run_cli("demo", "--quick", "--json", "--dir", str(out_dir))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] and data["valid"] and data["tampered_rejected"]
    assert "referenced_file_changed" in data["tampered_report"]["signatures"][0]["failures"]
    assert data["report"]["valid"] and [s["kind"] for s in data["report"]["signatures"]] == ["seal"]
    checks = {c["name"]: c["ok"] for c in data["report"]["signatures"][0]["checks"]}
    assert checks["signer_chain"] and checks["maker_chain"] and checks["references"]  # chained to the demo root
    assert set(data["rates_per_second"]) == {"sign", "verify", "verify_prepared_key", "sign_many"}
    assert all(t["count"] == 200 for t in data["timings"].values())
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["issuing-ca.pem", "licence-stamped.ofd", "licence-tampered.ofd", "licence.ofd", "root.pem",
                     "seal.esl", "seal.png"]
    assert not [p for p in out_dir.iterdir() if b"PRIVATE KEY" in p.read_bytes()]  # no key is written
    assert parse_seal((out_dir / "seal.esl").read_bytes()).version == 4
    assert (out_dir / "seal.png").read_bytes().startswith(b"\x89PNG")
    with OFDReader.open(out_dir / "licence-stamped.ofd") as reader:
        listing = reader.signatures()
        assert listing is not None and [e.type for e in listing.entries] == ["Seal"]
        (annot,) = reader.signature(listing.entries[0]).stamp_annots
        (match,) = reader.find("某某市市场监督管理局")
        assert annot.boundary.center == pytest.approx(match.box.center)  # centred on the authority's name
    # The files verify from the command line as the demo says.
    verify = run_cli("ofd", "verify", str(out_dir / "licence-stamped.ofd"), "--trust", str(out_dir / "root.pem"),
                     "--untrusted", str(out_dir / "issuing-ca.pem"))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert run_cli("ofd", "verify", str(out_dir / "licence-tampered.ofd")).returncode == 1

    text = run_cli("demo", "--count", "50", cwd=tmp_path)  # default --dir ./trustkit-demo
    assert text.returncode == 0, text.stderr
    out = text.stdout.decode()
    for needle in ("files in trustkit-demo/", "SES v4", "licence-stamped.ofd", "VALID", "INVALID, as it should be",
                   "Content.xml", "sign_many", "/s", "next: trustkit ofd verify"):
        assert needle in out, needle
    assert (tmp_path / "trustkit-demo" / "licence-stamped.ofd").is_file()
    assert text.stderr == b""


def test_demo_bad_dir(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    assert_one_clean_error_line(run_cli("demo", "--quick", "--dir", str(tmp_path / "file")))
    assert_one_clean_error_line(run_cli("demo", "--quick", "--dir", str(tmp_path / "no" / "such")))


class _FakeReport:
    def table(self) -> str:
        return "SM2 sign   1 /s"

    def to_json(self) -> str:
        return json.dumps({"rows": [{"name": "SM2 sign", "value": 1.0}]})


def test_bench_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI shell around trustkit.bench (the measurements themselves are tested in test_bench.py)."""
    import trustkit.bench

    calls: list[object] = []
    monkeypatch.setattr(trustkit.bench, "run_primitive_benchmarks",
                        lambda quick, progress=None: calls.append(quick) or _FakeReport())
    monkeypatch.setattr(trustkit.bench, "plot_report", lambda report, path: Path(path).write_bytes(b"PNG"))
    assert main(["bench", "--quick"]) == 0
    assert "SM2 sign" in capsys.readouterr().out
    assert main(["bench", "--json"]) == 0
    assert last_json(capsys) == {"ok": True, "rows": [{"name": "SM2 sign", "value": 1.0}]}
    assert calls == [True, False]
    assert main(["bench", "--quick", "--plot", str(tmp_path / "b.png")]) == 0
    assert (tmp_path / "b.png").read_bytes() == b"PNG"
    # An unwritable chart path fails before measuring.
    assert main(["bench", "--plot", str(tmp_path / "no" / "b.png")]) == 2
    assert calls == [True, False, True]


@pytest.mark.parametrize("args", [["--help"], ["key", "--help"], ["key", "gen", "--help"], ["key", "show", "--help"],
                                  ["key", "export", "--help"], ["sign", "--help"], ["verify", "--help"],
                                  ["sm2", "--help"], ["sm2", "doctor", "--help"], ["bench", "--help"],
                                  ["demo", "--help"]])
def test_help(args: list[str]) -> None:
    result = run_cli(*args)
    assert result.returncode == 0 and result.stderr == b""
    out = result.stdout.decode()
    assert out.startswith("usage: trustkit")
    if len(args) > 1 and args[-2] not in ("key", "sm2"):
        assert "examples:\n  trustkit " in out  # every leaf command shows how to run it


def test_version() -> None:
    import trustkit

    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.decode().strip() == f"trustkit {trustkit.__version__}"
