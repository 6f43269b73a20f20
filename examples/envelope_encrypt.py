"""Send data to a partner department: SM2 wraps a fresh SM4 key, SM4-GCM encrypts the data.

Run:  python examples/envelope_encrypt.py

SM2 encryption is for short secrets (keys); bulk data goes through SM4-GCM.
"""

from __future__ import annotations

import json
import os

from trustkit import sm2, sm4


def seal_for(recipient: sm2.PublicKey, data: bytes) -> dict[str, str]:
    content_key = os.urandom(sm4.KEY_SIZE)
    nonce = os.urandom(12)
    return {
        "wrapped_key": recipient.encrypt(content_key, encoding="der").hex(),  # GM/T 0009 SM2Cipher
        "nonce": nonce.hex(),
        "ciphertext": sm4.encrypt_gcm(content_key, nonce, data, aad=b"trustkit-example-v1").hex(),
    }


def open_sealed(recipient_key: sm2.PrivateKey, envelope: dict[str, str]) -> bytes:
    content_key = recipient_key.decrypt(bytes.fromhex(envelope["wrapped_key"]), encoding="der")
    return sm4.decrypt_gcm(
        content_key, bytes.fromhex(envelope["nonce"]), bytes.fromhex(envelope["ciphertext"]), aad=b"trustkit-example-v1"
    )


def main() -> int:
    partner = sm2.generate_private_key()
    record = json.dumps({"holder": "张三", "licence": "3301XX-2026-000123"}, ensure_ascii=False).encode()
    envelope = seal_for(partner.public_key(), record)
    print(json.dumps(envelope, indent=2))
    recovered = open_sealed(partner, envelope)
    print("decrypted:", recovered.decode())
    return 0 if recovered == record else 1


if __name__ == "__main__":
    raise SystemExit(main())
