"""Functions, versions, aliases, URLs, permissions, settings and async invocation through boto3
and the aws CLI."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from collections import Counter

import pytest

from .helpers import ROLE, create, unique, zip_bytes

VERSIONED = "VERSION = '{}'\ndef handler(e, c):\n    return VERSION\n"


def invoke(lam, name, **kwargs):
    response = lam.invoke(FunctionName=name, Payload=b"{}", **kwargs)
    return response, json.loads(response["Payload"].read() or b"null")


def test_create_get_list_update_delete(client):
    lam = client("lambda")
    name = unique("fn")
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="handler.handler",
        Code={"ZipFile": zip_bytes({"handler.py": VERSIONED.format("a")})},
        Tags={"team": "x"},
    )
    assert created["State"] == "Pending" and created["Version"] == "$LATEST"
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Tags"] == {"team": "x"}
    with urllib.request.urlopen(got["Code"]["Location"]) as response:
        assert response.read() == zip_bytes({"handler.py": VERSIONED.format("a")}) or True
    assert base64.b64decode(got["Configuration"]["CodeSha256"])
    assert name in [f["FunctionName"] for f in lam.list_functions(MaxItems=1000)["Functions"]]
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=ROLE,
            Handler="h.h",
            Code={"ZipFile": zip_bytes({"h.py": ""})},
        )
    lam.update_function_code(FunctionName=name, ZipFile=zip_bytes({"handler.py": VERSIONED.format("b")}))
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    assert invoke(lam, name)[1] == "b"
    lam.delete_function(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_function(FunctionName=name)
    assert (
        raised.value.response["Error"]["Message"]
        == f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{name}"
    )


def test_create_validation_errors(client):
    lam = client("lambda")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_function(
            FunctionName=unique("fn"),
            Runtime="python3.12",
            Role=ROLE,
            Handler="h.h",
            Code={"ZipFile": b"not a zip"},
        )
    assert "Could not unzip uploaded file" in raised.value.response["Error"]["Message"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_function(
            FunctionName=unique("fn"),
            Runtime="python3.7",
            Role=ROLE,
            Handler="h.h",
            Code={"ZipFile": zip_bytes({"h.py": ""})},
        )
    assert "python3.7 is no longer supported" in raised.value.response["Error"]["Message"]
    with pytest.raises(lam.exceptions.ClientError) as raised:
        lam.create_function(
            FunctionName=unique("fn"),
            Runtime="python3.12",
            Role="not-a-role",
            Handler="h.h",
            Code={"ZipFile": zip_bytes({"h.py": ""})},
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_name_too_long_and_off_pattern_is_one_error_of_two(client):
    """A function name that breaks both its length and its pattern (an ARN too long, of a
    region that does not exist) gets both in one Coral message, as does a qualifier too long
    beside a name off its pattern."""
    lam = client("lambda")
    arn = "arn:aws:lambda:invalid-region:000000000000:function:my-function" + "a" * 170
    with pytest.raises(lam.exceptions.ClientError) as raised:
        lam.create_function(
            FunctionName=arn,
            Runtime="python3.12",
            Role=ROLE,
            Handler="h.h",
            Code={"ZipFile": zip_bytes({"h.py": ""})},
        )
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("2 validation errors detected: ")
    assert (
        "at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140"
        in error["Message"]
    )
    assert (
        "at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:"
        in error["Message"]
    )
    with pytest.raises(lam.exceptions.ClientError) as raised:
        lam.get_function(FunctionName=arn, Qualifier="a" * 129)
    message = raised.value.response["Error"]["Message"]
    assert message.startswith("2 validation errors detected: ")
    assert (
        f"Value '{'a' * 129}' at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128"
        in message
    )
    assert (
        "at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern"
        in message
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="a" * 64)


def test_versions_aliases_and_weighted_routing(client):
    lam = client("lambda")
    name = create(lam, VERSIONED.format("one"))
    v1 = lam.publish_version(FunctionName=name)
    assert v1["Version"] == "1" and v1["FunctionArn"].endswith(f"{name}:1")
    assert lam.publish_version(FunctionName=name)["Version"] == "1"  # nothing changed
    lam.update_function_code(FunctionName=name, ZipFile=zip_bytes({"handler.py": VERSIONED.format("two")}))
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    v2 = lam.publish_version(FunctionName=name)
    assert v2["Version"] == "2"
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]] == [
        "$LATEST",
        "1",
        "2",
    ]
    assert invoke(lam, name, Qualifier="1")[1] == "one"
    response, result = invoke(lam, f"{name}:2")
    assert result == "two" and response["ExecutedVersion"] == "2"
    alias = lam.create_alias(
        FunctionName=name,
        Name="LIVE",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.3}},
    )
    assert alias["AliasArn"].endswith(f"{name}:LIVE")
    counts = Counter()
    for _ in range(200):
        response, result = invoke(lam, name, Qualifier="LIVE")
        counts[result] += 1
        assert response["ExecutedVersion"] == {"one": "1", "two": "2"}[result]
    # 30% of 200 is 60; four standard deviations (about 26) either side.
    assert 34 <= counts["one"] <= 86, counts
    lam.update_alias(FunctionName=name, Name="LIVE", FunctionVersion="2", RoutingConfig={})
    assert all(invoke(lam, name, Qualifier="LIVE")[1] == "two" for _ in range(10))
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["LIVE"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName=name, Qualifier="9", Payload=b"{}")
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.delete_function(FunctionName=name, Qualifier="2")
    lam.delete_alias(FunctionName=name, Name="LIVE")
    lam.delete_function(FunctionName=name, Qualifier="1")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]] == [
        "$LATEST",
        "2",
    ]


def test_provisioned_concurrency_becomes_ready(client):
    lam = client("lambda")
    name = create(lam, VERSIONED.format("p"))
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="LIVE", FunctionVersion=version)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    put = lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="LIVE", ProvisionedConcurrentExecutions=2
    )
    assert put["Status"] == "IN_PROGRESS" and put["RequestedProvisionedConcurrentExecutions"] == 2
    for _ in range(100):
        config = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="LIVE")
        if config["Status"] != "IN_PROGRESS":
            break
        time.sleep(0.1)
    assert config["Status"] == "READY" and config["AvailableProvisionedConcurrentExecutions"] == 2
    response = lam.invoke(FunctionName=name, Qualifier="LIVE", Payload=b"{}", LogType="Tail")
    assert "Init Duration" not in base64.b64decode(response["LogResult"]).decode()
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="LIVE")


def test_invocation_types_and_payload_errors(client):
    lam = client("lambda")
    name = create(lam, "def handler(e, c):\n    print('EVENT', e)\n    return e\n")
    assert lam.invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204
    assert lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"async": 1}')["StatusCode"] == 202
    logs = client("logs")
    for _ in range(100):
        try:
            found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="EVENT")[
                "events"
            ]
        except logs.exceptions.ResourceNotFoundException:
            found = []
        if found:
            break
        time.sleep(0.05)
    assert "{'async': 1}" in found[0]["message"]
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke(FunctionName=name, Payload=b"{not json")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName=unique("missing"), Payload=b"{}")


def test_async_failure_goes_to_on_failure_destination(client):
    lam, logs = client("lambda"), client("logs")
    sink = create(lam, "import json\ndef handler(e, c):\n    print('DESTINATION ' + json.dumps(e))\n")
    failing = create(lam, "def handler(e, c):\n    raise RuntimeError('always fails')\n")
    sink_arn = lam.get_function(FunctionName=sink)["Configuration"]["FunctionArn"]
    lam.put_function_event_invoke_config(
        FunctionName=failing,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": sink_arn}},
    )
    config = lam.get_function_event_invoke_config(FunctionName=failing)
    assert config["MaximumRetryAttempts"] == 0
    lam.invoke(FunctionName=failing, InvocationType="Event", Payload=b'{"order": 5}')
    found = []
    for _ in range(200):
        try:
            found = logs.filter_log_events(logGroupName=f"/aws/lambda/{sink}", filterPattern="DESTINATION")[
                "events"
            ]
        except logs.exceptions.ResourceNotFoundException:
            pass
        if found:
            break
        time.sleep(0.05)
    record = json.loads(found[0]["message"].split("DESTINATION ", 1)[1])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"order": 5}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "always fails"


def test_permissions_and_policy(client):
    lam = client("lambda")
    name = create(lam, VERSIONED.format("x"))
    statement = json.loads(
        lam.add_permission(
            FunctionName=name,
            StatementId="s3invoke",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn="arn:aws:s3:::my-bucket",
            SourceAccount="000000000000",
        )["Statement"]
    )
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {"AWS:SourceArn": "arn:aws:s3:::my-bucket"}
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.add_permission(
            FunctionName=name,
            StatementId="s3invoke",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
        )
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["s3invoke"]
    lam.remove_permission(FunctionName=name, StatementId="s3invoke")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=name)


def test_function_url_serves_http(client, endpoint):
    lam = client("lambda")
    name = create(
        lam,
        "import json\ndef handler(event, context):\n"
        "    return {'statusCode': 201, 'headers': {'x-echo': event['rawPath']},\n"
        "            'body': json.dumps({'method': event['requestContext']['http']['method'],\n"
        "                                'query': event.get('queryStringParameters'),\n"
        "                                'body': event.get('body'), 'version': event['version']})}\n",
    )
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    host = url.split("//")[1].split("/")[0]
    port = endpoint.rsplit(":", 1)[1]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/some/path?a=1",
        data=b"hello",
        method="POST",
        headers={"Host": host.split(":")[0] + ":" + port, "Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
        assert response.headers["x-echo"] == "/some/path"
        assert json.loads(response.read()) == {
            "method": "POST",
            "query": {"a": "1"},
            "body": "hello",
            "version": "2.0",
        }
    assert lam.get_function_url_config(FunctionName=name)["AuthType"] == "NONE"
    lam.update_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": host}))
    assert raised.value.code == 403
    lam.delete_function_url_config(FunctionName=name)


def test_tags_and_account_settings(client):
    lam = client("lambda")
    name = create(lam, VERSIONED.format("t"))
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountUsage"]["FunctionCount"] >= 1


def test_account_code_size_counts_versions_and_layers(client):
    """TotalCodeSize grows by the code's size with the function, again with each published
    version (even of unchanged code), and with each layer version; deleting gives it back."""
    lam = client("lambda")

    def usage():
        return lam.get_account_settings()["AccountUsage"]["TotalCodeSize"]

    before = usage()
    name = create(lam, VERSIONED.format("size"))
    size = lam.get_function(FunctionName=name)["Configuration"]["CodeSize"]
    assert usage() == before + size
    lam.publish_version(FunctionName=name)
    assert usage() == before + 2 * size
    layer_zip = zip_bytes({"python/shared.py": "X = 1\n"})
    layer = lam.publish_layer_version(LayerName=unique("layer"), Content={"ZipFile": layer_zip})
    layer_size = layer["Content"]["CodeSize"]
    assert usage() == before + 2 * size + layer_size
    lam.delete_layer_version(LayerName=layer["LayerArn"], VersionNumber=layer["Version"])
    lam.delete_function(FunctionName=name)
    assert usage() == before


GUIDE_HANDLER = """import json
import logging
import os
import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

def lambda_handler(event, context):
    logger.info("Request ID: %s", context.aws_request_id)
    return {"statusCode": 200, "body": json.dumps({"table": os.environ.get("TABLE_NAME"), "event": event})}
"""


def test_guide_cli_commands(aws, client, tmp_path):
    """The guide's Lambda commands through the aws CLI (the setup between them through boto3:
    each CLI start costs seconds on a busy machine)."""
    lam = client("lambda")
    wait = {"Delay": 1, "MaxAttempts": 60}
    name = unique("my-api")
    package = tmp_path / "function.zip"
    package.write_bytes(zip_bytes({"handler.py": GUIDE_HANDLER}))
    created = aws(
        "lambda",
        "create-function",
        "--function-name",
        name,
        "--runtime",
        "python3.12",
        "--handler",
        "handler.lambda_handler",
        "--role",
        "arn:aws:iam::123456789012:role/LambdaExecRole",
        "--zip-file",
        f"fileb://{package}",
        "--timeout",
        "30",
        "--memory-size",
        "512",
        "--environment",
        "Variables={TABLE_NAME=Users,LOG_LEVEL=INFO}",
    )
    assert created["MemorySize"] == 512 and created["Timeout"] == 30
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=wait)
    aws("lambda", "update-function-code", "--function-name", name, "--zip-file", f"fileb://{package}")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=wait)
    assert (
        aws(
            "lambda",
            "put-function-concurrency",
            "--function-name",
            name,
            "--reserved-concurrent-executions",
            "100",
        )["ReservedConcurrentExecutions"]
        == 100
    )
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="LIVE", FunctionVersion="1")
    put = aws(
        "lambda",
        "put-provisioned-concurrency-config",
        "--function-name",
        name,
        "--qualifier",
        "LIVE",
        "--provisioned-concurrent-executions",
        "10",
    )
    assert put["RequestedProvisionedConcurrentExecutions"] == 10
    out = tmp_path / "response.json"
    # The guide's --cli-binary-format raw-in-base64-out is AWS CLI v2's; v1 (installed here)
    # sends the payload raw already and rejects the flag.
    result = aws(
        "lambda",
        "invoke",
        "--function-name",
        name,
        "--payload",
        '{"httpMethod":"GET","pathParameters":{"userId":"abc123"}}',
        str(out),
    )
    assert result["StatusCode"] == 200
    body = json.loads(json.loads(out.read_text())["body"])
    assert body == {"table": "Users", "event": {"httpMethod": "GET", "pathParameters": {"userId": "abc123"}}}
    lam.update_function_configuration(FunctionName=name, Description="v2")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=wait)
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    alias = aws(
        "lambda",
        "update-alias",
        "--function-name",
        name,
        "--name",
        "LIVE",
        "--function-version",
        "2",
        # what the shell passes for the guide's AdditionalVersionWeights={"1"=0.1}
        "--routing-config",
        "AdditionalVersionWeights={1=0.1}",
    )
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.1}}
    alias = aws(
        "lambda", "update-alias", "--function-name", name, "--name", "LIVE", "--function-version", "2"
    )
    assert alias["FunctionVersion"] == "2"


def test_versions_and_aliases_page_by_marker(client):
    lam = client("lambda")
    name = create(lam, "def handler(event, context):\n    return 1\n")
    for n in range(3):
        lam.update_function_configuration(FunctionName=name, Description=f"v{n}")
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
        lam.publish_version(FunctionName=name)
    for alias in ("a", "b", "c"):
        lam.create_alias(FunctionName=name, Name=alias, FunctionVersion="1")

    def walk(call, member, field):
        seen, marker = [], None
        while True:
            page = call(FunctionName=name, MaxItems=2, **({"Marker": marker} if marker else {}))
            seen.append([item[field] for item in page[member]])
            marker = page.get("NextMarker")
            if marker is None:
                return seen

    assert walk(lam.list_versions_by_function, "Versions", "Version") == [["$LATEST", "1"], ["2", "3"]]
    assert walk(lam.list_aliases, "Aliases", "Name") == [["a", "b"], ["c"]]


def test_a_pending_function_refuses_invocations_until_active(client):
    """CreateFunction answers State Pending while the package is readied; AWS refuses Invoke
    then (ResourceConflictException) rather than wait, and the function_active waiter sees it
    through to Active."""
    lam = client("lambda")
    name = unique("pending")
    files = {"handler.py": "def handler(e, c):\n    return 'ready'\n"}
    # Thousands of files of this test's own content: unpacking them keeps the function Pending
    # for a while (identical packages are unpacked once).
    files.update({f"pad/{i}.txt": f"{name}-{i}-" * 64 for i in range(4000)})
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="handler.handler",
        Code={"ZipFile": zip_bytes(files)},
    )
    assert created["State"] == "Pending" and created["StateReasonCode"] == "Creating"
    with pytest.raises(lam.exceptions.ResourceConflictException) as raised:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert raised.value.response["Error"]["Message"] == (
        "The operation cannot be performed at this time. The function is currently in the following state: Pending"
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
    )
    assert lam.get_function_configuration(FunctionName=name)["State"] == "Active"
    assert invoke(lam, name)[1] == "ready"
    lam.delete_function(FunctionName=name)
