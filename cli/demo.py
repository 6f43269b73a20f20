"""``trustkit demo``: a short tour that makes a key, signs, verifies, encrypts and times it."""

from __future__ import annotations

import argparse
import time

from trustkit import sm2, sm3
from trustkit.errors import InvalidSignature
from trustkit.primitives import backend_name

from trustkit_cli._output import command, EXIT_INVALID, EXIT_OK, emit


def _rate(func: object, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        func()  # type: ignore[operator]
    return count / (time.perf_counter() - start)


def _demo(args: argparse.Namespace) -> int:
    message = "电子证照 licence 3301XX-2026-000123: 张三".encode()
    key = sm2.generate_private_key()
    public = key.public_key()
    signature = key.sign(message)
    public.verify(signature, message)
    raw = sm2.decode_signature_der(signature)
    try:
        public.verify(signature, message + b"!")
        tamper_rejected = False
    except InvalidSignature:
        tamper_rejected = True
    secret = b"SM4 content key 0123456789abcdef"
    ciphertext = public.encrypt(secret)
    decrypted_ok = key.decrypt(ciphertext) == secret

    count = 300 if args.quick else 2000
    sign_rate = _rate(lambda: key.sign(message), count)
    sm2.set_verify_cache_size(0)  # plain verification, without the per-key table
    verify_rate = _rate(lambda: public.verify(signature, message), max(count // 4, 50))
    sm2.set_verify_cache_size(32)
    public.precompute()
    prepared_rate = _rate(lambda: public.verify(signature, message), count)
    batch = [message] * count
    start = time.perf_counter()
    sm2.sign_many(key, batch)
    batch_rate = count / (time.perf_counter() - start)

    result = {
        "backend": backend_name(),
        "public_key_fingerprint": sm3.hash(public.public_bytes("raw")).hex(),
        "signer_id": sm2.DEFAULT_UID.decode(),
        "signature_der": signature.hex(),
        "signature_raw": raw.hex(),
        "verified": True,
        "tampered_message_rejected": tamper_rejected,
        "encryption_round_trip": decrypted_ok,
        "rates_per_second": {
            "sign": round(sign_rate),
            "verify": round(verify_rate),
            "verify_prepared_key": round(prepared_rate),
            "sign_many": round(batch_rate),
        },
    }
    text = "\n".join(
        [
            "trustkit demo — SM2 with SM3, signer ID 1234567812345678 (GM/T 0009)",
            f"  native core backend : {result['backend']}",
            f"  new key fingerprint : {result['public_key_fingerprint']}",
            f"  message             : {message.decode()}",
            f"  signature (DER)     : {signature.hex()}",
            f"  signature (raw r||s): {raw.hex()}",
            "  verify              : valid",
            f"  tampered message    : {'rejected' if tamper_rejected else 'ACCEPTED (bug!)'}",
            f"  SM2 encrypt/decrypt : {'round trip ok' if decrypted_ok else 'FAILED'}",
            "  timings on this machine:",
            f"    sign               {sign_rate:>10,.0f} /s",
            f"    verify             {verify_rate:>10,.0f} /s",
            f"    verify (prepared)  {prepared_rate:>10,.0f} /s",
            f"    sign_many          {batch_rate:>10,.0f} /s",
            "  next: `trustkit bench` compares these with P-256 and other SM2 libraries",
        ]
    )
    emit(args, result, text)
    return EXIT_OK if tamper_rejected and decrypted_ok else EXIT_INVALID


def register(sub: argparse._SubParsersAction, run: object) -> None:  # type: ignore[type-arg]
    demo = command(sub, "demo", help="make a key, sign, verify, encrypt, and print timings")
    demo.add_argument("--quick", action="store_true", help="fewer iterations for the timings")
    demo.set_defaults(handler=_demo)


__all__ = ["register"]
