"""Evaluating parsed expressions (grammar.py) against items: conditions, projections, updates,
and the checks on ExpressionAttributeNames/Values that DynamoDB makes per request."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, overload

from overcast.services.dynamodb import values as V
from overcast.services.dynamodb.grammar import Parsed, overlap, parse, update_paths
from overcast.services.dynamodb.values import validation

_TYPE_NAMES = ("B", "BOOL", "BS", "L", "M", "N", "NS", "NULL", "S", "SS")
_OPERAND_TYPE = {
    "S": "STRING",
    "N": "NUMBER",
    "B": "BINARY",
    "BOOL": "BOOLEAN",
    "NULL": "NULL",
    "M": "MAP",
    "L": "LIST",
    "SS": "SET",
    "NS": "SET",
    "BS": "SET",
}
MISSING = None


class Bindings:
    """The request's ExpressionAttributeNames/Values and which of them its expressions used."""

    __slots__ = ("legacy", "names", "used_names", "used_values", "values")

    def __init__(self, params: dict, expression_params: tuple[str, ...]) -> None:
        names = params.get("ExpressionAttributeNames")
        values = params.get("ExpressionAttributeValues")
        present = [p for p in expression_params if params.get(p) is not None]
        if names is not None:
            if not present:
                raise validation("ExpressionAttributeNames can only be specified when using expressions")
            if not names:
                raise validation("ExpressionAttributeNames must not be empty")
            for key in names:
                if not (len(key) > 1 and key[0] == "#" and all(c.isalnum() or c == "_" for c in key[1:])):
                    raise validation(
                        f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"'
                    )
        if values is not None:
            conditions = [p for p in present if p != "ProjectionExpression"]
            if not conditions:
                missing = next(
                    (p for p in expression_params if p != "ProjectionExpression"), "ConditionExpression"
                )
                raise validation(
                    f"ExpressionAttributeValues can only be specified when using expressions: {missing} is null"
                )
            if not values:
                raise validation("ExpressionAttributeValues must not be empty")
            for key, value in values.items():
                if not (len(key) > 1 and key[0] == ":" and all(c.isalnum() or c == "_" for c in key[1:])):
                    raise validation(
                        f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{key}"'
                    )
                try:
                    V.check_value(value)
                except Exception as error:
                    message = getattr(error, "message", str(error)).removeprefix(
                        "1 validation error detected: "
                    )
                    raise validation(
                        f"ExpressionAttributeValues contains invalid value: {message} for key {key}"
                    ) from None
        self.names = names or {}
        self.values = values or {}
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()
        #: Legacy parameters bind generated placeholders, all used by construction.
        self.legacy = False

    def parse(self, kind: str, text: str) -> Parsed:
        parsed = parse(kind, text)
        names, values = self.names, self.values
        label = _label(kind)
        for name in parsed.names:
            if name not in names:
                raise validation(
                    f"Invalid {label}: An expression attribute name used in the document path is not defined;"
                    f" attribute name: {name}"
                )
        for value in parsed.values:
            if value not in values:
                raise validation(
                    f"Invalid {label}: An expression attribute value used in expression is not defined;"
                    f" attribute value: {value}"
                )
        self.used_names.update(parsed.names)
        self.used_values.update(parsed.values)
        if parsed.names and kind in ("update", "projection"):
            self._check_named_overlaps(kind, parsed)
        return parsed

    def _check_named_overlaps(self, kind: str, parsed: Parsed) -> None:
        """Paths through expression attribute names overlap by what the names stand for."""
        nodes = update_paths(parsed.tree) if kind == "update" else list(parsed.tree)
        names = self.names
        resolved = [
            tuple(names[e] if type(e) is str and e[:1] == "#" else e for e in node[1]) for node in nodes
        ]
        message = overlap(resolved)
        if message is not None:
            raise validation(f"Invalid {_label(kind)}: {message}")

    def check_unused(self) -> None:
        if self.legacy:
            return
        if len(self.used_names) != len(self.names):
            unused = [k for k in self.names if k not in self.used_names]
            raise validation(
                f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{', '.join(unused)}}}"
            )
        if len(self.used_values) != len(self.values):
            unused = [k for k in self.values if k not in self.used_values]
            raise validation(
                f"Value provided in ExpressionAttributeValues unused in expressions: keys: {{{', '.join(unused)}}}"
            )

    def name(self, element: str) -> str:
        return self.names[element] if element[0] == "#" else element


def _label(kind: str) -> str:
    return {
        "condition": "ConditionExpression",
        "filter": "FilterExpression",
        "key": "KeyConditionExpression",
        "update": "UpdateExpression",
        "projection": "ProjectionExpression",
    }[kind]


# ----------------------------------------------------------------------------- paths


def resolve(item: dict, elements: tuple, b: Bindings) -> dict | None:
    """The value at a document path, or None if the path is absent."""
    first = elements[0]
    current = item.get(b.names[first] if first[0] == "#" else first)
    for element in elements[1:]:
        if current is None:
            return None
        if type(element) is int:
            inner = current.get("L")
            if inner is None or element >= len(inner):
                return None
            current = inner[element]
        else:
            inner = current.get("M")
            if inner is None:
                return None
            current = inner.get(b.names[element] if element[0] == "#" else element)
    return current


def path_names(elements: tuple, b: Bindings) -> tuple:
    return tuple(e if type(e) is int else b.name(e) for e in elements)


# ----------------------------------------------------------------------------- conditions


def operand(node: tuple, item: dict, b: Bindings) -> dict | None:
    kind = node[0]
    if kind == "path":
        return resolve(item, node[1], b)
    if kind == "value":
        return b.values[node[1]]
    if kind == "literal":
        return node[1]
    # size()
    value = operand(node[2][0], item, b)
    if value is None:
        return None
    ((vkind, inner),) = value.items()
    if vkind in ("N", "BOOL", "NULL"):
        return None
    if vkind == "S":
        return {"N": str(len(inner))}
    return {"N": str(len(inner))}


def constant(node: tuple, b: Bindings) -> dict:
    """The attribute value a ("value", ":v") or ("literal", attribute value) node stands for."""
    return b.values[node[1]] if node[0] == "value" else node[1]


def evaluate(node: tuple, item: dict, b: Bindings) -> bool:
    kind = node[0]
    if kind == "cmp":
        op = node[1]
        left = operand(node[2], item, b)
        right = operand(node[3], item, b)
        if op == "=":
            return V.equal(left, right)
        if op == "<>":
            return not V.equal(left, right)
        order = V.ordered(left, right)
        if order is None:
            return False
        if op == "<":
            return order < 0
        if op == "<=":
            return order <= 0
        if op == ">":
            return order > 0
        return order >= 0
    if kind == "and":
        return evaluate(node[1], item, b) and evaluate(node[2], item, b)
    if kind == "or":
        return evaluate(node[1], item, b) or evaluate(node[2], item, b)
    if kind == "not":
        return not evaluate(node[1], item, b)
    if kind == "between":
        value = operand(node[1], item, b)
        low = V.ordered(value, operand(node[2], item, b))
        high = V.ordered(value, operand(node[3], item, b))
        return low is not None and high is not None and low >= 0 and high <= 0
    if kind == "in":
        value = operand(node[1], item, b)
        return any(V.equal(value, operand(option, item, b)) for option in node[2])
    if kind == "fn":
        return _function(node[1], node[2], item, b)
    raise AssertionError(node)


def _function(name: str, args: tuple, item: dict, b: Bindings) -> bool:
    if name == "attribute_exists":
        return operand(args[0], item, b) is not None
    if name == "attribute_not_exists":
        return operand(args[0], item, b) is None
    value = operand(args[0], item, b)
    if value is None:
        return False
    other = operand(args[1], item, b)
    if other is None:
        return False
    ((vkind, inner),) = value.items()
    ((okind, oinner),) = other.items()
    if name == "attribute_type":
        return vkind == oinner
    if name == "begins_with":
        if vkind != okind or vkind not in ("S", "B"):
            return False
        return inner.startswith(oinner)
    # contains
    if vkind == "S":
        return okind == "S" and oinner in inner
    if vkind in V.SET_TYPES or vkind == "L":
        return V.contains_value(inner, other, vkind)
    return False


def check_condition_values(node: tuple, b: Bindings, label: str) -> None:
    """What DynamoDB refuses before reading any item: operand types of functions and the order
    of BETWEEN's bounds, where those operands are expression values."""
    kind = node[0]
    if kind in ("and", "or"):
        check_condition_values(node[1], b, label)
        check_condition_values(node[2], b, label)
    elif kind == "not":
        check_condition_values(node[1], b, label)
    elif kind == "between":
        low, high = node[2], node[3]
        if low[0] in ("value", "literal") and high[0] in ("value", "literal"):
            lv, hv = constant(low, b), constant(high, b)
            order = V.ordered(lv, hv)
            if order is not None and order > 0:
                raise validation(
                    f"Invalid {label}: The BETWEEN operator requires upper bound to be greater than or equal to lower"
                    f" bound; lower bound operand: AttributeValue: {_show(lv)}, upper bound operand: AttributeValue:"
                    f" {_show(hv)}"
                )
    elif kind == "fn":
        name, args = node[1], node[2]
        if name == "attribute_type" and args[1][0] in ("value", "literal"):
            type_value = constant(args[1], b)
            if "S" not in type_value or type_value["S"] not in _TYPE_NAMES:
                shown = next(iter(type_value.values()))
                raise validation(
                    f"Invalid {label}: Invalid attribute type name found; type: {shown}, valid types:"
                    " { B,BOOL,BS,L,M,N,NS,NULL,S,SS }"
                )
        if name == "begins_with":
            for arg in args:
                if arg[0] in ("value", "literal"):
                    (vkind,) = constant(arg, b).keys()
                    if vkind not in ("S", "B"):
                        raise validation(
                            f"Invalid {label}: Incorrect operand type for operator or function; operator or function:"
                            f" begins_with, operand type: {vkind}"
                        )
    elif kind == "in" and len(node[2]) > 100:
        raise validation(
            f"Invalid {label}: The IN operator is provided with too many operands; number of operands: {len(node[2])}"
        )


def _show(value: dict) -> str:
    ((kind, inner),) = value.items()
    return f"{{{kind}:{inner}}}"


# ----------------------------------------------------------------------------- projections


def project(item: dict, paths: tuple, b: Bindings) -> dict:
    """The item reduced to the projection's document paths (nested maps and lists rebuilt with
    only the projected parts, list elements in index order)."""
    out: dict = {}
    for path in paths:
        elements = path_names(path[1], b)
        value = _resolve_named(item, elements)
        if value is None:
            continue
        _merge(out, elements, value)
    for value in out.values():
        _finish_lists(value)
    return out


def _resolve_named(item: dict, elements: tuple) -> dict | None:
    current = item.get(elements[0])
    for element in elements[1:]:
        if current is None:
            return None
        if type(element) is int:
            inner = current.get("L")
            if inner is None or element >= len(inner):
                return None
            current = inner[element]
        else:
            inner = current.get("M")
            current = None if inner is None else inner.get(element)
    return current


def _merge(out: dict, elements: tuple, value: dict) -> None:
    if len(elements) == 1:
        out[elements[0]] = value
        return
    head = elements[0]
    container = out.get(head)
    nxt = elements[1]
    if container is None:
        container = out[head] = {"L": {}} if type(nxt) is int else {"M": {}}
    _merge_inner(container, elements[1:], value)


def _merge_inner(container: dict, elements: tuple, value: dict) -> None:
    key = elements[0]
    inner = container["L"] if "L" in container else container["M"]
    if len(elements) == 1:
        inner[key] = value
        return
    child = inner.get(key)
    if child is None:
        child = inner[key] = {"L": {}} if type(elements[1]) is int else {"M": {}}
    _merge_inner(child, elements[1:], value)


def _finish_lists(container: dict) -> None:
    # Projected list elements are gathered by index in a dict, then compacted in index order.
    if "L" in container and isinstance(container["L"], dict):
        container["L"] = [container["L"][i] for i in sorted(container["L"])]
        for child in container["L"]:
            _finish_lists(child)
    elif "M" in container:
        for child in container["M"].values():
            _finish_lists(child)


# ----------------------------------------------------------------------------- updates


class UpdateError(Exception):
    pass


_BAD_TYPE = "An operand in the update expression has an incorrect data type"


def check_update_values(clauses: dict, b: Bindings) -> None:
    for word in ("ADD", "DELETE"):
        for _, value_node in clauses.get(word, ()):
            value = constant(value_node, b)
            (kind,) = value.keys()
            if word == "ADD" and kind not in ("N", "SS", "NS", "BS"):
                raise validation(
                    f"Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD,"
                    f" operand type: {_OPERAND_TYPE[kind]}"
                )
            if word == "DELETE" and kind not in ("SS", "NS", "BS"):
                raise validation(
                    f"Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE,"
                    f" operand type: {_OPERAND_TYPE[kind]}"
                )
    for _, value_node in clauses.get("SET", ()):
        _check_set_value(value_node, b)


def _check_set_value(node: tuple, b: Bindings) -> None:
    kind = node[0]
    if kind in ("+", "-"):
        for side in node[1:]:
            if side[0] in ("value", "literal"):
                (vkind,) = constant(side, b).keys()
                if vkind != "N":
                    raise validation(
                        f"Invalid UpdateExpression: Incorrect operand type for operator or function; operator or"
                        f" function: {'+' if kind == '+' else '-'}, operand type: {_OPERAND_TYPE[vkind]}"
                    )
            _check_set_value(side, b)
    elif kind == "fn" and node[1] == "list_append":
        for arg in node[2]:
            if arg[0] in ("value", "literal"):
                (vkind,) = constant(arg, b).keys()
                if vkind != "L":
                    raise validation(
                        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or"
                        f" function: list_append, operand type: {_OPERAND_TYPE[vkind]}"
                    )


def _update_value(node: tuple, item: dict, b: Bindings) -> dict:
    kind = node[0]
    if kind in ("+", "-"):
        left = _update_value(node[1], item, b)
        right = _update_value(node[2], item, b)
        if "N" not in left or "N" not in right:
            raise validation(_BAD_TYPE)
        return {"N": V.arithmetic(Decimal(left["N"]), Decimal(right["N"]), kind == "-")}
    if kind == "fn":
        name, args = node[1], node[2]
        if name == "if_not_exists":
            existing = operand(args[0], item, b)
            return existing if existing is not None else _update_value(args[1], item, b)
        # list_append
        first = _update_value(args[0], item, b)
        second = _update_value(args[1], item, b)
        if "L" not in first or "L" not in second:
            raise validation(_BAD_TYPE)
        return {"L": first["L"] + second["L"]}
    value = operand(node, item, b)
    if value is None:
        raise validation("The provided expression refers to an attribute that does not exist in the item")
    return value


def clone(value: Any) -> Any:
    if type(value) is dict:
        return {k: clone(v) for k, v in value.items()}
    if type(value) is list:
        return [clone(v) for v in value]
    return value


_INVALID_PATH = "The document path provided in the update expression is invalid for update"


@overload
def _parent(item: dict, elements: tuple, create: Literal[True]) -> tuple[Any, Any]: ...
@overload
def _parent(item: dict, elements: tuple, create: Literal[False]) -> tuple[Any, Any] | None: ...
def _parent(item: dict, elements: tuple, create: bool) -> tuple[Any, Any] | None:
    """(container, key) for the last element: container is the item dict, a map's dict or a list."""
    if len(elements) == 1:
        return item, elements[0]
    current = item.get(elements[0])
    for element in elements[1:-1]:
        if current is None:
            break
        if type(element) is int:
            inner = current.get("L")
            current = inner[element] if inner is not None and element < len(inner) else None
        else:
            inner = current.get("M")
            current = inner.get(element) if inner is not None else None
    if current is None:
        if create:
            raise validation(_INVALID_PATH)
        return None
    last = elements[-1]
    if type(last) is int:
        if "L" not in current:
            if create:
                raise validation(_INVALID_PATH)
            return None
        return current["L"], last
    if "M" not in current:
        if create:
            raise validation(_INVALID_PATH)
        return None
    return current["M"], last


def apply_update(item: dict, clauses: dict, b: Bindings, key_names: tuple) -> dict:
    """A new item: `item` with the update applied (item itself is left untouched)."""
    new = clone(item)
    sets = [
        (path_names(target[1], b), _update_value(value, item, b)) for target, value in clauses.get("SET", ())
    ]
    for elements in [path_names(t[1], b) for t in clauses.get("REMOVE", ())] + [e for e, _ in sets]:
        if elements[0] in key_names:
            raise validation(
                f"One or more parameter values were invalid: Cannot update attribute {elements[0]}."
                " This attribute is part of the key"
            )
    for word in ("ADD", "DELETE"):
        for target, _ in clauses.get(word, ()):
            name = b.name(target[1][0])
            if name in key_names:
                raise validation(
                    f"One or more parameter values were invalid: Cannot update attribute {name}."
                    " This attribute is part of the key"
                )
    for elements, value in sets:
        container, key = _parent(new, elements, True)
        value = clone(value)
        if type(key) is int:
            if key >= len(container):
                container.append(value)
            else:
                container[key] = value
        else:
            container[key] = value
    removals = [path_names(t[1], b) for t in clauses.get("REMOVE", ())]
    # List elements removed in one expression are named by their original positions.
    removals.sort(key=lambda e: tuple((0, x) if type(x) is int else (1, 0) for x in e), reverse=True)
    for elements in removals:
        found = _parent(new, elements, False)
        if found is None:
            continue
        container, key = found
        if type(key) is int:
            if key < len(container):
                del container[key]
        else:
            container.pop(key, None)
    for target, value_node in clauses.get("ADD", ()):
        elements = path_names(target[1], b)
        value = constant(value_node, b)  # ADD and DELETE take a :value
        container, key = _parent(new, elements, True)
        existing = (
            container[key]
            if (type(key) is int and key < len(container)) or (type(key) is not int and key in container)
            else None
        )
        ((vkind, vinner),) = value.items()
        if existing is None:
            result = clone(value)
        elif vkind == "N":
            if "N" not in existing:
                raise validation(_BAD_TYPE)
            result = {"N": V.arithmetic(Decimal(existing["N"]), Decimal(vinner), False)}
        else:
            if vkind not in existing:
                raise validation(_BAD_TYPE)
            merged = list(existing[vkind])
            present = {Decimal(x) for x in merged} if vkind == "NS" else set(merged)
            for element in vinner:
                probe = Decimal(element) if vkind == "NS" else element
                if probe not in present:
                    merged.append(element)
                    present.add(probe)
            result = {vkind: merged}
        if type(key) is int and key >= len(container):
            container.append(result)
        else:
            container[key] = result
    for target, value_node in clauses.get("DELETE", ()):
        elements = path_names(target[1], b)
        value = constant(value_node, b)  # ADD and DELETE take a :value
        found = _parent(new, elements, False)
        if found is None:
            continue
        container, key = found
        if type(key) is int:
            existing = container[key] if key < len(container) else None
        else:
            existing = container.get(key)
        if existing is None:
            continue
        ((vkind, vinner),) = value.items()
        if vkind not in existing:
            raise validation(_BAD_TYPE)
        if vkind == "NS":
            drop = {Decimal(x) for x in vinner}
            remaining = [x for x in existing[vkind] if Decimal(x) not in drop]
        else:
            drop = set(vinner)
            remaining = [x for x in existing[vkind] if x not in drop]
        if remaining:
            container[key] = {vkind: remaining}
        elif type(key) is int:
            del container[key]
        else:
            del container[key]
    return new


def updated_names(clauses: dict, b: Bindings) -> set[str]:
    """Top-level attributes an update touches (for UPDATED_OLD / UPDATED_NEW)."""
    names = set()
    for word, actions in clauses.items():
        for action in actions:
            target = action if word == "REMOVE" else action[0]
            names.add(b.name(target[1][0]))
    return names


def updated_paths(clauses: dict, b: Bindings) -> list[tuple]:
    paths = []
    for word, actions in clauses.items():
        for action in actions:
            target = action if word == "REMOVE" else action[0]
            paths.append(target)
    return paths
