"""Two daemon processes sharing one real PostgreSQL 15 server on 127.0.0.1: keys, tokens,
policies, rotation and one audit chain are shared, as behind a load balancer.

The server is a throwaway cluster in a temporary directory (initdb refuses root, so it runs as
the ``postgres`` user via ``runuser``); the test is skipped with the reason when that fails.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from trustkit.daemon._testing import free_port, init_data_dir, start_daemon
from trustkit.daemon.audit import verify_audit
from trustkit.daemon.storage import PostgresStorage
from trustkit.primitives import sm2

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 binaries not installed (/usr/lib/postgresql/15/bin)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: initdb refuses root")
    base = Path(tempfile.mkdtemp(prefix="tk-pg-"))
    os.chmod(base, 0o777)
    data = base / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    try:
        subprocess.run(_as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                    "-E", "UTF8"), check=True, capture_output=True, timeout=120)
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "start",
                                    "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=on"),
                       check=True, capture_output=True, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(base, ignore_errors=True)
        detail = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"cannot start a throwaway PostgreSQL: {exc} {detail[-300:]!r}")
    try:
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    finally:
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"),
                       capture_output=True, timeout=60, check=False)
        shutil.rmtree(base, ignore_errors=True)


def test_two_instances_share_keys_tokens_rotation_and_one_audit_chain(postgres: str, tmp_path: Path) -> None:
    common = {"storage": "postgresql", "database_url": postgres, "audit": "storage", "key_cache_ttl": 0.2}
    config_a, root = init_data_dir(tmp_path / "a", **common)
    # Instance B has its own directory but the same pepper (token hashes must agree).
    (tmp_path / "b").mkdir()
    shutil.copy(tmp_path / "a" / "pepper", tmp_path / "b" / "pepper")
    config_b, _ = init_data_dir(tmp_path / "b", **common)
    a, b = start_daemon(config_a, root), start_daemon(config_b, root)
    try:
        with a.client() as ca, b.client() as cb:
            info = ca.post("/v1/transit/keys/shared", json={"type": "sm2"}).json()["data"]
            public = sm2.load_public_key(info["keys"]["1"]["public_key"].encode())
            token = ca.post("/v1/auth/token/create", json={"policies": ["root"]}).json()["auth"]["client_token"]
            message = base64.b64encode(b"load balanced").decode()
            r = cb.post("/v1/transit/sign/shared", json={"input": message}, headers={"X-Vault-Token": token})
            assert r.status_code == 200, r.text
            signature = r.json()["data"]["signature"]
            public.verify(base64.b64decode(signature.split(":", 2)[2]), b"load balanced")
            assert ca.post("/v1/transit/verify/shared", json={"input": message, "signature": signature}
                           ).json()["data"]["valid"]
            ca.post("/v1/transit/keys/shared/rotate")
            time.sleep(0.3)  # key_cache_ttl
            assert cb.post("/v1/transit/sign/shared", json={"input": message}).json()["data"]["key_version"] == 2
            for i in range(30):  # interleaved writers, one chain
                (ca if i % 2 else cb).post("/v1/transit/sign/shared", json={"input": message})
    finally:
        a.stop()
        b.stop()
    storage = PostgresStorage(postgres)
    try:
        report = verify_audit(storage)
        assert report.valid and report.records >= 36, report
        with storage._conn().transaction():
            storage._conn().execute("UPDATE audit SET record = replace(record, '\"status\":200', '\"status\":201') "
                                    "WHERE seq = 5")
        tampered = verify_audit(storage)
        assert not tampered.valid and tampered.bad_index == 5
    finally:
        storage.close()
