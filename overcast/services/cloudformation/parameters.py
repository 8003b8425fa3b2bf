"""A template's Parameters against the values a request gives: defaults, previous values,
types, constraints (AWS's messages), NoEcho, and SSM parameter types resolved from SSM."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from overcast.services.cloudformation.template import validation

_SSM_TYPE = re.compile(r"^AWS::SSM::Parameter::Value<(.+)>$")
_LIST_TYPE = re.compile(r"^List<(.+)>$")
_AWS_TYPES = re.compile(
    r"^(AWS::EC2::[A-Za-z]+::[A-Za-z]+|AWS::Route53::HostedZone::Id|AWS::SSM::Parameter::Name)$"
)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _whole(value: Any) -> bool:
    try:
        int(str(value))
    except ValueError:
        return False
    return True


def check_declarations(declared: dict[str, Any]) -> None:
    for name, declaration in declared.items():
        if not isinstance(declaration.get("Type"), str):
            raise validation(f"Template format error: [/Parameters/{name}/Type] Type must be a string")
        for key in ("MinLength", "MaxLength"):
            if key in declaration and not _whole(declaration[key]):
                raise validation(
                    f"Template format error: [/Parameters/{name}/{key}] {key} must be an integer"
                )
        for key in ("MinValue", "MaxValue"):
            if key in declaration and not _is_number(str(declaration[key])):
                raise validation(f"Template format error: [/Parameters/{name}/{key}] {key} must be a number")
        if "AllowedValues" in declaration and not isinstance(declaration["AllowedValues"], list):
            raise validation(
                f"Template format error: [/Parameters/{name}/AllowedValues] AllowedValues must be a list"
            )
        if "AllowedPattern" in declaration:
            try:
                re.compile(str(declaration["AllowedPattern"]))
            except re.error:
                raise validation(
                    f"Template format error: [/Parameters/{name}/AllowedPattern] {declaration['AllowedPattern']} is not a valid pattern"
                ) from None
        kind = str(declaration.get("Type", ""))
        inner = _LIST_TYPE.match(kind)
        base = inner.group(1) if inner else kind
        ssm = _SSM_TYPE.match(kind)
        if ssm:
            base = ssm.group(1)
            inner = _LIST_TYPE.match(base)
            base = inner.group(1) if inner else base
        if base not in ("String", "Number", "CommaDelimitedList") and not _AWS_TYPES.match(base):
            raise validation(f"Template format error: Unrecognized parameter type: {kind}")


async def resolve(
    declared: dict[str, Any],
    given: list[dict[str, Any]] | None,
    previous: dict[str, str] | None,
    ssm_value: Callable[[str], Awaitable[str]],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(the stack's Parameters as DescribeStacks shows them, values for Ref by name)."""
    check_declarations(declared)
    given_values: dict[str, str] = {}
    unknown = []
    for item in given or []:
        key = item.get("ParameterKey")
        if key not in declared:
            unknown.append(key)
            continue
        if item.get("UsePreviousValue"):
            if item.get("ParameterValue"):
                raise validation(
                    f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as true and non empty value for a parameter"
                )
            if previous is None or key not in previous:
                raise validation(
                    f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as true for a parameter key not in the previous template"
                )
            given_values[key] = previous[key]
        elif "ParameterValue" in item:
            given_values[key] = str(item["ParameterValue"])
    if unknown:
        raise validation(
            f"Parameters: [{', '.join(str(key) for key in unknown)}] do not exist in the template"
        )
    missing = [
        name
        for name, declaration in declared.items()
        if name not in given_values and "Default" not in declaration
    ]
    if missing:
        raise validation(f"Parameters: [{', '.join(missing)}] must have values")
    shown: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    for name, declaration in declared.items():
        raw = given_values[name] if name in given_values else _default_text(declaration["Default"])
        check_constraints(name, declaration, raw)
        kind = str(declaration["Type"])
        entry: dict[str, Any] = {"ParameterKey": name, "ParameterValue": raw}
        ssm = _SSM_TYPE.match(kind)
        if ssm:
            resolved = await ssm_value(raw)
            entry["ResolvedValue"] = resolved
            values[name] = (
                resolved.split(",")
                if ssm.group(1).startswith("List<") or ssm.group(1) == "CommaDelimitedList"
                else resolved
            )
        elif kind == "CommaDelimitedList" or kind.startswith("List<"):
            values[name] = [item.strip() for item in raw.split(",")] if raw else []
        else:
            values[name] = raw
        if str(declaration.get("NoEcho", "false")).lower() == "true":
            entry["ParameterValue"] = "****"
        shown.append(entry)
    return shown, values


def _default_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_constraints(name: str, declaration: dict[str, Any], value: str) -> None:
    kind = str(declaration["Type"])
    description = declaration.get("ConstraintDescription")

    def refuse(default: str) -> None:
        if description:
            raise validation(f"Parameter '{name}' failed to satisfy constraint: {description}")
        raise validation(default)

    items = value.split(",") if kind.startswith("List<") or kind == "CommaDelimitedList" else [value]
    for item in items:
        if kind in ("Number", "List<Number>"):
            if not _is_number(item.strip()):
                raise validation(f"Parameter '{name}' must be a number.")
            number = float(item)
            if "MinValue" in declaration and number < float(declaration["MinValue"]):
                refuse(f"Parameter '{name}' must be a number not less than {declaration['MinValue']}")
            if "MaxValue" in declaration and number > float(declaration["MaxValue"]):
                refuse(f"Parameter '{name}' must be a number not greater than {declaration['MaxValue']}")
        allowed = declaration.get("AllowedValues")
        if allowed is not None and item not in [_default_text(option) for option in allowed]:
            refuse(f"Parameter '{name}' must be one of AllowedValues")
        pattern = declaration.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(str(pattern), item):
            refuse(f"Parameter '{name}' must match pattern {pattern}")
        if "MinLength" in declaration and len(item) < int(declaration["MinLength"]):
            refuse(f"Parameter '{name}' must contain at least {declaration['MinLength']} characters")
        if "MaxLength" in declaration and len(item) > int(declaration["MaxLength"]):
            refuse(f"Parameter '{name}' must contain at most {declaration['MaxLength']} characters")


def declarations_summary(declared: dict[str, Any]) -> list[dict[str, Any]]:
    """Parameters as ValidateTemplate and GetTemplateSummary describe them."""
    summary = []
    for name, declaration in declared.items():
        entry: dict[str, Any] = {
            "ParameterKey": name,
            "NoEcho": str(declaration.get("NoEcho", "false")).lower() == "true",
        }
        if "Default" in declaration:
            entry["DefaultValue"] = _default_text(declaration["Default"])
        if "Description" in declaration:
            entry["Description"] = str(declaration["Description"])
        summary.append(entry)
    return summary
