"""The PDF commands: ``trustkit pdf stamp|verify`` on reportlab-made documents.

The PKI comes from the CLI itself (``ca init``, ``cert issue``, ``seal make``; see
test_cli_seal.make_pki), for SM2 and for ECDSA P-256 (PAdES).  Most tests call ``main()`` in
process; the bad-input ones also run the command in a subprocess so that nothing could hide a
traceback.  Until cli/main.py registers the ``pdf`` command, :func:`main` adds it to the parser
that ``build_parser`` returns (and the subprocess does the same through a two-line bootstrap).
Exit codes: 0 valid/success, 1 invalid, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import http.server
import io
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import trustkit_cli.main as cli_main
from pyhanko.pdf_utils.reader import PdfFileReader
from test_cli_seal import ORG, PKI, make_pki
from test_pdf_support import KEYWORD, PAGE_H, PAGE_W, keyword_box, make_pdf
from trustkit_cli import pdf as pdf_cli
from trustkit_cli._output import CommandError
from trustkit_cli.ofd import Progress
from trustkit_cli.pki import load_signing_key

from trustkit.pdf import KeywordPosition, PagePosition, RidingSeal
from trustkit.pdf._appearance import MM
from trustkit.pki.certificate import Certificate
from trustkit.pki.timestamp import TimestampAuthority

SEAL_PT = 42 * MM  # the default round seal: 42 mm


def _with_pdf() -> argparse.ArgumentParser:
    parser = ORIGINAL_BUILD_PARSER()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and "pdf" not in action.choices:
            pdf_cli.register(action)
    return parser


def _registers_pdf() -> bool:
    parser = cli_main.build_parser()
    return any(isinstance(a, argparse._SubParsersAction) and "pdf" in a.choices for a in parser._actions)


ORIGINAL_BUILD_PARSER = cli_main.build_parser
PDF_REGISTERED = _registers_pdf()
# The same registration for ``python -c`` (no test module is imported in the subprocess).
BOOTSTRAP = """
import argparse, sys
import trustkit_cli.main as m
from trustkit_cli import pdf
original = m.build_parser
def build_parser():
    parser = original()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and "pdf" not in action.choices:
            pdf.register(action)
    return parser
m.build_parser = build_parser
sys.exit(m.main(sys.argv[1:]))
"""


def main(argv: Sequence[str]) -> int:
    """``trustkit_cli.main.main``, with the pdf command registered if main.py does not yet."""
    if PDF_REGISTERED:
        return cli_main.main(list(argv))
    with mock.patch.object(cli_main, "build_parser", _with_pdf):
        return cli_main.main(list(argv))


def run_cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "TRUSTKIT_DEBUG"}
    entry = ["-m", "trustkit_cli"] if PDF_REGISTERED else ["-c", BOOTSTRAP]
    return subprocess.run([sys.executable, *entry, *args], check=False, capture_output=True, env=env, input=b"",
                          timeout=120)


def out_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


class Setup:
    def __init__(self, root: Path, pki: PKI, p256: Path, seal: Path, tsa: Path, doc: Path) -> None:
        self.root, self.pki, self.p256, self.seal, self.tsa, self.doc = root, pki, p256, seal, tsa, doc

    def signer(self) -> list[str]:
        return ["--key", str(self.pki.signer_key), "--cert", str(self.pki.signer_cert), "--chain", str(self.pki.chain)]

    def trust(self) -> list[str]:
        return ["--trust", str(self.pki.root_cert)]

    def stamp(self, out: Path, *placement: str, doc: Path | None = None) -> list[str]:
        return ["pdf", "stamp", str(doc or self.doc), *self.signer(), "--seal-org", ORG, "--seal-name", "合同专用章",
                *placement, "--out", str(out)]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    root = tmp_path_factory.mktemp("pdf-cli")
    pki = make_pki(root)
    # A P-256 CA for the PAdES path, a TSA certificate, and an SES seal for the signer.
    p256 = root / "p256"
    p256.mkdir()
    assert main(["ca", "init", str(p256 / "ca"), "--algorithm", "p256", "--no-key-password"]) == 0
    assert main(["cert", "issue", "--ca", str(p256 / "ca"), "--profile", "seal-signer", "--subject",
                 "CN=Example Seal Signer,O=Example,C=CN", "--no-key-password", "--out", str(p256 / "signer.pem")]) == 0
    tsa = root / "tsa.pem"
    assert main(["cert", "issue", "--ca", str(pki.ca), "--profile", "timestamping", "--subject", "CN=示例时间戳服务,C=CN",
                 "--no-key-password", "--out", str(tsa)]) == 0
    seal = root / "seal.esl"
    assert main(["seal", "make", "--maker-key", str(pki.maker_key), "--maker-cert", str(pki.maker_cert),
                 "--signer-cert", str(pki.signer_cert), "--name", f"{ORG}合同专用章", "--esid", "33010000000001",
                 "--render-org", ORG, "--render-name", "合同专用章", "--out", str(seal)]) == 0
    doc = root / "contract.pdf"
    doc.write_bytes(make_pdf(3))
    return Setup(root, pki, p256, seal, tsa, doc)


def checks_of(text: str) -> dict[str, str]:
    """``name -> ok|FAIL|skip|warn`` from a verify summary."""
    found = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("ok", "FAIL", "skip", "warn"):
            found[parts[1].rstrip(":")] = parts[0]
    return found


def flip_signed_byte(source: Path, target: Path) -> Path:
    """Change one byte of the original page content (inside the signed ByteRange)."""
    data = bytearray(source.read_bytes())
    data[data.index(b"stream\n") + 10] ^= 0x01
    target.write_bytes(bytes(data))
    return target


def page_rects(path: Path) -> list[tuple[int, tuple[float, ...]]]:
    return page_rects_of(path.read_bytes())


def page_rects_of(pdf: bytes) -> list[tuple[int, tuple[float, ...]]]:
    """(page number, /Rect) of every annotation, read back with pyHanko."""
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    found = []
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        found += [(index + 1, tuple(float(v) for v in ref.get_object()["/Rect"])) for ref in page.get("/Annots", ())]
    return found


# ---- stamp + verify ----------------------------------------------------------------------------


def test_stamp_sm2_then_verify(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sealed.pdf"
    assert main([*setup.stamp(out, "--page", "1", "--x", "150", "--y", "60", "--reason", "同意"), "--json"]) == 0
    result = out_json(capsys)
    assert result["ok"] and result["mode"] == "cms-sm2" and result["field"] == "Seal1"
    assert result["subfilter"] == "/adbe.pkcs7.detached" and ORG in result["signer"] and not result["timestamp"]
    ((page, rect),) = page_rects(out)
    assert result["appearances"] == [{"page": 1, "rect": [round(v, 2) for v in rect]}] and page == 1
    assert ((rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2) == pytest.approx((150 * MM, PAGE_H - 60 * MM), abs=0.01)
    assert rect[2] - rect[0] == pytest.approx(SEAL_PT, abs=0.01)  # true size

    assert main(["pdf", "verify", str(out), *setup.trust()]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"{out}: VALID (1 signature)") and "no --trust" not in text
    assert checks_of(text) == dict.fromkeys(
        ("byte_range", "message_digest", "signature", "signer_chain", "modifications"), "ok")
    assert main(["pdf", "verify", str(out), *setup.trust(), "--json"]) == 0
    report = out_json(capsys)
    assert report["ok"] and report["valid"] and report["format"] == "pdf" and report["chains_checked"]
    (signature,) = report["signatures"]
    assert signature["id"] == "Seal1" and signature["details"]["mode"] == "cms-sm2" and not signature["failures"]
    # --at: a time after the certificates expire makes the chain fail, with the reason.
    assert main(["pdf", "verify", str(out), *setup.trust(), "--at", "2100-01-01T00:00:00Z", "--json"]) == 1
    report = out_json(capsys)
    assert report["signatures"][0]["failures"] == [report["error"]["code"]] and "expired" in report["error"]["message"]
    # Without --trust: the signature verifies, the chain is skipped, and the output says so.
    assert main(["pdf", "verify", str(out)]) == 0
    text = capsys.readouterr().out
    assert checks_of(text)["signer_chain"] == "skip" and pdf_cli.NO_TRUST_NOTE in text


def test_stamp_p256_pades_then_verify(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    picture = tmp_path / "seal.png"
    assert main(["seal", "render", "--org", ORG, "--name", "合同专用章", "--dpi", "200", "--out", str(picture)]) == 0
    capsys.readouterr()
    out = tmp_path / "pades.pdf"
    ca = setup.p256 / "ca"
    # No --mode: an ECDSA key means PAdES.  --page -1 is the last page.
    assert main(["pdf", "stamp", str(setup.doc), "--key", str(setup.p256 / "signer.key.pem"), "--cert",
                 str(setup.p256 / "signer.pem"), "--chain", str(ca / "chain.pem"), "--seal-image", str(picture),
                 "--page", "-1", "--x", "150", "--y", "250", "--out", str(out), "--json"]) == 0
    result = out_json(capsys)
    assert result["mode"] == "pades" and result["subfilter"] == "/ETSI.CAdES.detached"
    assert [a["page"] for a in result["appearances"]] == [3]
    ((_, rect),) = page_rects(out)
    assert rect[2] - rect[0] == pytest.approx(SEAL_PT, abs=0.3)  # the PNG's DPI gives 42 mm
    assert main(["pdf", "verify", str(out), "--trust", str(ca / "root.cert.pem"), "--json"]) == 0
    (signature,) = out_json(capsys)["signatures"]
    assert signature["details"]["mode"] == "pades" and signature["details"]["digest_algorithm"] == "2.16.840.1.101.3.4.2.1"
    # The SM2 root does not vouch for the P-256 signer.
    assert main(["pdf", "verify", str(out), *setup.trust(), "--json"]) == 1
    assert out_json(capsys)["error"]["code"] == "no_path"


def test_tampered_document_fails_with_the_reason(setup: Setup, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sealed.pdf"
    assert main(setup.stamp(out, "--page", "1", "--x", "100", "--y", "100")) == 0
    bad = flip_signed_byte(out, tmp_path / "tampered.pdf")
    capsys.readouterr()
    assert main(["pdf", "verify", str(bad), *setup.trust()]) == 1
    text = capsys.readouterr().out
    assert text.startswith(f"{bad}: INVALID") and checks_of(text)["message_digest"] == "FAIL"
    assert "the document bytes differ from what was signed" in text
    assert main(["pdf", "verify", str(bad), *setup.trust(), "--json"]) == 1
    report = out_json(capsys)
    assert report["ok"] is False and report["valid"] is False
    assert report["error"]["code"] == "digest_mismatch" and "[Seal1]" in report["error"]["message"]
    assert report["signatures"][0]["failures"] == ["digest_mismatch"]
    # An unsigned document is invalid too (exit 1), not an input error.
    assert main(["pdf", "verify", str(setup.doc), "--json"]) == 1
    assert out_json(capsys)["error"]["code"] == "no_signatures"


def test_keyword_placement(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = tmp_path / "second.pdf"
    assert main([*setup.stamp(second, "--keyword", KEYWORD, "--occurrence", "2"), "--json"]) == 0
    assert [a["page"] for a in out_json(capsys)["appearances"]] == [2]
    ((page, rect),) = page_rects(second)
    x0, x1 = keyword_box(2)
    assert page == 2 and (rect[0] + rect[2]) / 2 == pytest.approx((x0 + x1) / 2, abs=1.0)
    every = tmp_path / "every.pdf"
    assert main([*setup.stamp(every, "--keyword", KEYWORD, "--occurrence", "all"), "--json"]) == 0
    assert [a["page"] for a in out_json(capsys)["appearances"]] == [1, 2, 3]
    searched = tmp_path / "searched.pdf"
    assert main([*setup.stamp(searched, "--keyword", KEYWORD, "--pages", "3"), "--json"]) == 0
    assert [a["page"] for a in out_json(capsys)["appearances"]] == [3]
    assert main(["pdf", "verify", str(every), *setup.trust(), "--json"]) == 0
    assert len(out_json(capsys)["signatures"]) == 1  # one signature, three appearances
    assert main([*setup.stamp(tmp_path / "x.pdf", "--keyword", KEYWORD, "--occurrence", "4"), "--json"]) == 2
    assert "occurs 3 time(s)" in out_json(capsys)["error"]["message"]
    assert not (tmp_path / "x.pdf").exists()


def test_riding_placement_and_a_second_signature(setup: Setup, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    first = tmp_path / "first.pdf"
    assert main(setup.stamp(first, "--page", "1", "--x", "100", "--y", "100")) == 0
    capsys.readouterr()
    riding = tmp_path / "riding.pdf"
    assert main([*setup.stamp(riding, "--riding", "--pages", "1-3", "--riding-y", "120", doc=first), "--json"]) == 0
    result = out_json(capsys)
    assert result["field"] == "Seal2" and [a["page"] for a in result["appearances"]] == [1, 2, 3]
    slices = [rect for page, rect in page_rects(riding) if not (page == 1 and rect[2] < PAGE_W - 1)]
    assert len(slices) == 3
    for rect in slices:
        assert rect[2] == pytest.approx(PAGE_W, abs=0.01)  # on the right edge
        assert (rect[1] + rect[3]) / 2 == pytest.approx(PAGE_H - 120 * MM, abs=0.01)
    assert sum(rect[2] - rect[0] for rect in slices) == pytest.approx(SEAL_PT, abs=0.01)  # the seal cut in three
    # Both signatures verify: the second was an incremental update.
    assert main(["pdf", "verify", str(riding), *setup.trust(), "--json"]) == 0
    report = out_json(capsys)
    assert [s["id"] for s in report["signatures"]] == ["Seal1", "Seal2"] and report["valid"]
    assert main([*setup.stamp(tmp_path / "x.pdf", "--riding", "--pages", "2"), "--json"]) == 2
    assert "at least two distinct pages" in out_json(capsys)["error"]["message"]


def test_ses_mode_with_a_seal_and_a_timestamp(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ses.pdf"
    # --seal implies --mode ses, and the seal's own picture is stamped.
    assert main(["pdf", "stamp", str(setup.doc), *setup.signer(), "--seal", str(setup.seal), "--page", "2", "--x", "60",
                 "--y", "60", "--tsa-key", str(setup.tsa.with_name("tsa.key.pem")), "--tsa-cert", str(setup.tsa),
                 "--out", str(out), "--json"]) == 0
    result = out_json(capsys)
    assert result["mode"] == "ses" and result["timestamp"] and result["seal_name"] == f"{ORG}合同专用章"
    assert result["picture"].startswith("the seal's picture")
    assert main(["pdf", "verify", str(out), *setup.trust(), "--untrusted", str(setup.pki.chain)]) == 0
    text = capsys.readouterr().out
    assert "(timestamp time)" in text and checks_of(text)["timestamp"] == "ok" and checks_of(text)["seal"] == "ok"
    assert main(["pdf", "verify", str(out), *setup.trust(), "--untrusted", str(setup.pki.chain), "--json"]) == 0
    (signature,) = out_json(capsys)["signatures"]
    assert signature["kind"] == "seal" and signature["time_source"] == "timestamp" and signature["seal_id"]


def test_cms_gm_mode(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gm.pdf"
    assert main([*setup.stamp(out, "--page", "1", "--x", "100", "--y", "100", "--mode", "cms-gm"), "--json"]) == 0
    assert out_json(capsys)["mode"] == "cms-gm"
    assert main(["pdf", "verify", str(out), *setup.trust(), "--json"]) == 0
    assert out_json(capsys)["signatures"][0]["details"]["mode"] == "cms-gm"


def test_outputs_are_not_overwritten_without_force(setup: Setup, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sealed.pdf"
    out.write_bytes(b"keep me")
    args = setup.stamp(out, "--page", "1", "--x", "100", "--y", "100")
    assert main([*args, "--json"]) == 2
    assert out_json(capsys)["error"]["code"] == "file_exists" and out.read_bytes() == b"keep me"
    assert main([*args, "--force"]) == 0 and out.read_bytes().startswith(b"%PDF-")
    capsys.readouterr()
    # Stamping in place needs --force too; then the file holds two signatures.
    in_place = ["pdf", "stamp", str(out), *setup.signer(), "--seal-org", ORG, "--page", "2", "--x", "50", "--y", "50",
                "--out", str(out)]
    assert main([*in_place, "--json"]) == 2
    assert "is the input" in out_json(capsys)["error"]["message"]
    assert main([*in_place, "--force"]) == 0
    capsys.readouterr()
    assert main(["pdf", "verify", str(out), *setup.trust(), "--json"]) == 0
    assert len(out_json(capsys)["signatures"]) == 2


BAD_STAMP: list[tuple[list[str], str]] = [
    ([], "say where the seal goes"),
    (["--page", "1", "--x", "10"], "needs --page N --x MM --y MM"),
    (["--page", "1", "--x", "10", "--y", "10", "--keyword", "A"], "choose one placement"),
    (["--page", "0", "--x", "10", "--y", "10"], "first page is 1"),
    (["--page", "9", "--x", "10", "--y", "10"], "page 9 does not exist (the document has 3 pages)"),
    (["--keyword", "NOWHERE"], "'NOWHERE' was not found"),
    (["--keyword", "A", "--riding-y", "5"], "--riding-y applies to --riding"),
    (["--riding", "--pages", "3-1"], "--pages '3-1'"),
    (["--page", "1", "--x", "10", "--y", "10", "--occurrence", "2"], "--occurrence applies to --keyword"),
    (["--page", "1", "--x", "10", "--y", "10", "--mode", "pades"], "--mode pades is for ECDSA/RSA keys"),
    (["--page", "1", "--x", "10", "--y", "10", "--mode", "ses"], "give --seal SEAL.esl"),
    (["--page", "1", "--x", "10", "--y", "10", "--seal-size-mm", "40x30"], "one diameter"),
    (["--page", "1", "--x", "10", "--y", "10", "--seal-size-mm", "huge"], "give the size in mm"),
    (["--page", "1", "--x", "10", "--y", "10", "--tsa-url", "ftp://tsa.example.cn"], "http:// or https://"),
    (["--page", "1", "--x", "10", "--y", "10", "--tsa-cert", "x.pem"], "both --tsa-key and --tsa-cert"),
    (["--page", "1", "--x", "10", "--y", "10", "--field", "bad name!"], "--field 'bad name!'"),
]


@pytest.mark.parametrize(("extra", "needle"), BAD_STAMP)
def test_stamp_bad_input(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
                         needle: str) -> None:
    out = tmp_path / "out.pdf"
    assert main([*setup.stamp(out, *extra), "--json"]) == 2
    error = out_json(capsys)["error"]
    assert needle in error["message"], error
    assert not out.exists()


def test_stamp_bad_files(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_text("hello")
    out = tmp_path / "out.pdf"
    assert main([*setup.stamp(out, "--page", "1", "--x", "1", "--y", "1", doc=not_pdf), "--json"]) == 2
    assert out_json(capsys)["error"]["message"] == "not a PDF: no %PDF- header in the first 1024 bytes"
    # The key does not belong to the certificate.
    assert main(["pdf", "stamp", str(setup.doc), "--key", str(setup.pki.maker_key), "--cert", str(setup.pki.signer_cert),
                 "--seal-org", ORG, "--page", "1", "--x", "1", "--y", "1", "--out", str(out), "--json"]) == 2
    assert "does not match the certificate" in out_json(capsys)["error"]["message"]
    # A picture that is not one.
    assert main(["pdf", "stamp", str(setup.doc), *setup.signer(), "--seal-image", str(not_pdf), "--page", "1",
                 "--x", "1", "--y", "1", "--out", str(out), "--json"]) == 2
    assert "seal picture" in out_json(capsys)["error"]["message"]
    assert not out.exists()


def test_verify_bad_input(setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pdf", "verify", str(tmp_path / "missing.pdf"), "--json"]) == 2
    assert out_json(capsys)["error"]["code"] == "file_not_found"
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R")
    assert main(["pdf", "verify", str(truncated), "--json"]) == 2
    assert out_json(capsys)["error"]["code"] == "decode_error"
    assert main(["pdf", "verify", str(setup.doc), "--crl", "x.crl", "--json"]) == 2
    assert "need --trust" in out_json(capsys)["error"]["message"]
    assert main(["pdf", "verify", str(setup.doc), "--trust", str(setup.pki.root_cert), "--at", "yesterday",
                 "--json"]) == 2
    assert "ISO 8601" in out_json(capsys)["error"]["message"]


def test_verify_several_documents_and_a_directory(setup: Setup, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = folder / "a.pdf"
    assert main(setup.stamp(good, "--page", "1", "--x", "100", "--y", "100")) == 0
    bad = flip_signed_byte(good, folder / "b.pdf")
    capsys.readouterr()
    assert main(["pdf", "verify", str(good), str(good), *setup.trust(), "--json"]) == 0
    result = out_json(capsys)
    assert result["ok"] and result["valid_count"] == 2 and len(result["documents"]) == 2
    assert main(["pdf", "verify", str(folder), *setup.trust(), "--json"]) == 1  # a.pdf valid, b.pdf not
    result = out_json(capsys)
    assert [d["document"] for d in result["documents"]] == [str(good), str(bad)]
    assert (result["valid_count"], result["invalid_count"], result["error_count"]) == (1, 1, 0)
    assert result["documents"][1]["error"]["code"] == "digest_mismatch"
    unreadable = folder / "c.pdf"
    unreadable.write_bytes(b"not a pdf")
    assert main(["pdf", "verify", str(folder), *setup.trust()]) == 2  # one cannot be read
    text = capsys.readouterr().out
    assert f"{unreadable}: ERROR" in text and text.rstrip().endswith("1 of 3 document(s) valid, 1 invalid, 1 unreadable")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["pdf", "verify", str(empty), "--json"]) == 2
    assert "no .pdf files" in out_json(capsys)["error"]["message"]


def test_size_limit_is_checked_before_reading(setup: Setup, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(pdf_cli, "MAX_PDF_SIZE", 1000)
    assert main(["pdf", "verify", str(setup.doc), "--json"]) == 2
    error = out_json(capsys)["error"]
    assert error["code"] == "decode_error" and error["message"].endswith("the limit is 1000")


def test_pdf_to_standard_output(setup: Setup, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(setup.stamp(Path("-"), "--page", "1", "--x", "100", "--y", "100")) == 0
    data = capsysbinary.readouterr().out
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(page_rects_of(data)) == 1
    # JSON and the PDF cannot share standard output.
    assert main([*setup.stamp(Path("-"), "--page", "1", "--x", "100", "--y", "100"), "--json"]) == 2
    assert b"drop --json" in capsysbinary.readouterr().out


@pytest.fixture
def tsa_url(setup: Setup) -> Iterator[str]:
    """An RFC 3161 TSA over HTTP on 127.0.0.1 (the CLI-made TSA certificate and key)."""
    key = load_signing_key(setup.tsa.with_name("tsa.key.pem").read_bytes(), None)
    tsa = TimestampAuthority(key, Certificate.load(setup.tsa.read_bytes()), policy_oid="1.2.156.1.9999.1")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            reply = tsa.respond(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_timestamp_from_a_tsa_url(setup: Setup, tmp_path: Path, tsa_url: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ts.pdf"
    assert main([*setup.stamp(out, "--page", "1", "--x", "100", "--y", "100", "--tsa-url", tsa_url), "--json"]) == 0
    assert out_json(capsys)["timestamp"] is True
    assert main(["pdf", "verify", str(out), *setup.trust(), "--untrusted", str(setup.pki.chain), "--json"]) == 0
    (signature,) = out_json(capsys)["signatures"]
    assert signature["time_source"] == "timestamp"
    assert {c["name"]: c["ok"] for c in signature["checks"]}["timestamp"] is True
    # A TSA that does not answer: exit 2 and nothing written.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    bad = tmp_path / "x.pdf"
    assert main([*setup.stamp(bad, "--page", "1", "--x", "100", "--y", "100", "--tsa-url",
                              f"http://127.0.0.1:{port}/tsa"), "--json"]) == 2
    assert out_json(capsys)["error"]["message"].startswith("cannot get a timestamp")
    assert not bad.exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_without_json(setup: Setup, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    signed = tmp_path / "a.pdf"
    assert main(setup.stamp(signed, "--page", "1", "--x", "100", "--y", "100")) == 0
    capsys.readouterr()
    for extra, expect_bar in (([], True), (["--json"], False)):
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert main(["pdf", "verify", str(signed), str(signed), *setup.trust(), *extra]) == 0
        monkeypatch.undo()
        drawn = terminal.getvalue()
        assert ("2/2" in drawn and "[" + "#" * Progress.WIDTH + "]" in drawn) is expect_bar, drawn
    capsys.readouterr()


def test_placement_from_options() -> None:
    def parse(*argv: str) -> argparse.Namespace:
        parser = argparse.ArgumentParser()
        pdf_cli.register(parser.add_subparsers())
        return parser.parse_args(["pdf", "stamp", "in.pdf", "--key", "k", "--cert", "c", "--out", "o", *argv])

    page = pdf_cli.placement_from(parse("--page", "-1", "--x", "1.5", "--y", "2", "--origin", "bottom-left"))
    assert page == PagePosition(-1, 1.5, 2.0, "bottom-left")
    assert pdf_cli.placement_from(parse("--keyword", "盖章处")) == KeywordPosition("盖章处", 1, None)
    assert pdf_cli.placement_from(parse("--keyword", "A", "--occurrence", "all", "--pages", "2,3")) == \
        KeywordPosition("A", None, (2, 3))
    assert pdf_cli.placement_from(parse("--riding")) == RidingSeal(None, None)
    assert pdf_cli.placement_from(parse("--riding", "--pages", "1-3", "--riding-y", "80")) == \
        RidingSeal((1, 2, 3), 80.0)
    with pytest.raises(CommandError, match="--origin applies"):
        pdf_cli.placement_from(parse("--keyword", "A", "--origin", "top-left"))
    assert pdf_cli.size_mm("45x30", "--seal-size-mm") == (45.0, 30.0)
    assert pdf_cli.size_mm("42mm", "--seal-size-mm") == (42.0, 42.0)
    for bad in ("0", "nan", "1x2x3", "600"):
        with pytest.raises(CommandError):
            pdf_cli.size_mm(bad, "--seal-size-mm")


# ---- in a subprocess: nothing may hide a traceback ---------------------------------------------


def test_subprocess_bad_input_is_one_line(setup: Setup, tmp_path: Path) -> None:
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_bytes(b"\x00" * 2048)
    for args in (["pdf", "verify", str(not_pdf)],
                 setup.stamp(tmp_path / "o.pdf", "--page", "1", "--x", "1", "--y", "1", doc=not_pdf),
                 setup.stamp(tmp_path / "o.pdf", "--keyword", "NOWHERE")):
        result = run_cli(*args)
        assert result.returncode == 2, result.stderr
        assert result.stdout == b""
        lines = result.stderr.decode().splitlines()
        assert len(lines) == 1 and lines[0].startswith("trustkit: error: "), lines
    assert not (tmp_path / "o.pdf").exists()


def test_subprocess_stamp_verify_and_tamper(setup: Setup, tmp_path: Path) -> None:
    out = tmp_path / "sealed.pdf"
    result = run_cli(*setup.stamp(out, "--keyword", KEYWORD), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["field"] == "Seal1" and result.stderr == b""
    result = run_cli("pdf", "verify", str(out), *setup.trust())
    assert result.returncode == 0 and b"VALID (1 signature)" in result.stdout and result.stderr == b""
    bad = flip_signed_byte(out, tmp_path / "tampered.pdf")
    result = run_cli("pdf", "verify", str(bad), *setup.trust(), "--json")
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    assert json.loads(result.stdout)["error"]["code"] == "digest_mismatch"
