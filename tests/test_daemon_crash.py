"""kill -9 of the daemon in the middle of mixed key-create/sign traffic, restart, unseal:
every acknowledged key exists with the acknowledged public key and still signs, the audit
chain verifies, and every acknowledged operation is in the audit log.

1,000 operations by default; TRUSTKIT_CRASH_OPS=10000 for the issue's full run.
"""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import threading
from pathlib import Path

import httpx
import pytest

from trustkit.daemon._testing import init_data_dir, start_daemon
from trustkit.daemon.audit import verify_audit
from trustkit.primitives import sm2

OPERATIONS = int(os.environ.get("TRUSTKIT_CRASH_OPS", "1000"))
THREADS = 4


@pytest.mark.parametrize("seed", [int(os.environ.get("TRUSTKIT_CRASH_SEED", "0")) or random.randrange(1 << 30)])
def test_kill_9_during_mixed_operations_loses_nothing_acknowledged(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    config_path, token = init_data_dir(tmp_path)
    daemon = start_daemon(config_path, token)
    kill_after = rng.randrange(OPERATIONS // 5, OPERATIONS * 4 // 5)
    keys: dict[str, str] = {}  # acknowledged key -> public key PEM
    signatures: list[tuple[str, bytes, bytes]] = []  # (key, message, DER) acknowledged
    request_ids: set[str] = set()
    lock = threading.Lock()
    counter = [0]
    killed = threading.Event()

    def next_op() -> int | None:
        with lock:
            if counter[0] >= OPERATIONS:
                return None
            counter[0] += 1
            if counter[0] == kill_after:
                daemon.process.send_signal(signal.SIGKILL)
                killed.set()
            return counter[0]

    def client_loop(worker: int, url: str) -> None:
        local = random.Random(seed * 31 + worker + len(url))
        with httpx.Client(base_url=url, headers={"X-Vault-Token": token}, timeout=10.0) as client:
            while True:
                op = next_op()
                if op is None:
                    return
                with lock:
                    known = list(keys)
                try:
                    if not known or local.random() < 0.15:
                        name = f"k{worker}-{op}"
                        r = client.post(f"/v1/transit/keys/{name}", json={"type": "sm2"})
                        if r.status_code == 200:
                            body = r.json()
                            with lock:
                                keys[name] = body["data"]["keys"]["1"]["public_key"]
                                request_ids.add(body["request_id"])
                    else:
                        name = local.choice(known)
                        message = f"op {op} by {worker}".encode()
                        r = client.post(f"/v1/transit/sign/{name}", json={"input": base64.b64encode(message).decode()})
                        if r.status_code == 200:
                            body = r.json()
                            der = base64.b64decode(body["data"]["signature"].split(":", 2)[2])
                            with lock:
                                signatures.append((name, message, der))
                                request_ids.add(body["request_id"])
                except httpx.HTTPError:
                    if killed.is_set():
                        return  # the daemon is gone; what was acknowledged is what counts
                    raise

    def phase(url: str) -> None:
        threads = [threading.Thread(target=client_loop, args=(w, url)) for w in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    phase(daemon.url)
    assert killed.is_set() and daemon.process.wait(10) == -signal.SIGKILL
    acknowledged_before = len(request_ids)
    assert acknowledged_before >= kill_after // 2, "too few operations were acknowledged before the kill"

    daemon = start_daemon(config_path, token)  # restart and unseal, then finish the remaining operations
    try:
        with lock:
            counter[0] = max(counter[0], acknowledged_before)
        phase(daemon.url)
        assert len(request_ids) > acknowledged_before
        with daemon.client() as client:
            for name, pem in keys.items():
                r = client.get(f"/v1/transit/keys/{name}")
                assert r.status_code == 200, f"acknowledged key {name} lost (seed {seed})"
                assert r.json()["data"]["keys"]["1"]["public_key"] == pem, f"key {name} changed"
                public = sm2.load_public_key(pem.encode())
                r = client.post(f"/v1/transit/sign/{name}", json={"input": "YWZ0ZXI="})
                assert r.status_code == 200, f"key {name} does not sign after restart"
                public.verify(base64.b64decode(r.json()["data"]["signature"].split(":", 2)[2]), b"after")
    finally:
        daemon.stop()
    for name, message, der in signatures:
        sm2.load_public_key(keys[name].encode()).verify(der, message)
    report = verify_audit(tmp_path / "audit.jsonl")
    assert report.valid, f"{report} (seed {seed})"
    logged = {json.loads(line)["rec"]["request_id"] for line in (tmp_path / "audit.jsonl").read_text().splitlines()}
    missing = request_ids - logged
    assert not missing, f"{len(missing)} acknowledged operations missing from the audit log (seed {seed})"
