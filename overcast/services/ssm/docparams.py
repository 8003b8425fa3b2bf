"""Values given for a document's parameters (SendCommand, CreateAssociation,
StartAutomationExecution), checked against the parameters the document declares: names,
required values, allowedValues, allowedPattern, list sizes; defaults filled in."""

from __future__ import annotations

import re
from typing import Any

from overcast.errors import ServiceError
from overcast.services.ssm import doccontent

#: Where the value is a single value, not a list (String, Integer, Boolean, ...).
_LIST_TYPES = frozenset({"StringList", "MapList"})


def _invalid(message: str, code: str) -> ServiceError:
    return ServiceError(code, message)


def declared(version: dict) -> dict[str, dict]:
    """The parameter definitions of a document version, from its content."""
    body = doccontent.load(version["Content"], version["DocumentFormat"])
    parameters = body.get("parameters") if isinstance(body, dict) else None
    return parameters if isinstance(parameters, dict) else {}


def _default(definition: dict) -> list[str] | None:
    if "default" not in definition:
        return None
    value = definition["default"]
    if isinstance(value, list):
        return [doccontent._default_text(item) for item in value]
    return [doccontent._default_text(value)]


def resolve(
    version: dict, given: dict[str, list[str]] | None, code: str = "InvalidParameters"
) -> dict[str, list[str]]:
    """The document's parameters with the given values (checked) and defaults for the rest."""
    definitions = declared(version)
    given = dict(given or {})
    unknown = sorted(set(given) - set(definitions))
    if unknown:
        if not definitions:
            raise _invalid("document does not support parameters.", code)
        raise _invalid(f'Parameter "{unknown[0]}" is not defined in the document.', code)
    resolved: dict[str, list[str]] = {}
    missing = []
    for name, definition in definitions.items():
        values = given.get(name)
        if values is None:
            values = _default(definition)
            if values is None:
                missing.append(name)
                continue
        else:
            _check(name, definition, values, code)
        resolved[name] = values
    if missing:
        raise _invalid(f"Parameters {missing} must be specified.".replace("'", ""), code)
    return resolved


def _check(name: str, definition: dict, values: list[str], code: str) -> None:
    kind = definition.get("type", "String")
    if kind not in _LIST_TYPES and len(values) > 1:
        raise _invalid(f'Parameter "{name}" of type {kind} takes a single value.', code)
    if kind == "Integer" and not all(re.fullmatch(r"-?\d+", value) for value in values):
        raise _invalid(f'Parameter "{name}" must be an integer.', code)
    if kind == "Boolean" and not all(value.lower() in ("true", "false") for value in values):
        raise _invalid(f'Parameter "{name}" must be true or false.', code)
    allowed = definition.get("allowedValues")
    if isinstance(allowed, list):
        texts = [doccontent._default_text(value) for value in allowed]
        for value in values:
            if value not in texts:
                raise _invalid(
                    f'Parameter "{name}" has a value "{value}" not in the allowed values {texts}.', code
                )
    pattern = definition.get("allowedPattern")
    if isinstance(pattern, str):
        try:
            compiled = re.compile(pattern)
        except re.error:
            compiled = None
        for value in values:
            if compiled is not None and compiled.search(value) is None:
                raise _invalid(
                    f'Parameter "{name}" value "{value}" does not match the allowed pattern {pattern}.', code
                )
    for bound, test in (("minItems", lambda n, v: len(v) >= n), ("maxItems", lambda n, v: len(v) <= n)):
        limit = definition.get(bound)
        if isinstance(limit, int) and kind in _LIST_TYPES and not test(limit, values):
            raise _invalid(f'Parameter "{name}" violates {bound} {limit}.', code)
    max_chars = definition.get("maxChars")
    if isinstance(max_chars, int) and any(len(value) > max_chars for value in values):
        raise _invalid(f'Parameter "{name}" is longer than {max_chars} characters.', code)


def typed(version: dict, values: dict[str, list[str]]) -> dict[str, Any]:
    """Values as the document's steps see them (`{{ name }}`): lists stay lists, a single
    value of a scalar type is that value."""
    definitions = declared(version)
    out: dict[str, Any] = {}
    for name, value in values.items():
        kind = (definitions.get(name) or {}).get("type", "String")
        if kind in _LIST_TYPES:
            out[name] = value
        elif kind == "Integer" and value:
            out[name] = int(value[0])
        elif kind == "Boolean" and value:
            out[name] = value[0].lower() == "true"
        else:
            out[name] = value[0] if value else ""
    return out
