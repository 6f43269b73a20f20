"""OFD documents (GB/T 33190-2016): reading, writing, stamping and verifying signatures."""

from __future__ import annotations
