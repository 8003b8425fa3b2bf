"""Input validation against the model, answered the way each service answers it.

Checked: required members, enums, min/max length of strings, blobs, lists and maps, min/max of
numbers. Types are the parsers' job (a wire value that cannot be the model's type never gets
this far). `pattern` is NOT checked: the models' patterns are Java regexes (possessive
quantifiers, `\\p{...}` classes, lookbehinds) that Python's `re` reads differently or not at
all, and a wrong rejection is worse than a missed one. A service whose patterns Python reads
right lists the shapes whose patterns are checked with the rest (`Wire.checked_patterns`).

Most AWS services validate with Coral and answer one message for all problems:
    1 validation error detected: Value null at 'tableName' failed to satisfy constraint:
    Member must not be null
(camelCase member path, `list.1.member.field` into lists, `map.key.member.field` into maps,
`N validation errors detected: ...; ...` for several). The differences - the error code, how a
missing parameter is reported, what a value looks like - are a `ValidationStyle`: the service's
own in its wire overlay (`Wire.validation`), else its protocol's below.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NamedTuple

from overcast.errors import ServiceError
from overcast.protocols.models import wire
from overcast.protocols.parsers.plans import ABSENT, build_plan_once
from overcast.protocols.wire import ValidationStyle, Wire

_CORAL_JSON = ValidationStyle("ValidationException")
_CORAL_QUERY = ValidationStyle("ValidationError")

STYLES_BY_PROTOCOL: dict[str, ValidationStyle] = {
    "json": _CORAL_JSON,
    "rest-json": _CORAL_JSON,
    "smithy-rpc-v2-cbor": _CORAL_JSON,
    "json-cbor": _CORAL_JSON,
    "query": _CORAL_QUERY,
    "ec2": ValidationStyle(
        "InvalidParameterValue",
        missing=("MissingParameter", "The request must contain the parameter {name}"),
        constraints="first",
        constraint_code="InvalidParameterValue",
        constraint_message="Value ({value}) for parameter {name} is invalid. {reason}",
    ),
    "rest-xml": ValidationStyle("InvalidArgument"),
}


def style_for(overlay: Wire, protocol: str) -> ValidationStyle:
    return overlay.validation or STYLES_BY_PROTOCOL[protocol]


# ---------------------------------------------------------------------------- violations

Path = tuple  # of (coral segment, wire segment)


class Violation(NamedTuple):
    missing: bool
    path: Path
    value: Any
    #: Coral's constraint text, e.g. "Member must have length less than or equal to 64".
    constraint: str
    shape: Any


def _is_document(shape: Any) -> bool:
    return shape.type_name == "document" or bool(shape.metadata.get("document"))


def _coral_name(name: str) -> str:
    return name[:1].lower() + name[1:]


def _bound(shape: Any, value: Any) -> str:
    if shape.type_name in ("float", "double"):
        return repr(float(value))
    return str(int(value)) if float(value).is_integer() else repr(value)


def _enum_listing(shape: Any, orders: dict[str, tuple[str, ...]]) -> str:
    """An enum's value set as AWS lists it: in the service's own order where it is not the
    model's (`Wire.enum_orders`), values the recorded order lacks after it in model order."""
    enum = shape.metadata["enum"]
    order = orders.get(shape.name)
    if order is None:
        return ", ".join(enum)
    present = set(enum)
    listed = [value for value in order if value in present]
    seen = set(listed)
    return ", ".join(listed + [value for value in enum if value not in seen])


def _constraint_texts(shape: Any, style: ValidationStyle, orders: dict[str, tuple[str, ...]]) -> list[str]:
    """Every constraint the shape declares, in the order Coral lists them."""
    metadata = shape.metadata
    texts = []
    kind = "value" if shape.type_name in _NUMBERS else "length"
    if "max" in metadata:
        texts.append(f"Member must have {kind} less than or equal to {_bound(shape, metadata['max'])}")
    if "min" in metadata:
        texts.append(f"Member must have {kind} greater than or equal to {_bound(shape, metadata['min'])}")
    if "pattern" in metadata:
        texts.append(f"Member must satisfy regular expression pattern: {metadata['pattern']}")
    if "enum" in metadata:
        texts.append(f"Member must satisfy enum value set: [{_enum_listing(shape, orders)}]")
    if style.member_not_null:
        texts.append("Member must not be null")
    return texts


_NUMBERS = frozenset({"integer", "long", "short", "byte", "float", "double", "bigInteger", "bigDecimal"})
_SIZED = frozenset({"string", "blob", "list", "map"})


def _scalar_failures(
    shape: Any,
    value: Any,
    style: ValidationStyle,
    unchecked: frozenset[str],
    orders: dict[str, tuple[str, ...]],
) -> list[str]:
    """The constraints `value` breaks, as Coral words them."""
    metadata = shape.metadata
    failures = []
    type_name = shape.type_name
    if type_name in _SIZED:
        size = len(value)
        if "max" in metadata and size > metadata["max"]:
            failures.append(f"Member must have length less than or equal to {_bound(shape, metadata['max'])}")
        if "min" in metadata and size < metadata["min"]:
            failures.append(
                f"Member must have length greater than or equal to {_bound(shape, metadata['min'])}"
            )
    elif type_name in _NUMBERS:
        if "max" in metadata and value > metadata["max"]:
            failures.append(f"Member must have value less than or equal to {_bound(shape, metadata['max'])}")
        if "min" in metadata and value < metadata["min"]:
            failures.append(
                f"Member must have value greater than or equal to {_bound(shape, metadata['min'])}"
            )
    enum = metadata.get("enum")
    if enum and _checked_enum(shape, unchecked) and value not in enum:
        # A service that hides values hides the value set too (IAM: "...enum value set").
        listed = "" if style.hide_values else f": [{_enum_listing(shape, orders)}]"
        failures.append(f"Member must satisfy enum value set{listed}")
    return failures


def _checked_enum(shape: Any, unchecked: frozenset[str]) -> bool:
    """Whether the shape's enum is checked here: `unchecked` names the enum shapes the service
    checks itself, in its own words (`Wire.service_checked_enums`)."""
    return "enum" in shape.metadata and shape.type_name == "string" and shape.name not in unchecked


def _acceptor(shape: Any, unchecked: frozenset[str]) -> Any:
    """A cheap predicate for "breaks nothing": the common case never builds a message."""
    metadata = shape.metadata
    low, high = metadata.get("min"), metadata.get("max")
    enum = frozenset(metadata["enum"]) if _checked_enum(shape, unchecked) else None
    sized = shape.type_name in _SIZED
    low = float("-inf") if low is None else low
    high = float("inf") if high is None else high

    def accepts(value: Any) -> bool:
        measure = len(value) if sized else value
        if not low <= measure <= high:
            return False
        return enum is None or value in enum

    return accepts


def _has_scalar_constraints(shape: Any, unchecked: frozenset[str]) -> bool:
    metadata = shape.metadata
    return "min" in metadata or "max" in metadata or _checked_enum(shape, unchecked)


#: The path segments of list items 1, 2, ...: (Coral's name, the wire's name), flattened or
#: not. Built once for the lengths requests usually have, not per item of every request.
_KEPT_SEGMENTS = 1000
_ITEM_SEGMENTS = {
    flattened: [
        (f"{index}.member", f"{index}" if flattened else f"member.{index}")
        for index in range(1, _KEPT_SEGMENTS + 1)
    ]
    for flattened in (False, True)
}


def _item_segments(count: int, flattened: bool) -> list[tuple[str, str]]:
    if count <= _KEPT_SEGMENTS:
        return _ITEM_SEGMENTS[flattened]
    return [
        (f"{index}.member", f"{index}" if flattened else f"member.{index}") for index in range(1, count + 1)
    ]


# ---------------------------------------------------------------------------- compiled checkers


class _Compiler:
    """Compiles a checker per shape: `check(value, path, violations)`. Shapes whose subtree
    holds nothing to check get no checker, so most of a big input is never walked."""

    def __init__(
        self,
        style: ValidationStyle,
        protocol: str,
        unchecked: frozenset[str] = frozenset(),
        enum_orders: dict[str, tuple[str, ...]] | None = None,
        patterns: frozenset[str] = frozenset(),
    ) -> None:
        self.style = style
        self.unchecked = unchecked
        self.orders = enum_orders or {}
        self.patterns = patterns
        self.ec2 = protocol == "ec2"
        self._cache: dict[Any, Any] = {}
        self._checked: dict[str, bool] = {}

    def wire_name(self, shape: Any, name: str) -> str:
        serialization = shape.serialization
        if self.ec2:
            if "queryName" in serialization:
                return serialization["queryName"]
            if "name" in serialization:
                return serialization["name"][:1].upper() + serialization["name"][1:]
        return serialization.get("name", name)

    def compile(self, shape: Any) -> Any:
        checked = self._checked.get(shape.name)
        if checked is None:
            decide_checked(shape, self._checked, bool(self.style.constraints), self.unchecked)
            checked = self._checked[shape.name]
        if not checked:
            return None
        key = (shape.name, repr(sorted(shape.serialization.items())))
        if key in self._cache:
            return self._cache[key]
        type_name = shape.type_name
        if type_name == "structure" and not shape.metadata.get("document"):
            return self._structure(shape, key)
        if type_name == "list":
            checker = self._list(shape, key)
        elif type_name == "map":
            checker = self._map(shape, key)
        elif self.style.constraints and _has_scalar_constraints(shape, self.unchecked):
            checker = self._scalar(shape)
        else:
            checker = None
        self._cache[key] = checker
        return checker

    def _constrained(self, shape: Any) -> bool:
        return bool(self.style.constraints) and _has_scalar_constraints(shape, self.unchecked)

    def _scalar(self, shape: Any) -> Any:
        style = self.style
        unchecked, orders = self.unchecked, self.orders
        accepts = _acceptor(shape, unchecked)
        pattern = shape.metadata.get("pattern") if shape.name in self.patterns else None
        matches = re.compile(pattern).fullmatch if pattern else None

        def check(value: Any, path: Path, violations: list) -> None:
            matched = matches is None or not isinstance(value, str) or matches(value) is not None
            if matched and accepts(value):
                return
            for text in _scalar_failures(shape, value, style, unchecked, orders):
                violations.append(Violation(False, path, value, text, shape))
            if not matched:
                text = f"Member must satisfy regular expression pattern: {pattern}"
                violations.append(Violation(False, path, value, text, shape))

        return check

    def _structure(self, shape: Any, key: Any) -> Any:
        required: list[tuple[str, tuple[str, str], Any]] = []
        children: list[tuple[str, tuple[str, str], Any]] = []

        def check(value: Any, path: Path, violations: list) -> None:
            for name, segment, member in required:
                # A document may be JSON null and still be there; anything else null is absent.
                if value.get(name) is None and (name not in value or not _is_document(member)):
                    violations.append(
                        Violation(True, (*path, segment), None, "Member must not be null", member)
                    )
            for name, segment, child in children:
                item = value.get(name)
                if item is not None:
                    child(item, (*path, segment), violations)

        self._cache[key] = check  # before the members: recursive shapes find themselves
        required_names = set(shape.required_members)
        for name, member in shape.members.items():
            segment = (_coral_name(name), self.wire_name(member, name))
            if name in required_names:
                required.append((name, segment, member))
            child = self.compile(member)
            if child is not None:
                children.append((name, segment, child))
        if not required and not children:
            self._cache[key] = None
            return None
        return check

    def _list(self, shape: Any, key: Any) -> Any:
        own = self._scalar(shape) if self._constrained(shape) else None
        member = shape.member
        holder: list[Any] = []
        flattened = self.ec2 or bool(shape.serialization.get("flattened"))
        style = self.style
        item_accepts = _acceptor(member, self.unchecked)

        def check(value: list, path: Path, violations: list) -> None:
            if own is not None:
                own(value, path, violations)
            item_check = holder[0]
            if item_check is None:
                return
            if member.type_name in ("structure", "list", "map"):
                segments = _item_segments(len(value), flattened)
                for index, item in enumerate(value):
                    item_check(item, (*path, segments[index]), violations)
            else:
                # Coral reports a bad scalar item against the whole list, naming every
                # constraint the item shape has.
                if not all(map(item_accepts, value)):
                    texts = ", ".join(_constraint_texts(member, style, self.orders))
                    violations.append(
                        Violation(False, path, value, f"Member must satisfy constraint: [{texts}]", shape)
                    )

        self._cache[key] = check
        holder.append(self.compile(member))
        if own is None and holder[0] is None:
            self._cache[key] = None
            return None
        return check

    def _map(self, shape: Any, key: Any) -> Any:
        own = self._scalar(shape) if self._constrained(shape) else None
        key_shape, value_shape = shape.key, shape.value
        holder: list[Any] = []
        style = self.style
        keys_checked = self._constrained(key_shape)
        key_accepts, value_accepts = (
            _acceptor(key_shape, self.unchecked),
            _acceptor(value_shape, self.unchecked),
        )

        def check(value: dict, path: Path, violations: list) -> None:
            if own is not None:
                own(value, path, violations)
            if keys_checked and not all(map(key_accepts, value)):
                texts = ", ".join(_constraint_texts(key_shape, style, self.orders))
                violations.append(
                    Violation(False, path, value, f"Map keys must satisfy constraint: [{texts}]", shape)
                )
            value_check = holder[0]
            if value_check is None:
                return
            if value_shape.type_name in ("structure", "list", "map"):
                for map_key, item in value.items():
                    value_check(item, (*path, (f"{map_key}.member", str(map_key))), violations)
            elif not all(map(value_accepts, value.values())):
                texts = ", ".join(_constraint_texts(value_shape, style, self.orders))
                violations.append(
                    Violation(False, path, value, f"Map value must satisfy constraint: [{texts}]", shape)
                )

        self._cache[key] = check
        holder.append(self.compile(value_shape))
        if own is None and holder[0] is None and not keys_checked:
            self._cache[key] = None
            return None
        return check


def _children(shape: Any) -> list:
    type_name = shape.type_name
    if type_name == "structure":
        return list(shape.members.values())
    if type_name == "list":
        return [shape.member]
    if type_name == "map":
        return [shape.key, shape.value]
    return []


def decide_checked(
    root: Any, decided: dict[str, bool], constraints: bool, unchecked: frozenset[str] = frozenset()
) -> None:
    """Record in `decided`, for every shape reachable from `root`, whether it or anything it
    reaches has something to check. Reverse reachability over the part of the shape graph not
    decided yet (a shape's answer depends only on what it reaches, so every answer found here
    is final), so recursive shapes with nothing to check are never walked per request and a
    big model is only explored as far as the operations used."""
    graph: dict[str, list[str]] = {}
    marked: list[str] = []
    stack = [root]
    while stack:
        shape = stack.pop()
        name = shape.name
        if name in decided or name in graph:
            continue
        children = _children(shape)
        graph[name] = [child.name for child in children]
        own = (shape.type_name == "structure" and bool(shape.required_members)) or (
            constraints and _has_scalar_constraints(shape, unchecked)
        )
        if own or any(decided.get(child.name) for child in children):
            marked.append(name)
        stack.extend(children)
    parents: dict[str, list[str]] = {}
    for name, children in graph.items():
        for child in children:
            parents.setdefault(child, []).append(name)
    checked = set(marked)
    while marked:
        for parent in parents.get(marked.pop(), ()):
            if parent not in checked:
                checked.add(parent)
                marked.append(parent)
    for name in graph:
        decided[name] = name in checked


_compilers: dict[tuple[int, str], tuple[Any, _Compiler]] = {}
_plans: dict[Any, tuple[Any, ValidationStyle, str]] = {}


def _plan(operation: Any, protocol: str) -> tuple[Any, ValidationStyle, str]:
    plan = _plans.get((operation, protocol), ABSENT)
    if plan is ABSENT:
        plan = build_plan_once(_plans, (operation, protocol), _build, operation, protocol)
    return plan


def _build(operation: Any, protocol: str) -> tuple[Any, ValidationStyle, str]:
    model = operation.service_model
    overlay = wire(model)
    style = style_for(overlay, protocol)
    entry = _compilers.get((id(model), protocol))
    if entry is None or entry[0] is not model:
        compiler = _Compiler(
            style, protocol, overlay.service_checked_enums, overlay.enum_orders, overlay.checked_patterns
        )
        entry = (model, compiler)
        _compilers[(id(model), protocol)] = entry
    shape = operation.input_shape
    checker = entry[1].compile(shape) if shape is not None else None
    prefix = _coral_name(operation.name) + "Input" if style.prefix_input else ""
    return checker, style, prefix


def validate_input(operation: Any, protocol: str, params: dict) -> None:
    """Raise the service's validation error if `params` breaks the model's constraints."""
    checker, style, prefix = _plan(operation, protocol)
    if checker is None:
        return
    violations: list[Violation] = []
    checker(params, (), violations)
    if violations:
        deferred = wire(operation.service_model).provider_checked_missing
        if deferred:
            violations = [v for v in violations if not _deferred(operation, v, deferred)]
        if violations:
            raise _error(operation, style, prefix, violations)


def _deferred(operation: Any, violation: Violation, deferred: frozenset[tuple[str, str]]) -> bool:
    """A missing top-level member whose absence the service checks itself, after other input
    (Wire.provider_checked_missing)."""
    if not violation.missing or len(violation.path) != 1:
        return False
    return (operation.name, _member_for(operation, violation.path[0][0])) in deferred


# ---------------------------------------------------------------------------- messages


def _error(operation: Any, style: ValidationStyle, prefix: str, violations: list[Violation]) -> ServiceError:
    missing = next((violation for violation in violations if violation.missing), None)
    if missing is not None:
        own = _own_missing_error(operation, missing)
        if own is not None:
            return own
        if style.missing is not None:
            return _missing_error(operation, style, style.missing, missing)
    if style.constraints == "first":
        violation = violations[0]
        return ServiceError(
            style.constraint_code,
            style.constraint_message.format(
                value=_render(violation.value, violation.shape),
                name=_wire_path(violation.path),
                reason=violation.constraint.replace("Member must", "Must") + ".",
            ),
            400,
        )
    messages = [_coral_message(operation, style, prefix, v) for v in violations]
    count = len(messages)
    plural = "s" if count > 1 else ""
    return ServiceError(
        _coral_code(operation, style),
        f"{count} validation error{plural} detected: {'; '.join(messages)}",
        400,
    )


def _coral_code(operation: Any, style: ValidationStyle) -> str:
    fallback = style.unmodelled_code_fallback
    if not fallback:
        return style.code
    modelled = {error.name for error in operation.error_shapes}
    return fallback if style.code not in modelled and fallback in modelled else style.code


def _missing_error(
    operation: Any, style: ValidationStyle, missing: tuple[str, str], violation: Violation
) -> ServiceError:
    path = violation.path
    if style.missing_by_location:
        where = "nested" if len(path) > 1 else violation.shape.serialization.get("location") or "body"
        missing = style.missing_by_location.get(where, missing)
    code, template = missing
    return ServiceError(code, template.format(name=_wire_path(path)), 400)


def _own_missing_error(operation: Any, violation: Violation) -> ServiceError | None:
    """The service's own error for a missing top-level member (Wire.missing_messages)."""
    if len(violation.path) != 1:
        return None
    member = _member_for(operation, violation.path[0][0])
    own = wire(operation.service_model).missing_messages.get((operation.name, member))
    return None if own is None else ServiceError(own[0], own[1], 400)


def _wire_path(path: Path) -> str:
    return ".".join(segment[1] for segment in path)


def _coral_message(operation: Any, style: ValidationStyle, prefix: str, violation: Violation) -> str:
    segments = [segment[0] for segment in violation.path]
    if prefix and violation.path:
        top = operation.input_shape.members.get(_member_for(operation, violation.path[0][0]))
        if top is not None and "location" not in top.serialization:
            segments.insert(0, prefix)
    where = ".".join(segments)
    if violation.missing:
        return f"Value null at '{where}' failed to satisfy constraint: {violation.constraint}"
    if style.hide_values or violation.shape.metadata.get("sensitive"):
        return f"Value at '{where}' failed to satisfy constraint: {violation.constraint}"
    return f"Value '{_render(violation.value, violation.shape)}' at '{where}' failed to satisfy constraint: {violation.constraint}"


def _member_for(operation: Any, coral: str) -> str:
    for name in operation.input_shape.members:
        if _coral_name(name) == coral:
            return name
    return coral


def _render(value: Any, shape: Any) -> str:
    """A value as Coral's message shows it: Java's toString of the deserialized object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (bytes, bytearray)):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if isinstance(value, datetime):
        return value.strftime("%a %b %d %H:%M:%S UTC %Y")
    type_name = getattr(shape, "type_name", None)
    if isinstance(value, list):
        member = shape.member if type_name == "list" else None
        return "[" + ", ".join(_render(item, member) for item in value) + "]"
    if isinstance(value, dict):
        if type_name == "structure":
            fields = ", ".join(
                f"{_coral_name(name)}={_render(value.get(name), member)}"
                for name, member in shape.members.items()
            )
            return f"{shape.name}({fields})"
        member = shape.value if type_name == "map" else None
        return "{" + ", ".join(f"{k}={_render(v, member)}" for k, v in value.items()) + "}"
    return str(value)
