"""Cryptographic primitives: SM2 (GB/T 32918), SM3 (GB/T 32905), SM4 (GB/T 32907).

SM2 and SM3 run on trustkit's own C core; SM4 uses ``cryptography``.
"""

from __future__ import annotations

from trustkit.primitives import sm2, sm3, sm4
from trustkit.primitives._backend import backend_name

__all__ = ["backend_name", "sm2", "sm3", "sm4"]
