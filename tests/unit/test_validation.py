"""Validation messages: the code and wording each service answers (recorded AWS answers), for
missing members, lengths, ranges, enums, nested paths, list/map member constraints."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.protocols.models import service_model
from overcast.protocols.validation import validate_input


def error(service: str, operation: str, params: dict, protocol: str = "") -> ServiceError:
    model = service_model(service)
    with pytest.raises(ServiceError) as raised:
        validate_input(model.operation_model(operation), protocol or model.protocol, params)
    return raised.value


def valid(service: str, operation: str, params: dict, protocol: str = "") -> None:
    model = service_model(service)
    validate_input(model.operation_model(operation), protocol or model.protocol, params)


def test_coral_missing_member() -> None:
    raised = error("dynamodb", "DescribeTable", {})
    assert (raised.code, raised.status) == ("ValidationException", 400)
    assert raised.message == (
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_coral_several_errors_in_one_message() -> None:
    raised = error("dynamodb", "Scan", {"TableName": "", "Limit": 0})
    assert raised.message == (
        "2 validation errors detected: "
        "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1; "
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    )


def test_coral_enum_and_range() -> None:
    raised = error("logs", "FilterLogEvents", {"logGroupName": "g", "limit": 10001})
    # CloudWatch Logs answers constraint violations as InvalidParameterException.
    assert raised.code == "InvalidParameterException"
    assert raised.message == (
        "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 10000"
    )
    raised = error("kms", "CreateKey", {"KeySpec": "HMAC_random"})
    assert raised.message.startswith(
        "1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: "
        "Member must satisfy enum value set: ["
    )


def test_coral_paths_into_lists_and_maps() -> None:
    raised = error("events", "PutTargets", {"Rule": "r", "Targets": [{"Id": "x" * 65, "Arn": "a"}]})
    assert (
        "at 'targets.1.member.id' failed to satisfy constraint: Member must have length less than or equal to 64"
        in (raised.message)
    )
    raised = error(
        "sns",
        "Publish",
        {"Message": "m", "MessageAttributes": {"attr1": {"StringValue": "v"}}},
    )
    assert (raised.code, raised.message) == (
        "ValidationError",
        "1 validation error detected: Value null at 'messageAttributes.attr1.member.dataType' failed to "
        "satisfy constraint: Member must not be null",
    )


def test_list_of_scalars_reports_the_member_constraints_on_the_list() -> None:
    raised = error(
        "lambda",
        "CreateFunction",
        {
            "FunctionName": "f",
            "Role": "r",
            "Code": {},
            "Architectures": ["X86_64"],
        },
    )
    assert raised.message == (
        "1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], "
        "Member must not be null]"
    )


def test_map_values_report_on_the_map() -> None:
    raised = error(
        "lambda",
        "CreateAlias",
        {
            "FunctionName": "f",
            "Name": "live",
            "FunctionVersion": "1",
            "RoutingConfig": {"AdditionalVersionWeights": {"2": 2.0}},
        },
    )
    assert raised.message == (
        "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to "
        "satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal "
        "to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]"
    )


def test_api_gateway_prefixes_body_members_with_its_input_name() -> None:
    raised = error(
        "apigateway", "CreateRestApi", {"name": "a", "endpointConfiguration": {"types": ["wrong"]}}
    )
    assert raised.message == (
        "1 validation error detected: Value '[wrong]' at 'createRestApiInput.endpointConfiguration.types' "
        "failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
        "[REGIONAL, EDGE, PRIVATE]]"
    )


def test_iam_leaves_the_value_out() -> None:
    raised = error("iam", "CreateUser", {"UserName": "u" * 65})
    assert (raised.code, raised.message) == (
        "ValidationError",
        "1 validation error detected: Value at 'userName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64",
    )


def test_sensitive_values_are_left_out() -> None:
    raised = error("kms", "Encrypt", {"KeyId": "k", "Plaintext": b"x" * 4097})
    assert raised.message == (
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096"
    )


def test_sts_query_constraint() -> None:
    raised = error(
        "sts", "AssumeRole", {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s"}
    )
    assert (raised.code, raised.status) == ("ValidationError", 400)
    assert (
        "Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"
        in raised.message
    )


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_sqs_missing_parameter(protocol: str) -> None:
    raised = error("sqs", "SendMessage", {"QueueUrl": "q"}, protocol)
    assert (raised.code, raised.message) == (
        "MissingParameter",
        "The request must contain the parameter MessageBody.",
    )


def test_sqs_words_some_missing_parameters_its_own_way() -> None:
    raised = error("sqs", "CreateQueue", {}, "query")
    assert (raised.code, raised.message) == (
        "InvalidParameterValue",
        "Value for parameter QueueName is invalid. Reason: Must specify a queue name.",
    )
    raised = error("sqs", "SetQueueAttributes", {"QueueUrl": "q"}, "query")
    assert raised.message == "The request must contain the parameter Attribute.Name."


def test_ec2_missing_parameter_and_invalid_value() -> None:
    raised = error("ec2", "RunInstances", {"MinCount": 1})
    assert (raised.code, raised.message) == (
        "MissingParameter",
        "The request must contain the parameter MaxCount",
    )
    raised = error("ec2", "DescribeVpcs", {"MaxResults": 1})
    assert raised.code == "InvalidParameterValue"
    assert raised.message.startswith("Value (1) for parameter MaxResults is invalid.")


def test_elasticache_and_rds_missing_parameter() -> None:
    raised = error("elasticache", "CreateCacheCluster", {})
    assert (raised.code, raised.message) == (
        "InvalidParameterValue",
        "The parameter CacheClusterId must be provided and must not be blank.",
    )
    raised = error("rds", "DeleteDBInstance", {})
    assert raised.code == "InvalidParameterValue"


def test_cloudwatch_missing_parameter_in_every_protocol() -> None:
    for protocol in ("smithy-rpc-v2-cbor", "json", "query"):
        raised = error("cloudwatch", "PutMetricData", {}, protocol)
        assert (raised.code, raised.message) == ("MissingParameter", "The parameter Namespace is required.")


def test_s3_missing_body_and_header() -> None:
    raised = error("s3", "PutBucketTagging", {"Bucket": "b"})
    assert (raised.code, raised.message) == ("MissingRequestBodyError", "Request Body is empty")
    raised = error("s3", "CopyObject", {"Bucket": "b", "Key": "k"})
    assert (raised.code, raised.message) == (
        "InvalidRequest",
        "Missing required header for this request: x-amz-copy-source",
    )
    # S3 leaves value checks to the provider: an unknown storage class is not a validation error here.
    valid("s3", "PutObject", {"Bucket": "b", "Key": "k", "StorageClass": "NOPE"})


def test_valid_input_passes_and_patterns_are_not_checked() -> None:
    valid("dynamodb", "PutItem", {"TableName": "t", "Item": {"pk": {"S": "1"}, "m": {"M": {"a": {"L": []}}}}})
    valid("iam", "CreateUser", {"UserName": "has spaces!"})  # the pattern would refuse it: not checked
    valid("sts", "GetCallerIdentity", {})


def test_null_document_counts_as_present() -> None:
    model = service_model("cognito-idp")
    operation = model.operation_model("CompleteWebAuthnRegistration")
    validate_input(operation, "json", {"AccessToken": "t", "Credential": None})


def test_enum_values_are_listed_in_the_services_recorded_order() -> None:
    raised = error("kms", "GenerateMac", {"KeyId": "k", "Message": b"m", "MacAlgorithm": "INVALID"})
    assert raised.message == (
        "1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint: "
        "Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]"
    )
    raised = error(
        "cloudwatch", "SetAlarmState", {"AlarmName": "a", "StateValue": "INVALID", "StateReason": "r"}
    )
    assert raised.message.endswith("Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]")


def test_values_newer_than_the_recorded_order_follow_it_in_model_order() -> None:
    raised = error("kms", "CreateKey", {"KeyUsage": "RANDOM"})
    listed = raised.message.split("enum value set: [", 1)[1].rstrip("]").split(", ")
    model = service_model("kms").shape_for("KeyUsageType").enum
    assert listed[:3] == ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"]
    assert sorted(listed) == sorted(model)
    assert listed[3:] == [value for value in model if value not in listed[:3]]


def test_ssm_lists_parameter_types_in_its_own_order() -> None:
    raised = error("ssm", "PutParameter", {"Name": "n", "Value": "v", "Type": "str"})
    assert raised.message == (
        "1 validation error detected: Value 'str' at 'type' failed to satisfy constraint: "
        "Member must satisfy enum value set: [SecureString, StringList, String]"
    )
