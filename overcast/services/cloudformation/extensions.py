"""The AWS::LanguageExtensions transform (Fn::ForEach loops expanded; Fn::Length and
Fn::ToJsonString are evaluated with the other intrinsics) and AWS::Include snippets
(Fn::Transform with Name AWS::Include, read from S3) applied to a template."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from overcast.services.cloudformation.template import format_error

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
INCLUDE = "AWS::Include"
_FOR_EACH = "Fn::ForEach::"


def _alphanumeric(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)


def _substitute(node: Any, identifier: str, value: str) -> Any:
    """A loop's fragment for one value: ${Identifier} and &{Identifier} in keys and Fn::Sub
    strings, and Ref Identifier, replaced."""
    if isinstance(node, dict):
        if node == {"Ref": identifier}:
            return value
        replaced: dict[str, Any] = {}
        for key, item in node.items():
            new_key = key.replace("${" + identifier + "}", value).replace(
                "&{" + identifier + "}", _alphanumeric(value)
            )
            if key == "Fn::Sub":
                if isinstance(item, str):
                    replaced[new_key] = item.replace("${" + identifier + "}", value)
                    continue
                if isinstance(item, list) and item and isinstance(item[0], str):
                    replaced[new_key] = [
                        item[0].replace("${" + identifier + "}", value),
                        *(_substitute(rest, identifier, value) for rest in item[1:]),
                    ]
                    continue
            replaced[new_key] = _substitute(item, identifier, value)
        return replaced
    if isinstance(node, list):
        return [_substitute(item, identifier, value) for item in node]
    return node


def expand_loops(node: Any, parameters: dict[str, Any]) -> Any:
    """Every Fn::ForEach::Name key of the template expanded, loops within loops included."""
    if isinstance(node, list):
        return [expand_loops(item, parameters) for item in node]
    if not isinstance(node, dict):
        return node
    expanded: dict[str, Any] = {}
    for key, value in node.items():
        if not (isinstance(key, str) and key.startswith(_FOR_EACH)):
            expanded[key] = expand_loops(value, parameters)
            continue
        if (
            not isinstance(value, list)
            or len(value) != 3
            or not isinstance(value[0], str)
            or not isinstance(value[2], dict)
        ):
            raise format_error(f"{key} must be a list of an identifier, a collection and an output template")
        identifier, collection, fragment = value
        for item in _collection(collection, parameters, key):
            expanded.update(expand_loops(_substitute(fragment, identifier, item), parameters))
    return expanded


def _collection(collection: Any, parameters: dict[str, Any], loop: str) -> list[str]:
    if isinstance(collection, dict) and set(collection) == {"Ref"}:
        value = parameters.get(collection["Ref"])
        if value is None:
            raise format_error(f"{loop}: the collection's parameter {collection['Ref']} has no value")
        collection = value.split(",") if isinstance(value, str) else value
    if not isinstance(collection, list):
        raise format_error(f"{loop}: the collection must be a list or a Ref to a list parameter")
    return [str(item).strip() for item in collection]


def loop_parameters(document: dict[str, Any], given: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Parameter values (given, else defaults) a loop's collection may name."""
    values: dict[str, Any] = {}
    for name, declaration in (document.get("Parameters") or {}).items():
        if isinstance(declaration, dict) and "Default" in declaration:
            default = declaration["Default"]
            values[name] = default if isinstance(default, list) else str(default)
    for entry in given or []:
        if "ParameterValue" in entry:
            values[entry["ParameterKey"]] = entry["ParameterValue"]
    return values


async def include_snippets(node: Any, fetch: Callable[[str], Awaitable[dict[str, Any]]]) -> Any:
    """Fn::Transform {Name: AWS::Include, Parameters: {Location}} replaced by the snippet it
    names (merged with the keys beside it)."""
    if isinstance(node, list):
        return [await include_snippets(item, fetch) for item in node]
    if not isinstance(node, dict):
        return node
    transform = node.get("Fn::Transform")
    if isinstance(transform, dict) and transform.get("Name") == INCLUDE:
        location = (transform.get("Parameters") or {}).get("Location")
        if not isinstance(location, str):
            raise format_error("AWS::Include needs a Location parameter")
        snippet = await include_snippets(await fetch(location), fetch)
        rest = {
            key: await include_snippets(value, fetch) for key, value in node.items() if key != "Fn::Transform"
        }
        return {**rest, **snippet} if isinstance(snippet, dict) else snippet
    return {key: await include_snippets(value, fetch) for key, value in node.items()}
