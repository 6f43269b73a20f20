"""Electronic licences (GB/T 36901–36905): identifiers and holder codes, issuance to sealed OFD,
verification, and scan-to-show QR payloads."""

from __future__ import annotations
