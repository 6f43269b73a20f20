"""The SM3-chained audit log: verification, tamper detection with the record index, group
commit, torn tails, fail-closed behaviour and the database sink."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import threading
import warnings
from pathlib import Path

import pytest

from trustkit.daemon.app import create_app
from trustkit.daemon.audit import (
    GENESIS,
    AuditLog,
    FileAuditSink,
    StorageAuditSink,
    verify_audit,
)
from trustkit.daemon.config import load_config
from trustkit.daemon.state import Daemon
from trustkit.daemon.storage import SQLiteStorage
from trustkit.errors import AuditUnavailableError
from trustkit.primitives import sm3

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

KEY = b"k" * 32


def write_log(path: Path, count: int) -> list[str]:
    log = AuditLog(FileAuditSink(str(path)), KEY)
    for i in range(count):
        log.write({"type": "test", "n": i, "secret": log.hmac(f"s{i}")})
    log.close()
    return path.read_text().splitlines()


def test_chain_structure_and_clean_verification(tmp_path: Path) -> None:
    lines = write_log(tmp_path / "a.jsonl", 5)
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == list(range(5))
    assert records[0]["prev"] == GENESIS
    for before, after in itertools.pairwise(records):
        assert after["prev"] == before["hash"]
    body = dict(records[2])
    digest = body.pop("hash")
    assert sm3.hash(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hex() == digest
    report = verify_audit(tmp_path / "a.jsonl")
    assert report.valid and report.records == 5 and report.last_hash == records[-1]["hash"]


@pytest.mark.parametrize("tamper, index", [
    ("edit", 3), ("remove", 3), ("reorder", 2), ("insert", 4), ("garbage", 1),
])
def test_tampering_is_detected_with_the_record_index(tmp_path: Path, tamper: str, index: int) -> None:
    path = tmp_path / "a.jsonl"
    lines = write_log(path, 8)
    if tamper == "edit":
        record = json.loads(lines[3])
        record["rec"]["n"] = 999
        lines[3] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    elif tamper == "remove":
        del lines[3]
    elif tamper == "reorder":
        lines[2], lines[3] = lines[3], lines[2]
    elif tamper == "insert":
        lines.insert(4, lines[1])
    else:
        lines[1] = "not json at all"
    path.write_text("\n".join(lines) + "\n")
    report = verify_audit(path)
    assert not report.valid and report.bad_index == index, report


def test_edit_with_recomputed_hash_still_breaks_the_next_link(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = write_log(path, 4)
    record = json.loads(lines[1])
    record["rec"]["n"] = 42
    record.pop("hash")
    record["hash"] = sm3.hash(json.dumps(record, sort_keys=True, separators=(",", ":")).encode()).hex()
    lines[1] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")
    report = verify_audit(path)
    assert not report.valid and report.bad_index == 2 and "link" in (report.reason or "")


def test_truncation_is_caught_with_a_witnessed_last_hash(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = write_log(path, 5)
    last = json.loads(lines[-1])["hash"]
    path.write_text("\n".join(lines[:-1]) + "\n")
    assert verify_audit(path).valid  # a chain alone cannot see a cut end ...
    assert not verify_audit(path, expect_last_hash=last).valid  # ... a remembered last hash can


def test_group_commit_from_many_threads_keeps_one_linear_chain(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    log = AuditLog(FileAuditSink(str(path)), KEY)
    sequence_numbers: list[int] = []
    lock = threading.Lock()

    def work(t: int) -> None:
        for i in range(50):
            row = log.write({"t": t, "i": i})
            with lock:
                sequence_numbers.append(row.seq)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.close()
    assert sorted(sequence_numbers) == list(range(400))
    assert verify_audit(path).valid


def test_two_writers_on_one_file_share_the_chain(tmp_path: Path) -> None:
    """Worker processes each have their own sink; flock + re-reading the tail keeps one chain."""
    path = tmp_path / "a.jsonl"
    first, second = AuditLog(FileAuditSink(str(path)), KEY), AuditLog(FileAuditSink(str(path)), KEY)
    for i in range(20):
        (first if i % 3 else second).write({"i": i})
    first.close()
    second.close()
    assert verify_audit(path).records == 20 and verify_audit(path).valid


def test_torn_tail_from_a_crash_is_cut_before_the_next_append(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    write_log(path, 3)
    with open(path, "ab") as handle:
        handle.write(b'{"half a rec')
    log = AuditLog(FileAuditSink(str(path)), KEY)
    assert log.write({"after": "crash"}).seq == 3
    log.close()
    assert verify_audit(path).valid and verify_audit(path).records == 4


def test_database_sink_chain_and_tamper_detection(tmp_path: Path) -> None:
    storage = SQLiteStorage(str(tmp_path / "db.sqlite"))
    log = AuditLog(StorageAuditSink(storage), KEY)
    for i in range(6):
        log.write({"i": i})
    log.close()
    assert verify_audit(storage).valid and verify_audit(storage).records == 6
    conn = storage._conn()
    conn.execute("DELETE FROM audit WHERE seq = 2")
    report = verify_audit(storage)
    assert not report.valid and report.bad_index == 2
    storage.close()


def test_fail_closed_when_the_audit_file_cannot_be_written(tmp_path: Path) -> None:
    config = load_config(flags={"data_dir": str(tmp_path), "scrypt_n": 1024}, env={})
    daemon = Daemon.from_config(config, create=True)
    daemon.keystore.initialize("passphrase!", scrypt_n=1024)
    daemon.keystore.unseal("passphrase!")
    token, _ = daemon.auth.create_token(["root"])
    headers = {"X-Vault-Token": token}
    audit_path = tmp_path / "audit.jsonl"
    with TestClient(create_app(daemon)) as client:
        assert client.post("/v1/transit/keys/k", json={"type": "sm2"}, headers=headers).status_code == 200
        ok = client.post("/v1/transit/sign/k", json={"input": "eA=="}, headers=headers)
        assert ok.status_code == 200
        # Make the audit file unwritable.  chmod does not stop root, so replace it with a directory.
        shutil.move(audit_path, tmp_path / "audit.saved")
        os.mkdir(audit_path)
        refused = client.post("/v1/transit/sign/k", json={"input": "eA=="}, headers=headers)
        assert refused.status_code == 503 and "audit" in refused.json()["errors"][0]
        assert "signature" not in refused.text
        os.rmdir(audit_path)
        shutil.move(tmp_path / "audit.saved", audit_path)
        assert client.post("/v1/transit/sign/k", json={"input": "eA=="}, headers=headers).status_code == 200
        # An emptied log is not silently restarted as a new chain.
        audit_path.write_bytes(b"")
        assert client.post("/v1/transit/sign/k", json={"input": "eA=="}, headers=headers).status_code == 503
    with pytest.raises(AuditUnavailableError):
        daemon.audit.write({"after": "close"})
