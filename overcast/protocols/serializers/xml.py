"""XML bodies for the query, ec2 and rest-xml protocols, written as the exact inverse of
botocore's `BaseXMLResponseParser`.

Each shape is compiled once into a small writer closure that appends strings to a list; the
response is one `"".join`. That is several times faster than building an ElementTree and
serialising it, and escaping is done only on strings that need it.

Element naming follows the parser: a member is written under its `locationName` (else its
member name); a flattened list repeats its items under the list member's `locationName` (else
the member's name); a wrapped list puts items under `member` (ec2 models say `item`); a map
writes `<entry><key/><value/></entry>` (or flattened, repeats the member element); structure
members with `xmlAttribute` become attributes, with namespace declarations from `xmlNamespace`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from overcast.protocols.serializers.common import (
    TIMESTAMP_TEXT,
    b64,
    bool_text,
    float_text,
    iso8601,
    iso8601_millis,
)

if TYPE_CHECKING:
    from botocore.model import Shape, StructureShape

Writer = Callable[[Any, list], None]
#: One member of a compiled structure writer: (kind, member name, open tag, close tag, what);
#: see `_compile_children`.
Step = tuple[str, str, str | None, str | None, Any]

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

#: Namespace prefixes AWS uses in attributes, declared where a model forgot to.
KNOWN_PREFIXES = {"xsi": "http://www.w3.org/2001/XMLSchema-instance"}


class RawXml(str):
    """A flattened list's elements already rendered (S3 listings keep each entry's XML): written
    as they are."""

    __slots__ = ()


def escape(text: str) -> str:
    # The membership tests are much cheaper than four replace() calls on the common clean string.
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return _escape_all(text)
    return text


def _escape_all(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def escape_attribute(text: str) -> str:
    return escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _string_text(value: Any) -> str:
    return escape(value if isinstance(value, str) else str(value))


class XmlCompiler:
    """Compiles writers for the shapes of one protocol flavour. `millis` selects S3/EC2's
    always-millisecond timestamps."""

    def __init__(self, millis: bool = False) -> None:
        iso = iso8601_millis if millis else iso8601
        self._timestamp_text = {**TIMESTAMP_TEXT, "iso8601": iso}
        self._structures: dict[str, StructurePlan] = {}

    # -- scalars ---------------------------------------------------------------------------

    def text_function(self, shape: Shape, escaped: bool = True) -> Callable[[Any], str]:
        """The element text of a scalar shape's value (unescaped for attributes, which escape
        more)."""
        type_name = shape.type_name
        if type_name == "string":
            return _string_text if escaped else str
        if type_name == "boolean":
            return bool_text
        if type_name in ("integer", "long", "short", "byte"):
            return str
        if type_name in ("float", "double"):
            return float_text
        if type_name == "timestamp":
            return self._timestamp_text[shape.serialization.get("timestampFormat", "iso8601")]
        if type_name == "blob":
            return b64
        return _string_text if escaped else str  # document and anything new: best effort

    # -- elements --------------------------------------------------------------------------

    def element(self, shape: Shape, tag: str) -> Writer:
        """A writer for one element `<tag>` holding a value of `shape`."""
        type_name = shape.type_name
        if type_name == "structure":
            return self._structure_element(shape, tag)
        if type_name == "list":
            if shape.serialization.get("flattened"):
                return self._flat_list(shape, tag)
            return self._wrapped_list(shape, tag)
        if type_name == "map":
            return self._map(shape, tag)
        text = self.text_function(shape)
        open_tag, close_tag = f"<{tag}>", f"</{tag}>"

        def write_scalar(value: Any, out: list) -> None:
            out.append(open_tag + text(value) + close_tag)

        return write_scalar

    def structure(self, shape: StructureShape) -> StructurePlan:
        plan = self._structures.get(shape.name)
        if plan is None:
            # Registered before its members compile, so recursive shapes find it.
            plan = self._structures[shape.name] = StructurePlan()
            plan.fill(self, shape)
        return plan

    def inline_plan(self, shape: StructureShape) -> StructurePlan | None:
        """The plan of a structure that a parent may write in place: one whose element carries
        no attributes or namespace declarations."""
        if shape.serialization.get("xmlNamespace"):
            return None
        plan = self.structure(shape)
        return None if plan.attributes else plan

    def _structure_element(self, shape: StructureShape, tag: str) -> Writer:
        plan = self.structure(shape)
        declarations = namespace_declarations(shape.serialization.get("xmlNamespace"))
        declarations += plan.undeclared_prefixes(declarations)
        open_start, close_tag = f"<{tag}{declarations}", f"</{tag}>"
        open_tag = open_start + ">"

        def write_structure(value: Any, out: list) -> None:
            if plan.attributes:
                out.append(open_start + plan.attribute_text(value) + ">")
            else:
                out.append(open_tag)
            plan.write_children(value, out)
            out.append(close_tag)

        return write_structure

    def _wrapped_list(self, shape: Shape, tag: str) -> Writer:
        item_tag = shape.member.serialization.get("name", "member")
        open_tag, close_tag = f"<{tag}>", f"</{tag}>"
        if shape.member.type_name == "string":
            item_open, item_close = f"<{item_tag}>", f"</{item_tag}>"

            def write_string_list(value: Any, out: list) -> None:
                out.append(open_tag)
                for entry in value:
                    if entry is not None:
                        out.append(item_open + _string_text(entry) + item_close)
                out.append(close_tag)

            return write_string_list
        item = self.element(shape.member, item_tag)

        def write_list(value: Any, out: list) -> None:
            out.append(open_tag)
            for entry in value:
                if entry is not None:
                    item(entry, out)
            out.append(close_tag)

        return write_list

    def _flat_list(self, shape: Shape, tag: str) -> Writer:
        item = self.element(shape.member, tag)

        def write_flat_list(value: Any, out: list) -> None:
            if value.__class__ is RawXml:
                out.append(value)
                return
            for entry in value:
                if entry is not None:
                    item(entry, out)

        return write_flat_list

    def _map(self, shape: Shape, tag: str) -> Writer:
        key = self.element(shape.key, shape.key.serialization.get("name", "key"))
        value_writer = self.element(shape.value, shape.value.serialization.get("name", "value"))
        open_tag, close_tag = f"<{tag}>", f"</{tag}>"
        if shape.serialization.get("flattened"):

            def write_flat_map(value: Any, out: list) -> None:
                for k, v in value.items():
                    if v is not None:
                        out.append(open_tag)
                        key(k, out)
                        value_writer(v, out)
                        out.append(close_tag)

            return write_flat_map

        def write_map(value: Any, out: list) -> None:
            out.append(open_tag)
            for k, v in value.items():
                if v is not None:
                    out.append("<entry>")
                    key(k, out)
                    value_writer(v, out)
                    out.append("</entry>")
            out.append(close_tag)

        return write_map


class StructurePlan:
    """A structure's member writers (keyed by member name) and its attribute members.

    `write_children(value, out)` is generated Python source, compiled once per structure: one
    `value.get` per member in model order, scalars formatted inline (strings escaped only when
    they hold a character that needs it). Large outputs (a 1,000-key S3 listing) spend most of
    their serialization time here, and a straight-line function is several times quicker than
    looking each member up in a table of writers."""

    __slots__ = ("attributes", "children", "write_children")

    def __init__(self) -> None:
        self.children: dict[str, Writer] = {}
        #: member name -> (attribute name, text function)
        self.attributes: dict[str, tuple[str, Callable[[Any], str]]] = {}
        self.write_children: Callable[[dict, list], None] = _write_nothing

    def fill(self, compiler: XmlCompiler, shape: StructureShape, members: list[str] | None = None) -> None:
        body = []
        # In the order `members` gives (the model's unless the service's wire says otherwise).
        for name in shape.members if members is None else members:
            member = shape.members[name]
            serialization = member.serialization
            if serialization.get("location") or serialization.get("eventstream"):
                continue  # headers, status code and event streams never go in the XML body
            if serialization.get("xmlAttribute"):
                text = compiler.text_function(member, escaped=False)
                self.attributes[name] = (serialization.get("name", name), text)
            else:
                body.append((name, member))
        # Children compile after the attributes are known: a recursive shape met while compiling
        # them then already sees its complete attribute list.
        steps: list[Step] = []
        for name, member in body:
            tag = member_tag(name, member)
            self.children[name] = compiler.element(member, tag)
            tags = (f"<{tag}>", f"</{tag}>")
            kind = member.type_name
            if kind == "structure" and (plan := compiler.inline_plan(member)) is not None:
                steps.append(("struct", name, *tags, plan))
            elif kind == "list" and member.serialization.get("flattened"):
                item = member.member
                if item.type_name == "string" and item.enum:
                    steps.append(("flat_enum", name, *tags, {}))
                elif item.type_name == "string":
                    steps.append(("flat_text", name, *tags, None))
                elif item.type_name == "structure" and (plan := compiler.inline_plan(item)) is not None:
                    steps.append(("flat_struct", name, *tags, plan))
                else:
                    steps.append(("writer", name, None, None, self.children[name]))
            elif kind in ("structure", "list", "map"):
                steps.append(("writer", name, None, None, self.children[name]))
            elif kind == "string" and member.enum:
                steps.append(("enum", name, *tags, {}))
            elif kind == "string":
                steps.append(("text", name, *tags, None))
            else:
                text = compiler.text_function(member)
                steps.append(("millis" if text is iso8601_millis else "scalar", name, *tags, text))
        if steps:
            self.write_children = _compile_children(steps)

    def attribute_text(self, value: dict) -> str:
        parts = []
        for name, (attribute, text) in self.attributes.items():
            member_value = value.get(name)
            if member_value is not None:
                parts.append(f' {attribute}="{escape_attribute(text(member_value))}"')
        return "".join(parts)

    def undeclared_prefixes(self, declared: str) -> str:
        """Declarations for attribute prefixes (xsi:type) no enclosing element declares."""
        extra = []
        for attribute, _ in self.attributes.values():
            prefix = attribute.partition(":")[0] if ":" in attribute else ""
            if prefix and f"xmlns:{prefix}=" not in declared and prefix in KNOWN_PREFIXES:
                extra.append(f' xmlns:{prefix}="{KNOWN_PREFIXES[prefix]}"')
        return "".join(extra)


def _write_nothing(value: dict, out: list) -> None:
    pass


def _enum_element(cache: dict, value: Any, open_tag: str, close_tag: str) -> str:
    text = open_tag + _string_text(value) + close_tag
    if value.__class__ is str:  # a value outside the enum is written all the same, but not kept
        if len(cache) >= 64:
            cache.clear()
        cache[value] = text
    return text


_ESCAPE_TEST = "'&' in {0} or '<' in {0} or '>' in {0} or '\\r' in {0}"


def _compile_children(steps: list[Step]) -> Callable[[dict, list], None]:
    """A structure's write_children, from generated source. Each step is (kind, member name,
    open tag, close tag, what): `text` a string member; `enum` one with an enum (`what` its
    cache of elements by value); `scalar` another scalar (`what` formats it); `struct` a
    structure written in place (`what` its plan); `flat_text` / `flat_enum` / `flat_struct` a
    flattened list of those (or its elements already rendered, as RawXml); `writer` anything
    else (`what` its writer)."""
    names: dict[str, Any] = {
        "_escape_all": _escape_all,
        "_enum_element": _enum_element,
        "str": str,
        "RawXml": RawXml,
    }
    lines = ["def write_children(value, out):", "    get = value.get", "    append = out.append"]
    for index, (kind, name, open_tag, close_tag, what) in enumerate(steps):
        names[f"w{index}"] = what
        lines += [f"    x = get({name!r})", "    if x is not None:"]
        if kind == "text":
            lines += [
                "        if x.__class__ is not str: x = str(x)",
                f"        if {_ESCAPE_TEST.format('x')}: x = _escape_all(x)",
                f"        append({open_tag!r} + x + {close_tag!r})",
            ]
        elif kind == "enum":
            # A handful of values, each written many times (StorageClass in a listing): the
            # element text is kept per value.
            lines += [
                f"        y = w{index}.get(x)",
                "        if y is None:",
                f"            y = _enum_element(w{index}, x, {open_tag!r}, {close_tag!r})",
                "        append(y)",
            ]
        elif kind == "millis":
            # A stored wire text (S3 object rows keep LastModified so) needs no call at all.
            lines += [
                "        if x.__class__ is str and len(x) == 24 and x[23] == 'Z' and x[10] == 'T' and x[19] == '.':",
                f"            append({open_tag!r} + x + {close_tag!r})",
                "        else:",
                f"            append({open_tag!r} + w{index}(x) + {close_tag!r})",
            ]
        elif kind == "scalar":
            lines.append(f"        append({open_tag!r} + w{index}(x) + {close_tag!r})")
        elif kind == "struct":
            # The plan's write_children is looked up when called: a recursive shape's plan is
            # still being compiled when this one is.
            lines += [
                f"        append({open_tag!r})",
                f"        w{index}.write_children(x, out)",
                f"        append({close_tag!r})",
            ]
        elif kind == "flat_text":
            lines += [
                "        for y in x:",
                "            if y is not None:",
                "                if y.__class__ is not str: y = str(y)",
                f"                if {_ESCAPE_TEST.format('y')}: y = _escape_all(y)",
                f"                append({open_tag!r} + y + {close_tag!r})",
            ]
        elif kind == "flat_enum":
            lines += [
                "        for y in x:",
                "            if y is not None:",
                f"                z = w{index}.get(y)",
                f"                append(z if z is not None else _enum_element(w{index}, y, {open_tag!r}, {close_tag!r}))",
            ]
        elif kind == "flat_struct":
            lines += [
                "        if x.__class__ is RawXml:",
                "            append(x)",
                "        else:",
                f"            children = w{index}.write_children",
                "            for y in x:",
                "                if y is not None:",
                f"                    append({open_tag!r})",
                "                    children(y, out)",
                f"                    append({close_tag!r})",
            ]
        else:
            lines.append(f"        w{index}(x, out)")
    exec(compile("\n".join(lines), "<xml structure writer>", "exec"), names)
    return names["write_children"]


def member_tag(name: str, member: Shape) -> str:
    """The element name botocore looks for (`_member_key_name`)."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        item_name = member.member.serialization.get("name")
        if item_name is not None:
            return item_name
    return member.serialization.get("name", name)


def namespace_declarations(namespace: Any) -> str:
    """` xmlns="uri"` or ` xmlns:prefix="uri"` for an `xmlNamespace` trait (a dict or a bare uri)."""
    if not namespace:
        return ""
    if isinstance(namespace, str):
        return f' xmlns="{escape_attribute(namespace)}"'
    uri = escape_attribute(namespace.get("uri", ""))
    prefix = namespace.get("prefix")
    return f' xmlns:{prefix}="{uri}"' if prefix else f' xmlns="{uri}"'


def document_writer(
    compiler: XmlCompiler, shape: StructureShape, tag: str, namespace: Any, members: list[str] | None = None
) -> Callable[[dict], str]:
    """A whole XML document: `<tag xmlns=...>` + the structure's (body) members."""
    plan = StructurePlan()
    plan.fill(compiler, shape, members)
    declarations = namespace_declarations(namespace or shape.serialization.get("xmlNamespace"))
    declarations += plan.undeclared_prefixes(declarations)
    open_start = f"{XML_DECLARATION}<{tag}{declarations}"
    close_tag = f"</{tag}>"

    def write_document(value: dict) -> str:
        out = [open_start + (plan.attribute_text(value) if plan.attributes else "") + ">"]
        plan.write_children(value, out)
        out.append(close_tag)
        return "".join(out)

    return write_document


def generic_fields(fields: dict, out: list) -> None:
    """Error fields the model does not describe (S3's `<BucketName>`...), as plain elements."""
    for name, value in fields.items():
        if value is None:
            continue
        out.append(f"<{name}>")
        if isinstance(value, dict):
            generic_fields(value, out)
        elif isinstance(value, (list, tuple)):
            for item in value:
                generic_fields({"member": item}, out)
        elif isinstance(value, bool):
            out.append(bool_text(value))
        elif isinstance(value, (bytes, bytearray)):
            out.append(b64(value))
        elif isinstance(value, float):
            out.append(float_text(value))
        elif hasattr(value, "isoformat"):
            out.append(iso8601(value))
        else:
            out.append(escape(str(value)))
        out.append(f"</{name}>")


#: Elements every XML error body writes itself; fields of the same name would repeat them.
_ERROR_ENVELOPE = frozenset({"Code", "Message", "Type", "RequestId", "HostId"})


def write_error_fields(
    compiler: XmlCompiler, shape: StructureShape | None, message_member: str | None, fields: dict, out: list
) -> None:
    """A raised error's extra fields inside `<Error>`: modelled members as the model says,
    anything else as plain elements."""
    children = compiler.structure(shape).children if shape is not None else {}
    for name, value in fields.items():
        if value is None or name == message_member or name in _ERROR_ENVELOPE:
            continue
        writer = children.get(name)
        if writer is not None:
            writer(value, out)
        else:
            generic_fields({name: value}, out)
