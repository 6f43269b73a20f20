"""Exchange keys and signatures with the OpenSSL 3 command line.

Run:  python examples/openssl_interop.py

OpenSSL 3.0 signs with an EMPTY signer ID unless told otherwise, which is the
most common SM2 interop failure.  Always pass `-pkeyopt distid:1234567812345678`.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from trustkit import sm2

DISTID = "distid:" + sm2.DEFAULT_UID.decode()


def main() -> int:
    if shutil.which("openssl") is None:
        print("openssl is not installed; nothing to show")
        return 0
    with tempfile.TemporaryDirectory() as workdir:
        tmp = Path(workdir)
        key = sm2.generate_private_key()
        (tmp / "key.pem").write_bytes(key.private_bytes("PEM"))
        (tmp / "pub.pem").write_bytes(key.public_key().public_bytes("PEM"))
        (tmp / "msg").write_bytes(b"interop message")

        # trustkit signs, OpenSSL verifies.
        (tmp / "sig").write_bytes(key.sign(b"interop message"))
        verify = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg",
                  "-sigfile", "sig", "-digest", "sm3", "-pkeyopt", DISTID]
        print("$", " ".join(verify))
        result = subprocess.run(verify, cwd=tmp, capture_output=True, text=True)
        print(result.stdout.strip() or result.stderr.strip())
        if result.returncode != 0:
            return 1

        # OpenSSL signs with trustkit's key file, trustkit verifies.
        sign = ["openssl", "pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-in", "msg",
                "-digest", "sm3", "-pkeyopt", DISTID, "-out", "sig2"]
        print("$", " ".join(sign))
        subprocess.run(sign, cwd=tmp, check=True)
        key.public_key().verify((tmp / "sig2").read_bytes(), b"interop message")
        print("trustkit verified OpenSSL's signature")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
