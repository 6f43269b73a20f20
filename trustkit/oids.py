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
    "ANY_EXTENDED_KEY_USAGE",
    "ANY_POLICY",
    "ATTR_CONTENT_TYPE",
    "ATTR_MESSAGE_DIGEST",
    "ATTR_SIGNING_CERTIFICATE",
    "ATTR_SIGNING_CERTIFICATE_V2",
    "ATTR_SIGNING_TIME",
    "CMS_DATA",
    "CMS_SIGNED_DATA",
    "CMS_TST_INFO",
    "EC_PUBLIC_KEY",
    "GM_CMS_DATA",
    "GM_CMS_ENCRYPTED_DATA",
    "GM_CMS_ENVELOPED_DATA",
    "GM_CMS_KEY_AGREEMENT_INFO",
    "GM_CMS_SIGNED_AND_ENVELOPED_DATA",
    "GM_CMS_SIGNED_DATA",
    "HMAC_SM3",
    "HMAC_WITH_SHA1",
    "HMAC_WITH_SHA224",
    "HMAC_WITH_SHA256",
    "HMAC_WITH_SHA384",
    "HMAC_WITH_SHA512",
    "KP_CLIENT_AUTH",
    "KP_CODE_SIGNING",
    "KP_EMAIL_PROTECTION",
    "KP_OCSP_SIGNING",
    "KP_SERVER_AUTH",
    "KP_TIME_STAMPING",
    "PBES2",
    "PBKDF2",
    "SM2",
    "SM2_ENCRYPT",
    "SM2_ENCRYPT_GMSSL",
    "SM2_SIGN",
    "SM2_SIGN_WITH_SM3",
    "SM3",
    "SM3_WITHOUT_KEY",
    "SM4_CBC",
]

# GM/T 0006-2012 / GB/T 33560-2017
SM2: Final = "1.2.156.10197.1.301"  # the curve sm2p256v1, and the SM2 algorithm
SM2_SIGN_WITH_SM3: Final = "1.2.156.10197.1.501"
SM2_SIGN: Final = "1.2.156.10197.1.301.1"  # "SM2-1"; CMS digestEncryptionAlgorithm in some vendors' output
SM2_ENCRYPT: Final = "1.2.156.10197.1.301.3"
SM2_ENCRYPT_GMSSL: Final = "1.2.156.10197.1.301.2"  # GmSSL 3.x's sm2encrypt (the standard's 301.2 is key exchange)
SM3: Final = "1.2.156.10197.1.401"
HMAC_SM3: Final = "1.2.156.10197.1.401.2"  # "SM3 with key"
SM4_CBC: Final = "1.2.156.10197.1.104.2"  # de-facto sub-arc (GmSSL, Bouncy Castle)

SM3_WITHOUT_KEY: Final = "1.2.156.10197.1.401.1"  # seen for SM3 in CMS digestAlgorithm / OFD CheckMethod

# GM/T 0010-2012 / GB/T 35275-2017 SM2 cryptographic message syntax (arc 1.2.156.10197.6.1.4.2)
GM_CMS_DATA: Final = "1.2.156.10197.6.1.4.2.1"
GM_CMS_SIGNED_DATA: Final = "1.2.156.10197.6.1.4.2.2"
GM_CMS_ENVELOPED_DATA: Final = "1.2.156.10197.6.1.4.2.3"
GM_CMS_SIGNED_AND_ENVELOPED_DATA: Final = "1.2.156.10197.6.1.4.2.4"
GM_CMS_ENCRYPTED_DATA: Final = "1.2.156.10197.6.1.4.2.5"
GM_CMS_KEY_AGREEMENT_INFO: Final = "1.2.156.10197.6.1.4.2.6"

# RFC 5652 content types and attributes
CMS_DATA: Final = "1.2.840.113549.1.7.1"
CMS_SIGNED_DATA: Final = "1.2.840.113549.1.7.2"
CMS_TST_INFO: Final = "1.2.840.113549.1.9.16.1.4"  # RFC 3161 id-ct-TSTInfo
ATTR_CONTENT_TYPE: Final = "1.2.840.113549.1.9.3"
ATTR_MESSAGE_DIGEST: Final = "1.2.840.113549.1.9.4"
ATTR_SIGNING_TIME: Final = "1.2.840.113549.1.9.5"
ATTR_SIGNING_CERTIFICATE_V2: Final = "1.2.840.113549.1.9.16.2.47"  # RFC 5035
ATTR_SIGNING_CERTIFICATE: Final = "1.2.840.113549.1.9.16.2.12"  # RFC 2634

# RFC 5280 extended key usages
KP_SERVER_AUTH: Final = "1.3.6.1.5.5.7.3.1"
KP_CLIENT_AUTH: Final = "1.3.6.1.5.5.7.3.2"
KP_CODE_SIGNING: Final = "1.3.6.1.5.5.7.3.3"
KP_EMAIL_PROTECTION: Final = "1.3.6.1.5.5.7.3.4"
KP_TIME_STAMPING: Final = "1.3.6.1.5.5.7.3.8"
KP_OCSP_SIGNING: Final = "1.3.6.1.5.5.7.3.9"
ANY_EXTENDED_KEY_USAGE: Final = "2.5.29.37.0"
ANY_POLICY: Final = "2.5.29.32.0"

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
