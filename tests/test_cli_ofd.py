"""The OFD commands: ofd stamp|verify|show, on documents we make and on real vendor samples.

The PKI and the seal come from the CLI itself (``ca init``, ``cert issue``, ``seal make``; see
test_cli_seal.make_pki).  Most tests call ``main()`` in-process; the end-to-end and bad-input
ones run ``python -m trustkit_cli`` in a subprocess so that nothing could hide a traceback.
Exit codes: 0 valid/success, 1 invalid, 2 usage or input error.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from test_cli_seal import ORG, PKI, make_pki
from trustkit_cli._output import CommandError
from trustkit_cli.main import main
from trustkit_cli.ofd import Progress, parse_pages

from trustkit.ofd import DocumentBuilder, OFDReader, PackageWriter

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SAMPLES = VECTORS / "ofd"
DIGITAL_SIGN_CERT = VECTORS / "pki" / "ofdrw" / "DigitalSign_signer_cert.pem"
HOLDER = "某某数字科技有限公司"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "TRUSTKIT_DEBUG"}
    return subprocess.run([sys.executable, "-m", "trustkit_cli", *args], check=False, capture_output=True, cwd=cwd, env=env,
                          input=b"", timeout=120)


def out_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


def licence(path: Path) -> Path:
    """Three A4 pages: the authority's name once (page 1), 签章处 on pages 1 and 3."""
    builder = DocumentBuilder()
    first = builder.add_page()
    first.add_text("营业执照", 80, 30, size=10)
    first.add_text(f"名称：{HOLDER}", 30, 60)
    first.add_text(f"登记机关：{ORG}", 30, 200)
    first.add_text("签章处", 150, 250)
    builder.add_page().add_text("第二页", 30, 30)
    builder.add_page().add_text("签章处", 120, 100)
    builder.write(path)
    return path


class Setup:
    def __init__(self, pki: PKI, seal: Path, seal_v1: Path, doc: Path) -> None:
        self.pki, self.seal, self.seal_v1, self.doc = pki, seal, seal_v1, doc

    def signer(self) -> list[str]:
        return ["--key", str(self.pki.signer_key), "--cert", str(self.pki.signer_cert)]

    def trust(self) -> list[str]:
        return ["--trust", str(self.pki.root_cert), "--untrusted", str(self.pki.chain)]

    def stamp(self, out: Path, *extra: str, doc: Path | None = None, seal: bool = True) -> list[str]:
        return ["ofd", "stamp", str(doc or self.doc), *self.signer(), *(["--seal", str(self.seal)] if seal else []),
                *extra, "--out", str(out)]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    root = tmp_path_factory.mktemp("ofd-cli")
    pki = make_pki(root)
    seal, seal_v1 = root / "seal.esl", root / "seal-v1.esl"
    base = ["seal", "make", "--maker-key", str(pki.maker_key), "--maker-cert", str(pki.maker_cert),
            "--signer-cert", str(pki.signer_cert), "--name", f"{ORG}合同专用章", "--esid", "33010000000001",
            "--render-org", ORG, "--render-name", "合同专用章"]
    assert main([*base, "--out", str(seal)]) == 0
    assert main([*base, "--version", "1", "--out", str(seal_v1)]) == 0
    return Setup(pki, seal, seal_v1, licence(root / "licence.ofd"))


def annots(path: Path) -> list[tuple[int, str, str | None]]:
    """(page number, Boundary, Clip) of every StampAnnot of the last signature."""
    with OFDReader.open(path) as reader:
        listing = reader.signatures()
        assert listing is not None
        pages = {ref.id: ref.index + 1 for ref in reader.document().pages}
        found = reader.signature(listing.entries[-1]).stamp_annots
        return [(pages[int(a.page_ref)], a.boundary.to_text(), a.clip.to_text() if a.clip else None) for a in found]


def tamper(source: Path, target: Path, old: bytes, new: bytes) -> Path:
    with OFDReader.open(source) as reader:
        part = reader.page(0).part
        writer = PackageWriter.from_reader(reader)
        content = writer.get(part)
        assert old in content
        writer.set(part, content.replace(old, new))
        writer.write(target)
    return target


# ---- stamp + verify ----------------------------------------------------------------------------


def test_stamp_keyword_then_verify(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "stamped.ofd"
    assert main([*setup.stamp(out, "--keyword", ORG), "--json"]) == 0
    result = out_json(capsys)
    assert result["ok"] and result["type"] == "Seal" and result["output"] == str(out)
    (annot,) = annots(out)
    with OFDReader.open(out) as reader:
        (match,) = reader.find(ORG)
    x, y, w, h = (float(v) for v in annot[1].split())
    assert annot[0] == 1 and (w, h) == (42, 42)
    assert (x + w / 2, y + h / 2) == pytest.approx(match.box.center)  # centred on the keyword

    assert main(["ofd", "verify", str(out), *setup.trust()]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"{out}: VALID (1 signature)")
    for name in ("references", "data_hash", "signer_signature", "seal_signature", "signer_chain", "maker_chain"):
        assert f"ok   {name}" in text, name
    assert main(["ofd", "verify", str(out), *setup.trust(), "--json"]) == 0
    report = out_json(capsys)
    assert report["ok"] and report["valid"] and report["format"] == "ofd"
    (signature,) = report["signatures"]
    assert signature["kind"] == "seal" and signature["seal_name"] == f"{ORG}合同专用章" and not signature["failures"]


def test_tampered_document_fails_with_the_reason(setup: Setup, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "stamped.ofd"
    assert main(setup.stamp(out, "--keyword", ORG)) == 0
    bad = tamper(out, tmp_path / "tampered.ofd", HOLDER.encode(), "某某贸易有限公司".encode())
    capsys.readouterr()
    assert main(["ofd", "verify", str(bad), *setup.trust()]) == 1
    text = capsys.readouterr().out
    assert "INVALID" in text and "FAIL references" in text and "Content.xml" in text
    assert main(["ofd", "verify", str(bad), "--json"]) == 1
    report = out_json(capsys)
    assert report["ok"] is False and report["error"]["code"] == "referenced_file_changed"
    assert "Content.xml" in report["error"]["message"]
    # A foreign trust anchor: intact document, but the chains fail.
    other = make_pki(tmp_path / "other")
    capsys.readouterr()
    assert main(["ofd", "verify", str(out), "--trust", str(other.root_cert), "--json"]) == 1
    failures = out_json(capsys)["signatures"][0]["failures"]
    assert "references" not in str(failures) and any("chain" in f for f in failures)


def test_stamp_by_coordinates(setup: Setup, tmp_path: Path) -> None:
    out = tmp_path / "p.ofd"
    assert main(setup.stamp(out, "--page", "2", "--x", "100", "--y", "150")) == 0
    assert annots(out) == [(2, "100 150 42 42", None)]
    assert main(setup.stamp(tmp_path / "q.ofd", "--page", "2", "--x", "100", "--y", "150",
                            "--width-mm", "30", "--height-mm", "30")) == 0
    assert annots(tmp_path / "q.ofd") == [(2, "100 150 30 30", None)]


def test_stamp_keyword_occurrences(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(setup.stamp(tmp_path / "first.ofd", "--keyword", "签章处")) == 0
    assert [a[0] for a in annots(tmp_path / "first.ofd")] == [1]  # default: the first occurrence
    assert main(setup.stamp(tmp_path / "all.ofd", "--keyword", "签章处", "--occurrence", "all")) == 0
    assert [a[0] for a in annots(tmp_path / "all.ofd")] == [1, 3]
    assert main(setup.stamp(tmp_path / "two.ofd", "--keyword", "签章处", "--occurrence", "2")) == 0
    assert [a[0] for a in annots(tmp_path / "two.ofd")] == [3]
    capsys.readouterr()
    assert main([*setup.stamp(tmp_path / "x.ofd", "--keyword", "签章处", "--occurrence", "3"), "--json"]) == 2
    assert "occurs 2 time(s)" in out_json(capsys)["error"]["message"]
    assert main([*setup.stamp(tmp_path / "x.ofd", "--keyword", "没有这个词"), "--json"]) == 2
    assert "does not occur" in out_json(capsys)["error"]["message"]
    assert not (tmp_path / "x.ofd").exists()


def test_stamp_riding(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ride.ofd"
    assert main(setup.stamp(out, "--riding", "--pages", "1-3")) == 0
    found = annots(out)
    assert [a[0] for a in found] == [1, 2, 3]
    clips = [tuple(float(v) for v in str(a[2]).split()) for a in found]
    assert sum(c[2] for c in clips) == pytest.approx(42)  # three slices cover the seal's width once
    assert main(["ofd", "verify", str(out), *setup.trust()]) == 0
    capsys.readouterr()
    assert main([*setup.stamp(tmp_path / "x.ofd", "--riding", "--pages", "1,5"), "--json"]) == 2
    assert "has 3 page(s); there is no page 5" in out_json(capsys)["error"]["message"]


def test_sign_formats_and_sequence(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "raw.ofd"
    assert main(setup.stamp(raw, seal=False)) == 0  # default without a seal: sign-raw, invisible
    assert "invisible" in capsys.readouterr().out
    assert main(["ofd", "verify", str(raw), "--json"]) == 1  # a bare signature carries no certificate
    assert out_json(capsys)["error"]["code"] == "signer_certificate_missing"
    assert main(["ofd", "verify", str(raw), "--cert", str(setup.pki.signer_cert), *setup.trust()]) == 0
    # A seal, then a GB/T 35275 SignedData on top: both still verify.
    first = tmp_path / "one.ofd"
    assert main(setup.stamp(first, "--keyword", ORG)) == 0
    both = tmp_path / "two.ofd"
    assert main(setup.stamp(both, "--format", "sign-cms", doc=first, seal=False)) == 0
    capsys.readouterr()
    assert main(["ofd", "verify", str(both), *setup.trust(), "--json"]) == 0
    report = out_json(capsys)
    assert [s["kind"] for s in report["signatures"]] == ["seal", "cms"]
    assert all(s["valid"] for s in report["signatures"])


def test_stamp_v1_seal_and_timestamp(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v1 = tmp_path / "v1.ofd"
    assert main(["ofd", "stamp", str(setup.doc), *setup.signer(), "--seal", str(setup.seal_v1), "--keyword", ORG,
                 "--out", str(v1)]) == 0
    assert main(["ofd", "verify", str(v1), *setup.trust()]) == 0
    tsa = tmp_path / "tsa.pem"
    assert main(["cert", "issue", "--ca", str(setup.pki.ca), "--profile", "timestamping", "--subject",
                 "CN=示例时间戳服务,C=CN", "--no-key-password", "--out", str(tsa)]) == 0
    stamped = tmp_path / "ts.ofd"
    assert main(setup.stamp(stamped, "--keyword", ORG, "--tsa-key", str(tmp_path / "tsa.key.pem"),
                            "--tsa-cert", str(tsa))) == 0
    capsys.readouterr()
    assert main(["ofd", "verify", str(stamped), *setup.trust(), "--json"]) == 0
    (signature,) = out_json(capsys)["signatures"]
    checks = {c["name"]: c for c in signature["checks"]}
    assert checks["timestamp"]["ok"] is True and signature["time_source"] == "timestamp"
    assert main([*setup.stamp(tmp_path / "x.ofd", "--tsa-key", str(tmp_path / "tsa.key.pem")), "--json"]) == 2
    assert "both --tsa-key and --tsa-cert" in out_json(capsys)["error"]["message"]


def test_stamp_in_place_needs_force(setup: Setup, tmp_path: Path) -> None:
    doc = licence(tmp_path / "d.ofd")
    before = doc.read_bytes()
    args = ["ofd", "stamp", str(doc), *setup.signer(), "--seal", str(setup.seal), "--keyword", ORG, "--out", str(doc)]
    assert main(args) == 2 and doc.read_bytes() == before
    assert main([*args, "--force"]) == 0
    assert main(["ofd", "verify", str(doc)]) == 0


def test_refuses_whole_protected_document(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """allprotected.ofd's signature covers Signatures.xml: a new signature would break it."""
    out = tmp_path / "x.ofd"
    assert main([*setup.stamp(out, doc=SAMPLES / "allprotected.ofd"), "--json"]) == 2
    assert out_json(capsys)["error"]["code"] == "signatures_protected"
    assert not out.exists()


# ---- real samples ------------------------------------------------------------------------------


def test_real_samples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ofd", "verify", str(SAMPLES / "SESV4SignDoc.ofd")]) == 0
    text = capsys.readouterr().out
    assert "VALID (1 signature)" in text and "warn seal_validity" in text  # stamped with an expired test seal
    assert main(["ofd", "verify", str(SAMPLES / "keyword.ofd"), "--json"]) == 1
    report = out_json(capsys)
    assert report["error"]["code"] == "referenced_file_changed"
    assert [s["valid"] for s in report["signatures"]] == [False, False]
    assert all("referenced_file_changed" in s["failures"] for s in report["signatures"])
    assert main(["ofd", "verify", str(SAMPLES / "DigitalSign.ofd"), "--cert", str(DIGITAL_SIGN_CERT)]) == 0
    capsys.readouterr()
    assert main(["ofd", "verify", str(SAMPLES / "DigitalSign.ofd")]) == 1
    assert "FAIL signer_signature" in capsys.readouterr().out  # and says to pass the certificate
    assert main(["ofd", "verify", str(SAMPLES / "helloworld.ofd"), "--json"]) == 1  # unsigned
    assert out_json(capsys)["error"]["code"] == "no_signatures"


def test_show(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.ofd"
    assert main(setup.stamp(out, "--keyword", ORG)) == 0
    capsys.readouterr()
    assert main(["ofd", "show", str(out), "--json"]) == 0
    info = out_json(capsys)
    assert info["page_count"] == 3 and HOLDER in info["pages"][0]["text"]
    (signature,) = info["signatures"]
    assert signature["type"] == "Seal" and signature["stamp_pages"] == [1]
    assert signature["seal_name"] == f"{ORG}合同专用章" and ORG in signature["signer"]
    assert main(["ofd", "show", str(SAMPLES / "keyword.ofd")]) == 0
    text = capsys.readouterr().out
    assert "2 signature(s)" in text and "淄博市周村区自然资源局(不动产登记专用章)" in text and "Type=Sign" in text


# ---- several documents, progress ---------------------------------------------------------------


def test_many_documents(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    docs = [licence(inputs / f"d{i}.ofd") for i in range(3)]
    signed = tmp_path / "signed"
    signed.mkdir()
    assert main(["ofd", "stamp", *map(str, docs), *setup.signer(), "--seal", str(setup.seal), "--keyword", ORG,
                 "--out-dir", str(signed), "--json"]) == 0
    result = out_json(capsys)
    assert result["stamped"] == 3 and not result["failed"]
    assert main(["ofd", "verify", str(signed), *setup.trust(), "--json"]) == 0
    summary = out_json(capsys)
    assert summary["valid_count"] == 3 and summary["invalid_count"] == 0 and len(summary["documents"]) == 3
    tamper(signed / "d1.ofd", signed / "d1.ofd", HOLDER.encode(), "某某贸易有限公司".encode())
    assert main(["ofd", "verify", str(signed)]) == 1
    assert "2 of 3 document(s) valid, 1 invalid, 0 unreadable" in capsys.readouterr().out
    (signed / "junk.ofd").write_bytes(b"not a zip")
    assert main(["ofd", "verify", str(signed), "--json"]) == 2  # one document cannot be read
    summary = out_json(capsys)
    assert summary["error_count"] == 1 and summary["ok"] is False
    # Stamping several: one failure does not stop the others.
    (inputs / "junk.ofd").write_bytes(b"not a zip")
    again = tmp_path / "again"
    again.mkdir()
    assert main(["ofd", "stamp", *map(str, docs), str(inputs / "junk.ofd"), *setup.signer(), "--seal",
                 str(setup.seal), "--out-dir", str(again)]) == 2
    assert "stamped 3 of 4 document(s)" in capsys.readouterr().out
    assert sorted(p.name for p in again.iterdir()) == ["d0.ofd", "d1.ofd", "d2.ofd"]


def test_progress_bar() -> None:
    stream = io.StringIO()
    progress = Progress(2, enabled=True, stream=stream)
    progress.step("a.ofd")
    progress.step("b.ofd")
    progress.finish()
    drawn = stream.getvalue()
    assert "1/2" in drawn and "2/2" in drawn and "#" * Progress.WIDTH in drawn and drawn.endswith("\r")
    quiet = io.StringIO()
    for total, enabled in ((1, True), (5, False)):  # one document, or not a terminal / --json
        bar = Progress(total, enabled=enabled, stream=quiet)
        bar.step("x")
        bar.finish()
    assert quiet.getvalue() == ""


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """stderr a terminal: the bar is drawn (and wiped); with --json it is not."""
    import pty

    for name in ("a.ofd", "b.ofd"):
        (tmp_path / name).write_bytes((SAMPLES / "SESV4SignDoc.ofd").read_bytes())
    env = {k: v for k, v in os.environ.items() if k != "TRUSTKIT_DEBUG"}
    for extra, expect_bar in (([], True), (["--json"], False)):
        master, slave = pty.openpty()
        try:
            result = subprocess.run([sys.executable, "-m", "trustkit_cli", "ofd", "verify", str(tmp_path), *extra],
                                    check=False, stdout=subprocess.PIPE, stderr=slave, env=env, timeout=120)
            os.close(slave)
            drawn = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the terminal's other end is closed
                    break
                if not chunk:
                    break
                drawn += chunk
        finally:
            os.close(master)
        assert result.returncode == 0, result.stdout
        assert (b"2/2" in drawn and b"[" + b"#" * Progress.WIDTH + b"]" in drawn) is expect_bar, drawn


def test_parse_pages() -> None:
    assert parse_pages("1-3,5") == (0, 1, 2, 4)
    for bad in ("0", "3-1", "a", "1,1", "1-"):
        with pytest.raises(CommandError):
            parse_pages(bad)


# ---- end to end in a subprocess ----------------------------------------------------------------


def test_end_to_end_subprocess(setup: Setup, tmp_path: Path) -> None:
    result = run_cli(*setup.stamp(tmp_path / "s.ofd", "--keyword", ORG))
    assert result.returncode == 0, result.stderr
    result = run_cli("ofd", "verify", str(tmp_path / "s.ofd"), str(SAMPLES / "SESV4SignDoc.ofd"), *setup.trust())
    assert result.returncode == 1  # our chain does not cover the ofdrw sample's signer
    assert result.stderr == b""  # no progress bar: stderr is not a terminal
    result = run_cli("ofd", "verify", str(tmp_path / "s.ofd"), *setup.trust(), "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["valid"] is True


@pytest.mark.parametrize("args", [
    ["ofd", "verify", "missing.ofd"],
    ["ofd", "verify", "junk.ofd"],
    ["ofd", "verify", "empty.zip.ofd"],
    ["ofd", "show", "junk.ofd"],
    ["ofd", "verify", "doc.ofd", "--crl", "junk.ofd"],
    ["ofd", "stamp", "doc.ofd", "KEYCERT", "--seal", "junk.ofd", "--out", "o.ofd"],
    ["ofd", "stamp", "doc.ofd", "KEYCERT", "--format", "ses", "--out", "o.ofd"],
    ["ofd", "stamp", "doc.ofd", "KEYCERT", "--seal", "SEAL", "--format", "sign-raw", "--out", "o.ofd"],
    ["ofd", "stamp", "doc.ofd", "KEYCERT", "--seal", "SEAL", "--page", "9", "--x", "1", "--y", "1", "--out", "o.ofd"],
    ["ofd", "stamp", "doc.ofd", "KEYCERT", "--seal", "SEAL", "--page", "1", "--out", "o.ofd"],
    ["ofd", "stamp", "doc.ofd", "KEYCERT", "--seal", "SEAL", "--keyword", "x", "--riding", "--out", "o.ofd"],
    ["ofd", "stamp", "doc.ofd", "doc.ofd", "KEYCERT", "--seal", "SEAL", "--out", "o.ofd"],
    ["ofd", "stamp", "doc.ofd", "KEYCERT", "--seal", "SEAL", "--riding", "--pages", "1", "--out", "o.ofd"],
    ["ofd", "stamp", "junk.ofd", "KEYCERT", "--seal", "SEAL", "--out", "o.ofd"],
    ["ofd", "stamp", "doc.ofd", "--key", "MAKERKEY", "--cert", "SIGNERCERT", "--seal", "SEAL", "--out", "o.ofd"],
])
def test_bad_input_no_traceback(setup: Setup, tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "junk.ofd").write_bytes(b"PK\x03\x04 not really a zip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("readme.txt", "no OFD.xml here")
    (tmp_path / "empty.zip.ofd").write_bytes(buf.getvalue())
    licence(tmp_path / "doc.ofd")
    replace = {"SEAL": [str(setup.seal)], "KEYCERT": setup.signer(), "MAKERKEY": [str(setup.pki.maker_key)],
               "SIGNERCERT": [str(setup.pki.signer_cert)]}
    argv = [part for arg in args for part in replace.get(arg, [arg])]
    result = run_cli(*argv, cwd=tmp_path)
    stderr = result.stderr.decode()
    assert result.returncode == 2, (stderr, result.stdout)
    assert "Traceback" not in stderr and result.stdout == b""
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("trustkit: error: "), stderr
    assert "internal error" not in stderr
    assert not (tmp_path / "o.ofd").exists()


@pytest.mark.parametrize("args", [["ofd", "--help"], ["ofd", "stamp", "--help"], ["ofd", "verify", "--help"],
                                  ["ofd", "show", "--help"]])
def test_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: trustkit ofd")
    if len(args) > 2:
        assert "examples:\n  trustkit ofd " in out
