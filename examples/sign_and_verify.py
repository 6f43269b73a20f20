"""Sign a document with an SM2 key kept encrypted on disk, then verify it.

Run:  python examples/sign_and_verify.py [DOCUMENT]

What a portal does when it stamps a payload: load (or create) its signing key,
sign with the standard signer ID, hand out the DER signature and the public key,
and let anyone verify.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from trustkit import sm2
from trustkit.errors import InvalidSignature

PASSWORD = b"change me: read it from your secret store"


def load_or_create_key(path: Path) -> sm2.PrivateKey:
    """Keys at rest are always encrypted (PKCS#8 + PBES2, readable by OpenSSL)."""
    if path.exists():
        return sm2.load_private_key(path.read_bytes(), password=PASSWORD)
    key = sm2.generate_private_key()
    path.write_bytes(key.private_bytes("PEM", password=PASSWORD))
    path.chmod(0o600)
    return key


def main() -> int:
    document = Path(sys.argv[1]).read_bytes() if len(sys.argv) > 1 else "营业执照 No. 91350100M000100Y43".encode()
    with tempfile.TemporaryDirectory() as workdir:
        key = load_or_create_key(Path(workdir) / "portal-signing-key.pem")
        public_pem = key.public_key().public_bytes("PEM")

        signature = key.sign(document)  # DER SM2Signature, ID 1234567812345678
        print(f"signature ({len(signature)} bytes DER): {signature.hex()}")

        # The relying party only has the public key.
        verifier = sm2.load_public_key(public_pem)
        verifier.verify(signature, document)
        print("valid: the signature verifies with the default signer ID")

        try:
            verifier.verify(signature, document + b"tampered")
        except InvalidSignature:
            print("tampered document: rejected as expected")
        else:
            print("ERROR: a tampered document verified")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
