"""SQS on the wire: the query API its SDKs spoke until 2024, and how it words errors.

SQS switched to JSON in 2024 and botocore's current SQS model dropped the XML traits the query
API is defined by: result wrappers, the element names of flattened lists and maps
(`<Message>`, `<Attribute><Name/><Value/></Attribute>`), and the awsQueryError codes
(`AWS.SimpleQueueService.NonExistentQueue`). The clients that still speak query to SQS are the
SDKs built from the last query model (botocore before 1.34.90 and its peers), so this table
restores exactly what that model said (botocore commit 47a515f67^), laid over the current one.
"""

from __future__ import annotations

from typing import Any

from overcast.protocols.wire import ValidationStyle, Wire

#: KMS's error → the SQS error it becomes (its query code is KMS.<KMS's code>).
KMS_ERRORS = {
    "NotFoundException": "KmsNotFound",
    "DisabledException": "KmsDisabled",
    "KMSInvalidStateException": "KmsInvalidState",
    "InvalidKeyUsageException": "KmsInvalidKeyUsage",
    "AccessDeniedException": "KmsAccessDenied",
}
#: SQS's Kms* error → the code its query API (and a batch entry's failure) gives it.
KMS_QUERY_CODES = {shape: f"KMS.{kms_code}" for kms_code, shape in KMS_ERRORS.items()}

#: The traits each shape had in the query model that the current model lacks.
QUERY_SHAPE_TRAITS: dict[str, dict[str, dict[str, Any]]] = {
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
    "ListMessageMoveTasksResultEntryList": {"@member": {"locationName": "ListMessageMoveTasksResultEntry"}},
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
    # Added to the JSON model after the switch; its query SDKs name the items like the others.
    "MessageSystemAttributeList": {"@member": {"locationName": "MessageSystemAttributeName"}},
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
}

#: The `error` trait (awsQueryError code, status, fault) each error shape had.
QUERY_ERRORS: dict[str, dict[str, Any]] = {
    # KMS's refusals of a send or receive on an encrypted queue keep KMS's own code.
    **{
        shape: {"code": code, "httpStatusCode": 400, "senderFault": True}
        for shape, code in KMS_QUERY_CODES.items()
    },
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
}

WIRE = Wire(
    query_namespace="http://queue.amazonaws.com/doc/2012-11-05/",
    query_shape_traits=QUERY_SHAPE_TRAITS,
    query_errors=QUERY_ERRORS,
    # The JSON `__type` and the query `<Code>` differ (`InvalidParameterValueException` in JSON,
    # `InvalidParameterValue` in XML and `x-amzn-query-error`); providers raise either name.
    unmodelled_errors=(
        ("InvalidParameterValueException", "InvalidParameterValue"),
        ("MissingRequiredParameterException", "MissingParameter"),
    ),
    query_error_messages={
        "The specified queue does not exist.": "The specified queue does not exist for this wsdl version."
    },
    query_error_detail=True,
    unknown_action_message="The action {action} is not valid for this endpoint.",
    # Query clients (boto2, older SDKs) post to the queue URL itself.
    query_path_member="QueueUrl",
    # SQS answers query requests in JSON to a client that accepts it; its JSON names the
    # received messages `messages` (recorded against AWS: LocalStack's
    # test_marker_serialization_json_protocol).
    query_json=True,
    query_json_names={("ReceiveMessageResult", "Messages"): "messages"},
    # A GET of a queue URL without an Action: `<UnknownOperationException/>`, 404.
    bare_unknown_operation=True,
    json_error_namespace="com.amazonaws.sqs#",
    # Query and JSON alike: "The request must contain the parameter MessageBody."
    validation=ValidationStyle(
        "InvalidParameterValue",
        missing=("MissingParameter", "The request must contain the parameter {name}."),
        constraints="first",
        constraint_code="InvalidParameterValue",
        constraint_message="Value {value} for parameter {name} is invalid. Reason: {reason}",
    ),
    missing_messages={
        ("CreateQueue", "QueueName"): (
            "InvalidParameterValue",
            "Value for parameter QueueName is invalid. Reason: Must specify a queue name.",
        ),
        # Named as the original query API spelled it.
        ("SetQueueAttributes", "Attributes"): (
            "MissingParameter",
            "The request must contain the parameter Attribute.Name.",
        ),
    },
    # SQS checks attribute names itself: "Unknown Attribute Foo." (InvalidAttributeName).
    service_checked_enums=frozenset(
        {"QueueAttributeName", "MessageSystemAttributeName", "MessageSystemAttributeNameForSends"}
    ),
)
