"""What the serializers do with an output key the operation's model does not have.

A serializer writes only what the model describes: the XML writers would drop such a key and the
JSON encoder would pass it through untouched, and either way it is a handler's bug that no
client would notice. So it is never silent:

  * under tests (`OVERCAST_STRICT_WIRE=1`, set by `tests/conftest.py` for the server processes
    and in-process runtimes) the response fails with `UnmodelledOutput`, naming the key's path
    at any depth;
  * otherwise the top-level keys are checked (a set comparison per response, nothing deeper on
    the hot path) and each unknown (service, operation, key) is logged once as a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from overcast.config import strict_wire

if TYPE_CHECKING:
    from botocore.model import OperationModel, Shape

log = logging.getLogger(__name__)


strict = strict_wire


class UnmodelledOutput(Exception):
    """A handler returned a key its operation's output shape does not have (strict mode)."""


Check = Callable[[dict], None]

_warned: set[tuple[str, str, str]] = set()


def output_check(operation: OperationModel) -> Check:
    """The check a response's output dict goes through before it is serialized."""
    shape = operation.output_shape
    members = frozenset(shape.members) if shape is not None else frozenset()
    service = operation.service_model.service_name
    name = operation.name
    if strict():

        def check_strictly(output: dict) -> None:
            if not members.issuperset(output):
                unknown = sorted(key for key in output if key not in members)
                raise UnmodelledOutput(f"{service}.{name} returned {unknown}, which its output shape lacks")
            if shape is not None:
                _check_value(shape, output, name)

        return check_strictly

    def check(output: dict) -> None:
        if not members.issuperset(output):
            for key in output:
                if key not in members and (service, name, key) not in _warned:
                    _warned.add((service, name, key))
                    log.warning(
                        "%s.%s returned %r, which its output shape lacks: not sent", service, name, key
                    )

    return check


def _check_value(shape: Shape, value: Any, path: str) -> None:
    """Every key of `value`, at any depth, is a member of the shape it is a value of."""
    type_name = shape.type_name
    if type_name == "structure":
        if shape.metadata.get("document") or not isinstance(value, dict):
            return  # a document is free-form; a non-dict is already written (RawXml, RawJson)
        members = shape.members
        for key, item in value.items():
            member = members.get(key)
            if member is None:
                raise UnmodelledOutput(f"{path}.{key} is not a member of {shape.name}")
            if item is not None:
                _check_value(member, item, f"{path}.{key}")
    elif type_name == "list" and isinstance(value, list):
        if shape.member.type_name in _NESTED:
            for index, item in enumerate(value):
                if item is not None:
                    _check_value(shape.member, item, f"{path}[{index}]")
    elif type_name == "map" and isinstance(value, dict):
        if shape.value.type_name in _NESTED:
            for key, item in value.items():
                if item is not None:
                    _check_value(shape.value, item, f"{path}[{key!r}]")


_NESTED = frozenset({"structure", "list", "map"})
