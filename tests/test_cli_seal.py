"""The seal commands: seal render|make|show|verify.

The PKI (root, issuing CA, a seal maker and a seal signer) is made with the CLI itself
(``ca init``, ``cert issue``) once per module.  Most tests call ``main()`` in-process; a few
run ``python -m trustkit_cli`` in a subprocess so that nothing could hide a traceback.
Exit codes: 0 valid/success, 1 invalid, 2 usage or input error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image
from trustkit_cli.main import main

from trustkit.pki.certificate import Certificate
from trustkit.seal.ses import parse_seal

ORG = "某某市市场监督管理局"
SEAL_NAME = "某某市市场监督管理局合同专用章"
ESID = "33010000000001"
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "seal" / "ofdrw"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "TRUSTKIT_DEBUG"}
    return subprocess.run([sys.executable, "-m", "trustkit_cli", *args], check=False, capture_output=True, cwd=cwd, env=env,
                          input=b"", timeout=120)


def out_json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


class PKI:
    """Files of a CLI-made CA with a seal-maker and a seal-signer certificate (keys unencrypted)."""

    def __init__(self, root: Path) -> None:
        self.dir = root
        self.ca = root / "ca"
        self.root_cert = self.ca / "root.cert.pem"
        self.chain = self.ca / "chain.pem"
        self.maker_cert, self.maker_key = root / "maker.pem", root / "maker.key.pem"
        self.signer_cert, self.signer_key = root / "signer.pem", root / "signer.key.pem"


def make_pki(root: Path) -> PKI:
    pki = PKI(root)
    root.mkdir(exist_ok=True)
    assert main(["ca", "init", str(pki.ca), "--name", "示例政务根CA", "--no-key-password"]) == 0
    for profile, subject, out in (
        ("seal-maker", "CN=某某市公安局印章制作系统,O=某某市公安局,C=CN", pki.maker_cert),
        ("seal-signer", f"CN={ORG},O={ORG},C=CN", pki.signer_cert),
    ):
        assert main(["cert", "issue", "--ca", str(pki.ca), "--profile", profile, "--subject", subject,
                     "--no-key-password", "--out", str(out)]) == 0
    return pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return make_pki(tmp_path_factory.mktemp("seal-pki"))


@pytest.fixture(scope="module")
def seal_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seal-png") / "seal.png"
    assert main(["seal", "render", "--kind", "round", "--org", ORG, "--name", "合同专用章", "--code",
                 "3301000012345", "--out", str(path)]) == 0
    return path


def make_args(pki: PKI, out: Path, *extra: str) -> list[str]:
    return ["seal", "make", "--maker-key", str(pki.maker_key), "--maker-cert", str(pki.maker_cert),
            "--signer-cert", str(pki.signer_cert), "--name", SEAL_NAME, "--esid", ESID, "--out", str(out), *extra]


@pytest.fixture(scope="module")
def seal_file(pki: PKI, seal_png: Path) -> Path:
    out = pki.dir / "seal.esl"
    assert main(make_args(pki, out, "--picture", str(seal_png))) == 0
    return out


# ---- render ------------------------------------------------------------------------------------


def test_render_round_png_true_size(seal_png: Path) -> None:
    with Image.open(seal_png) as image:
        assert image.format == "PNG" and image.mode == "RGBA"
        assert image.size == (round(42 / 25.4 * 300),) * 2  # 496 px: 42 mm at 300 dpi
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert image.getpixel((0, 0))[3] == 0  # transparent outside the ring
        colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    red = [(n, c) for n, c in colours if c[3] == 255 and c[0] > 200 and c[1] < 40 and c[2] < 40]
    assert sum(n for n, _ in red) > 10_000  # ring, star and lettering in red


def test_render_dpi_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "name.png"
    assert main(["seal", "render", "--kind", "square", "--name", "张三之印", "--size-mm", "20", "--dpi", "600",
                 "--out", str(out), "--json"]) == 0
    info = out_json(capsys)
    assert info["ok"] and info["kind"] == "square" and info["width_mm"] == 20 and info["file"] == str(out)
    with Image.open(out) as image:
        assert image.size == (472, 472) == (info["width_px"], info["height_px"])  # 20 mm at 600 dpi
        assert image.info["dpi"] == pytest.approx((600, 600), abs=0.01)


def test_render_oval_svg_in_mm(tmp_path: Path) -> None:
    out = tmp_path / "finance.svg"
    assert main(["seal", "render", "--kind", "oval", "--org", "某某科技有限公司", "--out", str(out)]) == 0
    root = etree.fromstring(out.read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("width"), root.get("height")) == ("45mm", "30mm")
    assert "财务专用章" in out.read_text(encoding="utf-8")  # the default oval seal name, in the <title>
    assert root.findall(".//{http://www.w3.org/2000/svg}path")  # lettering as outlines


@pytest.mark.parametrize("args, needle", [
    (["--kind", "round", "--out", "x.png"], "needs --org"),
    (["--org", ORG, "--out", "x.jpg"], "name it .png or .svg"),
    (["--org", ORG, "--code", "12345", "--out", "x.png"], "13-digit"),
    (["--kind", "square", "--org", ORG, "--out", "x.png"], "not --org"),
    (["--kind", "square", "--name", "张", "--out", "x.png"], "2 to 4 characters"),
    (["--org", ORG, "--size-mm", "5", "--out", "x.png"], "between 20 and 80"),
    (["--org", ORG, "--dpi", "0", "--out", "x.png"], "positive"),
    (["--org", ORG, "--height-mm", "30", "--out", "x.png"], "oval seals only"),
])
def test_render_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str) -> None:
    argv = ["seal", "render", *[str(tmp_path / a) if a.startswith("x.") else a for a in args], "--json"]
    assert main(argv) == 2
    error = out_json(capsys)["error"]
    assert isinstance(error, dict) and needle in error["message"]
    assert not list(tmp_path.iterdir())  # nothing written


def test_render_refuses_to_overwrite(seal_png: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.png"
    out.write_bytes(b"keep")
    assert main(["seal", "render", "--org", ORG, "--out", str(out)]) == 2
    assert out.read_bytes() == b"keep"
    assert main(["seal", "render", "--org", ORG, "--out", str(out), "--force"]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")


# ---- make / show / verify ----------------------------------------------------------------------


def test_make_show_verify(pki: PKI, seal_file: Path, seal_png: Path, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    seal = parse_seal(seal_file.read_bytes())
    assert (seal.version, seal.esid, seal.name, seal.seal_type) == (4, ESID, SEAL_NAME, 1)
    assert seal.signer_certificates == (Certificate.load(pki.signer_cert.read_bytes()),)
    assert (seal.picture.type, seal.picture.width_mm, seal.picture.height_mm) == ("PNG", 42, 42)
    assert round((seal.valid_end - seal.valid_start).total_seconds() / 86400) == 1095
    assert oct(seal_file.stat().st_mode & 0o777) == "0o644"

    picture = tmp_path / "picture.png"
    assert main(["seal", "show", str(seal_file), "--picture-out", str(picture), "--json"]) == 0
    info = out_json(capsys)
    assert picture.read_bytes() == seal_png.read_bytes()
    assert info["esid"] == ESID and info["version"] == 4 and info["type"] == 1
    assert info["picture"] == {"type": "PNG", "width_mm": 42, "height_mm": 42, "bytes": len(seal_png.read_bytes()),
                               "width_px": 496, "height_px": 496}
    assert [c["subject"] for c in info["signer_certificates"]] == [f"CN={ORG},O={ORG},C=CN"]  # type: ignore[index,union-attr]
    assert "印章制作系统" in info["maker_certificate"]["subject"]  # type: ignore[index]

    assert main(["seal", "show", str(seal_file)]) == 0
    text = capsys.readouterr().out
    for needle in ("v4 (GB/T 38540-2020)", ESID, "PNG, 42 x 42 mm", "sm2sign-with-sm3", "印章制作系统", ORG):
        assert needle in text

    assert main(["seal", "verify", str(seal_file)]) == 0
    assert "maker chain      not checked" in capsys.readouterr().out
    assert main(["seal", "verify", str(seal_file), "--trust", str(pki.root_cert), "--untrusted", str(pki.chain),
                 "--json"]) == 0
    result = out_json(capsys)
    assert result["valid"] and result["maker_signature_valid"] and result["chain"]["valid"]  # type: ignore[index]


def test_verify_tampered_seal(seal_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    der = seal_file.read_bytes()
    assert der.count(ESID.encode()) == 1
    bad = tmp_path / "bad.esl"
    bad.write_bytes(der.replace(ESID.encode(), ESID[:-1].encode() + b"9"))
    assert main(["seal", "verify", str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("invalid:") and "maker_signature_invalid" in out
    assert main(["seal", "verify", str(bad), "--json"]) == 1
    result = out_json(capsys)
    assert result["ok"] is False and result["error"]["code"] == "maker_signature_invalid"  # type: ignore[index]


def test_verify_time_and_trust(pki: PKI, seal_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seal", "verify", str(seal_file), "--at", "2099-01-01T00:00:00Z", "--json"]) == 1
    assert out_json(capsys)["error"]["code"] == "seal_expired"  # type: ignore[index]
    assert main(["seal", "verify", str(seal_file), "--at", "2000-01-01", "--json"]) == 1
    assert out_json(capsys)["error"]["code"] == "seal_not_yet_valid"  # type: ignore[index]
    other = make_pki(tmp_path / "other")
    capsys.readouterr()
    assert main(["seal", "verify", str(seal_file), "--trust", str(other.root_cert), "--json"]) == 1
    assert out_json(capsys)["error"]["code"] == "maker_chain_invalid"  # type: ignore[index]
    assert main(["seal", "verify", str(seal_file), "--crl", str(pki.ca / "root.crl.pem")]) == 2  # --crl needs --trust
    assert "need --trust" in capsys.readouterr().err


def test_make_v1_rendered_picture(pki: PKI, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "v1.esl"
    assert main(make_args(pki, out, "--render-org", ORG, "--render-name", "公章", "--version", "1",
                          "--valid-from", "2026-01-01T00:00:00Z", "--valid-to", "2030-01-01T00:00:00Z",
                          "--type", "2")) == 0
    seal = parse_seal(out.read_bytes())
    assert (seal.version, seal.seal_type, seal.picture.type, seal.picture.width_mm) == (1, 2, "PNG", 42)
    assert (seal.valid_start.year, seal.valid_end.year) == (2026, 2030)
    capsys.readouterr()
    assert main(["seal", "verify", str(out), "--trust", str(pki.root_cert), "--untrusted", str(pki.chain)]) == 0
    assert "valid: seal" in capsys.readouterr().out


def test_make_digest_list_and_svg_picture(pki: PKI, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg = tmp_path / "s.svg"
    assert main(["seal", "render", "--kind", "oval", "--org", ORG, "--out", str(svg)]) == 0
    out = tmp_path / "d.esl"
    assert main(make_args(pki, out, "--picture", str(svg), "--cert-list", "digests")) == 0
    capsys.readouterr()
    assert main(["seal", "show", str(out), "--json"]) == 0
    info = out_json(capsys)
    assert info["cert_list_type"] == 2 and info["signer_certificates"] == []
    assert [d["type"] for d in info["signer_certificate_digests"]] == ["SM3"]  # type: ignore[union-attr,index]
    assert info["picture"]["type"] == "SVG" and info["picture"]["width_mm"] == 45  # type: ignore[index]
    assert main(["seal", "verify", str(out)]) == 0


def test_make_encrypted_maker_key(pki: PKI, seal_png: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TK_SEAL_PW", "correct horse")
    key = tmp_path / "maker.enc.pem"
    assert main(["key", "export", str(pki.maker_key), "--private", "--new-password-env", "TK_SEAL_PW",
                 "--out", str(key)]) == 0
    args = make_args(pki, tmp_path / "e.esl", "--picture", str(seal_png))
    args[args.index("--maker-key") + 1] = str(key)
    capsys.readouterr()
    assert main([*args, "--json"]) == 2
    assert out_json(capsys)["error"]["code"] == "password_needed"  # type: ignore[index]
    assert main([*args, "--password-env", "TK_SEAL_PW"]) == 0


def test_make_bad_input(pki: PKI, seal_png: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.esl"
    picture = ["--picture", str(seal_png)]
    # The signer's key is not the maker certificate's key.
    wrong = make_args(pki, out, *picture)
    wrong[wrong.index("--maker-key") + 1] = str(pki.signer_key)
    assert main([*wrong, "--json"]) == 2
    assert "does not belong" in out_json(capsys)["error"]["message"]  # type: ignore[index]
    # A raster without DPI has no physical size unless one is given.
    bare = tmp_path / "bare.png"
    with Image.open(seal_png) as image:
        buf = BytesIO()
        image.save(buf, format="PNG")
    bare.write_bytes(buf.getvalue())
    assert main([*make_args(pki, out, "--picture", str(bare)), "--json"]) == 2
    assert "--picture-size-mm" in out_json(capsys)["error"]["message"]  # type: ignore[index]
    assert main(make_args(pki, out, "--picture", str(bare), "--picture-size-mm", "40")) == 0
    assert parse_seal(out.read_bytes()).picture.width_mm == 40
    # Not a picture, a v1 digest list, an empty validity, a non-ASCII esID, both picture sources.
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a picture")
    for extra in (["--picture", str(junk)],
                  [*picture, "--version", "1", "--cert-list", "digests"],
                  [*picture, "--valid-from", "2030-01-01", "--valid-to", "2029-01-01"],
                  [*picture, "--valid-days", "0"]):
        assert main([*make_args(pki, tmp_path / "y.esl", *extra), "--json"]) == 2, extra
        capsys.readouterr()
    nonascii = make_args(pki, tmp_path / "y.esl", *picture)
    nonascii[nonascii.index("--esid") + 1] = "印章一号"
    assert main(nonascii) == 2
    assert main([*make_args(pki, tmp_path / "y.esl", *picture), "--render-org", ORG]) == 2
    assert not (tmp_path / "y.esl").exists()


def test_real_vendor_seals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ofdrw's v1/v4 test seals: maker signature valid, expired since 2022-04-22; readable pictures."""
    for name, version in (("UserV1.esl", 1), ("UserV4.esl", 4)):
        path = VECTORS / name
        assert main(["seal", "show", str(path), "--json", "--picture-out", str(tmp_path / f"{name}.pic")]) == 0
        info = out_json(capsys)
        assert info["version"] == version and (tmp_path / f"{name}.pic").stat().st_size == info["picture"]["bytes"]  # type: ignore[index]
        assert main(["seal", "verify", str(path), "--json"]) == 1
        result = out_json(capsys)
        assert result["maker_signature_valid"] and result["error"]["code"] == "seal_expired"  # type: ignore[index]
        assert main(["seal", "verify", str(path), "--at", "2021-01-01T00:00:00Z"]) == 0
        capsys.readouterr()
    # A seal signature (OFD SignedValue.dat): show reads the seal inside it.
    assert main(["seal", "show", str(VECTORS / "SESV4SignDoc" / "SignedValue.dat")]) == 0
    assert "is a seal signature (SES_Signature v4)" in capsys.readouterr().out


# ---- end to end, in a subprocess ---------------------------------------------------------------


def test_end_to_end_subprocess(pki: PKI, tmp_path: Path) -> None:
    result = run_cli("seal", "render", "--org", ORG, "--name", "合同专用章", "--out", "s.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    result = run_cli(*make_args(pki, tmp_path / "s.esl", "--picture", "s.svg", "--version", "1"), "--json",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["version"] == 1
    result = run_cli("seal", "verify", "s.esl", "--trust", str(pki.root_cert), "--untrusted", str(pki.chain),
                     "--json", cwd=tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["valid"] is True
    der = (tmp_path / "s.esl").read_bytes()
    (tmp_path / "t.esl").write_bytes(der[:-1] + bytes([der[-1] ^ 1]))  # the maker signature's last byte
    result = run_cli("seal", "verify", "t.esl", cwd=tmp_path)
    assert result.returncode == 1 and b"Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("args", [
    ["seal", "verify", "missing.esl"],
    ["seal", "verify", "garbage.esl"],
    ["seal", "show", "garbage.esl"],
    ["seal", "show", "truncated.esl"],
    ["seal", "make", "--maker-key", "garbage.esl", "--maker-cert", "garbage.esl", "--signer-cert", "garbage.esl",
     "--name", "x", "--esid", "1", "--render-org", ORG, "--out", "o.esl"],
    ["seal", "render", "--org", ORG, "--color", "red", "--out", "o.png"],
    ["seal", "render", "--org", ORG, "--font", "nofont.ttf", "--out", "o.png"],
])
def test_bad_input_no_traceback(seal_file: Path, tmp_path: Path, args: list[str], monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "garbage.esl").write_bytes(b"\x30\x82\xff\xff garbage")
    (tmp_path / "truncated.esl").write_bytes(seal_file.read_bytes()[:500])
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr and result.stdout == b""
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("trustkit: error: "), stderr
    assert "internal error" not in stderr
    monkeypatch.chdir(tmp_path)
    assert main([*args, "--json"]) == 2
    assert out_json(capsys)["ok"] is False


@pytest.mark.parametrize("args", [["seal", "--help"], ["seal", "render", "--help"], ["seal", "make", "--help"],
                                  ["seal", "show", "--help"], ["seal", "verify", "--help"]])
def test_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: trustkit seal")
    if len(args) > 2:
        assert "examples:\n  trustkit seal " in out
