"""Mapping templates: Velocity (VTL, rendered by airspeed) with API Gateway's variables —
`$input` (body, json, path, params), `$util` (escapeJavaScript, parseJson, urlEncode/Decode,
base64Encode/Decode), `$context` and `$stageVariables` — and JSONPath (jsonpath-ng) for
`$input.path`/`$input.json` and parameter mappings from a body."""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

import airspeed
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

from overcast.common import jsontext


class TemplateError(Exception):
    """A template that does not render (a syntax error, a bad JSONPath)."""


@lru_cache(maxsize=512)
def _compiled(text: str) -> airspeed.Template:
    return airspeed.Template(text)


@lru_cache(maxsize=512)
def _jsonpath(expression: str):
    try:
        return parse_jsonpath(expression)
    except (JsonPathParserError, Exception) as error:
        raise TemplateError(f"Invalid JSONPath expression: {expression}: {error}") from None


def select(document: Any, expression: str) -> Any:
    """What a JSONPath selects: one value as itself, several as a list, none as None."""
    if expression in ("$", ""):
        return document
    matches = [match.value for match in _jsonpath(expression).find(document)]
    if not matches:
        return None
    if len(matches) == 1 and not _is_multi(expression):
        return matches[0]
    return matches


def _is_multi(expression: str) -> bool:
    return any(token in expression for token in ("[*]", "..", "[?", ":"))


class VtlMap(dict):
    """A map whose entries VTL reaches as `$m.key`, `$m.get('key')` and iterates with keySet."""

    def keySet(self) -> list[str]:
        return list(self.keys())

    def containsKey(self, key: str) -> bool:
        return key in self

    def entrySet(self) -> list[dict[str, Any]]:
        return [{"key": key, "value": value} for key, value in self.items()]

    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self


def vtl_value(value: Any) -> Any:
    """A JSON value as VTL sees it: objects as maps with Java-like methods."""
    if isinstance(value, dict):
        return VtlMap({key: vtl_value(item) for key, item in value.items()})
    if isinstance(value, list):
        return [vtl_value(item) for item in value]
    return value


class Input:
    """`$input`: the method request's body and parameters."""

    def __init__(self, body: bytes, params: dict[str, dict[str, str]]) -> None:
        self._raw = body
        self.body = body.decode("utf-8", errors="replace")
        self._params = params
        self._parsed: Any = ...

    def _document(self) -> Any:
        if self._parsed is ...:
            try:
                self._parsed = jsontext.loads(self.body) if self.body.strip() else {}
            except ValueError:
                self._parsed = None
        return self._parsed

    def json(self, expression: str = "$") -> str:
        document = self._document()
        if document is None:
            if expression in ("$", ""):
                return self.body
            raise TemplateError("Unable to parse the request body as JSON")
        return json.dumps(select(document, expression), separators=(",", ":"))

    def path(self, expression: str = "$") -> Any:
        document = self._document()
        if document is None:
            return self.body if expression in ("$", "") else None
        return vtl_value(select(document, expression))

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return VtlMap({kind: VtlMap(values) for kind, values in self._params.items()})
        for kind in ("path", "querystring", "header"):
            values = self._params.get(kind) or {}
            if name in values:
                return values[name]
            if kind == "header":
                for key, value in values.items():
                    if key.lower() == name.lower():
                        return value
        return ""


class Util:
    """`$util`."""

    @staticmethod
    def escapeJavaScript(text: Any) -> str:
        if text is None:
            return ""
        out = json.dumps(str(text))[1:-1]
        return out.replace("'", "\\'")

    @staticmethod
    def parseJson(text: str) -> Any:
        try:
            return vtl_value(jsontext.loads(text))
        except (TypeError, ValueError):
            raise TemplateError("Unable to parse the JSON text") from None

    @staticmethod
    def urlEncode(text: Any) -> str:
        return quote(str(text or ""), safe="")

    @staticmethod
    def urlDecode(text: Any) -> str:
        return unquote(str(text or "").replace("+", " "))

    @staticmethod
    def base64Encode(text: Any) -> str:
        data = text if isinstance(text, bytes) else str(text or "").encode()
        return base64.b64encode(data).decode()

    @staticmethod
    def base64Decode(text: Any) -> str:
        try:
            return base64.b64decode(str(text or "")).decode("utf-8", errors="replace")
        except ValueError:
            raise TemplateError("Invalid base64 text") from None


_UTIL = Util()


def render(
    template: str,
    *,
    body: bytes,
    params: dict[str, dict[str, str]],
    context: dict[str, Any],
    stage_variables: dict[str, str],
    input_override: Input | None = None,
) -> str:
    """The template's output for one request (or integration response)."""
    namespace = {
        "input": input_override or Input(body, params),
        "util": _UTIL,
        # Plain dicts: VTL reaches their keys as properties already.
        "context": context,
        "stageVariables": VtlMap(stage_variables),
    }
    try:
        return _compiled(template).merge(namespace)
    except TemplateError:
        raise
    except Exception as error:
        # airspeed wraps what a template's calls raise: say the inner TemplateError's words.
        inner: BaseException | None = error
        while inner is not None:
            if isinstance(inner, TemplateError):
                raise TemplateError(str(inner)) from None
            inner = inner.__cause__ or inner.__context__ or getattr(inner, "original_error", None)
        raise TemplateError(f"Unable to transform the request: {error}") from None
