"""Which resource of a deployment a request path reaches: static path parts before
`{variable}` parts before a greedy `{proxy+}`, as API Gateway chooses."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote


class Node:
    __slots__ = ("greedy", "resource", "static", "variable")

    def __init__(self) -> None:
        self.resource: dict[str, Any] | None = None
        self.static: dict[str, Node] = {}
        self.variable: tuple[str, Node] | None = None
        self.greedy: tuple[str, dict[str, Any]] | None = None


def build(resources: dict[str, dict[str, Any]]) -> Node:
    root = Node()
    for resource in resources.values():
        node = root
        parts = [part for part in resource["path"].split("/") if part]
        for index, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if index == len(parts) - 1:
                    node.greedy = (part[1:-2], resource)
                break
            if part.startswith("{") and part.endswith("}"):
                if node.variable is None:
                    node.variable = (part[1:-1], Node())
                node = node.variable[1]
            else:
                node = node.static.setdefault(part, Node())
        else:
            node.resource = resource
    return root


def match(root: Node, path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    """(resource, path parameters) for a request path (still percent-encoded), or None."""
    parts = [part for part in path.split("/") if part]
    return _walk(root, parts, 0, {})


def _walk(
    node: Node, parts: list[str], index: int, found: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]] | None:
    if index == len(parts):
        if node.resource is not None:
            return node.resource, found
        return None
    part = parts[index]
    child = node.static.get(unquote(part))
    if child is not None:
        result = _walk(child, parts, index + 1, found)
        if result is not None:
            return result
    if node.variable is not None:
        name, child = node.variable
        result = _walk(child, parts, index + 1, {**found, name: unquote(part)})
        if result is not None:
            return result
    if node.greedy is not None:
        name, resource = node.greedy
        return resource, {**found, name: unquote("/".join(parts[index:]))}
    return None
