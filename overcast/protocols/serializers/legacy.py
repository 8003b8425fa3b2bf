"""The query-protocol model of services that moved to JSON but still answer their query API.

SQS switched to JSON in 2024 and botocore's current SQS model dropped the XML traits the query
API is defined by: result wrappers, the element names of flattened lists and maps
(`<Message>`, `<Attribute><Name/><Value/></Attribute>`), and the awsQueryError codes
(`AWS.SimpleQueueService.NonExistentQueue`). The clients that still speak query to SQS are the
SDKs built from the last query model (botocore before 1.34.90 and its peers), so this module
restores exactly what that model said (botocore commit 47a515f67^), as data laid over the
current model. The request side can use `query_model` for the same reason.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from botocore.model import ServiceModel

from overcast.protocols.models import QUERY_NAMESPACES, _loader

#: Per service: the traits each shape had in the query model that the current model lacks.
#: Keys are member names; "@shape", "@member", "@key" and "@value" address the shape itself and
#: the member/key/value references of lists and maps.
_SHAPE_TRAITS: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
    "sqs": {
        "AWSAccountIdList": {"@member": {"locationName": "AWSAccountId"}},
        "ActionNameList": {"@member": {"locationName": "ActionName"}},
        "AttributeNameList": {"@member": {"locationName": "AttributeName"}},
        "BatchResultErrorEntryList": {"@member": {"locationName": "BatchResultErrorEntry"}},
        "BinaryList": {"@member": {"locationName": "BinaryListValue"}},
        "ChangeMessageVisibilityBatchRequestEntryList": {
            "@member": {"locationName": "ChangeMessageVisibilityBatchRequestEntry"}
        },
        "ChangeMessageVisibilityBatchResultEntryList": {
            "@member": {"locationName": "ChangeMessageVisibilityBatchResultEntry"}
        },
        "CreateQueueRequest": {
            "Attributes": {"locationName": "Attribute"},
            "tags": {"locationName": "Tag"},
        },
        "DeleteMessageBatchRequestEntryList": {"@member": {"locationName": "DeleteMessageBatchRequestEntry"}},
        "DeleteMessageBatchResultEntryList": {"@member": {"locationName": "DeleteMessageBatchResultEntry"}},
        "GetQueueAttributesResult": {"Attributes": {"locationName": "Attribute"}},
        "ListMessageMoveTasksResultEntryList": {
            "@member": {"locationName": "ListMessageMoveTasksResultEntry"}
        },
        "ListQueueTagsResult": {"Tags": {"locationName": "Tag"}},
        "Message": {
            "Attributes": {"locationName": "Attribute"},
            "MessageAttributes": {"locationName": "MessageAttribute"},
        },
        "MessageAttributeNameList": {"@member": {"locationName": "MessageAttributeName"}},
        "MessageAttributeValue": {
            "StringListValues": {"locationName": "StringListValue"},
            "BinaryListValues": {"locationName": "BinaryListValue"},
        },
        "MessageBodyAttributeMap": {"@key": {"locationName": "Name"}, "@value": {"locationName": "Value"}},
        "MessageBodySystemAttributeMap": {
            "@key": {"locationName": "Name"},
            "@value": {"locationName": "Value"},
        },
        "MessageList": {"@member": {"locationName": "Message"}},
        "MessageSystemAttributeMap": {
            "@shape": {"locationName": "Attribute"},
            "@key": {"locationName": "Name"},
            "@value": {"locationName": "Value"},
        },
        "MessageSystemAttributeValue": {
            "StringListValues": {"locationName": "StringListValue"},
            "BinaryListValues": {"locationName": "BinaryListValue"},
        },
        "QueueAttributeMap": {
            "@shape": {"locationName": "Attribute"},
            "@key": {"locationName": "Name"},
            "@value": {"locationName": "Value"},
        },
        "QueueUrlList": {"@member": {"locationName": "QueueUrl"}},
        "SendMessageBatchRequestEntry": {
            "MessageAttributes": {"locationName": "MessageAttribute"},
            "MessageSystemAttributes": {"locationName": "MessageSystemAttribute"},
        },
        "SendMessageBatchRequestEntryList": {"@member": {"locationName": "SendMessageBatchRequestEntry"}},
        "SendMessageBatchResultEntryList": {"@member": {"locationName": "SendMessageBatchResultEntry"}},
        "SendMessageRequest": {
            "MessageAttributes": {"locationName": "MessageAttribute"},
            "MessageSystemAttributes": {"locationName": "MessageSystemAttribute"},
        },
        "SetQueueAttributesRequest": {"Attributes": {"locationName": "Attribute"}},
        "StringList": {"@member": {"locationName": "StringListValue"}},
        "TagKeyList": {"@member": {"locationName": "TagKey"}},
        "TagMap": {
            "@shape": {"locationName": "Tag"},
            "@key": {"locationName": "Key"},
            "@value": {"locationName": "Value"},
        },
    },
}

#: Per service: the `error` trait (awsQueryError code, status, fault) each error shape had.
_ERRORS: dict[str, dict[str, dict[str, Any]]] = {
    "sqs": {
        "BatchEntryIdsNotDistinct": {
            "code": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
            "httpStatusCode": 400,
            "senderFault": True,
        },
        "BatchRequestTooLong": {
            "code": "AWS.SimpleQueueService.BatchRequestTooLong",
            "httpStatusCode": 400,
            "senderFault": True,
        },
        "EmptyBatchRequest": {
            "code": "AWS.SimpleQueueService.EmptyBatchRequest",
            "httpStatusCode": 400,
            "senderFault": True,
        },
        "InvalidBatchEntryId": {
            "code": "AWS.SimpleQueueService.InvalidBatchEntryId",
            "httpStatusCode": 400,
            "senderFault": True,
        },
        "MessageNotInflight": {
            "code": "AWS.SimpleQueueService.MessageNotInflight",
            "httpStatusCode": 400,
            "senderFault": True,
        },
        "OverLimit": {"code": "OverLimit", "httpStatusCode": 403, "senderFault": True},
        "PurgeQueueInProgress": {
            "code": "AWS.SimpleQueueService.PurgeQueueInProgress",
            "httpStatusCode": 403,
            "senderFault": True,
        },
        "QueueDeletedRecently": {
            "code": "AWS.SimpleQueueService.QueueDeletedRecently",
            "httpStatusCode": 400,
            "senderFault": True,
        },
        "QueueDoesNotExist": {
            "code": "AWS.SimpleQueueService.NonExistentQueue",
            "httpStatusCode": 400,
            "senderFault": True,
        },
        "QueueNameExists": {"code": "QueueAlreadyExists", "httpStatusCode": 400, "senderFault": True},
        "ResourceNotFoundException": {
            "code": "ResourceNotFoundException",
            "httpStatusCode": 404,
            "senderFault": True,
        },
        "TooManyEntriesInBatchRequest": {
            "code": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            "httpStatusCode": 400,
            "senderFault": True,
        },
        "UnsupportedOperation": {
            "code": "AWS.SimpleQueueService.UnsupportedOperation",
            "httpStatusCode": 400,
            "senderFault": True,
        },
    },
}

#: Per service: errors AWS answers that no model names, as (JSON shape name, query code). The
#: JSON `__type` and the query `<Code>` differ (SQS: `InvalidParameterValueException` in JSON,
#: `InvalidParameterValue` in XML and `x-amzn-query-error`); providers raise either name.
_UNMODELLED_ERRORS: dict[str, tuple[tuple[str, str], ...]] = {
    "sqs": (
        ("InvalidParameterValueException", "InvalidParameterValue"),
        ("MissingRequiredParameterException", "MissingParameter"),
    ),
}

#: Per service: the namespace AWS puts before a JSON error's `__type`
#: (`com.amazonaws.sqs#QueueDoesNotExist`; clients strip it).
JSON_ERROR_NAMESPACES = {"sqs": "com.amazonaws.sqs#"}

#: Per service: the query API's own wording of a message the JSON API words differently, and
#: whether its XML errors carry the (always empty) `<Detail/>` element the query API answers with.
QUERY_ERROR_MESSAGES: dict[str, dict[str, str]] = {
    "sqs": {
        "The specified queue does not exist.": "The specified queue does not exist for this wsdl version."
    },
}
QUERY_ERROR_DETAIL = frozenset({"sqs"})

_lock = threading.Lock()
_models: dict[str, ServiceModel] = {}


def has_legacy_query(model: ServiceModel) -> bool:
    return model.service_name in _SHAPE_TRAITS or model.service_name in _ERRORS


def query_model(model: ServiceModel) -> ServiceModel:
    """The model a query client of this service was built from (the model itself when the
    current one still carries its query traits)."""
    name = model.service_name
    if not has_legacy_query(model):
        return model
    cached = _models.get(name)
    if cached is not None:
        return cached
    with _lock:
        description = copy.deepcopy(_loader.load_service_model(name, "service-2"))
        _patch(description, name)
        legacy = ServiceModel(description, service_name=name)
        _models[name] = legacy
    return legacy


def _patch(description: dict, service: str) -> None:
    shapes = description["shapes"]
    for shape_name, patches in _SHAPE_TRAITS.get(service, {}).items():
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
    for shape_name, trait in _ERRORS.get(service, {}).items():
        if shape_name in shapes:
            shapes[shape_name]["error"] = dict(trait)
    for shape_name, code in _UNMODELLED_ERRORS.get(service, ()):
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
    if not metadata.get("xmlNamespace") and service in QUERY_NAMESPACES:
        metadata["xmlNamespace"] = QUERY_NAMESPACES[service]
