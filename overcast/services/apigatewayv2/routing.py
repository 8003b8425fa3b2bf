"""Which route of an HTTP API a request reaches, as API Gateway chooses: among the routes
whose method (or ANY) and path match, the most specific path wins — a literal segment before
a `{variable}`, a variable before a greedy `{proxy+}` — then a route of the request's own
method before ANY; the `$default` route catches what nothing else does."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

_STATIC, _VARIABLE, _GREEDY = 2, 1, 0


class Route:
    __slots__ = ("greedy", "method", "rank", "record", "segments")

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        method, _, path = record["RouteKey"].partition(" ")
        self.method = method
        self.segments: list[tuple[int, str]] = []
        self.greedy = False
        for part in [part for part in path.split("/") if part]:
            if part.startswith("{") and part.endswith("+}"):
                self.segments.append((_GREEDY, part[1:-2]))
                self.greedy = True
                break
            if part.startswith("{") and part.endswith("}"):
                self.segments.append((_VARIABLE, part[1:-1]))
            else:
                self.segments.append((_STATIC, part))
        self.rank = ((*tuple(kind for kind, _ in self.segments), 3), method != "ANY")

    def match(self, method: str, parts: list[str]) -> dict[str, str] | None:
        if self.method != method and self.method != "ANY":
            return None
        found: dict[str, str] = {}
        segments = self.segments
        if self.greedy:
            if len(parts) < len(segments):
                return None
        elif len(parts) != len(segments):
            return None
        for index, (kind, text) in enumerate(segments):
            if kind == _GREEDY:
                found[text] = "/".join(parts[index:])
                return found
            part = parts[index]
            if kind == _STATIC:
                if part != text:
                    return None
            else:
                found[text] = part
        return found


class RouteTable:
    """The routes of one deployment, most specific first."""

    __slots__ = ("default", "routes")

    def __init__(self, routes: dict[str, dict[str, Any]]) -> None:
        self.default: dict[str, Any] | None = None
        compiled = []
        for record in routes.values():
            if record["RouteKey"] == "$default":
                self.default = record
            elif " " in record["RouteKey"]:
                compiled.append(Route(record))
        compiled.sort(key=lambda route: route.rank, reverse=True)
        self.routes = compiled

    def match(self, method: str, path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
        """(route, path parameters) for a request's method and (percent-encoded) path."""
        parts = [unquote(part) for part in path.split("/") if part]
        for route in self.routes:
            found = route.match(method, parts)
            if found is not None:
                return route.record, found
        if self.default is not None:
            return self.default, {}
        return None
