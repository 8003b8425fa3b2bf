"""Bad input is answered with the error AWS gives for it, never a 500 (issue 15): JSON nested
10,000 deep inside string parameters, expressions built to exhaust a recursive parser, numbers
with thousands of digits, strings that are no UTF-8, XML in an encoding nobody speaks, and
deployment packages that expand far past Lambda's limit."""

from __future__ import annotations

import importlib
import io
import struct
import urllib.error
import urllib.request
import uuid
import zipfile
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

_lambda_helpers = importlib.import_module("tests.integration.lambda.helpers")  # `lambda` is a keyword
ROLE, zip_bytes = _lambda_helpers.ROLE, _lambda_helpers.zip_bytes
DEEP = "[" * 10_000 + "]" * 10_000
DEEP_OBJECT = '{"a":' + DEEP + "}"


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def one_line_function(lam, prefix: str) -> str:
    """A Python function that returns 1, created (not yet waited for)."""
    function = name(prefix)
    lam.create_function(
        FunctionName=function,
        Runtime="python3.12",
        Role=ROLE,
        Handler="handler.handler",
        Code={"ZipFile": zip_bytes({"handler.py": "def handler(event, context):\n    return 1\n"})},
    )
    return function


def refusal(call, *args, **kwargs) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


# -- JSON inside string parameters -------------------------------------------------------------


def test_sqs_policy_nested_ten_thousand_deep_is_an_invalid_attribute(client) -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=name("deep"))["QueueUrl"]
    assert refusal(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": DEEP_OBJECT}) == (
        400,
        "InvalidAttributeValue",
        "Invalid value for the parameter Policy.",
    )


@pytest.fixture
def topic(client) -> str:
    return client("sns").create_topic(Name=name("deep"))["TopicArn"]


def test_sns_publish_with_a_deep_message_structure_is_invalid(client, topic) -> None:
    status, code, message = refusal(
        client("sns").publish, TopicArn=topic, Message=DEEP_OBJECT, MessageStructure="json"
    )
    assert (status, code) == (400, "InvalidParameter")
    assert message == "Invalid parameter: Message Structure - JSON message body failed to parse"


def test_xray_deep_resource_policy_is_malformed(client) -> None:
    # Under X-Ray's 5 KB policy limit, yet past any recursive parser's depth.
    policy = '{"Statement":' + "[" * 2_000 + "]" * 2_000 + "}"
    status, code, _ = refusal(
        client("xray").put_resource_policy, PolicyName=name("deep"), PolicyDocument=policy
    )
    assert (status, code) == (400, "MalformedPolicyDocumentException")


def test_eventbridge_deep_event_pattern_is_invalid(client) -> None:
    pattern = '{"detail":' + "[" * 1_500 + "]" * 1_500 + "}"  # under the 4,096-character limit
    status, code, _ = refusal(client("events").put_rule, Name=name("deep"), EventPattern=pattern)
    assert (status, code) == (400, "InvalidEventPatternException")


def test_sns_deep_topic_policy_is_invalid(client, topic) -> None:
    status, code, message = refusal(
        client("sns").set_topic_attributes, TopicArn=topic, AttributeName="Policy", AttributeValue=DEEP_OBJECT
    )
    assert (status, code) == (400, "InvalidParameter")
    assert message.startswith("Invalid parameter: Policy")


def test_sns_deep_filter_policy_is_invalid(client, topic) -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=name("deep"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    status, code, message = refusal(
        client("sns").subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": DEEP_OBJECT},
    )
    assert (status, code) == (400, "InvalidParameter")
    assert message.startswith("Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON.")


def test_cloudtrail_deep_next_token_is_invalid(client) -> None:
    assert refusal(client("cloudtrail").lookup_events, NextToken=DEEP_OBJECT)[:2] == (
        400,
        "InvalidNextTokenException",
    )


def test_lambda_invoke_with_a_deep_payload_is_invalid_content(client) -> None:
    lam = client("lambda")
    function = one_line_function(lam, "deep")
    status, code, message = refusal(lam.invoke, FunctionName=function, Payload=DEEP_OBJECT.encode())
    assert (status, code) == (400, "InvalidRequestContentException")
    assert message.startswith("Could not parse request body into json")


# -- DynamoDB expressions and values ------------------------------------------------------------


@pytest.fixture(scope="module")
def table(client) -> str:
    table_name = name("bad-inputs")
    client("dynamodb").create_table(
        TableName=table_name,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return table_name


def test_a_thousand_nots_exceed_dynamodbs_operator_limit(client, table) -> None:
    expression = "NOT " * 1000 + "attribute_exists(k)"
    assert refusal(
        client("dynamodb").put_item, TableName=table, Item={"k": {"S": "a"}}, ConditionExpression=expression
    ) == (
        400,
        "ValidationException",
        "Invalid ConditionExpression: The expression contains too many operators; operator count: 301",
    )


def test_three_hundred_operators_are_allowed(client, table) -> None:
    # 299 NOTs and the function make 300, AWS's limit; an odd number of NOTs: the item is new.
    expression = "NOT " * 299 + "attribute_exists(k)"
    client("dynamodb").put_item(TableName=table, Item={"k": {"S": "new"}}, ConditionExpression=expression)


def test_chained_ands_past_the_limit_are_refused(client, table) -> None:
    expression = " AND ".join(["a = :v"] * 160)  # 159 ANDs and 160 comparisons
    status, code, message = refusal(
        client("dynamodb").put_item,
        TableName=table,
        Item={"k": {"S": "b"}},
        ConditionExpression=expression,
        ExpressionAttributeValues={":v": {"N": "1"}},
    )
    assert (status, code) == (400, "ValidationException")
    assert (
        message
        == "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"
    )


def test_deeply_nested_if_not_exists_is_refused_not_crashed(client, table) -> None:
    for depth in (3000, 400):
        expression = "SET v = " + "if_not_exists(v," * depth + ":x" + ")" * depth
        status, code, message = refusal(
            client("dynamodb").update_item,
            TableName=table,
            Key={"k": {"S": "c"}},
            UpdateExpression=expression,
            ExpressionAttributeValues={":x": {"N": "1"}},
        )
        assert (status, code) == (400, "ValidationException")
        assert message.startswith("Invalid UpdateExpression: ")


def test_a_lone_surrogate_is_a_serialization_error(client, table) -> None:
    status, code, _ = refusal(client("dynamodb").put_item, TableName=table, Item={"k": {"S": "\udc80"}})
    assert (status, code) == (400, "SerializationException")
    # A proper pair is one character, and fine.
    client("dynamodb").put_item(TableName=table, Item={"k": {"S": "\U0001f600"}})


def nested(levels: int) -> dict:
    value: dict = {"S": "leaf"}
    for index in range(levels):
        value = {"M": {"a": value}} if index % 2 else {"L": [value]}
    return value


def test_documents_nest_at_most_31_deep(client, table) -> None:
    dynamodb = client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"k": {"S": "nest"}, "v": nested(31)})
    assert refusal(dynamodb.put_item, TableName=table, Item={"k": {"S": "nest"}, "v": nested(32)}) == (
        400,
        "ValidationException",
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond"
        " supported limit",
    )


def test_partiql_nested_thousands_deep_is_refused(client, table) -> None:
    dynamodb = client("dynamodb")
    for statement in (
        f'SELECT * FROM "{table}" WHERE k = ' + "[" * 3000 + "]" * 3000,
        f'SELECT * FROM "{table}" WHERE ' + "(" * 3000 + "k = 'a'" + ")" * 3000,
        f"INSERT INTO \"{table}\" VALUE {{'k': 'deep', 'v': " + "{'a':" * 600 + "1" + "}" * 600 + "}",
    ):
        status, code, _ = refusal(dynamodb.execute_statement, Statement=statement)
        assert (status, code) == (400, "ValidationException")


# -- numbers and encodings ----------------------------------------------------------------------


def test_sqs_visibility_timeout_of_five_thousand_digits_is_invalid(client) -> None:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=name("digits"))["QueueUrl"]
    assert refusal(sqs.set_queue_attributes, QueueUrl=url, Attributes={"VisibilityTimeout": "9" * 5000}) == (
        400,
        "InvalidAttributeValue",
        "Invalid value for the parameter VisibilityTimeout.",
    )
    # Digits of other scripts are no number to SQS either.
    assert refusal(sqs.set_queue_attributes, QueueUrl=url, Attributes={"VisibilityTimeout": "\u0661"})[1] == (
        "InvalidAttributeValue"
    )


def test_s3_xml_in_an_unknown_encoding_is_malformed(client, endpoint) -> None:
    bucket = name("ebcdic")
    client("s3").create_bucket(Bucket=bucket)
    body = b'<?xml version="1.0" encoding="EBCDIC-ZZ"?><Tagging><TagSet></TagSet></Tagging>'
    request = urllib.request.Request(f"{endpoint}/{bucket}?tagging", data=body, method="PUT")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert b"<Code>MalformedXML</Code>" in caught.value.read()


# -- Lambda package and environment limits ------------------------------------------------------


def declaring(size: int) -> bytes:
    """A small zip whose one member declares `size` bytes unzipped (it holds one byte)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("handler.py", "x")
    data = bytearray(buffer.getvalue())
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, size)
    struct.pack_into("<I", data, central + 24, size)
    return bytes(data)


def test_a_package_declaring_more_than_250_mb_unzipped_is_refused(client) -> None:
    lam = client("lambda")
    refused = (400, "InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes")
    create = dict(FunctionName=name("big"), Runtime="python3.12", Role=ROLE, Handler="handler.handler")
    assert refusal(lam.create_function, **create, Code={"ZipFile": declaring(300 << 20)}) == refused
    # "Smaller than": a package of exactly the limit is refused too (AWS recorded).
    assert refusal(lam.create_function, **create, Code={"ZipFile": declaring(262_144_000)}) == refused
    assert refusal(
        lam.publish_layer_version, LayerName=name("big"), Content={"ZipFile": declaring(1 << 30)}
    ) == (refused)
    small = zip_bytes({"handler.py": "def handler(event, context):\n    return 1\n"})
    lam.create_function(**create, Code={"ZipFile": small})
    assert refusal(
        lam.update_function_code, FunctionName=create["FunctionName"], ZipFile=declaring(1 << 30)
    ) == (refused)


def test_a_package_whose_members_lie_about_their_size_is_refused(client) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("handler.py", "x" * 100_000)
    data = bytearray(buffer.getvalue())
    struct.pack_into("<I", data, data.index(b"PK\x03\x04") + 22, 10)
    struct.pack_into("<I", data, data.index(b"PK\x01\x02") + 24, 10)
    status, code, message = refusal(
        client("lambda").create_function,
        FunctionName=name("liar"),
        Runtime="python3.12",
        Role=ROLE,
        Handler="handler.handler",
        Code={"ZipFile": bytes(data)},
    )
    assert (status, code) == (400, "InvalidParameterValueException")
    assert message.startswith("Could not unzip uploaded file")


def test_environment_variables_past_4_kb_are_refused(client) -> None:
    status, code, message = refusal(
        client("lambda").create_function,
        FunctionName=name("env"),
        Runtime="python3.12",
        Role=ROLE,
        Handler="handler.handler",
        Code={"ZipFile": zip_bytes({"handler.py": "def handler(event, context):\n    return 1\n"})},
        Environment={"Variables": {"A": "x" * 4096}},
    )
    assert (status, code) == (400, "InvalidParameterValueException")
    assert message.startswith(
        "Lambda was unable to configure your environment variables because the environment variables you have"
        " provided exceeded the 4KB limit. String measured: "
    )


# -- found by the fuzz test (tests/integration/test_fuzz.py) ------------------------------------

AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=x"


def raw(
    endpoint: str, method: str, path: str, service: str, body: bytes = b"", **headers: str
) -> tuple[int, bytes]:
    request = urllib.request.Request(
        endpoint + path,
        data=body or None,
        method=method,
        headers={"Authorization": AUTH.format(service), **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_an_error_echoing_a_nul_is_still_well_formed_xml(endpoint) -> None:
    status, body = raw(endpoint, "GET", "/%00?acl", "s3")
    assert status == 404
    assert ElementTree.fromstring(body).findtext("Code") == "NoSuchBucket"


@pytest.mark.parametrize("service", ["sqs", "sns"])
def test_an_unknown_action_holding_a_nul_is_still_well_formed_xml(endpoint, service) -> None:
    status, body = raw(
        endpoint,
        "POST",
        "/",
        service,
        b"Action=List\x00Queues&Version=" + (b"2012-11-05" if service == "sqs" else b"2010-03-31"),
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 400
    root = ElementTree.fromstring(body)
    assert root.find("{*}Error/{*}Code").text == "InvalidAction"


def test_a_replica_region_without_a_region_is_invalid(client) -> None:
    secrets = client("secretsmanager")
    secret = secrets.create_secret(Name=name("replica"), SecretString="s")["ARN"]
    status, code, _ = refusal(secrets.replicate_secret_to_regions, SecretId=secret, AddReplicaRegions=[{}])
    assert (status, code) == (400, "InvalidParameterException")
    for region in ("/" * 128, "not a region"):
        status, code, _ = refusal(
            secrets.create_secret,
            Name=name("replica"),
            SecretString="s",
            AddReplicaRegions=[{"Region": region}],
        )
        assert (status, code) == (400, "InvalidParameterException")


def test_a_durable_callback_result_that_is_no_utf8_is_not_a_500(client) -> None:
    status, code, _ = refusal(
        client("lambda").send_durable_execution_callback_success,
        CallbackId="no-such-callback",
        Result=b"\xff\xfe",
    )
    assert 400 <= status < 500, code


def test_an_event_invocation_takes_up_to_1_mb(client) -> None:
    lam = client("lambda")
    function = one_line_function(lam, "event")
    lam.get_waiter("function_active_v2").wait(
        FunctionName=function, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
    )
    payload = b'{"a": "' + b"x" * 500_000 + b'"}'  # past InvokeAsync's 256 KB, within Invoke's 1 MB
    assert lam.invoke(FunctionName=function, InvocationType="Event", Payload=payload)["StatusCode"] == 202
    too_large = b'{"a": "' + b"x" * (1 << 20) + b'"}'
    assert refusal(lam.invoke, FunctionName=function, InvocationType="Event", Payload=too_large) == (
        413,
        "RequestTooLargeException",
        "Request must be smaller than 1048576 bytes for the InvokeFunction operation",
    )


def test_a_virtual_mfa_device_name_past_226_characters_is_refused(client) -> None:
    iam = client("iam")
    iam.create_virtual_mfa_device(VirtualMFADeviceName="d" * 226)
    status, code, message = refusal(iam.create_virtual_mfa_device, VirtualMFADeviceName="9" * 5000)
    assert (status, code) == (400, "ValidationError")
    assert message.endswith("Member must have length less than or equal to 226")


def test_a_simulation_context_entry_naming_no_key_is_not_a_500(client) -> None:
    document = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    )
    answer = client("iam").simulate_custom_policy(
        PolicyInputList=[document], ActionNames=["s3:GetObject"], ContextEntries=[{"ContextKeyValues": ["x"]}]
    )
    assert answer["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_a_lone_surrogate_in_a_rest_json_payload_is_a_serialization_error(client) -> None:
    status, code, _ = refusal(
        client("lambda").send_durable_execution_callback_failure,
        CallbackId="no-such-callback",
        Error={"ErrorMessage": "\udc80"},
    )
    assert (status, code) == (400, "SerializationException")


def test_insights_metric_data_since_1970_by_the_minute_answers_one_page(client) -> None:
    import time

    started = time.monotonic()
    answer = client("cloudtrail").list_insights_metric_data(
        EventSource="s3.amazonaws.com",
        EventName="GetObject",
        InsightType="ApiCallRateInsight",
        StartTime=1.5,
        Period=60,
        DataType="FillWithZeros",
    )
    assert len(answer["Timestamps"]) == 21600 and set(answer["Values"]) == {0.0}
    assert answer["Timestamps"][0].timestamp() == 0 and "NextToken" in answer
    assert time.monotonic() - started < 10


def test_a_lookup_table_page_of_no_results_is_invalid(client) -> None:
    status, code, _ = refusal(client("logs").describe_lookup_tables, maxResults=-1)
    assert (status, code) == (400, "InvalidParameterException")


def test_an_endpoint_naming_no_event_bus_arn_is_invalid(client) -> None:
    buses = [{"EventBusArn": "x"}, {"EventBusArn": "arn:aws:events:us-west-2:000000000000:event-bus/b"}]
    status, code, _ = refusal(
        client("events").create_endpoint,
        Name=name("ep"),
        RoutingConfig={
            "FailoverConfig": {"Primary": {"HealthCheck": "a"}, "Secondary": {"Route": "us-west-2"}}
        },
        EventBuses=buses,
    )
    assert (status, code) == (400, "ValidationException")


def test_api_keys_csv_that_is_no_utf8_is_a_bad_request(client) -> None:
    status, code, _ = refusal(client("apigateway").import_api_keys, body=b"\xed\xa0\x80,key\n", format="csv")
    assert (status, code) == (400, "BadRequestException")
