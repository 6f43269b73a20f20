"""Electronic seals: SES seal structures (GB/T 38540-2020, GM/T 0031-2014) and seal images."""

from __future__ import annotations
