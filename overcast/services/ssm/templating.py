"""What Automation reads out of values: `{{ name }}` substitution (parameters, `step.Output`,
`global:` and `automation:` variables, `ssm:` Parameter Store parameters) and the JSONPath selectors of step outputs
(`$.Parameter.Value`, `$.Reservations[0].Instances[*].InstanceId`, `$..Name`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_WHOLE = re.compile(r"^\s*\{\{\s*([A-Za-z0-9_:./\-]+)\s*\}\}\s*$")
_ANY = re.compile(r"\{\{\s*([A-Za-z0-9_:./\-]+)\s*\}\}")
_MISSING = object()


class Unresolved(ValueError):
    """A `{{ name }}` no parameter, output or variable provides."""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, default=str)


def substitute(value: Any, lookup: Callable[[str], Any]) -> Any:
    """`value` with every `{{ name }}` replaced: a string that is one reference becomes the
    referenced value itself (a list stays a list), references inside text are written in."""
    if isinstance(value, str):
        whole = _WHOLE.match(value)
        if whole:
            found = lookup(whole.group(1))
            if found is _MISSING:
                raise Unresolved(whole.group(1))
            return found

        def replace(match: re.Match[str]) -> str:
            found = lookup(match.group(1))
            if found is _MISSING:
                raise Unresolved(match.group(1))
            return _text(found)

        return _ANY.sub(replace, value)
    if isinstance(value, list):
        return [substitute(item, lookup) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, lookup) for key, item in value.items()}
    return value


def missing() -> Any:
    """The marker a lookup returns for a name it does not know."""
    return _MISSING


_TOKEN = re.compile(r"\.\.([A-Za-z0-9_\-]+)|\.([A-Za-z0-9_\-]+)|\[(\d+|\*)\]|\['([^']+)'\]")


def select(document: Any, path: str) -> list[Any]:
    """The values a JSONPath selects in `document` (empty when nothing matches)."""
    if not path.startswith("$"):
        raise ValueError(f"A selector starts with $: {path}")
    current = [document]
    rest = path[1:]
    while rest:
        match = _TOKEN.match(rest)
        if match is None:
            raise ValueError(f"The selector {path} is not valid JSONPath.")
        deep, key, index, quoted = match.groups()
        rest = rest[match.end() :]
        found: list[Any] = []
        for node in current:
            if deep is not None:
                found.extend(_descendants(node, deep))
            elif key is not None or quoted is not None:
                name = key if key is not None else quoted
                if isinstance(node, dict) and name in node:
                    found.append(node[name])
            elif index == "*":
                if isinstance(node, list):
                    found.extend(node)
                elif isinstance(node, dict):
                    found.extend(node.values())
            elif isinstance(node, list) and int(index) < len(node):
                found.append(node[int(index)])
        current = found
    return current


def _descendants(node: Any, key: str) -> list[Any]:
    found = []
    if isinstance(node, dict):
        if key in node:
            found.append(node[key])
        for value in node.values():
            found.extend(_descendants(value, key))
    elif isinstance(node, list):
        for item in node:
            found.extend(_descendants(item, key))
    return found


def typed_output(values: list[Any], kind: str) -> Any:
    """A selected value as the output's declared Type."""
    if kind in ("StringList", "MapList"):
        if len(values) == 1 and isinstance(values[0], list):
            return values[0]
        return values
    if not values:
        raise ValueError("The selector matched nothing.")
    value = values[0]
    if kind == "Integer":
        return int(value)
    if kind == "Boolean":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if kind == "StringMap":
        if not isinstance(value, dict):
            raise ValueError("The selected value is not a map.")
        return value
    return _text(value)


def output_strings(value: Any) -> list[str]:
    """An output as AWS reports it in Outputs (a list of strings)."""
    if isinstance(value, list):
        return [_text(item) for item in value]
    return [_text(value)]
