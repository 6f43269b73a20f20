"""``trustkit demo``: a short tour that makes a key, signs, verifies, encrypts and times it."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from trustkit import sm2, sm3
from trustkit.errors import InvalidSignature
from trustkit.primitives import backend_name

from ._output import EXIT_INVALID, EXIT_OK, command, emit

MESSAGE = "电子证照 licence 3301XX-2026-000123: 张三".encode()
SECRET = b"SM4 content key 0123456789abcdef"
#: The library's default number of cached per-key verification tables (restored after timing).


def _time(func: Callable[[], object], count: int) -> dict[str, float]:
    start = time.perf_counter()
    for _ in range(count):
        func()
    seconds = time.perf_counter() - start
    return {"count": count, "seconds": round(seconds, 4), "per_second": round(count / seconds)}


def _timings(key: sm2.PrivateKey, signature: bytes, count: int) -> dict[str, dict[str, float]]:
    public = key.public_key()
    out = {"sign": _time(lambda: key.sign(MESSAGE), count)}
    cache_size = sm2.verify_cache_size()
    sm2.set_verify_cache_size(0)  # plain verification, without the per-key table
    try:
        out["verify"] = _time(lambda: public.verify(signature, MESSAGE), count)
    finally:
        sm2.set_verify_cache_size(cache_size)
    public.precompute()
    out["verify_prepared_key"] = _time(lambda: public.verify(signature, MESSAGE), count)
    start = time.perf_counter()
    sm2.sign_many(key, [MESSAGE] * count)
    seconds = time.perf_counter() - start
    out["sign_many"] = {"count": count, "seconds": round(seconds, 4), "per_second": round(count / seconds)}
    return out


def _demo(args: argparse.Namespace) -> int:
    key = sm2.generate_private_key()
    public = key.public_key()
    signature = key.sign(MESSAGE)  # DER, default signer ID
    public.verify(signature, MESSAGE)
    raw = sm2.decode_signature_der(signature)
    public.verify(raw, MESSAGE, encoding="raw")
    try:
        public.verify(signature, MESSAGE + b"!")
        tamper_rejected = False
    except InvalidSignature:
        tamper_rejected = True
    ciphertext = public.encrypt(SECRET)
    decrypted_ok = key.decrypt(ciphertext) == SECRET
    timings = _timings(key, signature, args.count)
    ok = tamper_rejected and decrypted_ok

    result: dict[str, Any] = {
        "backend": backend_name(),
        "public_key_fingerprint": sm3.hash(public.public_bytes("raw")).hex(),
        "signer_id": sm2.DEFAULT_UID.decode(),
        "message": MESSAGE.decode(),
        "signature_der": signature.hex(),
        "signature_raw": raw.hex(),
        "verified": True,
        "tampered_message_rejected": tamper_rejected,
        "encryption_round_trip": decrypted_ok,
        "ciphertext_bytes": len(ciphertext),
        "timings": timings,
        "rates_per_second": {name: t["per_second"] for name, t in timings.items()},
    }

    def row(label: str, name: str) -> str:
        t = timings[name]
        return f"   {label:<22} {t['count']:>6,.0f} in {t['seconds']:.3f} s = {t['per_second']:>9,.0f} /s"

    text = "\n".join(
        [
            "trustkit demo: SM2 with SM3 (GB/T 32918), signer ID 1234567812345678 (GM/T 0009)",
            "",
            f"1. new key            fingerprint {result['public_key_fingerprint'][:32]}…",
            f"2. signed message     {MESSAGE.decode()}",
            f"   {f'DER ({len(signature)} bytes)':<20} {signature.hex()}",
            f"   {'raw r||s (64 bytes)':<20} {raw.hex()}",
            "3. verify             valid (both forms)",
            "4. tampered message   " + ("rejected, as it should be" if tamper_rejected else "ACCEPTED: this is a bug"),
            f"5. encrypt/decrypt    {len(SECRET)}-byte secret -> {len(ciphertext)}-byte C1C3C2 ciphertext -> "
            + ("same secret back" if decrypted_ok else "MISMATCH: this is a bug"),
            f"6. speed on this machine (C core: {result['backend']})",
            row("sign", "sign"),
            row("verify", "verify"),
            row("verify, prepared key", "verify_prepared_key"),
            row("sign_many (all cores)", "sign_many"),
            "",
            "next: trustkit key gen --out k.pem --pub p.pem   (then trustkit sign --help, trustkit bench)",
        ]
    )
    emit(args, result, text, ok=ok)
    return EXIT_OK if ok else EXIT_INVALID


def _count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError("must be between 1 and 1000000")
    return value


def register(sub: Any) -> None:
    demo = command(
        sub, "demo", help="make a key, sign, verify, encrypt, and print timings",
        description="A short tour: make an SM2 key, sign a message with the default signer ID, verify it,\n"
                    "show the DER and raw forms, show that a tampered message fails, round-trip SM2\n"
                    "encryption, and time signing and verification on this machine.",
        examples="  trustkit demo\n  trustkit demo --quick --json",
    )
    demo.add_argument("--count", type=_count, default=2000, metavar="N",
                      help="operations per timing (default 2000)")
    demo.add_argument("--quick", dest="count", action="store_const", const=200, help="same as --count 200")
    demo.set_defaults(handler=_demo)


__all__ = ["register"]
