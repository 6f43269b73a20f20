"""trustkit: SM2/SM3/SM4 trust services for Chinese e-government.

The primitives are re-exported here so that ``from trustkit import sm2, sm3, sm4``
works; see :mod:`trustkit.primitives`.
"""

from __future__ import annotations

from trustkit.primitives import sm2, sm3, sm4

__version__ = "0.1.0"
__all__ = ["__version__", "sm2", "sm3", "sm4"]
