"""Ids that are unique but need not be secret: request ids, message ids, event ids.

A random head per process and a counter, shaped like a UUID (8-4-4-4-12 hex) as AWS's are.
Unique within the process (the counter) and across processes and restarts (the 64 random
bits of the head and the random start of the counter), at a tenth of uuid4()'s cost, which
matters on the send/publish/request paths. Successive ids share their head and are easy to
guess: anything a client must not forge (receipt handles, upload ids, secrets) takes
`secrets`/`os.urandom` instead.
"""

from __future__ import annotations

import itertools
import os
import uuid

_HEAD = "{0[0]}-{0[1]}-{0[2]}-{0[3]}-".format(str(uuid.uuid4()).split("-"))
_counter = itertools.count(int.from_bytes(os.urandom(5), "big"))


def fast_uuid() -> str:
    """A new UUID-shaped id, e.g. "1f0c2a4e-5b6d-4c8e-9a0b-00a1b2c3d4e5"."""
    return f"{_HEAD}{next(_counter) & 0xFFFFFFFFFFFF:012x}"
