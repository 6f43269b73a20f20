"""Batch issuance: CSV in, one sealed file per record out; resumable, no partial files after a
SIGKILL, one run per directory, row errors reported without stopping the run.

The 10,000-record run (time and memory) is ``benchmarks/test_bench_licence.py::test_batch_ten_thousand``.
"""

from __future__ import annotations

import csv
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pki_helpers import NOW
from test_licence_issue import record, seal, signer, template
from test_ofd_stamp import pki

from trustkit.errors import ConfigurationError, DecodeError
from trustkit.licence.batch import (
    CSV_COLUMNS,
    LOCK_FILE,
    BatchEvent,
    issue_batch,
    licence_file_name,
    read_csv_records,
    record_to_row,
)
from trustkit.licence.codes import LicenceIdentifier, make_id_number
from trustkit.licence.model import LicenceRecord
from trustkit.licence.verify import verify_directory, verify_licence

PERSON = "qualification_certificate"
LATER = NOW + timedelta(days=1)


def people(count: int, start: int = 0) -> Iterator[LicenceRecord]:
    """``count`` distinct valid qualification records (serials S000000..., ID numbers by order)."""
    base = record(PERSON).to_dict()
    for i in range(start, start + count):
        serial = f"S{i:08d}"
        ident = LicenceIdentifier.build(base["licence_type_code"], base["issuer_code"], serial)
        holder = make_id_number("350102", date(1980, 1, 1) + timedelta(days=i % 9000), 100 + i % 800)
        yield LicenceRecord.from_dict({**base, "identifier": str(ident), "licence_number": serial,
                                       "holder_code": holder, "holder_name": f"测试{i}"})


def write_csv(path: Path, records: Iterator[LicenceRecord]) -> Path:
    rows = [record_to_row(r) for r in records]
    columns = list(CSV_COLUMNS) + sorted({k for row in rows for k in row} - set(CSV_COLUMNS))
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_csv_round_trip(tmp_path: Path) -> None:
    records = [*people(3), record("business_licence")]
    path = write_csv(tmp_path / "r.csv", iter(records))
    assert list(read_csv_records(path)) == records
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert "extra.性别" in header and "extra.成立日期:date" in header


@pytest.mark.parametrize("header, message", [
    ("identifier,holder_name", "lacks column"),
    (",".join(CSV_COLUMNS) + ",nickname", "neither a record field"),
    (",".join(CSV_COLUMNS) + ",extra.x:float", "type suffix"),
    (",".join(CSV_COLUMNS) + ",status", "twice"),
])
def test_csv_header_errors(tmp_path: Path, header: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(DecodeError, match=message):
        list(read_csv_records(path))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DecodeError, match="empty"):
        list(read_csv_records(tmp_path / "empty.csv"))


def test_batch_200_then_resume(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "records.csv", people(200))
    out = tmp_path / "out"
    out.mkdir()
    events: list[BatchEvent] = []
    result = issue_batch(source, template(PERSON), signer(), seal(), out, progress=events.append, time=NOW)
    assert (result.issued, result.skipped, result.failed) == (200, 0, 0)
    assert [e.row for e in events] == list(range(2, 202)) and {e.status for e in events} == {"issued"}
    files = sorted(p.name for p in out.iterdir() if p.suffix == ".ofd")
    assert files == sorted(licence_file_name(r) for r in people(200))
    assert [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != LOCK_FILE] == []
    summary = verify_directory(out, context=pki().context(), at=LATER)
    assert summary.counts == {"valid": 200, "invalid": 0, "error": 0}

    again = issue_batch(source, template(PERSON), signer(), seal(), out, time=NOW)
    assert (again.issued, again.skipped, again.failed) == (0, 200, 0)
    # A damaged file is issued again; resume=False never overwrites.
    victim = out / licence_file_name(next(people(1, 7)))
    victim.write_bytes(b"truncated")
    third = issue_batch(source, template(PERSON), signer(), seal(), out, time=NOW)
    assert (third.issued, third.skipped) == (1, 199) and verify_licence(victim, context=pki().context(), at=LATER).valid
    strict = issue_batch(people(2), template(PERSON), signer(), seal(), out, resume=False, time=NOW)
    assert strict.failed == 2 and "already exists" in strict.failures[0].message


def test_row_errors_do_not_stop_the_run(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "r.csv", people(3))
    lines = source.read_text(encoding="utf-8").splitlines()
    ident = lines[2].split(",")[0]
    lines[2] = lines[2].replace(ident, ident[:-1] + ("A" if ident[-1] != "A" else "B"), 1)  # wrong check char
    lines.append("only,three,cells")
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    result = issue_batch(source, template(PERSON), signer(), seal(), out, time=NOW)
    assert (result.issued, result.failed) == (2, 2)
    assert [f.row for f in result.failures] == [3, 5]
    assert "check character" in result.failures[0].message and "cells" in result.failures[1].message


def test_one_batch_per_directory(tmp_path: Path) -> None:
    with open(tmp_path / LOCK_FILE, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        with pytest.raises(ConfigurationError, match="another batch"):
            issue_batch(people(1), template(PERSON), signer(), seal(), tmp_path)
    with pytest.raises(ConfigurationError, match="does not exist"):
        issue_batch(people(1), template(PERSON), signer(), seal(), tmp_path / "missing")


CHILD = r"""
import sys
from datetime import datetime, timezone
from pathlib import Path
from trustkit import sm2
from trustkit.licence.batch import issue_batch
from trustkit.licence.template import load_template
from trustkit.pki.certificate import Certificate
from trustkit.pki.signer import LocalSigner
work = Path(sys.argv[1])
signer = LocalSigner(sm2.load_private_key((work / "key.pem").read_bytes()),
                     Certificate.load((work / "cert.pem").read_bytes()))
def progress(event):
    print(event.row, flush=True)
issue_batch(work / "records.csv", load_template(sys.argv[2]), signer, (work / "seal.esl").read_bytes(),
            work / "out", progress=progress, time=datetime.fromisoformat(sys.argv[3]))
"""


def test_kill_mid_run_then_resume(tmp_path: Path) -> None:
    total = 150
    write_csv(tmp_path / "records.csv", people(total))
    (tmp_path / "key.pem").write_bytes(pki().signer.leaf_key.private_bytes("PEM"))  # type: ignore[union-attr]
    (tmp_path / "cert.pem").write_bytes(pki().signer.leaf.to_pem())
    (tmp_path / "seal.esl").write_bytes(seal())
    out = tmp_path / "out"
    out.mkdir()
    template_path = Path(__file__).resolve().parents[1] / "examples" / "licence_templates" / f"{PERSON}.json"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), str(template_path), NOW.isoformat()],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    done = 0
    deadline = time.monotonic() + 60
    while done < 30 and time.monotonic() < deadline:  # let it issue some, then kill it mid-write
        line = child.stdout.readline()
        if not line:
            break
        done += 1
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
    partial = sorted(p for p in out.glob("*.ofd"))
    assert 30 <= len(partial) < total
    for path in partial:  # whatever was renamed into place is complete and valid
        assert verify_licence(path, context=pki().context(), at=LATER).valid, path

    result = issue_batch(tmp_path / "records.csv", template(PERSON), signer(), seal(), out, time=NOW)
    assert result.failed == 0 and result.skipped == len(partial) and result.issued == total - len(partial)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([LOCK_FILE, *(licence_file_name(r) for r in people(total))])  # no temporaries left
    summary = verify_directory(out, context=pki().context(), at=LATER)
    assert summary.counts == {"valid": total, "invalid": 0, "error": 0}
