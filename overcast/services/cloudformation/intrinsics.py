"""The intrinsic functions and condition functions of a template, evaluated against what a
stack knows: its parameters, pseudo parameters, mappings, conditions, the physical ids and
attributes of its resources, and the exports of the region.

An evaluation that needs something not known yet (a resource a change set would create, an
attribute of a resource to be replaced) yields UNKNOWN: a change set's preview shows it as a
dynamic change."""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any


class TemplateError(Exception):
    """An intrinsic function CloudFormation cannot evaluate; the message is AWS's."""


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


UNKNOWN: Any = _Unknown()
NO_VALUE: Any = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Evaluator:
    def __init__(
        self,
        *,
        parameters: dict[str, Any],
        pseudo: dict[str, Any],
        mappings: dict[str, Any],
        conditions: dict[str, Any],
        ref: Callable[[str], Any],
        get_att: Callable[[str, str], Any],
        import_value: Callable[[str], Any],
    ) -> None:
        self.parameters = parameters
        self.pseudo = pseudo
        self.mappings = mappings or {}
        self.condition_definitions = conditions or {}
        self.condition_values: dict[str, bool] = {}
        self._ref = ref
        self._get_att = get_att
        self._import_value = import_value
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self.ref,
            "Fn::GetAtt": self.get_att,
            "Fn::Sub": self.sub,
            "Fn::Join": self.join,
            "Fn::Split": self.split,
            "Fn::Select": self.select,
            "Fn::GetAZs": self.get_azs,
            "Fn::FindInMap": self.find_in_map,
            "Fn::Base64": self.base64,
            "Fn::Cidr": self.cidr,
            "Fn::If": self.if_,
            "Fn::Equals": self.equals,
            "Fn::And": self.and_,
            "Fn::Or": self.or_,
            "Fn::Not": self.not_,
            "Condition": self.condition_function,
            "Fn::ImportValue": self.import_value,
            "Fn::Length": self.length,
            "Fn::ToJsonString": self.to_json_string,
        }

    # -- the walk --------------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """A template fragment with every function evaluated and AWS::NoValue removed."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                function = self._functions.get(key)
                if function is not None:
                    return function(argument)
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not NO_VALUE]
        return value

    # -- conditions ------------------------------------------------------------------------------

    def condition(self, name: str) -> bool:
        if name not in self.condition_values:
            if name not in self.condition_definitions:
                raise TemplateError(f"Template format error: Unresolved dependencies [{name}].")
            self.condition_values[name] = bool(self._boolean(self.resolve(self.condition_definitions[name])))
        return self.condition_values[name]

    def condition_function(self, argument: Any) -> bool:
        return self.condition(argument)

    @staticmethod
    def _boolean(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise TemplateError("Template error: Fn::If requires a condition that evaluates to true or false")

    def if_(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise TemplateError("Template error: Fn::If requires a list argument with three elements")
        return self.resolve(argument[1] if self.condition(argument[0]) else argument[2])

    def equals(self, argument: Any) -> bool:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError("Template error: Fn::Equals requires a list argument with two elements")
        left, right = (self.resolve(item) for item in argument)
        return _text(left) == _text(right) if not isinstance(left, list | dict) else left == right

    def and_(self, argument: Any) -> bool:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise TemplateError(
                "Template error: Fn::And requires a list argument with between 2 and 10 elements"
            )
        return all(self._boolean(self.resolve(item)) for item in argument)

    def or_(self, argument: Any) -> bool:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise TemplateError(
                "Template error: Fn::Or requires a list argument with between 2 and 10 elements"
            )
        return any(self._boolean(self.resolve(item)) for item in argument)

    def not_(self, argument: Any) -> bool:
        if not isinstance(argument, list) or len(argument) != 1:
            raise TemplateError("Template error: Fn::Not requires a list argument with one element")
        return not self._boolean(self.resolve(argument[0]))

    # -- references ------------------------------------------------------------------------------

    def ref(self, argument: Any) -> Any:
        if isinstance(argument, dict):  # the language extensions allow Ref of a Fn::Sub
            argument = self.resolve(argument)
            if argument is UNKNOWN:
                return UNKNOWN
        if not isinstance(argument, str):
            raise TemplateError("Template error: every Ref object must have a single String value.")
        if argument == "AWS::NoValue":
            return NO_VALUE
        if argument in self.pseudo:
            return self.pseudo[argument]
        if argument in self.parameters:
            return self.parameters[argument]
        return self._ref(argument)

    def get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError("Template error: every Fn::GetAtt object requires two non-empty parameters")
        resource, attribute = argument[0], self.resolve(argument[1])
        if attribute is UNKNOWN:
            return UNKNOWN
        return self._get_att(resource, attribute)

    def import_value(self, argument: Any) -> Any:
        name = self.resolve(argument)
        if name is UNKNOWN:
            return UNKNOWN
        return self._import_value(_text(name))

    # -- strings and lists -----------------------------------------------------------------------

    def sub(self, argument: Any) -> Any:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            text, variables = argument[0], {key: self.resolve(value) for key, value in argument[1].items()}
        else:
            raise TemplateError(
                "Template error: One or more Fn::Sub intrinsic functions don't specify expected "
                "arguments. Specify a string as first argument, and an optional second argument to "
                "specify a mapping of values to replace in the string"
            )
        if not isinstance(text, str):
            raise TemplateError("Template error: Fn::Sub requires a string as its first argument")
        unknown = False

        def replace(match: re.Match[str]) -> str:
            nonlocal unknown
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            name = name.strip()
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                resource, attribute = name.split(".", 1)
                value = self._get_att(resource, attribute)
            else:
                value = self.ref(name)
            if value is UNKNOWN:
                unknown = True
                return ""
            if isinstance(value, list):
                raise TemplateError(
                    f"Template error: variable {name} in Fn::Sub expression does not resolve to a string"
                )
            return _text(value)

        result = _SUB_VARIABLE.sub(replace, text)
        return UNKNOWN if unknown else result

    def join(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(
                "Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined."
            )
        delimiter = self.resolve(argument[0])
        items = self.resolve(argument[1])
        if not isinstance(delimiter, str):
            raise TemplateError("Template error: Fn::Join requires a string delimiter")
        if items is UNKNOWN or contains_unknown(items):
            return UNKNOWN
        if not isinstance(items, list):
            raise TemplateError(
                "Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined."
            )
        for item in items:
            if isinstance(item, dict | list):
                raise TemplateError(
                    "Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined."
                )
        return delimiter.join(_text(item) for item in items)

    def split(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(
                "Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split."
            )
        delimiter, source = self.resolve(argument[0]), self.resolve(argument[1])
        if source is UNKNOWN:
            return UNKNOWN
        if not isinstance(delimiter, str) or not isinstance(source, str):
            raise TemplateError(
                "Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split."
            )
        return source.split(delimiter)

    def select(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(
                "Template error: Fn::Select requires a list argument with two elements: an integer index and a list"
            )
        index, items = self.resolve(argument[0]), self.resolve(argument[1])
        if items is UNKNOWN or index is UNKNOWN:
            return UNKNOWN
        try:
            position = int(index)
        except (TypeError, ValueError):
            raise TemplateError(
                "Template error: Fn::Select requires a list argument with two elements: an integer index and a list"
            ) from None
        if not isinstance(items, list):
            raise TemplateError(
                "Template error: Fn::Select requires a list argument with two elements: an integer index and a list"
            )
        if not 0 <= position < len(items):
            raise TemplateError(
                "Template error: Fn::Select cannot select nonexistent value at index " + str(position)
            )
        return items[position]

    def get_azs(self, argument: Any) -> Any:
        region = self.resolve(argument) or self.pseudo["AWS::Region"]
        return [f"{region}{letter}" for letter in "abc"]

    def find_in_map(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise TemplateError(
                "Template error: every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value"
            )
        default = None
        if len(argument) == 4:
            option = argument[3]
            if not isinstance(option, dict) or "DefaultValue" not in option:
                raise TemplateError(
                    "Template error: the fourth parameter of Fn::FindInMap must be a DefaultValue"
                )
            default = option["DefaultValue"]
        name, key, attribute = (self.resolve(item) for item in argument[:3])
        if UNKNOWN in (name, key, attribute):
            return UNKNOWN
        mapping = self.mappings.get(_text(name))
        if mapping is None:
            if default is not None:
                return self.resolve(default)
            raise TemplateError(f"Template error: Unable to get mapping for {name}::{key}::{attribute}")
        entry = mapping.get(_text(key))
        if not isinstance(entry, dict) or _text(attribute) not in entry:
            if default is not None:
                return self.resolve(default)
            raise TemplateError(f"Template error: Unable to get mapping for {name}::{key}::{attribute}")
        return entry[_text(attribute)]

    def base64(self, argument: Any) -> Any:
        value = self.resolve(argument)
        if value is UNKNOWN:
            return UNKNOWN
        return base64.b64encode(_text(value).encode()).decode()

    def cidr(self, argument: Any) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise TemplateError(
                "Template error: Fn::Cidr requires three parameters: ipBlock, count and cidrBits"
            )
        block, count, bits = (self.resolve(item) for item in argument)
        if UNKNOWN in (block, count, bits):
            return UNKNOWN
        try:
            network = ipaddress.ip_network(str(block), strict=False)
            count, bits = int(count), int(bits)
        except ValueError:
            raise TemplateError(
                f"Template error: Fn::Cidr's ipBlock {block} is not a valid CIDR block"
            ) from None
        prefix = network.max_prefixlen - bits
        if prefix < network.prefixlen or not 1 <= count <= 256:
            raise TemplateError(
                "Template error: Fn::Cidr cannot split the ipBlock into that many subnets of that size"
            )
        subnets = []
        for subnet in network.subnets(new_prefix=prefix):
            subnets.append(str(subnet))
            if len(subnets) == count:
                break
        if len(subnets) < count:
            raise TemplateError(
                "Template error: Fn::Cidr cannot split the ipBlock into that many subnets of that size"
            )
        return subnets

    def length(self, argument: Any) -> Any:
        value = self.resolve(argument)
        if value is UNKNOWN:
            return UNKNOWN
        if not isinstance(value, list):
            raise TemplateError("Template error: Fn::Length requires a list")
        return len(value)

    def to_json_string(self, argument: Any) -> Any:
        value = self.resolve(argument)
        if contains_unknown(value):
            return UNKNOWN
        return json.dumps(value, separators=(",", ":"))
