"""SM2 public-key infrastructure: certificates, requests, CRLs, path validation, CMS and timestamps.

The public names are re-exported here once each module lands; see the modules for details.
"""

from __future__ import annotations
