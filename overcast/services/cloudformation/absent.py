"""Hook results: hooks are extensions whose handlers Overcast does not run (see registry.py),
so no hook ever ran here, and these reads say so the way AWS does for an account without
any (an empty list, or the hook result's not-found error)."""

from __future__ import annotations

from typing import Any

from overcast.context import RequestContext
from overcast.errors import ServiceError


class AbsentFeatures:
    # -- hooks: none can be activated, so none ran ----------------------------------------------------------

    def list_hook_results(self, context: RequestContext, params: dict) -> dict:
        output: dict[str, Any] = {"HookResults": []}
        for key in ("TargetType", "TargetId"):
            if params.get(key):
                output[key] = params[key]
        return output

    def get_hook_result(self, context: RequestContext, params: dict) -> dict:
        raise ServiceError(
            "HookResultNotFound", f"Hook result {params.get('HookResultId', '')} not found", 404
        )
