"""What a target receives: the event, or its Input (constant JSON), InputPath (a JSONPath into
the event) or InputTransformer (InputPathsMap's variables placed in InputTemplate).

AWS's quoting rules for InputTemplate: a placeholder inside a JSON string ("... <var> ...") is
replaced by the value's text (a string without its quotes, escaped for the string it sits in; an
object or array as compact JSON without its quotes, `[a,b]` - except in a template that is a
JSON object, where AWS refuses to deliver such a value); a placeholder outside a string is
replaced by the value as JSON (a string with its quotes). A path the event lacks gives an empty
string. The reserved variables are always there: <aws.events.rule-arn>,
<aws.events.rule-name>, <aws.events.event.ingestion-time>, <aws.events.event> (the event's
metadata, without its detail, as AWS gives it) and <aws.events.event.json> (the whole event)."""

from __future__ import annotations

import json
import re
from typing import Any

from overcast.common import jsontext
from overcast.services.events import errors

#: One encoder for every call: json.dumps with separators builds a new one each time.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def compact_json(value: Any) -> str:
    """JSON as EventBridge writes events and values: no spaces between members."""
    return _COMPACT.encode(value)


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")
_RESERVED = ("aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time",
             "aws.events.event", "aws.events.event.json")  # fmt: skip
_MISSING: Any = object()


class TransformError(ValueError):
    """An InputTemplate AWS cannot fill for this event: the target does not receive it."""


def check_target_input(target: dict) -> None:
    """Refuse what AWS refuses at PutTargets: more than one kind of input, a bad path, an
    InputTemplate naming a variable InputPathsMap does not define."""
    given = [
        member for member in ("Input", "InputPath", "InputTransformer") if target.get(member) is not None
    ]
    if len(given) > 1:
        raise errors.validation(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target {target['Id']}."
        )
    if target.get("Input") is not None:
        try:
            jsontext.loads(target["Input"])
        except ValueError:
            raise errors.validation(f"Input for target {target['Id']} is not valid JSON text.") from None
    if target.get("InputPath") is not None and _segments(target["InputPath"]) is None:
        raise errors.validation(f"InputPath for target {target['Id']} is an invalid JSONPath.")
    transformer = target.get("InputTransformer")
    if transformer is not None:
        paths = transformer.get("InputPathsMap") or {}
        for name, path in paths.items():
            if name in _RESERVED or name.startswith("aws."):
                raise errors.validation(
                    f"Input path key {name} is reserved for AWS use in target {target['Id']}."
                )
            if _segments(path) is None:
                raise errors.validation(
                    f"InputPathsMap for target {target['Id']} contains invalid JSONPath: {path}."
                )
        for name in _PLACEHOLDER.findall(transformer["InputTemplate"]):
            if name not in paths and name not in _RESERVED:
                raise errors.validation(
                    f"InputTemplate for target {target['Id']} contains invalid placeholder {name}."
                )


def _segments(path: str) -> list[str | int] | None:
    """The steps of a JSONPath such as $.detail.state or $.resources[0]; None if malformed."""
    if not path.startswith("$"):
        return None
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if match is None:
            return None
        name, index, quoted, double = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(name if name is not None else quoted if quoted is not None else double)
        position = match.end()
    return steps


def extract(event: Any, path: str) -> Any:
    """The value a JSONPath names in the event, or _MISSING."""
    value = event
    for step in _segments(path) or ():
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return _MISSING
            value = value[step]
        elif isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return _MISSING
    return value


def payload(target: dict, event: dict, event_text: str, rule: dict) -> str:
    """The text the target receives for this event."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath") is not None:
        value = extract(event, target["InputPath"])
        return "null" if value is _MISSING else compact_json(value)
    transformer = target.get("InputTransformer")
    if transformer is None:
        return event_text
    variables = {
        name: extract(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()
    }
    variables.update({
        "aws.events.rule-arn": rule["Arn"],
        "aws.events.rule-name": rule["Name"],
        "aws.events.event.ingestion-time": event.get("time"),
        "aws.events.event": _metadata(event),
        "aws.events.event.json": event,
    })  # fmt: skip
    return fill_template(transformer["InputTemplate"], variables)


def _metadata(event: dict) -> dict:
    """<aws.events.event>: the event without its detail, in AWS's own member names and order."""
    members = (("id", "id"), ("account", "account"), ("detailType", "detail-type"), ("time", "time"),
               ("source", "source"), ("region", "region"), ("resources", "resources"), ("version", "version"))  # fmt: skip
    return {name: event[key] for name, key in members if key in event}


def fill_template(template: str, variables: dict[str, Any]) -> str:
    """The template with its placeholders filled; TransformError where AWS refuses to."""
    json_object = template.lstrip().startswith("{")
    out: list[str] = []
    in_string = False
    index = 0
    while index < len(template):
        char = template[index]
        if char == "<":
            match = _PLACEHOLDER.match(template, index)
            if match and match.group(1) in variables:
                out.append(_render(variables[match.group(1)], in_string, json_object))
                index = match.end()
                continue
        if char == "\\" and in_string:
            out.append(template[index : index + 2])
            index += 2
            continue
        if char == '"':
            in_string = not in_string
        out.append(char)
        index += 1
    return "".join(out)


def _render(value: Any, in_string: bool, json_object: bool) -> str:
    if value is _MISSING:
        return "" if in_string else '""'
    if not in_string:
        return compact_json(value)
    if isinstance(value, (dict, list)):
        if json_object:
            raise TransformError("an object or array inside a string of a JSON InputTemplate")
        return json.dumps(value, separators=(",", ":")).replace('"', "")
    text = value if isinstance(value, str) else json.dumps(value)
    return json.dumps(text)[1:-1]
