"""SNS's listings: the shared key pagination, with tokens written as SNS writes its own, in
standard base64 with its padding (what clients that decode them expect)."""

from __future__ import annotations

import base64
from typing import Any

from overcast.common import pagination


def paginate_keys(*args: Any, **kwargs: Any) -> dict[str, Any]:
    out = pagination.paginate_keys(*args, **kwargs)
    for name in ("NextToken", "nextToken"):
        token = out.get(name)
        if token:
            # The shared decoder reads the standard alphabet and padding as well.
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            out[name] = base64.b64encode(raw).decode()
    return out
