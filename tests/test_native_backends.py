"""The two field backends (MULX/ADX and portable C) must agree bit for bit.

The machine running the suite uses one backend by default; the environment
variable TRUSTKIT_NATIVE_BACKEND=portable forces the other in a subprocess, and
both compute the same deterministic workload (signatures with given nonces,
constant-time and variable-time point multiplications, verification verdicts).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

WORKLOAD = r"""
import hashlib, json, random
from trustkit import sm2
from trustkit.primitives._backend import core

rng = random.Random(20261124)
rows = []
for _ in range(120):
    d = rng.randrange(1, 2**256).to_bytes(32, "big")
    if not core.check_private(d):
        continue
    key = sm2.PrivateKey(d)
    pub = key.public_key()
    e, k = rng.randbytes(32), rng.randbytes(32)
    try:
        sig = sm2._sign_digest_with_nonce(key, e, k)
    except ValueError:
        sig = b""
    ok = bool(sig) and core.verify_digest(pub.public_bytes("raw"), None, e, sig)
    scalar = rng.randbytes(32)
    rows.append([
        pub.public_bytes("raw").hex(),
        sig.hex(),
        ok,
        core.point_mul(scalar, pub.public_bytes("raw")).hex(),
        core.base_mul(scalar).hex(),
        core.verify_table_build(pub.public_bytes("raw"))[:4096].hex(),
    ])
print(json.dumps({"backend": core.backend_name(),
                  "digest": hashlib.sha256(json.dumps(rows).encode()).hexdigest(),
                  "all_valid": all(r[2] for r in rows if r[1])}))
"""


def run_workload(backend: str | None) -> dict[str, object]:
    env = dict(os.environ)
    env.pop("TRUSTKIT_NATIVE_BACKEND", None)
    if backend:
        env["TRUSTKIT_NATIVE_BACKEND"] = backend
    out = subprocess.run(
        [sys.executable, "-c", WORKLOAD], env=env, capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(out.stdout)


def test_portable_and_default_backends_agree() -> None:
    default = run_workload(None)
    portable = run_workload("portable")
    assert portable["backend"] == "portable"
    assert default["all_valid"] is True and portable["all_valid"] is True
    assert default["digest"] == portable["digest"], (default, portable)
