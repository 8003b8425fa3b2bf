"""The `query` and `ec2` protocols: input flattened into form fields (`Action=...&Foo.member.1=x`).

Inverse of botocore's QuerySerializer / EC2Serializer. The flat keys are first folded into a
tree by their dots (`Tags.member.1.Key` -> tree["Tags"]["member"]["1"]["Key"]); a converter
compiled once per shape then walks that tree, looking up only the keys the request carries.

Where the two protocols differ (a table, not a branch per call site):
  * member names - query: locationName or member name; ec2: queryName, else locationName
    capitalised, else member name;
  * lists - query: `Name.member.N` (or `Name.<member locationName>.N`), flattened `Name.N`, and
    an empty list is sent as `Name=`; ec2: always `Name.N`, empty lists not sent;
  * maps - `Name.entry.N.key/value` (flattened `Name.N.key/value`, key/value renamable).
"""

from __future__ import annotations

from typing import Any

from overcast.protocols.models import has_legacy_query, query_model, wire
from overcast.protocols.parsers.native import shape_key
from overcast.protocols.parsers.plans import ABSENT, build_plan_once
from overcast.protocols.parsers.scalars import Convert, Malformed, text_converter

Tree = dict  # str -> Tree | str; key None holds a value sent for a key that also has children

#: (structure shape, member) -> (wire name, map key name, map value name)
LegacyNames = dict[tuple[str, str], tuple[str, str | None, str | None]]


def build_tree(form: dict[str, list[str]]) -> Tree:
    root: Tree = {}
    for key, values in form.items():
        value = values[0] if values else ""
        node = root
        if "." in key:
            parts = key.split(".")
            key = parts.pop()
            for part in parts:
                child = node.get(part)
                if child is None:
                    child = node[part] = {}
                elif type(child) is not dict:
                    child = node[part] = {None: child}
                node = child
        existing = node.get(key)
        if type(existing) is dict:
            existing[None] = value
        else:
            node[key] = value
    return root


def _indexed(node: Tree) -> list:
    """The children of `N.` keys in index order (1-based on the wire; gaps are tolerated)."""
    pairs = [(int(k), v) for k, v in node.items() if k is not None and k.isdecimal()]
    pairs.sort(key=lambda pair: pair[0])
    return [v for _, v in pairs]


def _query_wire_name(member: Any, name: str) -> str:
    """The name botocore's QuerySerializer sends a member under: a flattened list's items go
    under the item's own name when it has one."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        item_name = member.member.serialization.get("name")
        if item_name:
            return item_name
    return member.serialization.get("name", name)


def _map_names(member: Any) -> tuple[str | None, str | None]:
    if member.type_name != "map":
        return None, None
    return member.key.serialization.get("name"), member.value.serialization.get("name")


def legacy_names(model: Any) -> LegacyNames:
    """The member names a service's last query model gave that its current model does not
    (`Wire.query_shape_traits`): old SDKs still send them, botocore's own names keep working."""
    if not has_legacy_query(model):
        return {}
    legacy = query_model(model)
    names: LegacyNames = {}
    known = set(model.shape_names)
    for shape_name in legacy.shape_names:
        shape = legacy.shape_for(shape_name)
        if shape.type_name != "structure" or shape_name not in known:
            continue  # the overlay's unmodelled errors are no request's input
        current = model.shape_for(shape_name).members
        for name, member in shape.members.items():
            old = (_query_wire_name(member, name), *_map_names(member))
            if name not in current or old != (
                _query_wire_name(current[name], name),
                *_map_names(current[name]),
            ):
                names[(shape_name, name)] = old
    return names


class QueryCompiler:
    def __init__(self, protocol: str, model: Any) -> None:
        self.ec2 = protocol == "ec2"
        self.legacy = {} if self.ec2 else legacy_names(model)
        self._cache: dict[tuple[str, str], Convert] = {}

    def member_name(self, shape: Any, default: str) -> str:
        serialization = shape.serialization
        if self.ec2:
            if "queryName" in serialization:
                return serialization["queryName"]
            if "name" in serialization:
                name = serialization["name"]
                return name[0].upper() + name[1:]
            return default
        return serialization.get("name", default)

    def compile(self, shape: Any) -> Convert:
        key = shape_key(shape)
        converter = self._cache.get(key)
        if converter is not None:
            return converter
        type_name = shape.type_name
        if type_name == "structure":
            return self._structure(shape, key)
        if type_name == "list":
            converter = self._list(shape, key)
        elif type_name == "map":
            converter = self._map(shape, key, None)
        else:
            converter = _leaf(text_converter(shape, "iso8601"))
        self._cache[key] = converter
        return converter

    def _structure(self, shape: Any, key: tuple[str, str]) -> Convert:
        table: dict[str, tuple[str, Convert]] = {}

        def convert(node: Any) -> dict:
            if type(node) is not dict:
                return {}  # a bare `Name=` for a structure: nothing set
            out = {}
            for wire, child in node.items():
                entry = table.get(wire)
                if entry is not None:
                    out[entry[0]] = entry[1](child)
            return out

        self._cache[key] = convert
        for name, member in shape.members.items():
            wire = self.member_name(member, name)
            converter = self.compile(member)
            table[wire] = (name, converter)
            if not self.ec2 and member.type_name == "list" and member.serialization.get("flattened"):
                item_name = member.member.serialization.get("name")
                if item_name:
                    # botocore puts the items under the member's name but an empty list under
                    # the list's own name.
                    table[item_name] = (name, converter)
            legacy = self.legacy.get((shape.name, name))
            if legacy is not None:
                legacy_wire, key_name, value_name = legacy
                if member.type_name == "map":
                    converter = self._map(member, None, (key_name, value_name), flattened=True)
                elif member.type_name == "list":
                    converter = self._list(member, None, flattened=True)
                table.setdefault(legacy_wire, (name, converter))
        return convert

    def _list(self, shape: Any, key: Any, flattened: bool | None = None) -> Convert:
        if flattened is None:
            flattened = self.ec2 or bool(shape.serialization.get("flattened"))
        item_key = None if flattened else shape.member.serialization.get("name", "member")
        holder: list[Convert] = []

        def convert(node: Any) -> list:
            item = holder[0]
            if type(node) is not dict:
                # `Name=` is botocore's empty list; a bare value is taken as a one-item list.
                return [] if node == "" else [item(node)]
            if item_key is not None:
                node = node.get(item_key)
                if type(node) is not dict:
                    return [] if node is None or node == "" else [item(node)]
            return [item(child) for child in _indexed(node)]

        if key is not None:
            self._cache[key] = convert
        holder.append(self.compile(shape.member))
        return convert

    def _map(
        self, shape: Any, key: Any, names: tuple[str | None, str | None] | None, flattened: bool | None = None
    ) -> Convert:
        if flattened is None:
            flattened = bool(shape.serialization.get("flattened"))
        key_names = {self.member_name(shape.key, "key")}
        value_names = {self.member_name(shape.value, "value")}
        if names is not None:
            key_names.add(names[0] or "key")
            value_names.add(names[1] or "value")
        holder: list[Convert] = []

        def convert(node: Any) -> dict:
            if type(node) is not dict:
                return {}
            if not flattened:
                node = node.get("entry")
                if type(node) is not dict:
                    return {}
            key_convert, value_convert = holder
            out = {}
            for entry in _indexed(node):
                if type(entry) is not dict:
                    raise Malformed("Invalid map entry")
                map_key = _first(entry, key_names)
                if map_key is None:
                    raise Malformed("Map entry without a key")
                value = _first(entry, value_names)
                if value is not None:  # botocore writes no value field for an empty structure
                    out[key_convert(map_key)] = value_convert(value)
            return out

        if key is not None:
            self._cache[key] = convert
        holder.append(self.compile(shape.key))
        holder.append(self.compile(shape.value))
        return convert


def _first(entry: Tree, names: set[str]) -> Any:
    for name in names:
        value = entry.get(name)
        if value is not None:
            return value
    return None


def _leaf(text: Convert) -> Convert:
    def convert(node: Any) -> Any:
        if type(node) is not str:
            node = node.get(None)
            if node is None:
                raise Malformed("Expected a value, found nested parameters")
        return text(node)

    return convert


_compilers: dict[tuple[int, str], tuple[Any, QueryCompiler]] = {}
#: Per operation: its input's converter, and the member its service's query API reads from the
#: request path when the form leaves it out (`Wire.query_path_member`), if the input has it.
_plans: dict[Any, tuple[Convert, str] | None] = {}


def _plan(operation: Any, protocol: str) -> tuple[Convert, str] | None:
    plan = _plans.get(operation, ABSENT)
    return plan if plan is not ABSENT else build_plan_once(_plans, operation, _build, operation, protocol)


def _build(operation: Any, protocol: str) -> tuple[Convert, str] | None:
    shape = operation.input_shape
    if shape is None or not shape.members:
        return None  # nothing to read (STS GetCallerIdentity): skip folding the form
    model = operation.service_model
    key = (id(model), protocol)
    entry = _compilers.get(key)
    if entry is None or entry[0] is not model:
        entry = (model, QueryCompiler(protocol, model))
        _compilers[key] = entry
    path_member = wire(model).query_path_member
    return entry[1].compile(shape), path_member if path_member in shape.members else ""


def parse(operation: Any, request: Any, uri_params: dict[str, str], protocol: str = "query") -> dict:
    plan = _plan(operation, protocol)
    if plan is None:
        return {}
    convert, path_member = plan
    params = convert(build_tree(request.form))
    if path_member and path_member not in params:
        _member_from_path(request, path_member, params)
    return params


def _member_from_path(request: Any, member: str, params: dict) -> None:
    if request.raw_path.strip("/").count("/") >= 1:
        params[member] = f"{request.scheme}://{request.host}{request.path.rstrip('/')}"


def parse_ec2(operation: Any, request: Any, uri_params: dict[str, str]) -> dict:
    return parse(operation, request, uri_params, "ec2")
