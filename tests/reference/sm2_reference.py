"""SM3 (GB/T 32905) and SM2 (GB/T 32918) written literally from the standards in
plain Python integers.  Slow and not constant time: a test oracle only.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---- SM3 (GB/T 32905-2016) ------------------------------------------------------

_IV = [0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600, 0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E]
_M32 = 0xFFFFFFFF


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _M32


def _p0(x: int) -> int:
    return x ^ _rotl(x, 9) ^ _rotl(x, 17)


def _p1(x: int) -> int:
    return x ^ _rotl(x, 15) ^ _rotl(x, 23)


def sm3(message: bytes) -> bytes:
    """5.2 padding, 5.3.2 expansion, 5.3.3 compression, 5.4 output."""
    length = len(message) * 8
    padded = message + b"\x80"
    padded += b"\x00" * ((56 - len(padded) % 64) % 64)
    padded += length.to_bytes(8, "big")
    v = list(_IV)
    for offset in range(0, len(padded), 64):
        block = padded[offset : offset + 64]
        w = [int.from_bytes(block[4 * j : 4 * j + 4], "big") for j in range(16)]
        for j in range(16, 68):
            w.append(_p1(w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)) ^ _rotl(w[j - 13], 7) ^ w[j - 6])
        w1 = [w[j] ^ w[j + 4] for j in range(64)]
        a, b, c, d, e, f, g, h = v
        for j in range(64):
            t = 0x79CC4519 if j < 16 else 0x7A879D8A
            ss1 = _rotl((_rotl(a, 12) + e + _rotl(t, j)) & _M32, 7)
            ss2 = ss1 ^ _rotl(a, 12)
            ff = (a ^ b ^ c) if j < 16 else ((a & b) | (a & c) | (b & c))
            gg = (e ^ f ^ g) if j < 16 else ((e & f) | (~e & g))
            tt1 = (ff + d + ss2 + w1[j]) & _M32
            tt2 = (gg + h + ss1 + w[j]) & _M32
            d, c, b, a = c, _rotl(b, 9), a, tt1
            h, g, f, e = g, _rotl(f, 19), e, _p0(tt2)
        v = [x ^ y for x, y in zip(v, [a, b, c, d, e, f, g, h])]
    return b"".join(x.to_bytes(4, "big") for x in v)


def kdf(z: bytes, length: int) -> bytes:
    """GB/T 32918.4 5.4.3."""
    out = b""
    ct = 1
    while len(out) < length:
        out += sm3(z + ct.to_bytes(4, "big"))
        ct += 1
    return out[:length]


# ---- curves -------------------------------------------------------------------------


@dataclass(frozen=True)
class Curve:
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    @property
    def g(self) -> tuple[int, int]:
        return (self.gx, self.gy)

    def on_curve(self, pt: tuple[int, int] | None) -> bool:
        if pt is None:
            return False
        x, y = pt
        return 0 <= x < self.p and 0 <= y < self.p and (y * y - x * x * x - self.a * x - self.b) % self.p == 0

    def add(self, p1: tuple[int, int] | None, p2: tuple[int, int] | None) -> tuple[int, int] | None:
        """Affine addition (GB/T 32918.1 3.2.3.1); None is the point at infinity."""
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        (x1, y1), (x2, y2) = p1, p2
        if x1 == x2 and (y1 + y2) % self.p == 0:
            return None
        if p1 == p2:
            lam = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, self.p) % self.p
        else:
            lam = (y2 - y1) * pow(x2 - x1, -1, self.p) % self.p
        x3 = (lam * lam - x1 - x2) % self.p
        return (x3, (lam * (x1 - x3) - y1) % self.p)

    def mul(self, k: int, pt: tuple[int, int] | None) -> tuple[int, int] | None:
        result = None
        addend = pt
        while k:
            if k & 1:
                result = self.add(result, addend)
            addend = self.add(addend, addend)
            k >>= 1
        return result


SM2P256V1 = Curve(
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
)


def _b32(v: int) -> bytes:
    return v.to_bytes(32, "big")


def point_bytes(pt: tuple[int, int]) -> bytes:
    return b"\x04" + _b32(pt[0]) + _b32(pt[1])


def point_from_bytes(data: bytes) -> tuple[int, int]:
    assert len(data) == 65 and data[0] == 4
    return (int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big"))


# ---- SM2 (GB/T 32918.2 / .4) ----------------------------------------------------------


def public_key(d: int, curve: Curve = SM2P256V1) -> tuple[int, int]:
    pt = curve.mul(d, curve.g)
    assert pt is not None
    return pt


def z_a(uid: bytes, pub: tuple[int, int], curve: Curve = SM2P256V1) -> bytes:
    """GB/T 32918.2 5.5."""
    entl = (len(uid) * 8).to_bytes(2, "big")
    return sm3(entl + uid + b"".join(_b32(v) for v in (curve.a, curve.b, curve.gx, curve.gy, pub[0], pub[1])))


def sign_digest(d: int, e: int, k: int, curve: Curve = SM2P256V1) -> tuple[int, int] | None:
    """A4-A7 for a given k; None where the standard says to pick another k."""
    if not 1 <= k < curve.n:
        return None
    x1, _ = curve.mul(k, curve.g)  # type: ignore[misc]
    r = (e + x1) % curve.n
    if r == 0 or r + k == curve.n:
        return None
    s = pow(1 + d, -1, curve.n) * (k - r * d) % curve.n
    if s == 0:
        return None
    return r, s


def sign(d: int, message: bytes, k: int, uid: bytes = b"1234567812345678", curve: Curve = SM2P256V1) -> tuple[int, int] | None:
    pub = public_key(d, curve)
    e = int.from_bytes(sm3(z_a(uid, pub, curve) + message), "big")
    return sign_digest(d, e, k, curve)


def verify_digest(pub: tuple[int, int], e: int, r: int, s: int, curve: Curve = SM2P256V1) -> bool:
    """B1-B7."""
    if not (1 <= r < curve.n and 1 <= s < curve.n) or not curve.on_curve(pub):
        return False
    t = (r + s) % curve.n
    if t == 0:
        return False
    pt = curve.add(curve.mul(s, curve.g), curve.mul(t, pub))
    if pt is None:
        return False
    return (e + pt[0]) % curve.n == r


def verify(pub: tuple[int, int], message: bytes, r: int, s: int, uid: bytes = b"1234567812345678",
           curve: Curve = SM2P256V1) -> bool:
    e = int.from_bytes(sm3(z_a(uid, pub, curve) + message), "big")
    return verify_digest(pub, e, r, s, curve)


def encrypt(pub: tuple[int, int], message: bytes, k: int, curve: Curve = SM2P256V1) -> bytes | None:
    """GB/T 32918.4 6.1, output C1 || C3 || C2 (C1 with the 04 prefix)."""
    c1 = curve.mul(k, curve.g)
    shared = curve.mul(k, pub)
    assert c1 is not None and shared is not None
    x2, y2 = _b32(shared[0]), _b32(shared[1])
    t = kdf(x2 + y2, len(message))
    if message and not any(t):
        return None
    c2 = bytes(m ^ ti for m, ti in zip(message, t))
    c3 = sm3(x2 + message + y2)
    return point_bytes(c1) + c3 + c2


def decrypt(d: int, ciphertext: bytes, curve: Curve = SM2P256V1) -> bytes | None:
    """GB/T 32918.4 7.1 for C1 || C3 || C2."""
    c1 = point_from_bytes(ciphertext[:65])
    if not curve.on_curve(c1):
        return None
    c3, c2 = ciphertext[65:97], ciphertext[97:]
    shared = curve.mul(d, c1)
    assert shared is not None
    x2, y2 = _b32(shared[0]), _b32(shared[1])
    t = kdf(x2 + y2, len(c2))
    if c2 and not any(t):
        return None
    message = bytes(c ^ ti for c, ti in zip(c2, t))
    return message if sm3(x2 + message + y2) == c3 else None
