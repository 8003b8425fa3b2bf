"""A template's Rules: each rule's RuleCondition and Assertions evaluated against the
parameter values before anything is created or updated; a false assertion refuses the
request with its AssertDescription."""

from __future__ import annotations

from typing import Any

from overcast.errors import ServiceError
from overcast.services.cloudformation.intrinsics import Evaluator, TemplateError
from overcast.services.cloudformation.template import validation


class RulesEvaluator(Evaluator):
    """The rule-specific functions beside the condition functions."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._functions.update(
            {
                "Fn::Contains": self.contains,
                "Fn::EachMemberEquals": self.each_member_equals,
                "Fn::EachMemberIn": self.each_member_in,
                "Fn::RefAll": self.unsupported("Fn::RefAll"),
                "Fn::ValueOf": self.unsupported("Fn::ValueOf"),
                "Fn::ValueOfAll": self.unsupported("Fn::ValueOfAll"),
            }
        )

    def _pair(self, name: str, argument: Any) -> tuple[Any, Any]:
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(f"Template error: {name} requires a list argument with two elements")
        return self.resolve(argument[0]), self.resolve(argument[1])

    def contains(self, argument: Any) -> bool:
        values, value = self._pair("Fn::Contains", argument)
        return isinstance(values, list) and str(value) in [str(item) for item in values]

    def each_member_equals(self, argument: Any) -> bool:
        values, value = self._pair("Fn::EachMemberEquals", argument)
        return isinstance(values, list) and all(str(item) == str(value) for item in values)

    def each_member_in(self, argument: Any) -> bool:
        values, allowed = self._pair("Fn::EachMemberIn", argument)
        return (
            isinstance(values, list)
            and isinstance(allowed, list)
            and all(str(item) in [str(option) for option in allowed] for item in values)
        )

    @staticmethod
    def unsupported(name: str) -> Any:
        def refuse(argument: Any) -> Any:
            raise TemplateError(
                f"Template error: {name} needs the AWS-specific parameter types' resources, which Overcast does not list"
            )

        return refuse


def check_rules(document: dict[str, Any], values: dict[str, Any], pseudo: dict[str, Any]) -> None:
    rules = document.get("Rules") or {}
    if not rules:
        return

    def no_resources(*_: Any) -> Any:
        raise TemplateError("Template error: Rules may refer only to parameters")

    evaluator = RulesEvaluator(
        parameters=values,
        pseudo=pseudo,
        mappings=document.get("Mappings") or {},
        conditions={},
        ref=no_resources,
        get_att=no_resources,
        import_value=no_resources,
    )
    for name, rule in rules.items():
        if not isinstance(rule, dict) or not isinstance(rule.get("Assertions"), list):
            raise validation(
                f"Template format error: Every Rules member must contain an Assertions list ({name})"
            )
        try:
            if "RuleCondition" in rule and not evaluator._boolean(evaluator.resolve(rule["RuleCondition"])):
                continue
            for assertion in rule["Assertions"]:
                if not evaluator._boolean(evaluator.resolve(assertion.get("Assert"))):
                    raise validation(
                        str(assertion.get("AssertDescription") or f"Template rule {name} failed.")
                    )
        except TemplateError as error:
            raise validation(str(error)) from None
        except ServiceError:
            raise


def _unconditional(node: Any) -> Any:
    """The fragment without its Fn::If branches (a branch not taken may name anything)."""
    if isinstance(node, dict):
        return {key: _unconditional(value) for key, value in node.items() if key != "Fn::If"}
    if isinstance(node, list):
        return [_unconditional(item) for item in node]
    return node


def check_conditional_references(
    document: dict[str, Any], values: dict[str, Any], pseudo: dict[str, Any]
) -> None:
    """An output that will exist and names a resource whose condition is false refuses the
    request, as CloudFormation's does, with the names left unresolved."""
    from overcast.services.cloudformation.template import references

    def no_function(*_: Any) -> Any:
        raise TemplateError("not known before the stack runs")

    evaluator = Evaluator(
        parameters=values,
        pseudo=pseudo,
        mappings=document.get("Mappings") or {},
        conditions=document.get("Conditions") or {},
        ref=no_function,
        get_att=no_function,
        import_value=no_function,
    )
    resources = document.get("Resources") or {}
    try:
        absent = {
            name
            for name, resource in resources.items()
            if isinstance(resource, dict)
            and resource.get("Condition")
            and not evaluator.condition(resource["Condition"])
        }
        if not absent:
            return
        unresolved: set[str] = set()
        for output in (document.get("Outputs") or {}).values():
            if not isinstance(output, dict) or (
                output.get("Condition") and not evaluator.condition(output["Condition"])
            ):
                continue
            unresolved |= {name for _kind, name in references(_unconditional(output)) if name in absent}
    except TemplateError:
        return  # the deployment reports what cannot be evaluated here
    if unresolved:
        raise validation(
            f"Unresolved resource dependencies [{', '.join(sorted(unresolved))}] in the Outputs block of the template"
        )
