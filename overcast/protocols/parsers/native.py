"""Converters for values a JSON or CBOR decoder already produced, compiled once per shape.

The wire's own decoder does the tokenising; what is left is the model's part: rename wire keys
to member names, decode blobs and timestamps, check types. A compiled converter is a closure
over dict lookups, so a request pays no model walk.
"""

from __future__ import annotations

from typing import Any

from overcast.protocols.parsers.plans import ABSENT, build_plan_once
from overcast.protocols.parsers.scalars import (
    NATIVE_SCALARS,
    Convert,
    Malformed,
    cbor_blob,
    cbor_millis_timestamp,
    cbor_timestamp,
    java_class,
    json_blob,
    json_timestamp,
    native_any,
)

#: How each flavour decodes the two scalars JSON and CBOR carry differently.
_BLOBS = {"json": json_blob, "cbor": cbor_blob, "cbor-millis": cbor_blob}


def _timestamp(flavor: str, shape: Any) -> Convert:
    if flavor == "cbor":
        return cbor_timestamp
    if flavor == "cbor-millis":
        return cbor_millis_timestamp
    return json_timestamp(shape.serialization.get("timestampFormat", "unixTimestamp").lower())


def shape_key(shape: Any) -> tuple[str, str]:
    """Identifies a shape with the member-level traits that can change how it decodes."""
    return shape.name, repr(sorted(shape.serialization.items()))


class NativeCompiler:
    """Compiles converters for one service model and one flavour ("json" or "cbor"); converters
    of named shapes are shared, which is also what lets recursive shapes compile."""

    def __init__(self, flavor: str) -> None:
        self.flavor = flavor
        self._cache: dict[tuple[str, str], Convert] = {}

    def compile(self, shape: Any) -> Convert:
        key = shape_key(shape)
        converter = self._cache.get(key)
        if converter is None:
            converter = self._build(shape, key)
        return converter

    def _build(self, shape: Any, key: tuple[str, str]) -> Convert:
        type_name = shape.type_name
        converter: Convert
        if type_name == "structure":
            if shape.is_document_type or shape.metadata.get("document"):
                converter = native_any
            else:
                return self._structure(shape, key)
        elif type_name == "list":
            converter = self._list(shape, key)
        elif type_name == "map":
            converter = self._map(shape, key)
        elif type_name == "blob":
            converter = _BLOBS[self.flavor]
        elif type_name == "timestamp":
            converter = _timestamp(self.flavor, shape)
        elif type_name == "document":
            converter = native_any
        else:
            converter = NATIVE_SCALARS[type_name]
        self._cache[key] = converter
        return converter

    def structure(self, shape: Any, member_filter: Any = None) -> Convert:
        """A structure converter over a subset of members (rest-json: the body members only)."""
        members: dict[str, tuple[str, Convert]] = {}
        nullable: set[str] = set()
        converter = _structure_converter(members, nullable)
        self._fill(shape, members, nullable, member_filter)
        return converter

    def _structure(self, shape: Any, key: tuple[str, str]) -> Convert:
        members: dict[str, tuple[str, Convert]] = {}
        nullable: set[str] = set()
        converter = _structure_converter(members, nullable)
        self._cache[key] = converter  # before the members: a recursive shape finds itself here
        self._fill(shape, members, nullable, None)
        return converter

    def _fill(self, shape: Any, members: dict, nullable: set, member_filter: Any) -> None:
        for name, member in shape.members.items():
            if member.serialization.get("eventstream"):
                continue
            if member_filter is not None and not member_filter(member):
                continue
            wire = member.serialization.get("name", name)
            members[wire] = (name, self.compile(member))
            if _is_document(member):
                nullable.add(wire)  # a document can be JSON null; any other member is absent

    def _list(self, shape: Any, key: tuple[str, str]) -> Convert:
        holder: list[Convert] = []
        keep_nulls = _is_document(shape.member)

        def convert(value: Any) -> list:
            if type(value) is not list:
                raise _container_mismatch(value, "list")
            item = holder[0]
            if keep_nulls:
                return [item(element) for element in value]
            return [item(element) for element in value if element is not None]

        self._cache[key] = convert
        holder.append(self.compile(shape.member))
        return convert

    def _map(self, shape: Any, key: tuple[str, str]) -> Convert:
        holder: list[Convert] = []
        keep_nulls = _is_document(shape.value)

        def convert(value: Any) -> dict:
            if type(value) is not dict:
                raise _container_mismatch(value, "map")
            key_convert, item = holder
            # JSON keys are always strings; a CBOR map's need not be, so they are checked too.
            return {key_convert(k): item(v) for k, v in value.items() if v is not None or keep_nulls}

        self._cache[key] = convert
        holder.append(self.compile(shape.key))
        holder.append(self.compile(shape.value))
        return convert


def _is_document(shape: Any) -> bool:
    return shape.type_name == "document" or bool(shape.metadata.get("document"))


def _structure_converter(members: dict[str, tuple[str, Convert]], nullable: set[str]) -> Convert:
    def convert(value: Any) -> dict:
        if type(value) is not dict:
            raise _container_mismatch(value, "structure")
        out = {}
        for wire, item in value.items():
            entry = members.get(wire)
            # Unknown keys are ignored and null means absent, as AWS's deserializers do.
            if entry is None or (item is None and wire not in nullable):
                continue
            out[entry[0]] = entry[1](item)
        return out

    return convert


def _container_mismatch(value: Any, expected: str) -> Malformed:
    """Coral's words for a JSON value of the wrong kind where a structure, map or list belongs."""
    if expected == "list":
        if type(value) is dict:
            return Malformed("Start of structure or map found where not expected.")
        return Malformed("Unrecognized collection type class " + java_class(value))
    if type(value) is list:
        return Malformed("Start of list found where not expected")
    return Malformed(f"Expected a structure or map, found {java_class(value)}")


_compilers: dict[tuple[int, str], tuple[Any, NativeCompiler]] = {}


def compiler_for(model: Any, flavor: str) -> NativeCompiler:
    """The compiler of one service model; keyed by identity, the model kept alive beside it so
    the id cannot be reused."""
    key = (id(model), flavor)
    entry = _compilers.get(key)
    if entry is None or entry[0] is not model:
        entry = (model, NativeCompiler(flavor))
        _compilers[key] = entry
    return entry[1]


_plans: dict[tuple[Any, str], Convert | None] = {}


def input_plan(operation: Any, flavor: str) -> Convert | None:
    """The operation's input converter for a JSON or CBOR body (None: the operation has no input)."""
    key = (operation, flavor)
    plan = _plans.get(key, ABSENT)
    return plan if plan is not ABSENT else build_plan_once(_plans, key, _build_plan, operation, flavor)


def _build_plan(operation: Any, flavor: str) -> Convert | None:
    shape = operation.input_shape
    return None if shape is None else compiler_for(operation.service_model, flavor).compile(shape)
