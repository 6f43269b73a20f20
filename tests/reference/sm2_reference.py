"""SM3 (GB/T 32905-2016) and SM2 (GB/T 32918.1/.2/.4/.5) written literally from the
standards, in plain Python integers.

A test oracle only: slow, not constant time, no input hardening beyond what the
standards' own checks require.  Clause numbers in the docstrings refer to the
GB/T texts; where a step can fail the function returns ``None`` (the standard's
"pick another k" / "report an error") instead of raising, so tests can tell a
rejected case from a bug in the oracle itself.

The curve is a parameter everywhere, so the old Fp-256 example curve of the
GB/T 32918 annexes works as well as the recommended curve sm2p256v1.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

Point = tuple[int, int]  # affine (x, y); None stands for the point at infinity O

# ---- SM3, GB/T 32905-2016 ---------------------------------------------------------

_W32 = 0xFFFFFFFF
# 4.1 initial value IV
_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600, 0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)


def _rotl(x: int, n: int) -> int:
    """<<< n, cyclic left shift of a 32-bit word (n taken mod 32, as in T_j <<< (j mod 32))."""
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _W32


def _t(j: int) -> int:
    """4.2 constant T_j."""
    return 0x79CC4519 if j <= 15 else 0x7A879D8A


def _ff(j: int, x: int, y: int, z: int) -> int:
    """4.3 boolean function FF_j."""
    return x ^ y ^ z if j <= 15 else (x & y) | (x & z) | (y & z)


def _gg(j: int, x: int, y: int, z: int) -> int:
    """4.3 boolean function GG_j (the NOT is on 32 bits)."""
    return x ^ y ^ z if j <= 15 else (x & y) | ((~x & _W32) & z)


def _p0(x: int) -> int:
    """4.4 permutation P0."""
    return x ^ _rotl(x, 9) ^ _rotl(x, 17)


def _p1(x: int) -> int:
    """4.4 permutation P1."""
    return x ^ _rotl(x, 15) ^ _rotl(x, 23)


def _pad(message: bytes) -> bytes:
    """5.2: append bit 1, then k zero bits with l + 1 + k = 448 mod 512, then l as 64 bits."""
    bit_length = 8 * len(message)
    padded = message + b"\x80"
    while len(padded) % 64 != 56:
        padded += b"\x00"
    return padded + bit_length.to_bytes(8, "big")


def _expand(block: bytes) -> tuple[list[int], list[int]]:
    """5.3.2 message expansion: W_0..W_67 and W'_0..W'_63."""
    w = [int.from_bytes(block[4 * i : 4 * i + 4], "big") for i in range(16)]
    for j in range(16, 68):
        w.append(_p1(w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)) ^ _rotl(w[j - 13], 7) ^ w[j - 6])
    w_prime = [w[j] ^ w[j + 4] for j in range(64)]
    return w, w_prime


def _cf(v: tuple[int, ...], block: bytes) -> tuple[int, ...]:
    """5.3.3 compression function V(i+1) = CF(V(i), B(i))."""
    w, w_prime = _expand(block)
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        ss1 = _rotl((_rotl(a, 12) + e + _rotl(_t(j), j)) & _W32, 7)
        ss2 = ss1 ^ _rotl(a, 12)
        tt1 = (_ff(j, a, b, c) + d + ss2 + w_prime[j]) & _W32
        tt2 = (_gg(j, e, f, g) + h + ss1 + w[j]) & _W32
        d = c
        c = _rotl(b, 9)
        b = a
        a = tt1
        h = g
        g = _rotl(f, 19)
        f = e
        e = _p0(tt2)
    return tuple(x ^ y for x, y in zip((a, b, c, d, e, f, g, h), v))


def sm3(message: bytes) -> bytes:
    """5.3.1 iteration over the padded message, 5.4 output y = V(n) as 256 bits."""
    padded = _pad(bytes(message))
    v: tuple[int, ...] = _IV
    for offset in range(0, len(padded), 64):
        v = _cf(v, padded[offset : offset + 64])
    return b"".join(word.to_bytes(4, "big") for word in v)


# ---- elliptic curves over F_p, GB/T 32918.1 ------------------------------------------


@dataclass(frozen=True)
class Curve:
    """y^2 = x^3 + ax + b over F_p with base point G of prime order n (cofactor 1 here)."""

    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    @property
    def g(self) -> Point:
        return (self.gx, self.gy)

    def on_curve(self, pt: Point | None) -> bool:
        """Coordinates are field elements (0 <= x, y < p, never reduced) and satisfy the equation."""
        if pt is None:
            return False
        x, y = pt
        return 0 <= x < self.p and 0 <= y < self.p and (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0

    def add(self, p1: Point | None, p2: Point | None) -> Point | None:
        """Part 1, 3.2.3.1 addition rules in affine coordinates: O + P = P, P + (-P) = O,
        doubling uses lambda = (3x^2 + a) / 2y, otherwise lambda = (y2 - y1) / (x2 - x1)."""
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        x1, y1 = p1
        x2, y2 = p2
        if x1 == x2 and (y1 + y2) % self.p == 0:
            return None
        if x1 == x2:
            lam = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, self.p) % self.p
        else:
            lam = (y2 - y1) * pow(x2 - x1, -1, self.p) % self.p
        x3 = (lam * lam - x1 - x2) % self.p
        y3 = (lam * (x1 - x3) - y1) % self.p
        return (x3, y3)

    def neg(self, pt: Point | None) -> Point | None:
        return None if pt is None else (pt[0], (-pt[1]) % self.p)

    def mul(self, k: int, pt: Point | None) -> Point | None:
        """Part 1, A.3 multiple-point computation [k]P, left-to-right double and add; k >= 0."""
        if k < 0:
            return self.mul(-k, self.neg(pt))
        result: Point | None = None
        for bit in bin(k)[2:]:
            result = self.add(result, result)
            if bit == "1":
                result = self.add(result, pt)
        return result

    def field_bytes(self) -> int:
        return (self.p.bit_length() + 7) // 8

    def sqrt(self, value: int) -> int | None:
        """A square root mod p (p = 3 mod 4 for both curves here), or None."""
        assert self.p % 4 == 3
        root = pow(value, (self.p + 1) // 4, self.p)
        return root if root * root % self.p == value % self.p else None


SM2P256V1 = Curve(
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
)

DEFAULT_UID = b"1234567812345678"  # GM/T 0009-2012 clause 10


def _int_to_bytes(value: int, curve: Curve = SM2P256V1) -> bytes:
    """Part 1, 4.2.1/4.2.5: a field element as a fixed-length big-endian octet string."""
    return value.to_bytes(curve.field_bytes(), "big")


def point_bytes(pt: Point, curve: Curve = SM2P256V1, *, compressed: bool = False) -> bytes:
    """Part 1, 4.2.9: uncompressed PC = 04 || X || Y; compressed PC = 02/03 || X (03 when y is odd)."""
    if compressed:
        return bytes((2 + (pt[1] & 1),)) + _int_to_bytes(pt[0], curve)
    return b"\x04" + _int_to_bytes(pt[0], curve) + _int_to_bytes(pt[1], curve)


def point_from_bytes(data: bytes, curve: Curve = SM2P256V1) -> Point | None:
    """Part 1, 4.2.10 plus the public-key validation of 6.2: None unless ``data`` is an
    exact-length 02/03/04 encoding of a point on the curve with canonical coordinates.
    (The hybrid forms 06/07 of 4.2.9 are deliberately not accepted.)"""
    size = curve.field_bytes()
    if len(data) == 1 + 2 * size and data[0] == 4:
        x = int.from_bytes(data[1 : 1 + size], "big")
        y = int.from_bytes(data[1 + size :], "big")
    elif len(data) == 1 + size and data[0] in (2, 3):
        x = int.from_bytes(data[1:], "big")
        if x >= curve.p:
            return None
        y_root = curve.sqrt(x * x * x + curve.a * x + curve.b)
        if y_root is None:
            return None
        y = y_root if (y_root & 1) == (data[0] & 1) else (curve.p - y_root) % curve.p
    else:
        return None
    return (x, y) if public_key_valid((x, y), curve) else None


def public_key_valid(pt: Point | None, curve: Curve = SM2P256V1) -> bool:
    """Part 1, 6.2.1: P != O, coordinates in [0, p-1], on the curve, [n]P = O."""
    return pt is not None and curve.on_curve(pt) and _order_divides_n(pt, curve)


@functools.lru_cache(maxsize=256)
def _order_divides_n(pt: Point, curve: Curve) -> bool:
    return curve.mul(curve.n, pt) is None


# ---- SM2 key pairs and Z_A, GB/T 32918.1 6.1 and 32918.2 5.5 -----------------------------


def private_key_valid(d: int, curve: Curve = SM2P256V1) -> bool:
    """Part 1, 6.1: d in [1, n-2] (n-1 is excluded because 1 + d must be invertible)."""
    return 1 <= d <= curve.n - 2


def public_key(d: int, curve: Curve = SM2P256V1) -> Point:
    """P = [d]G."""
    pt = curve.mul(d, curve.g)
    assert pt is not None, "d is a multiple of n"
    return pt


def z_a(uid: bytes, pub: Point, curve: Curve = SM2P256V1) -> bytes:
    """Part 2, 5.5: Z_A = H256(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A).

    ENTL_A is the bit length of ID_A as two bytes, so the ID has at most 8191 bytes.
    """
    entl = 8 * len(uid)
    if entl > 0xFFFF:
        raise ValueError("ENTL_A is two bytes: the ID has at most 8191 bytes")
    fields = (curve.a, curve.b, curve.gx, curve.gy, pub[0], pub[1])
    return sm3(entl.to_bytes(2, "big") + uid + b"".join(_int_to_bytes(v, curve) for v in fields))


def digest(uid: bytes, pub: Point, message: bytes, curve: Curve = SM2P256V1) -> int:
    """Part 2, 6.1 A1-A2: e = H256(Z_A || M) as an integer."""
    return int.from_bytes(sm3(z_a(uid, pub, curve) + message), "big")


# ---- signatures, GB/T 32918.2 6 and 7 ----------------------------------------------------------


def sign_digest(d: int, e: int, k: int, curve: Curve = SM2P256V1) -> tuple[int, int] | None:
    """6.1 A3-A7 with the given k.  None wherever the standard says "return to A3" (k outside
    [1, n-1], r = 0, r + k = n, s = 0) or when d is not a valid private key."""
    n = curve.n
    if not private_key_valid(d, curve) or not 1 <= k <= n - 1:
        return None
    kg = curve.mul(k, curve.g)  # A4
    assert kg is not None
    x1 = kg[0]
    r = (e + x1) % n  # A5
    if r == 0 or r + k == n:
        return None
    s = pow(1 + d, -1, n) * (k - r * d) % n  # A6
    if s == 0:
        return None
    return (r, s)  # A7


def sign(
    d: int, message: bytes, k: int, uid: bytes = DEFAULT_UID, curve: Curve = SM2P256V1
) -> tuple[int, int] | None:
    """6.1 A1-A7."""
    return sign_digest(d, digest(uid, public_key(d, curve), message, curve), k, curve)


def verify_digest(pub: Point, e: int, r: int, s: int, curve: Curve = SM2P256V1) -> bool:
    """7.1 B1-B7 given e' (B3-B4 done by the caller); the public key is validated first."""
    n = curve.n
    if not public_key_valid(pub, curve):
        return False
    if not 1 <= r <= n - 1:  # B1
        return False
    if not 1 <= s <= n - 1:  # B2
        return False
    t = (r + s) % n  # B5
    if t == 0:
        return False
    pt = curve.add(curve.mul(s, curve.g), curve.mul(t, pub))  # B6
    if pt is None:
        return False
    return (e + pt[0]) % n == r  # B7


def verify(
    pub: Point, message: bytes, r: int, s: int, uid: bytes = DEFAULT_UID, curve: Curve = SM2P256V1
) -> bool:
    """7.1 B1-B7."""
    return verify_digest(pub, digest(uid, pub, message, curve), r, s, curve)


# ---- public-key encryption, GB/T 32918.4 -----------------------------------------------------


def kdf(z: bytes, klen: int) -> bytes:
    """Part 4, 5.4.3 KDF(Z, klen) with klen in bytes: Ha_i = H256(Z || ct), ct a 32-bit counter
    starting at 1, output the leftmost klen bytes of Ha_1 || Ha_2 || ..."""
    out = b""
    ct = 0x00000001
    while len(out) < klen:
        out += sm3(z + ct.to_bytes(4, "big"))
        ct += 1
    return out[:klen]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def encrypt(
    pub: Point, message: bytes, k: int, curve: Curve = SM2P256V1, order: str = "C1C3C2"
) -> bytes | None:
    """Part 4, 6.1 A1-A8 with the given k.  C1 is the uncompressed point (04 || x1 || y1).
    None where the standard says "return to A1" (t all zero) or k is out of range."""
    if order not in ("C1C3C2", "C1C2C3"):
        raise ValueError(order)
    if not 1 <= k <= curve.n - 1 or not public_key_valid(pub, curve):
        return None
    c1_point = curve.mul(k, curve.g)  # A2
    assert c1_point is not None
    c1 = point_bytes(c1_point, curve)
    # A3: S = [h]P_B with h = 1 is P_B itself, checked by public_key_valid above.
    shared = curve.mul(k, pub)  # A4
    assert shared is not None
    x2, y2 = _int_to_bytes(shared[0], curve), _int_to_bytes(shared[1], curve)
    t = kdf(x2 + y2, len(message))  # A5
    if message and not any(t):
        return None
    c2 = _xor(message, t)  # A6
    c3 = sm3(x2 + message + y2)  # A7
    return c1 + c3 + c2 if order == "C1C3C2" else c1 + c2 + c3  # A8


def decrypt(d: int, ciphertext: bytes, curve: Curve = SM2P256V1, order: str = "C1C3C2") -> bytes | None:
    """Part 4, 7.1 B1-B7 for an uncompressed-C1 ciphertext; None wherever the standard
    says "report an error and exit" (C1 invalid, t all zero, u != C3) or it is too short."""
    if order not in ("C1C3C2", "C1C2C3"):
        raise ValueError(order)
    size = curve.field_bytes()
    c1_len, hash_len = 1 + 2 * size, 32
    if len(ciphertext) < c1_len + hash_len:
        return None
    c1 = point_from_bytes(ciphertext[:c1_len], curve)  # B1 (and B2 with h = 1)
    if c1 is None or ciphertext[0] != 4:
        return None
    rest = ciphertext[c1_len:]
    if order == "C1C3C2":
        c3, c2 = rest[:hash_len], rest[hash_len:]
    else:
        c2, c3 = rest[:-hash_len], rest[-hash_len:]
    shared = curve.mul(d, c1)  # B3
    assert shared is not None
    x2, y2 = _int_to_bytes(shared[0], curve), _int_to_bytes(shared[1], curve)
    t = kdf(x2 + y2, len(c2))  # B4
    if c2 and not any(t):
        return None
    message = _xor(c2, t)  # B5
    if sm3(x2 + message + y2) != c3:  # B6
        return None
    return message  # B7


# ---- DER encodings of GM/T 0009 (ITU-T X.690), for cross-checking encoders ---------------


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def der_tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + _der_length(len(content)) + content


def der_integer(value: int) -> bytes:
    """X.690 8.3: two's complement, minimal length (a 0x00 pad only when the top bit is set)."""
    assert value >= 0
    content = value.to_bytes(value.bit_length() // 8 + 1, "big")  # always room for a sign bit
    while len(content) > 1 and content[0] == 0 and content[1] < 0x80:
        content = content[1:]
    return der_tlv(0x02, content)


def der_signature(r: int, s: int) -> bytes:
    """GM/T 0009 7.3 SM2Signature ::= SEQUENCE { R INTEGER, S INTEGER }."""
    return der_tlv(0x30, der_integer(r) + der_integer(s))


def der_sm2cipher(c1c3c2: bytes, curve: Curve = SM2P256V1) -> bytes:
    """GM/T 0009 7.2 SM2Cipher ::= SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET STRING }."""
    size = curve.field_bytes()
    x = int.from_bytes(c1c3c2[1 : 1 + size], "big")
    y = int.from_bytes(c1c3c2[1 + size : 1 + 2 * size], "big")
    c3, c2 = c1c3c2[1 + 2 * size : 33 + 2 * size], c1c3c2[33 + 2 * size :]
    return der_tlv(0x30, der_integer(x) + der_integer(y) + der_tlv(0x04, c3) + der_tlv(0x04, c2))
