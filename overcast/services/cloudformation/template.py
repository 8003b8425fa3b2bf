"""Templates as text: JSON or YAML (with CloudFormation's short-form tags such as `!Ref` and
`!GetAtt a.b`) into plain dicts, and the checks CloudFormation makes of a template's shape
before anything is deployed."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import yaml  # type: ignore[import-untyped]

from overcast.errors import ServiceError

log = logging.getLogger(__name__)

#: AWS's limits: a TemplateBody of 51,200 bytes, a template in S3 of 1 MB.
MAX_BODY = 51_200
MAX_URL_TEMPLATE = 1_000_000

SECTIONS = frozenset(
    {
        "AWSTemplateFormatVersion",
        "Description",
        "Metadata",
        "Parameters",
        "Rules",
        "Mappings",
        "Conditions",
        "Transform",
        "Resources",
        "Outputs",
        "Hooks",
    }
)

_SHORT_TAGS = (
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
    "Length",
    "ToJsonString",
    "ForEach",
    "Contains",
    "EachMemberEquals",
    "EachMemberIn",
    "RefAll",
    "ValueOf",
    "ValueOfAll",
)


def refuses_malformed(operation: Callable[..., Awaitable[dict]]) -> Callable[..., Awaitable[dict]]:
    """An operation that reads a template answers a malformed one with a ValidationError,
    whatever shape of it the checks above did not foresee, rather than a 500."""

    @functools.wraps(operation)
    async def guarded(*args: Any, **kwargs: Any) -> dict:
        try:
            return await operation(*args, **kwargs)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError) as error:
            log.info("%s refused a malformed template: %r", operation.__name__, error)
            raise format_error("the template is malformed.") from None

    return guarded


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


def format_error(message: str) -> ServiceError:
    return validation(f"Template format error: {message}")


class _Loader(yaml.SafeLoader):
    """YAML as CloudFormation reads it: short-form tags, and no timestamps (a version date
    such as 2010-09-09 stays a string)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _function(name: str):
    key = "Ref" if name == "Ref" else "Condition" if name == "Condition" else f"Fn::{name}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {key: _node_value(loader, node)}

    return construct


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _node_value(loader, node)
    if isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


for _name in _SHORT_TAGS:
    _Loader.add_constructor(f"!{_name}", _function(_name))
_Loader.add_constructor("!Ref", _function("Ref"))
_Loader.add_constructor("!Condition", _function("Condition"))
_Loader.add_constructor("!GetAtt", _get_att)


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):  # a template's keys are names: 1 and true are "1" and "true"
            key = _scalar_text(key)
        if key in mapping:
            raise format_error(
                f"YAML not well-formed. (line {key_node.start_mark.line + 1}, duplicate key {key})"
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        raise format_error("YAML not well-formed. (a mapping key must be a scalar)")
    return str(value)


def _compose_node(self: Any, parent: Any, index: Any) -> Any:
    """CloudFormation's YAML has no anchors or aliases (and an alias of aliases would let a
    small template expand without bound)."""
    if self.check_event(yaml.AliasEvent):
        event = self.get_event()
        raise format_error(
            f"YAML not well-formed. (line {event.start_mark.line + 1}, aliases are not supported)"
        )
    return yaml.composer.Composer.compose_node(self, parent, index)


_Loader.compose_node = _compose_node

#: Deeper than this, a template is refused before anything walks it.
MAX_DEPTH = 64


def parse(text: str) -> dict[str, Any]:
    """A template's text as a dict: JSON when it looks like JSON, else YAML."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError as error:
            raise format_error(f"JSON not well-formed. ({error})") from None
        except RecursionError:
            raise format_error(f"the template nests deeper than {MAX_DEPTH} levels.") from None
    else:
        try:
            document = yaml.load(text, Loader=_Loader)
        except ServiceError:
            raise
        except RecursionError:
            raise format_error(f"the template nests deeper than {MAX_DEPTH} levels.") from None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            raise format_error(f"YAML not well-formed.{where}") from None
    if not isinstance(document, dict):
        raise format_error("unsupported structure.")
    if _depth(document) > MAX_DEPTH:
        raise format_error(f"the template nests deeper than {MAX_DEPTH} levels.")
    return document


def _depth(document: Any) -> int:
    """How deeply a parsed document nests (iteratively: a deep one must not overflow the stack)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        node, level = pending.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        pending.extend((child, level + 1) for child in children)
    return deepest


_LOGICAL_ID = re.compile(r"^[A-Za-z0-9]+$")


def check(template: dict[str, Any]) -> None:
    """The structural checks CloudFormation makes of every template it is given."""
    unknown = sorted(str(key) for key in template if key not in SECTIONS)
    if unknown:
        raise format_error(f"Invalid template property or properties [{', '.join(unknown)}]")
    version = template.get("AWSTemplateFormatVersion")
    if version is not None and str(version) != "2010-09-09":
        raise format_error(f"'{version}' is not a valid template version.")
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise format_error("At least one Resources member must be defined.")
    for section in ("Parameters", "Mappings", "Conditions", "Outputs"):
        value = template.get(section)
        if value is not None and not isinstance(value, dict):
            raise format_error(f"{section} must be an object.")  # AWS: "... is not an object"
    for logical_id, resource in resources.items():
        if not _LOGICAL_ID.match(str(logical_id)):
            raise format_error(f"Resource name {logical_id} is non alphanumeric.")
        if not isinstance(resource, dict):
            raise format_error(f"[/Resources/{logical_id}] resource definition is malformed")
        if "Type" not in resource:
            raise format_error(
                f"[/Resources/{logical_id}] Every Resources object must contain a Type member."
            )
        if not isinstance(resource["Type"], str):
            raise format_error(f"[/Resources/{logical_id}/Type] Type must be a string.")
        _check_resource_attributes(logical_id, resource)
    for name, parameter in (template.get("Parameters") or {}).items():
        if not isinstance(parameter, dict) or "Type" not in parameter:
            raise format_error(f"[/Parameters/{name}] Every Parameters object must contain a Type member.")
    for name, condition in (template.get("Conditions") or {}).items():
        if not isinstance(condition, dict):
            raise format_error(f"[/Conditions/{name}] Every Condition member must be an object.")
    for name, mapping in (template.get("Mappings") or {}).items():
        if not isinstance(mapping, dict) or not all(isinstance(entry, dict) for entry in mapping.values()):
            raise format_error(f"[/Mappings/{name}] Every Mappings member must be a map of maps.")
    rules = template.get("Rules")
    if rules is not None:
        if not isinstance(rules, dict):
            raise format_error("Rules must be an object.")
        for name, rule in rules.items():
            assertions = rule.get("Assertions") if isinstance(rule, dict) else None
            if not isinstance(assertions, list) or not all(isinstance(item, dict) for item in assertions):
                raise format_error(
                    f"[/Rules/{name}] Every Rules member must contain an Assertions list of objects."
                )
    for name, output in (template.get("Outputs") or {}).items():
        if not isinstance(output, dict) or "Value" not in output:
            raise format_error(f"[/Outputs/{name}] Every Outputs member must contain a Value object")
        export = output.get("Export")
        if export is not None and (not isinstance(export, dict) or "Name" not in export):
            raise format_error(f"[/Outputs/{name}/Export] Export must contain a Name")
        if "Condition" in output and not isinstance(output["Condition"], str):
            raise format_error(f"[/Outputs/{name}/Condition] Condition must be a string")
    _check_references(template)


_POLICIES = frozenset({"Delete", "Retain", "Snapshot", "RetainExceptOnCreate"})


def _check_resource_attributes(logical_id: str, resource: dict[str, Any]) -> None:
    where = f"[/Resources/{logical_id}"
    depends = resource.get("DependsOn")
    if depends is not None and not (
        isinstance(depends, str)
        or (isinstance(depends, list) and all(isinstance(item, str) for item in depends))
    ):
        raise format_error(f"{where}/DependsOn] DependsOn must be a string or a list of strings")
    if "Condition" in resource and not isinstance(resource["Condition"], str):
        raise format_error(f"{where}/Condition] Condition must be a string")
    if resource.get("Properties") is not None and not isinstance(resource["Properties"], dict):
        raise format_error(f"{where}/Properties] Properties must be an object")
    if "Metadata" in resource and not isinstance(resource["Metadata"], dict):
        raise format_error(f"{where}/Metadata] Metadata must be an object")
    for key in ("DeletionPolicy", "UpdateReplacePolicy"):
        if key in resource and (not isinstance(resource[key], str) or resource[key] not in _POLICIES):
            raise format_error(f"{where}/{key}] Unrecognized {key} {resource[key]!r}")


def _check_references(template: dict[str, Any]) -> None:
    """Every Ref, GetAtt and DependsOn names something the template has."""
    resources = template["Resources"]
    names = set(resources) | set(template.get("Parameters") or {}) | PSEUDO_NAMES
    missing: set[str] = set()
    conditions = set(template.get("Conditions") or {})
    for logical_id, resource in resources.items():
        depends = resource.get("DependsOn", [])
        for dependency in [depends] if isinstance(depends, str) else depends or []:
            if dependency not in resources:
                raise format_error(
                    f"Unresolved resource dependencies [{dependency}] in the Resources block of the template"
                )
        condition = resource.get("Condition")
        if condition is not None and condition not in conditions:
            raise format_error(
                f"Unresolved dependencies [{condition}]. Cannot reference resources in the Conditions block of the template"
            )
        for kind, target in references(resource):
            if (kind == "Ref" and target not in names) or (kind == "GetAtt" and target not in resources):
                missing.add(target)
    for output in (template.get("Outputs") or {}).values():
        for kind, target in references(output):
            if (kind == "Ref" and target not in names) or (kind == "GetAtt" and target not in resources):
                missing.add(target)
    if missing:
        raise format_error(
            f"Unresolved resource dependencies [{', '.join(sorted(missing))}] in the Resources block of the template"
        )


PSEUDO_NAMES = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)

_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def references(value: Any) -> list[tuple[str, str]]:
    """("Ref" | "GetAtt", logical name) for each reference inside a template fragment,
    including the variables of Fn::Sub strings."""
    found: list[tuple[str, str]] = []

    def walk(node: Any, local: frozenset[str]) -> None:
        if isinstance(node, dict):
            if len(node) == 1:
                ((key, argument),) = node.items()
                if key == "Ref" and isinstance(argument, str):
                    if argument not in local:
                        found.append(("Ref", argument))
                    return
                if key == "Fn::GetAtt":
                    target = argument
                    if isinstance(argument, str):
                        target = argument.split(".", 1)
                    if isinstance(target, list) and target and isinstance(target[0], str):
                        found.append(("GetAtt", target[0]))
                    if isinstance(target, list):
                        for part in target[1:]:
                            walk(part, local)
                    return
                if key == "Fn::Sub":
                    text, variables = (argument, {}) if isinstance(argument, str) else [*argument, {}][:2]
                    if isinstance(variables, dict):
                        walk(list(variables.values()), local)
                        names = frozenset(variables)
                    else:
                        names = frozenset()
                    if isinstance(text, str):
                        for variable in _SUB_VARIABLE.findall(text):
                            variable = variable.strip()
                            if variable in names or variable in local:
                                continue
                            if "." in variable and not variable.startswith("AWS::"):
                                found.append(("GetAtt", variable.split(".", 1)[0]))
                            else:
                                found.append(("Ref", variable))
                    return
            for child in node.values():
                walk(child, local)
        elif isinstance(node, list):
            for child in node:
                walk(child, local)

    walk(value, frozenset())
    return found


def dependencies(resource: dict[str, Any], resources: dict[str, Any]) -> set[str]:
    """The logical ids a resource waits for: its Ref/GetAtt targets and DependsOn."""
    needed = {target for _, target in references(resource.get("Properties", {})) if target in resources}
    depends = resource.get("DependsOn", [])
    needed.update([depends] if isinstance(depends, str) else depends or [])
    return needed
