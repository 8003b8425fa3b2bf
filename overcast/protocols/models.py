"""botocore's service models, loaded on first use and kept."""

from __future__ import annotations

import threading
from functools import cache

from botocore.loaders import create_loader
from botocore.model import OperationModel, ServiceModel

_loader = create_loader()
_lock = threading.Lock()

#: Namespaces the query protocol answers in, for services whose current model no longer names
#: one (they moved to JSON but AWS still answers their query API).
QUERY_NAMESPACES = {
    "sqs": "http://queue.amazonaws.com/doc/2012-11-05/",
}


@cache
def service_model(name: str) -> ServiceModel:
    with _lock:
        data = _loader.load_service_model(name, "service-2")
    return ServiceModel(data, service_name=name)


def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


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
    return model.metadata.get("xmlNamespace") or QUERY_NAMESPACES.get(model.service_name, "")


def available_services() -> list[str]:
    return _loader.list_available_services("service-2")
