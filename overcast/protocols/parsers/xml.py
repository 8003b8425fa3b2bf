"""XML request bodies (rest-xml: S3, Route 53, CloudFront), compiled once per shape.

Inverse of botocore's RestXMLSerializer: elements are named by the members' locationName;
lists are wrapped (`<Name><member>..</member></Name>`, the item element renamable) or
flattened (the item elements repeat in the parent under the member's name); maps are
`<Name><entry><key/><value/></entry></Name>` or flattened (`<Name><key/><value/></Name>`
repeated); `xmlAttribute` members are attributes of their structure's element. Namespaces
(`xmlns`, S3's `xsi:type`) do not change meaning, so tags and attributes are matched by local
name.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from overcast.protocols.parsers.native import shape_key
from overcast.protocols.parsers.scalars import Convert, Malformed, text_converter

#: What a structure's child element feeds: one value, one more item of a flattened list, or
#: one more entry of a flattened map.
_SINGLE, _FLAT_LIST, _FLAT_MAP = 0, 1, 2


def parse_xml(body: bytes) -> ElementTree.Element:
    # Entity declarations are the only way XML makes a small body expensive (billion laughs);
    # no AWS request body has a DOCTYPE, so refuse one outright.
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise Malformed("DOCTYPE is not allowed")
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise Malformed(f"The XML you provided was not well-formed: {error}") from None
    except (LookupError, ValueError) as error:  # an encoding declaration Python cannot decode
        raise Malformed(f"The XML you provided was not well-formed: {error}") from None


def _local(name: str) -> str:
    if name[0] == "{":
        return name[name.index("}") + 1 :]
    return name.rpartition(":")[2]


class XmlCompiler:
    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Convert] = {}
        # Flattened collections need an item (or entry) converter, not a whole-value one.
        self._item_cache: dict[tuple[str, str], Convert] = {}

    def compile(self, shape: Any) -> Convert:
        key = shape_key(shape)
        converter = self._cache.get(key)
        if converter is not None:
            return converter
        type_name = shape.type_name
        if type_name == "structure":
            return self.structure(shape, key)
        if type_name == "list":
            converter = self._list(shape, key)
        elif type_name == "map":
            converter = self._map(shape, key)
        else:
            converter = _text(text_converter(shape, "iso8601"))
        self._cache[key] = converter
        return converter

    def structure(self, shape: Any, key: Any = None, member_filter: Any = None) -> Convert:
        elements: dict[str, tuple[str, Convert, int]] = {}
        attributes: dict[str, tuple[str, Convert]] = {}

        def convert(element: ElementTree.Element) -> dict:
            out: dict[str, Any] = {}
            if attributes and element.attrib:
                for name, text in element.attrib.items():
                    entry = attributes.get(_local(name))
                    if entry is not None:
                        out[entry[0]] = entry[1](text)
            for child in element:
                tag = child.tag
                if tag[0] == "{":
                    tag = tag[tag.index("}") + 1 :]
                found = elements.get(tag)
                if found is None:
                    continue
                name, item, kind = found
                if kind == _SINGLE:
                    out[name] = item(child)
                elif kind == _FLAT_LIST:
                    out.setdefault(name, []).append(item(child))
                else:
                    map_key, value = item(child)
                    out.setdefault(name, {})[map_key] = value
            return out

        if key is not None:
            self._cache[key] = convert
        for name, member in shape.members.items():
            if member_filter is not None and not member_filter(member):
                continue
            wire = member.serialization.get("name", name)
            if member.serialization.get("xmlAttribute"):
                attributes[_local(wire)] = (name, text_converter(member, "iso8601"))
            elif member.type_name == "list" and member.serialization.get("flattened"):
                elements[wire] = (name, self.compile(member.member), _FLAT_LIST)
                continue
            elif member.type_name == "map" and member.serialization.get("flattened"):
                elements[wire] = (name, self._entry(member), _FLAT_MAP)
            else:
                # Two members may share an element name (S3's deprecated
                # CloudFunctionConfiguration.Event beside its Events list): the flattened
                # list, which can hold every occurrence, keeps it.
                found = elements.get(wire)
                if found is None or found[2] != _FLAT_LIST:
                    elements[wire] = (name, self.compile(member), _SINGLE)
        return convert

    def _list(self, shape: Any, key: tuple[str, str]) -> Convert:
        holder: list[Convert] = []

        def convert(element: ElementTree.Element) -> list:
            item = holder[0]
            return [item(child) for child in element]

        self._cache[key] = convert
        holder.append(self.compile(shape.member))
        return convert

    def _entry(self, shape: Any) -> Convert:
        """Converter of one `<entry>` (or flattened map element) to a (key, value) pair."""
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        holder: list[Convert] = []

        def convert(entry: ElementTree.Element) -> tuple[Any, Any]:
            key_convert, value_convert = holder
            found_key = found_value = None
            for child in entry:
                tag = _local(child.tag)
                if tag == key_name:
                    found_key = child
                elif tag == value_name:
                    found_value = child
            if found_key is None:
                raise Malformed("Map entry without a key")
            value = value_convert(found_value) if found_value is not None else None
            return key_convert(found_key), value

        holder.append(self.compile(shape.key))
        holder.append(self.compile(shape.value))
        return convert

    def _map(self, shape: Any, key: tuple[str, str]) -> Convert:
        entry_convert = self._entry(shape)

        def convert(element: ElementTree.Element) -> dict:
            out = {}
            for entry in element:
                map_key, value = entry_convert(entry)
                out[map_key] = value
            return out

        self._cache[key] = convert
        return convert


def _text(convert_text: Convert) -> Convert:
    def convert(element: ElementTree.Element) -> Any:
        return convert_text(element.text or "")

    return convert


_compilers: dict[int, tuple[Any, XmlCompiler]] = {}


def compiler_for(model: Any) -> XmlCompiler:
    entry = _compilers.get(id(model))
    if entry is None or entry[0] is not model:
        entry = (model, XmlCompiler())
        _compilers[id(model)] = entry
    return entry[1]
