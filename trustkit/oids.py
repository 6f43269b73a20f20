"""Every object identifier trustkit uses, in one table.

Names follow the defining standard.  Sources: GM/T 0006 / GB/T 33560 (the
1.2.156.10197 arc), RFC 5480 (EC keys), RFC 8018 (PBES2/PBKDF2), NIST CSOR (AES).
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AES128_CBC",
    "AES192_CBC",
    "AES256_CBC",
    "EC_PUBLIC_KEY",
    "HMAC_SM3",
    "HMAC_WITH_SHA1",
    "HMAC_WITH_SHA224",
    "HMAC_WITH_SHA256",
    "HMAC_WITH_SHA384",
    "HMAC_WITH_SHA512",
    "PBES2",
    "PBKDF2",
    "SM2",
    "SM2_SIGN_WITH_SM3",
    "SM3",
    "SM4_CBC",
]

# GM/T 0006-2012 / GB/T 33560-2017
SM2: Final = "1.2.156.10197.1.301"  # the curve sm2p256v1, and the SM2 algorithm
SM2_SIGN_WITH_SM3: Final = "1.2.156.10197.1.501"
SM3: Final = "1.2.156.10197.1.401"
HMAC_SM3: Final = "1.2.156.10197.1.401.2"  # "SM3 with key"
SM4_CBC: Final = "1.2.156.10197.1.104.2"  # de-facto sub-arc (GmSSL, Bouncy Castle)

# RFC 5480
EC_PUBLIC_KEY: Final = "1.2.840.10045.2.1"

# RFC 8018 (PKCS #5 v2.1)
PBES2: Final = "1.2.840.113549.1.5.13"
PBKDF2: Final = "1.2.840.113549.1.5.12"
HMAC_WITH_SHA1: Final = "1.2.840.113549.2.7"
HMAC_WITH_SHA224: Final = "1.2.840.113549.2.8"
HMAC_WITH_SHA256: Final = "1.2.840.113549.2.9"
HMAC_WITH_SHA384: Final = "1.2.840.113549.2.10"
HMAC_WITH_SHA512: Final = "1.2.840.113549.2.11"

# NIST Computer Security Objects Register
AES128_CBC: Final = "2.16.840.1.101.3.4.1.2"
AES192_CBC: Final = "2.16.840.1.101.3.4.1.22"
AES256_CBC: Final = "2.16.840.1.101.3.4.1.42"
