"""botocore's service models, loaded on first use and kept, with each service's wire overlay
(`protocols/wire.py`) applied as they load. botocore itself is imported on first use too: it
(and the awscrt it pulls in) is a third of an idle server's memory, and health checks and
internal endpoints never need it."""

from __future__ import annotations

import copy
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

from overcast.protocols.wire import Wire, wire_of

if TYPE_CHECKING:
    from botocore.loaders import Loader
    from botocore.model import OperationModel, ServiceModel

_lock = threading.Lock()


@cache
def _loader() -> Loader:
    from botocore.loaders import create_loader

    return create_loader()


@cache
def service_model(name: str) -> ServiceModel:
    from botocore.model import ServiceModel

    with _lock:
        description = _loader().load_service_model(name, "service-2")
    wire = wire_of(name)
    if wire.extra_shapes:
        # The loader caches its dicts: the overlay goes on a copy of the top level.
        description = {**description, "shapes": {**description["shapes"], **wire.extra_shapes}}
    if wire.extra_members:
        shapes = dict(description["shapes"])
        for shape, members in wire.extra_members.items():
            shapes[shape] = {**shapes[shape], "members": {**shapes[shape]["members"], **members}}
        description = {**description, "shapes": shapes}
    return ServiceModel(description, service_name=name)


def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


def wire(model: ServiceModel) -> Wire:
    """The overlay of the model's service."""
    return wire_of(model.service_name)


_unrouted: dict[tuple[str, str], OperationModel] = {}


def unrouted_operation(model: ServiceModel, name: str) -> OperationModel:
    """An operation the service's overlay declares outside its API (`Wire.unrouted_operations`),
    as an OperationModel of the model, for the serializers."""
    key = (model.service_name, name)
    operation = _unrouted.get(key)
    if operation is None:
        from botocore.model import OperationModel

        description = wire(model).unrouted_operations[name]
        operation = _unrouted[key] = OperationModel({"name": name, **description}, model, name)
    return operation


@cache
def protocols_of(model: ServiceModel) -> tuple[str, ...]:
    """Every wire protocol the service answers, the model's preferred one first."""
    return protocols_in(model.metadata)


def protocols_in(metadata: dict) -> tuple[str, ...]:
    """The same, from a model's raw metadata: a query-compatible JSON service still answers
    the query protocol its older SDKs speak."""
    protocols = list(metadata.get("protocols") or [metadata["protocol"]])
    if "awsQueryCompatible" in metadata and "query" not in protocols:
        protocols.append("query")
    return tuple(protocols)


def xml_namespace(model: ServiceModel) -> str:
    return model.metadata.get("xmlNamespace") or wire(model).query_namespace


def available_services() -> list[str]:
    return _loader().list_available_services("service-2")


# ---------------------------------------------------------------------------- legacy query model

_query_models: dict[str, ServiceModel] = {}


def has_legacy_query(model: ServiceModel) -> bool:
    return wire(model).legacy_query


def query_model(model: ServiceModel) -> ServiceModel:
    """The model a query client of this service was built from: the current one with the
    overlay's query traits laid over it (`Wire.query_shape_traits`), or the model itself when
    the current one still carries its query traits."""
    name = model.service_name
    overlay = wire(model)
    if not overlay.legacy_query:
        return model
    cached = _query_models.get(name)
    if cached is not None:
        return cached
    with _lock:
        description = copy.deepcopy(_loader().load_service_model(name, "service-2"))
        description["shapes"].update(copy.deepcopy(overlay.extra_shapes))
        _apply_query_traits(description, overlay)
        from botocore.model import ServiceModel

        legacy = ServiceModel(description, service_name=name)
        _query_models[name] = legacy
    return legacy


def _apply_query_traits(description: dict[str, Any], overlay: Wire) -> None:
    shapes = description["shapes"]
    for shape_name, patches in overlay.query_shape_traits.items():
        shape = shapes.get(shape_name)
        if shape is None:
            continue
        for target, traits in patches.items():
            if target == "@shape":
                shape.update(traits)
            elif target.startswith("@"):
                shape[target[1:]].update(traits)
            elif target in shape.get("members", {}):
                shape["members"][target].update(traits)
    for shape_name, trait in overlay.query_errors.items():
        if shape_name in shapes:
            shapes[shape_name]["error"] = dict(trait)
    for shape_name, code in overlay.unmodelled_errors:
        shapes.setdefault(shape_name, {
            "type": "structure", "members": {"message": {"shape": "String"}}, "exception": True,
            "error": {"code": code, "httpStatusCode": 400, "senderFault": True},
        })  # fmt: skip
    for operation in description["operations"].values():
        output = operation.get("output")
        if output is not None and "resultWrapper" not in output:
            # Every query API wraps its result in `<{Operation}Result>`.
            output["resultWrapper"] = f"{operation['name']}Result"
    metadata = description["metadata"]
    if not metadata.get("xmlNamespace") and overlay.query_namespace:
        metadata["xmlNamespace"] = overlay.query_namespace
