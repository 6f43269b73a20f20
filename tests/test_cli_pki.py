"""The PKI commands: ca init, cert issue|show|verify, csr new|show, crl issue|show, cms sign|verify, ts stamp|verify.

A few end-to-end flows run the real console entry point (``python -m trustkit_cli``) in a
subprocess, so that nothing could hide a traceback; the rest call ``main()`` in-process.
Exit codes: 0 valid/success, 1 invalid, 2 usage or input error.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trustkit import sm2
from trustkit.pki.certificate import Certificate, load_certificates
from trustkit.pki.crl import CertificateRevocationList
from trustkit.pki.csr import CertificateRequest
from trustkit_cli.main import main

PW_ENV = "TRUSTKIT_TEST_CA_PASSWORD"
PASSWORD = "correct horse battery"
ROOT_NAME = "示例政务根CA"
ORG = "示例市数据局"


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    full_env = {k: v for k, v in os.environ.items() if k != "TRUSTKIT_DEBUG"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "trustkit_cli", *args], capture_output=True, cwd=cwd,
                          env=full_env, input=stdin, timeout=120)


def no_traceback(result: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in result.stderr and b"Traceback" not in result.stdout, result.stderr.decode()


def out_json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


@pytest.fixture()
def password_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(PW_ENV, PASSWORD)
    return PW_ENV


def make_ca(path: Path, *extra: str) -> Path:
    """A CA directory with encrypted keys (password in $TRUSTKIT_TEST_CA_PASSWORD)."""
    assert main(["ca", "init", str(path), "--name", ROOT_NAME, "--org", ORG,
                 "--key-password-env", PW_ENV, *extra]) == 0
    return path


def issue(ca: Path, out: Path, profile: str, subject: str, *extra: str) -> Certificate:
    assert main(["cert", "issue", "--ca", str(ca), "--profile", profile, "--subject", subject,
                 "--ca-password-env", PW_ENV, "--key-password-env", PW_ENV, "--out", str(out), *extra]) == 0
    return Certificate.load(out.read_bytes())


@pytest.fixture()
def ca(tmp_path: Path, password_env: str) -> Path:
    return make_ca(tmp_path / "ca")


# ---- ca init -----------------------------------------------------------------------------------


def test_ca_init_layout(ca: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = sorted(p.name for p in ca.iterdir())
    assert names == ["ca.json", "chain.pem", "intermediate.cert.pem", "intermediate.crl.pem", "intermediate.key.pem",
                     "root.cert.pem", "root.crl.pem", "root.key.pem"]
    for key in ("root.key.pem", "intermediate.key.pem"):
        assert (ca / key).stat().st_mode & 0o777 == 0o600
        data = (ca / key).read_bytes()
        assert b"ENCRYPTED PRIVATE KEY" in data  # encrypted at rest
        sm2.load_private_key(data, PASSWORD.encode())
    root = Certificate.load((ca / "root.cert.pem").read_bytes())
    intermediate = Certificate.load((ca / "intermediate.cert.pem").read_bytes())
    assert root.subject_text == f"CN={ROOT_NAME},O={ORG},C=CN"  # CJK kept as is
    assert root.is_ca and root.is_self_issued and root.signature_algorithm_oid == "1.2.156.10197.1.501"
    assert intermediate.is_ca and intermediate.path_length == 0 and intermediate.issuer_text == root.subject_text
    assert intermediate.subject_text == f"CN=示例政务签发CA,O={ORG},C=CN"  # 根CA -> 签发CA
    intermediate.verify_signed_by_vartime(root)
    assert load_certificates((ca / "chain.pem").read_bytes()) == [intermediate, root]
    for role, cert in (("root", root), ("intermediate", intermediate)):
        crl = CertificateRevocationList.load((ca / f"{role}.crl.pem").read_bytes())
        crl.verify_signed_by_vartime(cert)
        assert crl.crl_number == 1 and crl.revoked == ()
    state = json.loads((ca / "ca.json").read_text(encoding="utf-8"))
    assert state["algorithm"] == "sm2" and state["keys_encrypted"] is True
    assert int(state["issued"][0]["serial"], 16) == intermediate.serial_number


def test_ca_init_refusals(tmp_path: Path, password_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    # No password and no --no-key-password: refused with advice, nothing written.
    assert main(["ca", "init", str(tmp_path / "a"), "--json"]) == 2
    error = out_json(capsys)["error"]
    assert error["code"] == "password_needed" and "--key-password-file" in error["message"]  # type: ignore[index]
    assert not (tmp_path / "a").exists()
    # A non-empty directory is refused unless --force.
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    assert main(["ca", "init", str(busy), "--no-key-password"]) == 2
    assert sorted(p.name for p in busy.iterdir()) == ["x"]
    assert main(["ca", "init", str(busy), "--no-key-password", "--force"]) == 0
    assert b"BEGIN PRIVATE KEY" in (busy / "root.key.pem").read_bytes()  # --no-key-password: plain PKCS#8
    # Intermediate longer than the root, and a missing parent directory.
    assert main(["ca", "init", str(tmp_path / "b"), "--no-key-password", "--root-days", "10",
                 "--intermediate-days", "20"]) == 2
    assert main(["ca", "init", str(tmp_path / "no" / "such"), "--no-key-password"]) == 2


@pytest.mark.parametrize("algorithm,key_word", [("p256", "ECDSA secp256r1"), ("rsa", "RSA 3072")])
def test_ca_init_international_algorithms(tmp_path: Path, algorithm: str, key_word: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    ca = tmp_path / "ca"
    assert main(["ca", "init", str(ca), "--no-key-password", "--algorithm", algorithm, "--json"]) == 0
    result = out_json(capsys)
    assert result["algorithm"] == algorithm
    assert result["root"]["key"] == key_word  # type: ignore[index]
    leaf = tmp_path / "leaf.pem"
    assert main(["cert", "issue", "--ca", str(ca), "--profile", "person", "--subject", "CN=Alice,C=CN",
                 "--no-key-password", "--out", str(leaf)]) == 0
    assert main(["cert", "verify", str(leaf), "--trust", str(ca / "root.cert.pem"), "--untrusted",
                 str(ca / "intermediate.cert.pem"), "--crl", str(ca / "intermediate.crl.pem"),
                 "--crl", str(ca / "root.crl.pem"), "--require-revocation"]) == 0


# ---- cert issue / show / verify ------------------------------------------------------------------


PROFILE_CASES = [
    ("seal-signer", "CN=示例单位电子印章,O=示例单位,C=CN", (), {"digital_signature", "non_repudiation"}, None),
    ("seal-maker", "CN=示例制章单位,O=示例市公安局,C=CN", (), {"digital_signature", "non_repudiation"}, None),
    ("person", "CN=张三,C=CN", (), {"digital_signature", "non_repudiation"}, None),
    ("tls-server", "CN=www.example.cn,C=CN", ("--dns", "www.example.cn"), None, {"1.3.6.1.5.5.7.3.1"}),
    ("timestamping", "CN=示例时间戳服务,C=CN", (), None, {"1.3.6.1.5.5.7.3.8"}),
]


@pytest.mark.parametrize("profile,subject,extra,usage,eku", PROFILE_CASES)
def test_cert_issue_profiles(ca: Path, tmp_path: Path, profile: str, subject: str, extra: tuple[str, ...],
                             usage: set[str] | None, eku: set[str] | None,
                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"{profile}.pem"
    cert = issue(ca, out, profile, subject, *extra)
    key_file = tmp_path / f"{profile}.key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600 and b"ENCRYPTED" in key_file.read_bytes()
    assert sm2.load_private_key(key_file.read_bytes(), PASSWORD.encode()).public_key() == cert.public_key
    assert not cert.is_ca
    assert cert.subject_text == subject
    if usage is not None:
        assert cert.key_usage is not None and usage <= cert.key_usage
    if eku is not None:
        assert cert.extended_key_usage == frozenset(eku)
    cert.verify_signed_by_vartime(Certificate.load((ca / "intermediate.cert.pem").read_bytes()))
    state = json.loads((ca / "ca.json").read_text(encoding="utf-8"))
    assert state["issued"][-1]["profile"] == profile and state["issued"][-1]["subject"] == subject
    capsys.readouterr()
    purpose = {"seal-signer": "seal-signing", "seal-maker": "seal-making", "person": "digital-signature",
               "tls-server": "tls-server", "timestamping": "timestamping"}[profile]
    assert main(["cert", "verify", str(out), "--trust", str(ca / "root.cert.pem"),
                 "--untrusted", str(ca / "chain.pem"), "--purpose", purpose]) == 0
    assert capsys.readouterr().out.startswith("valid:")


def test_cert_issue_from_key_and_csr(ca: Path, tmp_path: Path, password_env: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "k.pem"
    pub = tmp_path / "p.pem"
    assert main(["key", "gen", "--out", str(key), "--pub", str(pub)]) == 0
    from_pub = issue(ca, tmp_path / "a.pem", "person", "CN=Alice,C=CN", "--key", str(pub))
    assert from_pub.public_key == sm2.load_public_key(pub.read_bytes())
    assert not (tmp_path / "a.key.pem").exists()  # no new key made

    csr = tmp_path / "req.pem"
    assert main(["csr", "new", "--key", str(key), "--subject", "CN=www.example.cn,O=示例,C=CN",
                 "--dns", "www.example.cn", "--dns", "api.example.cn", "--out", str(csr)]) == 0
    out = tmp_path / "tls.pem"
    assert main(["cert", "issue", "--ca", str(ca), "--profile", "tls-server", "--csr", str(csr),
                 "--ca-password-env", PW_ENV, "--out", str(out)]) == 0
    cert = Certificate.load(out.read_bytes())
    assert cert.subject_text == "CN=www.example.cn,O=示例,C=CN"
    assert set(cert.dns_names) == {"www.example.cn", "api.example.cn"}  # taken from the CSR
    assert cert.public_key == sm2.load_public_key(pub.read_bytes())


def test_cert_issue_refusals(ca: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["cert", "issue", "--ca", str(ca), "--profile", "person", "--subject", "CN=x,C=CN", "--no-key-password"]
    out = ["--out", str(tmp_path / "x.pem")]
    cases = [
        ([*base, *out], "password_needed"),  # the CA key is encrypted
        ([*base, "--ca-password-env", "NO_SUCH_VARIABLE_X", *out], "usage_error"),
        (["cert", "issue", "--ca", str(ca), "--profile", "tls-server", "--subject", "CN=x", "--no-key-password",
          "--ca-password-env", PW_ENV, *out], "usage_error"),  # TLS needs --dns
        ([*base, "--ca-password-env", PW_ENV, "--days", "99999", *out], "usage_error"),  # outlives the CA
        (["cert", "issue", "--ca", str(tmp_path), "--profile", "person", "--subject", "CN=x", *out],
         "file_not_found"),  # not a CA directory
        ([*base, "--ca-password-env", PW_ENV, "--subject", "CN", *out], "invalid_subject"),
    ]
    for args, code in cases:
        assert main([*args, "--json"]) == 2, args
        assert out_json(capsys)["error"]["code"] == code, args  # type: ignore[index]
        assert not (tmp_path / "x.pem").exists()


def test_crl_distribution_points(tmp_path: Path) -> None:
    ca = tmp_path / "ca"
    assert main(["ca", "init", str(ca), "--no-key-password", "--crl-base-url", "http://crl.example.cn/ca/"]) == 0
    intermediate = Certificate.load((ca / "intermediate.cert.pem").read_bytes())
    assert intermediate.crl_distribution_points == ("http://crl.example.cn/ca/root.crl",)
    base = ["cert", "issue", "--ca", str(ca), "--profile", "person", "--subject", "CN=x,C=CN", "--no-key-password"]
    assert main([*base, "--out", str(tmp_path / "a.pem")]) == 0
    leaf = Certificate.load((tmp_path / "a.pem").read_bytes())
    assert leaf.crl_distribution_points == ("http://crl.example.cn/ca/intermediate.crl",)
    assert main([*base, "--crl-url", "http://other.example/x.crl", "--out", str(tmp_path / "b.pem")]) == 0
    other = Certificate.load((tmp_path / "b.pem").read_bytes())
    assert other.crl_distribution_points == ("http://other.example/x.crl",)


def test_cert_show(ca: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cert = issue(ca, tmp_path / "tls.pem", "tls-server", "CN=www.example.cn,O=示例单位,C=CN", "--dns", "www.example.cn")
    capsys.readouterr()
    assert main(["cert", "show", str(tmp_path / "tls.pem")]) == 0
    text = capsys.readouterr().out
    assert "CN=www.example.cn,O=示例单位,C=CN" in text  # CJK shown as is
    assert format(cert.serial_number, "x") in text and "SM2" in text and "serverAuth" in text
    assert cert.fingerprint("sm3").hex() in text and cert.fingerprint("sha256").hex() in text
    assert main(["cert", "show", str(ca / "chain.pem"), "--json"]) == 0
    shown = out_json(capsys)["certificates"]
    assert isinstance(shown, list) and len(shown) == 2
    assert shown[0]["is_ca"] is True and shown[0]["path_length"] == 0
    assert shown[1]["self_issued"] is True and shown[1]["key_usage"] == ["crl_sign", "key_cert_sign"]
    der = tmp_path / "c.der"
    der.write_bytes(cert.der)
    assert main(["cert", "show", str(der), "--json"]) == 0
    assert out_json(capsys)["certificates"][0]["fingerprint_sm3"] == cert.fingerprint("sm3").hex()  # type: ignore[index]


def test_cert_verify_failures(ca: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaf = tmp_path / "tls.pem"
    issue(ca, leaf, "tls-server", "CN=www.example.cn,C=CN", "--dns", "www.example.cn")
    trust = ["--trust", str(ca / "root.cert.pem")]
    chain = ["--untrusted", str(ca / "intermediate.cert.pem")]
    capsys.readouterr()
    cases = [
        ([*trust, *chain, "--purpose", "ca"], "wrong_key_usage"),
        ([*trust, *chain, "--purpose", "timestamping"], "wrong_extended_key_usage"),
        ([*trust, *chain, "--at", "2099-01-01T00:00:00Z"], "expired"),
        ([*trust, *chain, "--at", "2001-01-01"], "not_yet_valid"),
        ([*trust], "no_path"),
        ([*trust, *chain, "--require-revocation"], "revocation_unknown"),
    ]
    for args, code in cases:
        assert main(["cert", "verify", str(leaf), *args]) == 1, args
        text = capsys.readouterr().out
        assert text.startswith("invalid:") and f"  {code}: " in text, (args, text)
        assert main(["cert", "verify", str(leaf), *args, "--json"]) == 1
        result = out_json(capsys)
        assert result["ok"] is False and result["valid"] is False
        assert code in [f["code"] for f in result["failures"]]  # type: ignore[union-attr]
    # Another CA's root is not trusted for this leaf.
    other = make_ca(tmp_path / "other")
    assert main(["cert", "verify", str(leaf), "--trust", str(other / "root.cert.pem"), *chain]) == 1
    # A bundle CERT file carries its own intermediates.
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(leaf.read_bytes() + (ca / "intermediate.cert.pem").read_bytes())
    capsys.readouterr()
    assert main(["cert", "verify", str(bundle), *trust, "--purpose", "tls-server", "--json"]) == 0
    result = out_json(capsys)
    assert result["valid"] is True and len(result["path"]) == 3  # type: ignore[arg-type]


def test_bad_time_and_files_exit_2(ca: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(ca / "root.cert.pem")
    (tmp_path / "junk.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
    der = Certificate.load((ca / "root.cert.pem").read_bytes()).der
    (tmp_path / "trailing.der").write_bytes(der + b"\x00")
    (tmp_path / "truncated.der").write_bytes(der[:-10])
    for args in (["cert", "verify", root, "--trust", root, "--at", "yesterday"],
                 ["cert", "show", str(tmp_path / "junk.pem")],
                 ["cert", "show", str(tmp_path / "trailing.der")],
                 ["cert", "show", str(tmp_path / "truncated.der")],
                 ["cert", "verify", str(tmp_path / "truncated.der"), "--trust", root],
                 ["crl", "show", str(tmp_path / "truncated.der")],
                 ["csr", "show", str(tmp_path / "trailing.der")],
                 ["csr", "show", str(tmp_path / "junk.pem")],
                 ["cert", "issue", "--ca", str(tmp_path), "--profile", "person", "--subject", "CN=x",
                  "--out", str(tmp_path / "o.pem")],
                 ["cert", "show", str(tmp_path / "missing.pem")]):
        assert main([*args, "--json"]) == 2, args
        error = out_json(capsys)["error"]
        assert error["code"] in ("usage_error", "decode_error", "file_not_found"), (args, error)  # type: ignore[index]


# ---- csr -------------------------------------------------------------------------------------------


def test_csr_new_show(tmp_path: Path, password_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "k.pem"
    assert main(["key", "gen", "--out", str(key), "--password-env", PW_ENV]) == 0
    req = tmp_path / "req.pem"
    assert main(["csr", "new", "--key", str(key), "--subject", "CN=李四,O=示例单位,C=CN", "--out", str(req)]) == 2
    assert "encrypted" in capsys.readouterr().err  # the key needs its password
    assert main(["csr", "new", "--key", str(key), "--password-env", PW_ENV, "--subject", "CN=李四,O=示例单位,C=CN",
                 "--dns", "a.example.cn", "--out", str(req)]) == 0
    request = CertificateRequest.load(req.read_bytes())
    request.verify_self_signature_vartime()
    assert request.subject_text == "CN=李四,O=示例单位,C=CN" and request.dns_names == ("a.example.cn",)
    capsys.readouterr()
    assert main(["csr", "show", str(req), "--json"]) == 0
    shown = out_json(capsys)
    assert shown["signature_valid"] is True and shown["subject"] == "CN=李四,O=示例单位,C=CN"
    # Flip a bit in the signature (the last byte of the DER): the self-signature fails, exit 1.
    bad = tmp_path / "bad.der"
    bad.write_bytes(request.der[:-1] + bytes([request.der[-1] ^ 1]))
    assert main(["csr", "show", str(bad)]) == 1
    assert "INVALID" in capsys.readouterr().out


# ---- crl -------------------------------------------------------------------------------------------


def test_crl_issue_show_and_revoked_verdict(ca: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaf = tmp_path / "seal.pem"
    cert = issue(ca, leaf, "seal-signer", "CN=示例单位,O=示例单位,C=CN")
    serial = format(cert.serial_number, "x")
    out = tmp_path / "int.crl"
    base = ["crl", "issue", "--ca", str(ca), "--ca-password-env", PW_ENV]
    assert main([*base, "--revoke", "abcdef", "--out", str(out)]) == 2  # not issued by this CA
    assert main([*base, "--revoke", f"{serial}:bogusReason", "--out", str(out)]) == 2
    assert not out.exists()
    assert main([*base, "--revoke", f"{serial}:keyCompromise", "--out", str(out)]) == 0
    crl = CertificateRevocationList.load(out.read_bytes())
    assert crl.der == CertificateRevocationList.load((ca / "intermediate.crl.pem").read_bytes()).der
    assert crl.crl_number == 2
    entry = crl.find(cert.serial_number)
    assert entry is not None and entry.reason is not None and entry.reason.name.lower() == "key_compromise"
    # The next CRL keeps the revocation and counts on.
    assert main([*base]) == 0
    again = CertificateRevocationList.load((ca / "intermediate.crl.pem").read_bytes())
    assert again.crl_number == 3 and again.find(cert.serial_number) is not None
    capsys.readouterr()

    assert main(["crl", "show", str(out), "--issuer", str(ca / "intermediate.cert.pem")]) == 0
    text = capsys.readouterr().out
    assert serial in text and "signature    valid" in text
    assert main(["crl", "show", str(out), "--issuer", str(ca / "root.cert.pem"), "--json"]) == 1
    assert out_json(capsys)["signature_valid"] is False

    verify = ["cert", "verify", str(leaf), "--trust", str(ca / "root.cert.pem"), "--untrusted",
              str(ca / "intermediate.cert.pem"), "--crl", str(out)]
    assert main(verify) == 1
    text = capsys.readouterr().out
    assert "revoked" in text and "key" in text.lower()
    # The root's CRL: revoke the intermediate.
    intermediate = Certificate.load((ca / "intermediate.cert.pem").read_bytes())
    assert main(["crl", "issue", "--ca", str(ca), "--root", "--ca-password-env", PW_ENV, "--revoke",
                 f"{format(intermediate.serial_number, 'x')}:cACompromise"]) == 0
    root_crl = CertificateRevocationList.load((ca / "root.crl.pem").read_bytes())
    assert root_crl.crl_number == 2 and root_crl.find(intermediate.serial_number) is not None


def test_revocation_flow_end_to_end(tmp_path: Path) -> None:
    """Subprocess: ca init -> cert issue -> crl issue --revoke -> cert verify exits 1 saying 'revoked'."""
    env = {PW_ENV: PASSWORD}
    ca = tmp_path / "ca"
    steps = [
        ["ca", "init", str(ca), "--name", ROOT_NAME, "--key-password-env", PW_ENV],
        ["cert", "issue", "--ca", str(ca), "--profile", "seal-signer", "--subject", "CN=示例单位,O=示例单位,C=CN",
         "--ca-password-env", PW_ENV, "--key-password-env", PW_ENV, "--out", str(tmp_path / "seal.pem")],
    ]
    for step in steps:
        result = run_cli(*step, env=env)
        no_traceback(result)
        assert result.returncode == 0, result.stderr.decode()
    verify = ["cert", "verify", str(tmp_path / "seal.pem"), "--trust", str(ca / "root.cert.pem"),
              "--untrusted", str(ca / "intermediate.cert.pem"), "--crl", str(ca / "intermediate.crl.pem"),
              "--purpose", "seal-signing"]
    assert run_cli(*verify).returncode == 0
    shown = run_cli("cert", "show", str(tmp_path / "seal.pem"), "--json")
    serial = json.loads(shown.stdout)["certificates"][0]["serial_number"]
    revoke = run_cli("crl", "issue", "--ca", str(ca), "--ca-password-env", PW_ENV, "--revoke",
                     f"{serial}:keyCompromise", "--out", str(tmp_path / "new.crl"), env=env)
    assert revoke.returncode == 0, revoke.stderr.decode()
    result = run_cli(*verify, "--json")
    no_traceback(result)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False and "revoked" in [f["code"] for f in report["failures"]]
    text = run_cli(*verify)
    assert text.returncode == 1 and b"revoked" in text.stdout and text.stderr == b""


@pytest.mark.parametrize("args", [
    ["cert", "verify", "junk.pem", "--trust", "junk.pem"],
    ["crl", "show", "junk.pem"],
    ["cms", "verify", "junk.pem"],
    ["ts", "verify", "junk.pem", "--data", "junk.pem", "--tsa-cert", "junk.pem"],
    ["ca", "init", "."],
])
def test_bad_input_is_one_clean_line(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "junk.pem").write_bytes(b"this is not a certificate\n")
    result = run_cli(*args, cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 2, result.stderr.decode()
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trustkit: error: "), lines


@pytest.mark.parametrize("args", [["ca"], ["cert"], ["cert", "issue"], ["crl", "issue"], ["cms", "sign"],
                                  ["ts", "stamp"], ["cert", "verify", "x.pem", "--purpose", "nonsense"]])
def test_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert "usage: trustkit" in capsys.readouterr().err


# ---- cms --------------------------------------------------------------------------------------------


@pytest.fixture()
def signer(ca: Path, tmp_path: Path) -> tuple[Path, Path]:
    cert = tmp_path / "signer.pem"
    issue(ca, cert, "seal-signer", "CN=示例单位,O=示例单位,C=CN")
    return tmp_path / "signer.key.pem", cert


@pytest.mark.parametrize("oids", ["gm", "rfc"])
@pytest.mark.parametrize("detached", [False, True])
def test_cms_sign_verify(ca: Path, signer: tuple[Path, Path], tmp_path: Path, oids: str, detached: bool,
                         capsys: pytest.CaptureFixture[str]) -> None:
    key, cert = signer
    data = tmp_path / "doc.txt"
    data.write_bytes("电子证照 licence 3301XX-2026-000123\n".encode())
    p7s = tmp_path / "doc.p7s"
    args = ["cms", "sign", "--key", str(key), "--password-env", PW_ENV, "--cert", str(cert), "--oids", oids,
            str(data), "--out", str(p7s)]
    assert main([*args, *(["--detached"] if detached else [])]) == 0
    content = ["--content", str(data)] if detached else []
    trust = ["--trust", str(ca / "root.cert.pem"), "--untrusted", str(ca / "intermediate.cert.pem")]
    capsys.readouterr()
    assert main(["cms", "verify", str(p7s), *content, *trust, "--json"]) == 0
    result = out_json(capsys)
    assert result["valid"] is True and result["chain_checked"] is True
    assert result["content_bytes"] == len(data.read_bytes())
    assert result["signer"]["subject"] == "CN=示例单位,O=示例单位,C=CN"  # type: ignore[index]
    assert main(["cms", "verify", str(p7s), *content]) == 0
    assert "NOT checked" in capsys.readouterr().out
    assert main([*args, "--out", "-", "--json"]) == 0  # DER inside the JSON object
    assert base64.b64decode(str(out_json(capsys)["cms_base64"]))[:1] == b"\x30"
    # Tampered content, or the wrong detached data: exit 1.
    if detached:
        other = tmp_path / "other.txt"
        other.write_bytes(b"something else")
        assert main(["cms", "verify", str(p7s), "--content", str(other)]) == 1
    else:
        blob = bytearray(p7s.read_bytes())
        index = bytes(blob).find(b"licence")
        blob[index] ^= 1
        bad = tmp_path / "bad.p7s"
        bad.write_bytes(bytes(blob))
        assert main(["cms", "verify", str(bad)]) == 1
        extracted = tmp_path / "content.out"
        assert main(["cms", "verify", str(p7s), "--out", str(extracted)]) == 0
        assert extracted.read_bytes() == data.read_bytes()
    # A root that did not issue the signer: the signature is intact, the chain is not.
    other_ca = make_ca(tmp_path / "other")
    capsys.readouterr()
    assert main(["cms", "verify", str(p7s), *content, "--trust", str(other_ca / "root.cert.pem")]) == 1
    assert "does not validate" in capsys.readouterr().out


def test_cms_end_to_end_subprocess(ca: Path, signer: tuple[Path, Path], tmp_path: Path) -> None:
    key, cert = signer
    data = tmp_path / "doc.txt"
    data.write_bytes(b"hello cms")
    env = {PW_ENV: PASSWORD}
    signed = run_cli("cms", "sign", "--key", str(key), "--password-env", PW_ENV, "--cert", str(cert),
                     str(data), "--out", str(tmp_path / "doc.p7s"), "--json", env=env)
    no_traceback(signed)
    assert signed.returncode == 0 and json.loads(signed.stdout)["ok"] is True
    verified = run_cli("cms", "verify", str(tmp_path / "doc.p7s"), "--trust", str(ca / "root.cert.pem"),
                       "--untrusted", str(ca / "chain.pem"))
    assert verified.returncode == 0 and verified.stdout.startswith("valid: CMS signature by CN=示例单位".encode())
    missing = run_cli("cms", "sign", "--key", str(key), "--cert", str(cert), str(data), "--out",
                      str(tmp_path / "x.p7s"))
    no_traceback(missing)
    assert missing.returncode == 2 and b"encrypted" in missing.stderr


# ---- timestamps --------------------------------------------------------------------------------------


@pytest.fixture()
def tsa(ca: Path, tmp_path: Path) -> tuple[Path, Path]:
    cert = tmp_path / "tsa.pem"
    issue(ca, cert, "timestamping", "CN=示例时间戳服务,O=示例,C=CN")
    return tmp_path / "tsa.key.pem", cert


def test_ts_stamp_verify(ca: Path, tsa: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, cert = tsa
    data = tmp_path / "doc.txt"
    data.write_bytes(b"timestamp me")
    token = tmp_path / "doc.tsr"
    env = {PW_ENV: PASSWORD}
    stamped = run_cli("ts", "stamp", "--tsa-key", str(key), "--password-env", PW_ENV, "--tsa-cert", str(cert),
                      str(data), "--out", str(token), env=env)
    no_traceback(stamped)
    assert stamped.returncode == 0, stamped.stderr.decode()
    verified = run_cli("ts", "verify", str(token), "--data", str(data), "--tsa-cert", str(cert), "--json")
    assert verified.returncode == 0, verified.stdout
    info = json.loads(verified.stdout)
    assert info["valid"] is True and info["hash_algorithm"] in ("sm3", "1.2.156.10197.1.401")
    assert main(["ts", "verify", str(token), "--data", str(data), "--trust", str(ca / "root.cert.pem"),
                 "--untrusted", str(ca / "intermediate.cert.pem")]) == 0
    capsys.readouterr()
    # A TSA from a root we do not trust: the token is intact, its certificate path is not.
    stranger = make_ca(tmp_path / "stranger")
    capsys.readouterr()
    assert main(["ts", "verify", str(token), "--data", str(data), "--trust", str(stranger / "root.cert.pem"),
                 "--json"]) == 1
    refused = out_json(capsys)
    assert refused["valid"] is False and refused["error"]["code"] == "no_path"  # type: ignore[index]
    other = tmp_path / "other.txt"
    other.write_bytes(b"not the stamped data")
    assert main(["ts", "verify", str(token), "--data", str(other), "--tsa-cert", str(cert)]) == 1
    assert capsys.readouterr().out.startswith("invalid:")
    # A certificate without the timeStamping EKU cannot run a TSA.
    seal = tmp_path / "seal.pem"
    issue(ca, seal, "seal-signer", "CN=not a TSA,C=CN")
    assert main(["ts", "stamp", "--tsa-key", str(tmp_path / "seal.key.pem"), "--password-env", PW_ENV,
                 "--tsa-cert", str(seal), str(data), "--out", str(tmp_path / "x.tsr")]) == 2
    assert main(["ts", "stamp", str(data), "--out", str(tmp_path / "y.tsr")]) == 2  # neither TSA nor URL


# ---- OpenSSL sanity checks -------------------------------------------------------------------------------


@pytest.mark.interop
def test_openssl_reads_cli_output(openssl: str, tmp_path: Path) -> None:
    """OpenSSL 3.0 needs the SM2 distinguishing ID for verification: -vfyopt distid:1234567812345678
    (``openssl verify`` and ``openssl req -verify``); parsing needs no flag."""
    ca = tmp_path / "ca"
    assert main(["ca", "init", str(ca), "--name", ROOT_NAME, "--no-key-password"]) == 0
    leaf = tmp_path / "seal.pem"
    assert main(["cert", "issue", "--ca", str(ca), "--profile", "seal-signer", "--subject",
                 "CN=示例单位,O=示例单位,C=CN", "--no-key-password", "--out", str(leaf)]) == 0
    # openssl x509 -text -noout -in seal.pem
    text = subprocess.run([openssl, "x509", "-text", "-noout", "-in", str(leaf)], capture_output=True, timeout=30)
    assert text.returncode == 0, text.stderr
    assert b"SM2-with-SM3" in text.stdout or b"sm2sign-with-sm3" in text.stdout.lower()
    # OpenSSL 3.0.19 applies -vfyopt distid:... only to the certificate named on the command line: the
    # intermediate's signature inside "-untrusted" is then checked with the EMPTY SM2 ID and fails
    # ("error 7 at 1 depth lookup: certificate signature failure"). So each link is checked on its own:
    #   openssl verify -CAfile root.cert.pem -vfyopt distid:1234567812345678 intermediate.cert.pem
    #   openssl verify -CAfile root+intermediate.pem -partial_chain -vfyopt distid:1234567812345678 seal.pem
    both = tmp_path / "both.pem"
    both.write_bytes((ca / "root.cert.pem").read_bytes() + (ca / "intermediate.cert.pem").read_bytes())
    for args in (["-CAfile", str(ca / "root.cert.pem"), str(ca / "intermediate.cert.pem")],
                 ["-CAfile", str(both), "-partial_chain", str(leaf)]):
        verify = subprocess.run([openssl, "verify", "-vfyopt", "distid:1234567812345678", *args],
                                capture_output=True, timeout=30)
        assert verify.returncode == 0 and verify.stdout.strip().endswith(b"OK"), verify.stdout + verify.stderr
    # openssl crl -in intermediate.crl.pem -text -noout
    crl = subprocess.run([openssl, "crl", "-in", str(ca / "intermediate.crl.pem"), "-text", "-noout"],
                         capture_output=True, timeout=30)
    assert crl.returncode == 0 and b"Certificate Revocation List" in crl.stdout
    # openssl req -in req.pem -verify -noout -vfyopt distid:1234567812345678
    req = tmp_path / "req.pem"
    assert main(["csr", "new", "--key", str(tmp_path / "seal.key.pem"), "--subject", "CN=x,C=CN",
                 "--out", str(req)]) == 0
    checked = subprocess.run([openssl, "req", "-in", str(req), "-verify", "-noout", "-vfyopt",
                              "distid:1234567812345678"], capture_output=True, timeout=30)
    assert checked.returncode == 0 and b"verify OK" in (checked.stdout + checked.stderr)
    # And the other way round: a certificate made by OpenSSL shows and validates with our CLI.
    key = tmp_path / "os.key"
    subprocess.run([openssl, "genpkey", "-algorithm", "SM2", "-out", str(key)], check=True, capture_output=True)
    os_root = tmp_path / "os-root.pem"
    subprocess.run([openssl, "req", "-x509", "-new", "-key", str(key), "-sm3", "-sigopt", "distid:1234567812345678",
                    "-subj", "/CN=OpenSSL Root", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", str(os_root)],
                   check=True, capture_output=True)
    assert main(["cert", "show", str(os_root)]) == 0
    assert main(["cert", "verify", str(os_root), "--trust", str(os_root), "--purpose", "ca"]) == 0


def test_ts_url_and_response_files(ca: Path, tsa: tuple[Path, Path], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``ts stamp --url`` against a real HTTP TSA on 127.0.0.1, and ``ts verify`` of a TimeStampResp file."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from trustkit.pki.timestamp import TimestampAuthority, make_request

    key, cert = tsa
    authority = TimestampAuthority(sm2.load_private_key(key.read_bytes(), PASSWORD.encode()),
                                   Certificate.load(cert.read_bytes()), policy_oid="2.999.1")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = authority.respond(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        data = tmp_path / "doc.txt"
        data.write_bytes(b"stamp me over http")
        url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
        token = tmp_path / "doc.tsr"
        assert main(["ts", "stamp", "--url", url, str(data), "--out", str(token)]) == 2  # no way to trust the answer
        assert main(["ts", "stamp", "--url", url, "--trust", str(ca / "root.cert.pem"), "--untrusted",
                     str(ca / "intermediate.cert.pem"), str(data), "--out", str(token), "--json"]) == 0
        assert out_json(capsys)["policy"] == "2.999.1"
        assert main(["ts", "verify", str(token), "--data", str(data), "--tsa-cert", str(cert)]) == 0
    finally:
        server.shutdown()
        server.server_close()
    # A whole TimeStampResp (what 'openssl ts -reply' and TSAs return) is accepted by ts verify too.
    response = tmp_path / "doc.resp"
    response.write_bytes(authority.respond(make_request(data.read_bytes())))
    capsys.readouterr()
    assert main(["ts", "verify", str(response), "--data", str(data), "--tsa-cert", str(cert)]) == 0
    assert capsys.readouterr().out.startswith("valid:")


def test_password_file_encrypted_key_and_stdout(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """--key-password-file for ca init, an encrypted --key for cert issue, and 'crl issue --out -'."""
    pw = tmp_path / "pw.txt"
    pw.write_bytes(b"file password\n")  # the first line is the password
    ca = tmp_path / "ca"
    assert main(["ca", "init", str(ca), "--key-password-file", str(pw)]) == 0
    sm2.load_private_key((ca / "root.key.pem").read_bytes(), b"file password")
    key = tmp_path / "k.pem"
    assert main(["key", "gen", "--out", str(key), "--password-file", str(pw)]) == 0
    base = ["cert", "issue", "--ca", str(ca), "--profile", "person", "--subject", "CN=Bob,C=CN", "--key", str(key),
            "--ca-password-file", str(pw), "--out", str(tmp_path / "bob.pem")]
    assert main(base) == 2  # the subject's key is encrypted too
    assert main([*base, "--password-file", str(pw)]) == 0
    capsysbinary.readouterr()
    assert main(["crl", "issue", "--ca", str(ca), "--ca-password-file", str(pw), "--out", "-"]) == 0
    printed = capsysbinary.readouterr().out
    assert printed.startswith(b"-----BEGIN X509 CRL-----")  # only the CRL, no report mixed in
    assert CertificateRevocationList.load(printed).crl_number == 2
    assert main(["crl", "issue", "--ca", str(ca), "--ca-password-file", str(pw), "--out", "-", "--json"]) == 2
    assert main(["cert", "issue", "--ca", str(ca), "--profile", "person", "--subject", "CN=x", "--no-key-password",
                 "--ca-password-file", str(tmp_path / "k.pem"), "--out", str(tmp_path / "x.pem")]) == 2  # wrong pw


def test_root_crl_revokes_the_intermediate(ca: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaf = tmp_path / "p.pem"
    issue(ca, leaf, "person", "CN=张三,C=CN")
    verify = ["cert", "verify", str(leaf), "--trust", str(ca / "root.cert.pem"), "--untrusted", str(ca / "chain.pem"),
              "--crl", str(ca / "intermediate.crl.pem"), "--crl", str(ca / "root.crl.pem"), "--require-revocation"]
    capsys.readouterr()
    assert main(verify) == 0
    assert "revocation checked" in capsys.readouterr().out
    intermediate = Certificate.load((ca / "intermediate.cert.pem").read_bytes())
    assert main(["crl", "issue", "--ca", str(ca), "--root", "--ca-password-env", PW_ENV,
                 "--revoke", f"0x{intermediate.serial_number:x}/cACompromise"]) == 0
    capsys.readouterr()
    assert main([*verify, "--json"]) == 1
    failures = out_json(capsys)["failures"]
    assert [(f["code"], f["subject"]) for f in failures] == [("revoked", intermediate.subject_text)]  # type: ignore[union-attr]


def test_cms_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A P-256 CA (RFC OIDs by default), --chain, --no-signed-attributes, and --oids gm refused for ECDSA."""
    ca = tmp_path / "ca"
    assert main(["ca", "init", str(ca), "--no-key-password", "--algorithm", "p256"]) == 0
    cert = tmp_path / "s.pem"
    assert main(["cert", "issue", "--ca", str(ca), "--profile", "person", "--subject", "CN=Signer,C=CN",
                 "--no-key-password", "--out", str(cert)]) == 0
    data = tmp_path / "d"
    data.write_bytes(b"data")
    p7s = tmp_path / "d.p7s"
    sign = ["cms", "sign", "--key", str(tmp_path / "s.key.pem"), "--cert", str(cert), str(data), "--out", str(p7s)]
    capsys.readouterr()
    assert main([*sign, "--chain", str(ca / "intermediate.cert.pem"), "--json"]) == 0
    assert out_json(capsys)["oids"] == "rfc" and main([*sign, "--force", "--oids", "gm"]) == 2
    capsys.readouterr()
    # The intermediate travels in the message: the root alone is enough to validate.
    assert main(["cms", "verify", str(p7s), "--trust", str(ca / "root.cert.pem"), "--json"]) == 0
    result = out_json(capsys)
    assert result["signature_algorithm"] == "1.2.840.10045.4.3.2" and result["chain"]["valid"] is True  # type: ignore[index]
    assert main([*sign, "--force", "--no-signed-attributes"]) == 0
    capsys.readouterr()
    assert main(["cms", "verify", str(p7s), "--trust", str(ca / "root.cert.pem"), "--untrusted",
                 str(ca / "intermediate.cert.pem"), "--json"]) == 0
    assert out_json(capsys)["signing_time"] is None  # no signed attributes, no signingTime


def test_real_vendor_certificates(capsys: pytest.CaptureFixture[str]) -> None:
    """Certificates and CRLs made by other software (vectors/pki/SOURCES.md) through the CLI."""
    from vectors import vector_path

    chain = str(vector_path("pki", "tongsuo", "chain-ca.crt"))
    assert main(["cert", "show", chain, "--json"]) == 0
    assert [c["is_ca"] for c in out_json(capsys)["certificates"]] == [True, True]  # type: ignore[union-attr]
    root, oca = (str(vector_path("pki", "gmssl", name)) for name in ("CFCA_EV_SM2_ROOT.cer", "CFCA_EV_SM2_OCA.cer"))
    assert main(["cert", "verify", oca, "--trust", root, "--at", "2026-01-01T00:00:00Z", "--purpose", "ca"]) == 0
    assert capsys.readouterr().out.startswith("valid: CN=CFCA EV SM2 OCA")
    expired = str(vector_path("pki", "tongsuo", "client_sign_expire.crt"))
    assert main(["cert", "verify", expired, "--trust", chain, "--at", "2026-01-01T00:00:00Z", "--json"]) == 1
    assert "expired" in [f["code"] for f in out_json(capsys)["failures"]]  # type: ignore[union-attr]
    # Signed over SM3(TBS) without Z (Tongsuo's sm2-noza): refused, with a specific code.
    noza, noza_root = (str(vector_path("pki", "tongsuo", n)) for n in ("sm2-noza-cert.pem", "sm2-noza-root-cert.pem"))
    capsys.readouterr()
    assert main(["cert", "verify", noza, "--trust", noza_root, "--json"]) == 1
    codes = [f["code"] for f in out_json(capsys)["failures"]]  # type: ignore[union-attr]
    assert codes and set(codes) <= {"signature_without_z", "bad_signature"}
    crl, crl_root = (str(vector_path("pki", "gmssl", n)) for n in ("nrcac-ROOTCA.crl", "nrcac-ROOTCA.pem"))
    assert main(["crl", "show", crl, "--issuer", crl_root, "--json"]) == 0
    shown = out_json(capsys)
    assert shown["signature_valid"] is True and len(shown["revoked"]) == 18  # type: ignore[arg-type]
