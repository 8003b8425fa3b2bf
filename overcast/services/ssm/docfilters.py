"""ListDocuments' filters: the legacy DocumentFilterList (one value per key) and
Filters (key/values, Owner Self/Amazon/Public/Private/ThirdParty/All, tag:KEY)."""

from __future__ import annotations

from collections.abc import Callable

from overcast.context import RequestContext
from overcast.errors import ServiceError

Row = tuple[str, dict, dict]
Test = Callable[[RequestContext, dict, dict, list[str]], bool]


def _owner(context: RequestContext, document: dict, version: dict, values: list[str]) -> bool:
    owner = document["Owner"]
    shared = document.get("shared") or {}
    kinds = {
        "Self": owner == context.account,
        "Amazon": owner == "Amazon",
        "Public": "all" in shared,
        "Private": owner == context.account or (owner != "Amazon" and context.account in shared),
        "ThirdParty": False,
        "All": True,
    }
    return any(kinds.get(value, False) for value in values)


def _tag(key: str) -> Test:
    def test(context: RequestContext, document: dict, version: dict, values: list[str]) -> bool:
        tags = document.get("tags") or {}
        return key in tags and (not values or tags[key] in values)

    return test


_TESTS: dict[str, Test] = {
    "Name": lambda c, d, v, values: any(d["Name"].startswith(value) for value in values),
    "Owner": _owner,
    "PlatformTypes": lambda c, d, v, values: bool(set(v["PlatformTypes"]) & set(values)),
    "DocumentType": lambda c, d, v, values: d["DocumentType"] in values,
    "SearchKeyword": lambda c, d, v, values: any(value.lower() in d["Name"].lower() for value in values),
    "TargetType": lambda c, d, v, values: d.get("TargetType") in values,
    "DocumentReviewStatus": lambda c, d, v, values: v.get("ReviewStatus") in values,
}


def matcher(context: RequestContext, params: dict) -> Callable[[str, dict, dict], bool]:
    """A test of (where, document, default version) against the request's filters."""
    checks: list[tuple[Test, list[str]]] = []
    for entry in params.get("DocumentFilterList") or []:
        checks.append((_TESTS[entry["key"]], [entry["value"]]))
    for entry in params.get("Filters") or []:
        key = entry.get("Key") or ""
        test = _tag(key[4:]) if key.startswith("tag:") else _TESTS.get(key)
        if test is None:
            raise ServiceError("InvalidFilterKey", f"The filter key {key} is not valid.")
        checks.append((test, list(entry.get("Values") or [])))

    def accepts(where: str, document: dict, version: dict) -> bool:
        return all(test(context, document, version, values) for test, values in checks)

    return accepts
