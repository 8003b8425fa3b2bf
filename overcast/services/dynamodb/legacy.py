"""The legacy (pre-expression) parameters, translated into the same trees the expression parser
builds, so one evaluator serves both: Expected, KeyConditions, QueryFilter, ScanFilter,
AttributesToGet and AttributeUpdates. Attribute names and values are bound to generated
placeholders, so names that look like "#x" or reserved words need no escaping."""

from __future__ import annotations

from overcast.services.dynamodb import values as V
from overcast.services.dynamodb.values import invalid, validation

_ARITY = {
    "EQ": 1,
    "NE": 1,
    "LE": 1,
    "LT": 1,
    "GE": 1,
    "GT": 1,
    "BEGINS_WITH": 1,
    "CONTAINS": 1,
    "NOT_CONTAINS": 1,
    "NULL": 0,
    "NOT_NULL": 0,
    "BETWEEN": 2,
}
_COMPARISONS = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}


class Placeholders:
    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, dict] = {}

    def path(self, name: str) -> tuple:
        key = f"#legacy{len(self.names)}"
        self.names[key] = name
        return ("path", (key,))

    def value(self, value: dict) -> tuple:
        key = f":legacy{len(self.values)}"
        self.values[key] = V.check_value(value)
        return ("value", key)


def _combine(parts: list, operator: str | None) -> tuple | None:
    if not parts:
        return None
    if operator not in (None, "AND", "OR"):
        raise validation(
            f"1 validation error detected: Value '{operator}' at 'conditionalOperator' failed to satisfy"
            " constraint: Member must satisfy enum value set: [OR, AND]"
        )
    tree = parts[0]
    for part in parts[1:]:
        tree = ("or" if operator == "OR" else "and", tree, part)
    return tree


def comparison(name: str, operator: str, arguments: list, p: Placeholders) -> tuple:
    arity = _ARITY.get(operator)
    if (arity is not None and len(arguments) != arity) or (operator == "IN" and not arguments):
        raise invalid(f"Invalid number of argument(s) for the {operator} ComparisonOperator")
    path = p.path(name)
    if operator in _COMPARISONS:
        value = arguments[0]
        if operator not in ("EQ", "NE") and next(iter(value)) not in ("S", "N", "B"):
            raise invalid(
                f"ComparisonOperator {operator} is not valid for {next(iter(value))} AttributeValue type"
            )
        return ("cmp", _COMPARISONS[operator], path, p.value(value))
    if operator == "NULL":
        return ("fn", "attribute_not_exists", (path,))
    if operator == "NOT_NULL":
        return ("fn", "attribute_exists", (path,))
    if operator == "BEGINS_WITH":
        return ("fn", "begins_with", (path, p.value(arguments[0])))
    if operator == "CONTAINS":
        return ("and", ("fn", "attribute_exists", (path,)), ("fn", "contains", (path, p.value(arguments[0]))))
    if operator == "NOT_CONTAINS":
        return (
            "and",
            ("fn", "attribute_exists", (path,)),
            ("not", ("fn", "contains", (path, p.value(arguments[0])))),
        )
    if operator == "BETWEEN":
        return ("between", path, p.value(arguments[0]), p.value(arguments[1]))
    if operator == "IN":
        return ("in", path, tuple(p.value(v) for v in arguments))
    raise validation(
        f"1 validation error detected: Value '{operator}' at 'comparisonOperator' failed to satisfy constraint"
    )


def filter_conditions(spec: dict, operator: str | None, p: Placeholders) -> tuple | None:
    """KeyConditions, QueryFilter, ScanFilter: {name: {ComparisonOperator, AttributeValueList}}."""
    parts = [
        comparison(name, condition["ComparisonOperator"], condition.get("AttributeValueList") or [], p)
        for name, condition in spec.items()
    ]
    return _combine(parts, operator)


def expected(spec: dict, operator: str | None, p: Placeholders) -> tuple | None:
    parts = []
    for name, condition in spec.items():
        value = condition.get("Value")
        exists = condition.get("Exists")
        operator_name = condition.get("ComparisonOperator")
        if operator_name is not None:
            if value is not None and condition.get("AttributeValueList") is not None:
                raise invalid("Value and AttributeValueList cannot be used together")
            if exists is not None:
                raise invalid("Exists and ComparisonOperator cannot be used together")
            arguments = condition.get("AttributeValueList")
            if arguments is None:
                arguments = [value] if value is not None else []
            parts.append(comparison(name, operator_name, arguments, p))
        elif exists is False:
            if value is not None:
                raise invalid("Value cannot be used when Exists is false")
            parts.append(("fn", "attribute_not_exists", (p.path(name),)))
        else:
            if value is None:
                raise invalid("Value must be provided when Exists is true")
            parts.append(("cmp", "=", p.path(name), p.value(value)))
    return _combine(parts, operator)


def projection(names: list[str], p: Placeholders) -> tuple:
    return tuple(p.path(name) for name in names)


def attribute_updates(spec: dict, p: Placeholders) -> dict:
    clauses: dict[str, list] = {}
    for name, update in spec.items():
        action = update.get("Action", "PUT")
        value = update.get("Value")
        if action == "PUT":
            if value is None:
                raise invalid(f"Only DELETE action is allowed when no attribute value is specified: {name}")
            clauses.setdefault("SET", []).append((p.path(name), p.value(value)))
        elif action == "DELETE":
            if value is None:
                clauses.setdefault("REMOVE", []).append(p.path(name))
            else:
                if next(iter(value)) not in V.SET_TYPES:
                    raise invalid(
                        "DELETE action with value is not supported for the type " + next(iter(value))
                    )
                clauses.setdefault("DELETE", []).append((p.path(name), p.value(value)))
        elif action == "ADD":
            if value is None:
                raise invalid(f"Only DELETE action is allowed when no attribute value is specified: {name}")
            kind = next(iter(value))
            if kind not in ("N", "SS", "NS", "BS", "L"):
                raise invalid(f"ADD action is not supported for the type {kind}")
            if kind == "L":
                # ADD to a list appends (legacy only).
                path = p.path(name)
                clauses.setdefault("SET", []).append(
                    (
                        path,
                        (
                            "fn",
                            "list_append",
                            (("fn", "if_not_exists", (path, p.value({"L": []}))), p.value(value)),
                        ),
                    )
                )
            else:
                clauses.setdefault("ADD", []).append((p.path(name), p.value(value)))
    return clauses
