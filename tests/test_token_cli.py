"""``trustkit token issue|verify|jwks`` (cli/token.py), run in-process through its own parser.

cli/main.py does not list the token commands yet (the lead wires them), so the tests register
``token.register`` on a fresh parser the way main.build_parser does and call ``_output.run``.
Exit codes: 0 valid, 1 invalid, 2 usage or input error.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from trustkit_cli import token as token_cli
from trustkit_cli._output import ArgumentParser, UsageError, run

from trustkit import sm2
from trustkit.token import KeySet, SigningJWK, verify

NOW = 1_800_000_000


def cli(*argv: str) -> int:
    parser = ArgumentParser(prog="trustkit")
    parser.add_argument("--json", action="store_true")
    sub = parser.add_subparsers(dest="command")
    token_cli.register(sub)
    try:
        args = parser.parse_args(list(argv))
    except UsageError:
        return 2
    return run(args.handler, args)


def out_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


@pytest.fixture()
def sm2_files(tmp_path: Path) -> tuple[Path, Path]:
    key = sm2.generate_private_key()
    private, public = tmp_path / "k.pem", tmp_path / "p.pem"
    private.write_bytes(key.private_bytes("PEM"))
    public.write_bytes(key.public_key().public_bytes("PEM"))
    return private, public


def issue_token(tmp_path: Path, key: Path, *extra: str) -> Path:
    out = tmp_path / "t.jwt"
    assert cli("token", "issue", "--key", str(key), "--iss", "https://id.example.cn", "--sub", "u1",
               "--aud", "portal", "--now", str(NOW), "--ttl", "300", "--out", str(out), *extra) == 0
    return out


def test_issue_then_verify(tmp_path: Path, sm2_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    private, public = sm2_files
    token = issue_token(tmp_path, private, "--claim", "roles=[\"admin\"]", "--claim", "name=张三")
    capsys.readouterr()
    assert cli("--json", "token", "verify", "--token", str(token), "--key", str(public), "--alg", "SM2",
               "--iss", "https://id.example.cn", "--aud", "portal", "--at", str(NOW + 10)) == 0
    result = out_json(capsys)
    assert result["valid"] is True and result["alg"] == "SM2"
    claims = result["claims"]
    assert claims["roles"] == ["admin"] and claims["name"] == "张三" and claims["exp"] == NOW + 300
    assert claims["iat"] == NOW and len(claims["jti"]) >= 16
    # The same token checked by the library with the key file.
    keys = KeySet([SigningJWK.from_private_key(sm2.load_private_key(private.read_bytes())).public])
    verify(token.read_text().strip(), keys, algorithms=["SM2"], audience="portal", clock=lambda: NOW)


def test_tampered_token_is_invalid(tmp_path: Path, sm2_files: tuple[Path, Path],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    private, public = sm2_files
    token = issue_token(tmp_path, private).read_text().strip()
    header, payload, signature = token.split(".")
    import base64

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = tmp_path / "forged.jwt"
    forged.write_text(f"{header}.{forged_payload}.{signature}")
    capsys.readouterr()
    assert cli("--json", "token", "verify", "--token", str(forged), "--key", str(public), "--alg", "SM2",
               "--aud", "portal", "--at", str(NOW)) == 1
    result = out_json(capsys)
    assert result["valid"] is False and result["error"]["code"] == "invalid_signature"


def test_invalid_claims_and_alg_exit_1(tmp_path: Path, sm2_files: tuple[Path, Path],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    private, public = sm2_files
    token = str(issue_token(tmp_path, private))
    cases = [
        (["--alg", "SM2", "--aud", "portal", "--at", str(NOW + 301)], "expired"),
        (["--alg", "SM2", "--aud", "portal", "--at", str(NOW + 306), "--leeway", "5"], "expired"),
        (["--alg", "SM2", "--aud", "other", "--at", str(NOW)], "wrong_audience"),
        (["--alg", "SM2", "--aud", "portal", "--iss", "x", "--at", str(NOW)], "wrong_issuer"),
        (["--alg", "ES256", "--aud", "portal", "--at", str(NOW)], "unsupported_algorithm"),
        (["--alg", "SM2", "--aud", "portal", "--require", "nonce", "--at", str(NOW)], "missing_claim"),
    ]
    for extra, code in cases:
        capsys.readouterr()
        assert cli("--json", "token", "verify", "--token", token, "--key", str(public), *extra) == 1, code
        assert out_json(capsys)["error"]["code"] == code
    assert cli("token", "verify", "--token", token, "--key", str(public), "--alg", "SM2", "--aud", "portal",
               "--at", "2027-01-15T08:00:10Z") == 0


def test_bad_input_exit_2(tmp_path: Path, sm2_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    private, public = sm2_files
    garbage = tmp_path / "garbage.jwt"
    garbage.write_text("not-a-token")
    assert cli("--json", "token", "verify", "--token", str(garbage), "--key", str(public), "--alg", "SM2") == 2
    assert out_json(capsys)["error"]["code"] == "decode_error"
    token = str(issue_token(tmp_path, private))
    assert cli("token", "verify", "--token", token, "--key", str(tmp_path / "missing.pem"), "--alg", "SM2") == 2
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    assert cli("token", "verify", "--token", token, "--key", str(junk), "--alg", "SM2") == 2
    assert cli("token", "verify", "--token", token, "--alg", "SM2") == 2  # no keys
    assert cli("token", "verify", "--token", token, "--key", str(public)) == 2  # --alg is required
    assert cli("token", "verify", "--token", token, "--key", str(public), "--alg", "none") == 2
    assert cli("token", "issue", "--key", str(public), "--sub", "x") == 2  # a public key cannot sign
    bad_claims = tmp_path / "c.json"
    bad_claims.write_text("[1]")
    assert cli("token", "issue", "--key", str(private), "--claims", str(bad_claims)) == 2
    assert cli("token", "issue", "--key", str(private), "--claim", "novalue") == 2
    assert cli("token", "issue", "--key", str(private), "--ttl", "0") == 2
    assert cli("token", "verify", "--token", token, "--key", str(public), "--alg", "SM2", "--at", "soon") == 2


@pytest.mark.interop
def test_openssl_keys_and_jwks(tmp_path: Path, sm2_files: tuple[Path, Path],
                               capsys: pytest.CaptureFixture[str]) -> None:
    private, public = sm2_files
    # ES256 and Ed25519 keys made by OpenSSL 3: `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`
    # and `openssl genpkey -algorithm ed25519`.
    es_key, ed_key = tmp_path / "es.pem", tmp_path / "ed.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", str(es_key)], check=True, capture_output=True)
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(ed_key)], check=True,
                   capture_output=True)
    std, sm2_doc = tmp_path / "jwks.json", tmp_path / "jwks-sm2.json"
    assert cli("token", "jwks", "--key", str(es_key), "--key", str(ed_key), "--out", str(std)) == 0
    assert cli("token", "jwks", "--kind", "sm2", "--key", str(public), "--out", str(sm2_doc)) == 0
    assert [k["kty"] for k in json.loads(std.read_text())["keys"]] == ["EC", "OKP"]
    assert [k["crv"] for k in json.loads(sm2_doc.read_text())["keys"]] == ["SM2"]
    for doc in (std, sm2_doc):
        assert "\"d\"" not in doc.read_text()
    capsys.readouterr()
    assert cli("--json", "token", "jwks", "--key", str(private)) == 2  # SM2 key in the standard document
    assert "--kind sm2" in out_json(capsys)["error"]["message"]
    for key, alg in ((es_key, "ES256"), (ed_key, "EdDSA"), (private, "SM2")):
        token = issue_token(tmp_path, key)
        assert cli("token", "verify", "--token", str(token), "--jwks", str(std), "--jwks", str(sm2_doc),
                   "--alg", alg, "--aud", "portal", "--at", str(NOW)) == 0, alg
    capsys.readouterr()
    assert cli("--json", "token", "jwks", "--kind", "sm2", "--key", str(public)) == 0
    assert out_json(capsys)["jwks"]["keys"][0]["crv"] == "SM2"


def test_jwk_key_files_and_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = SigningJWK.generate("ES256", kid="es-1")
    jwk_file = tmp_path / "k.jwk"
    jwk_file.write_text(json.dumps(key.to_dict()))
    pub_file = tmp_path / "p.jwk"
    pub_file.write_text(json.dumps(key.public.to_dict()))
    capsys.readouterr()
    assert cli("--json", "token", "issue", "--key", str(jwk_file), "--aud", "portal", "--no-jti",
               "--now", str(NOW)) == 0
    issued = out_json(capsys)
    assert issued["kid"] == "es-1" and "jti" not in issued["claims"]
    token_file = tmp_path / "t.jwt"
    token_file.write_text(issued["token"])
    assert cli("token", "verify", "--token", str(token_file), "--key", str(pub_file), "--alg", "ES256",
               "--aud", "portal", "--at", str(NOW)) == 0
    assert cli("token", "verify", "--token", str(token_file), "--key", str(jwk_file), "--alg", "ES256",
               "--aud", "portal", "--at", str(NOW)) == 0  # a private key file also verifies
