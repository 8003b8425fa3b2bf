"""The user ids Lambda functions run as when Overcast runs as root (services/lambda/isolation.py):
the base plus 24 bits of a hash of the function's account, region and name, far above any real
user's id. Here, outside the `lambda` package, so the gatekeeper can tell a function's requests
without loading Lambda."""

from __future__ import annotations

UID_BASE = 0x60000000
UID_SPAN = 1 << 24
FUNCTION_UIDS = range(UID_BASE, UID_BASE + UID_SPAN)
