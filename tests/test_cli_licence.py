"""``trustkit licence ...``: issue (one record, a CSV batch with --resume), verify (file and
directory, --json, exit codes), qr make|verify (decoding the PNG with zxing-cpp), id/uscc/idno.

cli/main.py does not list the licence commands yet (the lead wires them), so these tests build
the same parser main() does with only ``licence`` registered and run handlers through
``_output.run``, exactly as main() would.
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pki_helpers import NOW
from test_licence_batch import people, write_csv
from test_licence_issue import EXAMPLES, issued, record, seal
from test_licence_verify import edit
from test_ofd_stamp import pki
from trustkit_cli import licence
from trustkit_cli._output import ArgumentParser, UsageError, run

from trustkit.licence.qr import TrustListEntry, make_trust_list
from trustkit.licence.status import StatusEntry, make_status_list
from trustkit.pki.signer import LocalSigner

PERSON = "qualification_certificate"
LATER = (NOW + timedelta(days=1)).isoformat()


def cli(*argv: str) -> int:
    parser = ArgumentParser(prog="trustkit", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    licence.register(sub)
    try:
        args = parser.parse_args(list(argv))
    except UsageError:
        return 2
    return run(args.handler, args)


def out_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("licence-cli")
    p = pki()
    paths = {name: root / name for name in ("roots.pem", "ints.pem", "key.pem", "cert.pem", "seal.esl", "ca.pem",
                                            "ca.key.pem", "status.json", "tl.json")}
    paths["roots.pem"].write_bytes(p.signer.root.to_pem() + p.maker.root.to_pem())
    paths["ints.pem"].write_bytes(p.signer.intermediate.to_pem() + p.maker.intermediate.to_pem())
    paths["key.pem"].write_bytes(p.signer.leaf_key.private_bytes("PEM"))  # type: ignore[union-attr]
    paths["cert.pem"].write_bytes(p.signer.leaf.to_pem())
    paths["seal.esl"].write_bytes(seal())
    paths["ca.pem"].write_bytes(p.signer.intermediate.to_pem())
    ca = LocalSigner(p.signer.intermediate_key, p.signer.intermediate)
    rec = record(PERSON)
    paths["status.json"].write_bytes(make_status_list(
        ca, issuer_code=rec.issuer_code, list_number=1, this_update=NOW,
        entries=[StatusEntry(str(rec.identifier), "revoked", NOW.date(), "注销")]))
    paths["tl.json"].write_bytes(make_trust_list([TrustListEntry.from_certificate(
        p.signer.leaf, issuer_name=rec.issuer_name, issuer_code=rec.issuer_code)], ca, sequence=1, issued_at=NOW))
    paths["template"] = EXAMPLES / f"{PERSON}.json"
    paths["record"] = EXAMPLES / f"{PERSON}.record.json"
    paths["dir"] = root
    return paths


def trust(files: dict[str, Path]) -> list[str]:
    return ["--trust", str(files["roots.pem"]), "--untrusted", str(files["ints.pem"]), "--at", LATER]


def signing(files: dict[str, Path]) -> list[str]:
    return ["--key", str(files["key.pem"]), "--cert", str(files["cert.pem"]), "--seal", str(files["seal.esl"])]


def test_issue_one_and_verify(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "licence.ofd"
    assert cli("licence", "issue", "--template", str(files["template"]), "--data", str(files["record"]),
               *signing(files), "--time", NOW.isoformat(), "--out", str(out), "--json") == 0
    assert out_json(capsys)["identifier"] == str(record(PERSON).identifier)
    assert cli("licence", "verify", str(out), *trust(files)) == 0
    text = capsys.readouterr().out
    assert "VALID" in text and "林小梅" in text
    assert cli("licence", "verify", str(out), *trust(files), "--status", str(files["status.json"]),
               "--status-cert", str(files["ca.pem"]), "--json") == 1
    payload = out_json(capsys)
    assert payload["ok"] is False and payload["failures"] == ["licence_revoked"]
    # Expired at --at; a foreign root.
    assert cli("licence", "verify", str(out), "--trust", str(files["roots.pem"]), "--untrusted", str(files["ints.pem"]),
               "--at", "2032-01-01T00:00:00Z", "--json") == 1
    assert out_json(capsys)["failures"] == ["licence_expired"]
    assert cli("licence", "issue", "--template", str(files["template"]), "--data", str(files["record"]),
               *signing(files), "--out", str(out)) == 2  # exists, no --force
    assert "already exists" in capsys.readouterr().err


def test_issue_toml_template(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = json.loads(files["template"].read_text(encoding="utf-8"))
    toml = [f'format = "{template["format"]}"', f'name = "{template["name"]}"',
            f'page = {{ width = {template["page"]["width"]}, height = {template["page"]["height"]} }}',
            'seal = { x = 90, y = 150 }', "[[fields]]", 'field = "holder_name"', "x = 14", "y = 44", "width = 64",
            "size = 4"]
    path = tmp_path / "t.toml"
    path.write_text("\n".join(toml) + "\n", encoding="utf-8")
    out = tmp_path / "t.ofd"
    assert cli("licence", "issue", "--template", str(path), "--data", str(files["record"]), *signing(files),
               "--time", NOW.isoformat(), "--out", str(out)) == 0
    assert cli("licence", "verify", str(out), *trust(files)) == 0
    path.write_text("format = [", encoding="utf-8")
    assert cli("licence", "issue", "--template", str(path), "--data", str(files["record"]), *signing(files),
               "--out", str(tmp_path / "x.ofd")) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_batch_resume_and_directory_verify(files: dict[str, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    source = write_csv(tmp_path / "records.csv", people(6))
    out = tmp_path / "issued"
    out.mkdir()
    args = ["licence", "issue", "--template", str(files["template"]), "--data", str(source), *signing(files),
            "--time", NOW.isoformat(), "--out-dir", str(out)]
    assert cli(*args, "--json") == 0
    assert out_json(capsys)["issued"] == 6
    assert cli(*args, "--resume", "--json") == 0
    assert out_json(capsys) == {"ok": True, "issued": 0, "skipped": 6, "failed": 0, "out_dir": str(out),
                                "failures": []}
    assert cli(*args, "--json") == 2  # without --resume existing files are failures, never overwritten
    assert out_json(capsys)["failed"] == 6

    assert cli("licence", "verify", str(out), *trust(files), "--json") == 0
    payload = out_json(capsys)
    assert (payload["valid"], payload["total"], payload["valid_count"]) == (True, 6, 6)
    victim = min(out.glob("*.ofd"))
    victim.write_bytes(victim.read_bytes()[:1000])  # truncated: unreadable
    (out / "zz.ofd").write_bytes(edit(issued(PERSON), "Doc_0/Pages/Page_0/Content.xml",
                                      lambda b: b.replace("林小梅".encode(), "林大梅".encode())))
    assert cli("licence", "verify", str(out), *trust(files)) == 1
    text = capsys.readouterr().out
    assert "5 of 7 licence(s) valid, 1 invalid, 1 unreadable" in text
    assert f"ERROR   {victim}" in text and "INVALID" in text and "referenced_file_changed" in text


def test_batch_usage_errors(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_csv(tmp_path / "r.csv", people(1))
    base = ["licence", "issue", "--template", str(files["template"]), *signing(files)]
    assert cli(*base, "--data", str(source), "--out", str(tmp_path / "x.ofd")) == 2
    assert cli(*base, "--data", str(files["record"]), "--out-dir", str(tmp_path), "--resume") == 2
    assert cli(*base, "--data", str(files["record"])) == 2
    assert cli(*base, "--data", str(source), "--out-dir", str(tmp_path / "missing")) == 2
    assert "not a directory" in capsys.readouterr().err


def test_qr_make_and_verify(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ofd = tmp_path / "l.ofd"
    ofd.write_bytes(issued(PERSON))
    png = tmp_path / "qr.png"
    assert cli("licence", "qr", "make", str(ofd), "--key", str(files["key.pem"]), "--cert", str(files["cert.pem"]),
               "--show-minutes", "5", "--time", NOW.isoformat(), "--out", str(png), "--json") == 0
    text = out_json(capsys)["text"]
    base = ["licence", "qr", "verify", "--trust-list", str(files["tl.json"]), "--trust-anchor", str(files["ca.pem"])]
    assert cli(*base, "--image", str(png), "--at", (NOW + timedelta(minutes=2)).isoformat(), "--json") == 0
    payload = out_json(capsys)
    assert payload["valid"] and payload["claims"]["mode"] == "show" and payload["claims"]["holder_name"] == "林*梅"
    assert cli(*base, "--text", text, "--at", (NOW + timedelta(minutes=6)).isoformat(), "--json") == 1
    assert out_json(capsys)["error"]["code"] == "qr_expired"
    assert cli(*base, "--text", text, "--at", (NOW + timedelta(minutes=1)).isoformat(), "--status",
               str(files["status.json"]), "--status-cert", str(files["ca.pem"])) == 1
    assert "FAIL status_list" in capsys.readouterr().out
    svg = tmp_path / "qr.svg"
    assert cli("licence", "qr", "make", str(files["record"]), "--key", str(files["key.pem"]), "--cert",
               str(files["cert.pem"]), "--time", NOW.isoformat(), "--out", str(svg)) == 0
    assert svg.read_bytes().startswith(b"<svg")
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    assert cli(*base, "--image", str(tmp_path / "blank.png")) == 2
    assert "no trustkit licence QR code" in capsys.readouterr().err


def test_codes(capsys: pytest.CaptureFixture[str]) -> None:
    good = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"
    assert cli("licence", "id", "check", good, "--json") == 0
    assert out_json(capsys)["serial"] == "2430599"
    assert cli("licence", "id", "check", good[:-1] + "G", "--json") == 1
    payload = out_json(capsys)
    assert payload["valid"] is False and payload["part"] == "check"
    assert cli("licence", "id", "make", "--type-code", "11100000000013338W032", "--issuer-code", "11220000013544541J",
               "--serial", "2430599") == 0
    assert capsys.readouterr().out.strip() == good
    assert cli("licence", "uscc", "check", "11100000000013338W", "--json") == 0
    assert out_json(capsys)["region"] == "100000"
    assert cli("licence", "uscc", "check", "11100000000013338X") == 1
    assert "INVALID unified social credit code" in capsys.readouterr().out
    assert cli("licence", "idno", "check", "11010519491231002X", "--json") == 0
    payload = out_json(capsys)
    assert (payload["birth_date"], payload["sex"]) == ("1949-12-31", "female")
    assert cli("licence", "idno", "check", "110105194912310021") == 1
    assert "INVALID" in capsys.readouterr().out
    assert cli("licence", "id", "make", "--type-code", "X", "--issuer-code", "Y", "--serial", "1") == 2
