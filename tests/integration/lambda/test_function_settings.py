"""Code signing configurations, layer version permissions, resource policies, recursion and
runtime management configs, InvokeAsync and CreateFunction(Publish=True), through boto3."""

from __future__ import annotations

import base64
import json
import time

import pytest
from botocore.exceptions import ClientError

from .helpers import ROLE, create, unique, zip_bytes

ECHO = "def handler(event, context):\n    return event\n"
SIGNER = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/test"


def error_of(raised) -> tuple[str, str]:
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def test_code_signing_config_lifecycle(client):
    lam = client("lambda")
    name = create(lam, ECHO)
    created = lam.create_code_signing_config(
        Description="d",
        AllowedPublishers={"SigningProfileVersionArns": [SIGNER]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"},
    )["CodeSigningConfig"]
    arn = created["CodeSigningConfigArn"]
    assert created["CodeSigningConfigId"].startswith("csc-") and arn.endswith(created["CodeSigningConfigId"])
    assert created["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Enforce"}
    updated = lam.update_code_signing_config(
        CodeSigningConfigArn=arn, CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"}
    )["CodeSigningConfig"]
    assert updated["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Warn"
    assert lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"] == updated
    assert lam.get_function_code_signing_config(FunctionName=name).get("CodeSigningConfigArn") is None
    put = lam.put_function_code_signing_config(CodeSigningConfigArn=arn, FunctionName=name)
    assert (put["CodeSigningConfigArn"], put["FunctionName"]) == (arn, name)
    assert lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == arn
    assert arn in [c["CodeSigningConfigArn"] for c in lam.list_code_signing_configs()["CodeSigningConfigs"]]
    listed = lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"]
    assert listed == [lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]]
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    lam.delete_function_code_signing_config(FunctionName=name)
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"] == []
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_code_signing_config(CodeSigningConfigArn=arn)
    assert error_of(raised)[1] == f"The Lambda code signing configuration {arn} can not be found."
    with pytest.raises(lam.exceptions.CodeSigningConfigNotFoundException):
        lam.put_function_code_signing_config(CodeSigningConfigArn=arn, FunctionName=name)


def test_enforced_code_signing_refuses_unsigned_code(client):
    lam = client("lambda")
    enforce = lam.create_code_signing_config(
        AllowedPublishers={"SigningProfileVersionArns": [SIGNER]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"},
    )["CodeSigningConfig"]["CodeSigningConfigArn"]
    warn = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [SIGNER]})[
        "CodeSigningConfig"
    ]
    assert warn["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}
    with pytest.raises(lam.exceptions.CodeVerificationFailedException):
        create(lam, ECHO, CodeSigningConfigArn=enforce)
    name = create(lam, ECHO, CodeSigningConfigArn=warn["CodeSigningConfigArn"])
    assert (
        lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"]
        == (warn["CodeSigningConfigArn"])
    )
    lam.put_function_code_signing_config(CodeSigningConfigArn=enforce, FunctionName=name)
    with pytest.raises(lam.exceptions.CodeVerificationFailedException):
        lam.update_function_code(FunctionName=name, ZipFile=zip_bytes({"handler.py": ECHO}))


def test_layer_version_permissions_and_numbers(client):
    lam = client("lambda")
    layer_name = unique("layer")
    content = {"ZipFile": zip_bytes({"python/x.py": "X = 1\n"})}
    first = lam.publish_layer_version(LayerName=layer_name, Content=content)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_layer_version_policy(LayerName=layer_name, VersionNumber=1)
    assert error_of(raised)[1] == "No policy is associated with the given resource."
    added = lam.add_layer_version_permission(
        LayerName=layer_name,
        VersionNumber=1,
        StatementId="s1",
        Action="lambda:GetLayerVersion",
        Principal="*",
    )
    statement = json.loads(added["Statement"])
    assert statement["Resource"] == first["LayerVersionArn"] and statement["Principal"] == "*"
    with pytest.raises(ClientError) as raised:
        lam.add_layer_version_permission(
            LayerName=layer_name, VersionNumber=1, StatementId="s2", Action="*", Principal="*"
        )
    assert error_of(raised)[0] == "ValidationException"
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.add_layer_version_permission(
            LayerName=layer_name,
            VersionNumber=1,
            StatementId="s1",
            Action="lambda:GetLayerVersion",
            Principal="*",
        )
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.add_layer_version_permission(
            LayerName=layer_name,
            VersionNumber=1,
            StatementId="s2",
            Action="lambda:GetLayerVersion",
            Principal="111122223333",
            RevisionId="00000000-0000-0000-0000-000000000000",
        )
    second = lam.add_layer_version_permission(
        LayerName=layer_name,
        VersionNumber=1,
        StatementId="s2",
        Action="lambda:GetLayerVersion",
        Principal="111122223333",
        RevisionId=added["RevisionId"],
    )
    policy = lam.get_layer_version_policy(LayerName=layer_name, VersionNumber=1)
    assert policy["RevisionId"] == second["RevisionId"]
    assert [s["Sid"] for s in json.loads(policy["Policy"])["Statement"]] == ["s1", "s2"]
    lam.remove_layer_version_permission(LayerName=layer_name, VersionNumber=1, StatementId="s2")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.remove_layer_version_permission(LayerName=layer_name, VersionNumber=1, StatementId="s2")
    assert error_of(raised)[1] == "Statement s2 is not found in resource policy."
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_layer_version_policy(LayerName=layer_name, VersionNumber=9)
    assert error_of(raised)[1] == f"Layer version {first['LayerArn']}:9 does not exist."
    # A deleted version's number is never reused.
    lam.delete_layer_version(LayerName=layer_name, VersionNumber=1)
    assert lam.publish_layer_version(LayerName=layer_name, Content=content)["Version"] == 2


def test_resource_policy_is_the_permission_policy(client):
    lam = client("lambda")
    name = create(lam, ECHO)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_resource_policy(ResourceArn=arn)
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "x", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
             "Action": "lambda:InvokeFunction", "Resource": arn}
        ],
    }  # fmt: skip
    put = lam.put_resource_policy(ResourceArn=arn, Policy=json.dumps(document))
    got = lam.get_resource_policy(ResourceArn=arn)
    assert got["RevisionId"] == put["RevisionId"]
    assert json.loads(got["Policy"])["Statement"] == document["Statement"]
    assert json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"] == document["Statement"]
    lam.add_permission(
        FunctionName=name, StatementId="y", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com"
    )
    assert [
        s["Sid"] for s in json.loads(lam.get_resource_policy(ResourceArn=arn)["Policy"])["Statement"]
    ] == [
        "x",
        "y",
    ]
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.put_resource_policy(
            ResourceArn=arn, Policy=json.dumps(document), RevisionId="00000000-0000-0000-0000-000000000000"
        )
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_resource_policy(ResourceArn=arn, Policy="{not json")
    lam.delete_resource_policy(ResourceArn=arn)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=name)


def test_recursion_and_runtime_management(client):
    lam = client("lambda")
    name = create(lam, ECHO)
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    assert (
        lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")["RecursiveLoop"]
        == "Allow"
    )
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    with pytest.raises(ClientError) as raised:
        lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Sometimes")
    assert error_of(raised)[0] == "ValidationException"
    config = lam.get_function_configuration(FunctionName=name)
    runtime_arn = config["RuntimeVersionConfig"]["RuntimeVersionArn"]
    assert runtime_arn.startswith("arn:aws:lambda:us-east-1::runtime:")
    got = lam.get_runtime_management_config(FunctionName=name)
    assert got["UpdateRuntimeOn"] == "Auto" and "RuntimeVersionArn" not in got
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual")
    put = lam.put_runtime_management_config(
        FunctionName=name, UpdateRuntimeOn="Manual", RuntimeVersionArn=runtime_arn
    )
    assert put["RuntimeVersionArn"] == runtime_arn and put["FunctionArn"].endswith(f"{name}:$LATEST")
    assert lam.get_runtime_management_config(FunctionName=name)["UpdateRuntimeOn"] == "Manual"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_recursion_config(FunctionName=unique("missing"))


def test_scaling_config_needs_a_capacity_provider(client):
    lam = client("lambda")
    name = create(lam, ECHO, Publish=True)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.get_function_scaling_config(FunctionName=name, Qualifier="1")


def test_create_with_publish_answers_the_version(client):
    lam = client("lambda")
    name = unique("fn")
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="handler.handler",
        Code={"ZipFile": zip_bytes({"handler.py": ECHO})},
        Publish=True,
    )
    # AWS answers the version published, under the function's unqualified ARN.
    assert created["Version"] == "1" and created["FunctionArn"].endswith(f":function:{name}")
    assert lam.get_function(FunctionName=name, Qualifier="1")["Configuration"]["Version"] == "1"


def test_invoke_async_queues_the_event(client):
    lam = client("lambda")
    logs = client("logs")
    name = create(lam, "def handler(event, context):\n    print('GOT', event['marker'])\n")
    assert lam.invoke_async(FunctionName=name, InvokeArgs=json.dumps({"marker": "m-42"}))["Status"] == 202
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        if any("GOT m-42" in event["message"] for event in events):
            break
        time.sleep(0.3)
    else:
        pytest.fail("the queued event never ran")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke_async(FunctionName=unique("missing"), InvokeArgs=b"{}")


def test_invoke_with_response_stream_sends_chunks_then_complete(client):
    lam = client("lambda")
    name = create(
        lam, "def handler(event, context):\n    print('streamed')\n    return {'big': 'x' * 100000}\n"
    )
    response = lam.invoke_with_response_stream(FunctionName=name, Payload=b"{}", LogType="Tail")
    assert response["StatusCode"] == 200 and response["ExecutedVersion"] == "$LATEST"
    events = list(response["EventStream"])
    chunks = [e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e]
    assert len(chunks) == 2
    assert json.loads(b"".join(chunks)) == {"big": "x" * 100000}
    complete = events[-1]["InvokeComplete"]
    assert "ErrorCode" not in complete
    assert "streamed" in base64.b64decode(complete["LogResult"]).decode()

    failing = create(lam, "def handler(event, context):\n    raise ValueError('nope')\n")
    events = list(lam.invoke_with_response_stream(FunctionName=failing, Payload=b"{}")["EventStream"])
    assert events[-1]["InvokeComplete"]["ErrorCode"] == "ValueError"
    assert events[-1]["InvokeComplete"]["ErrorDetails"] == "nope"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke_with_response_stream(FunctionName=unique("missing"), Payload=b"{}")


def test_layer_lifecycle_as_aws_recorded_it(client):
    lam = client("lambda")
    layer_name = unique("life")
    content = {"ZipFile": zip_bytes({"python/lib.py": "X = 1\n"})}
    first = lam.publish_layer_version(LayerName=layer_name, Content=content)
    assert lam.publish_layer_version(LayerName=layer_name, Content=content)["Version"] == 2
    name = create(lam, ECHO, Layers=[first["LayerVersionArn"]])
    # Deleting a version a function uses leaves the function as it was, and it still runs.
    lam.delete_layer_version(LayerName=layer_name, VersionNumber=1)
    layers = lam.get_function_configuration(FunctionName=name)["Layers"]
    assert [layer["Arn"] for layer in layers] == [first["LayerVersionArn"]]
    assert json.loads(lam.invoke(FunctionName=name, Payload=b'{"a": 1}')["Payload"].read()) == {"a": 1}
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_layer_version(LayerName=layer_name, VersionNumber=1)
    # With every version deleted the layer is gone from the listings; deleting again is a no-op.
    lam.delete_layer_version(LayerName=layer_name, VersionNumber=2)
    assert lam.list_layer_versions(LayerName=layer_name)["LayerVersions"] == []
    assert layer_name not in [layer["LayerName"] for layer in lam.list_layers()["Layers"]]
    again = lam.delete_layer_version(LayerName=layer_name, VersionNumber=2)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 204
    # ...and the next version still counts on from the deleted ones.
    assert lam.publish_layer_version(LayerName=layer_name, Content=content)["Version"] == 3


def test_layer_refusals_as_aws_recorded_them(client):
    import boto3

    lam = client("lambda")
    layer_name = unique("refused")
    content = {"ZipFile": zip_bytes({"python/lib.py": "X = 1\n"})}
    layer = lam.publish_layer_version(
        LayerName=layer_name, Content=content, CompatibleRuntimes=[], CompatibleArchitectures=[]
    )
    assert (layer["CompatibleRuntimes"], layer["CompatibleArchitectures"]) == ([], [])
    name = create(lam, ECHO)
    with pytest.raises(ClientError) as raised:
        lam.update_function_configuration(FunctionName=name, Layers=[layer["LayerArn"]])
    code, message = error_of(raised)
    assert code == "ValidationException"
    assert message.startswith(
        f"1 validation error detected: Value '[{layer['LayerArn']}]' at 'layers' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have "
        "length greater than or equal to 1, Member must satisfy regular expression pattern: (arn:"
    )
    assert message.endswith(":lambda:::awslayer:[a-zA-Z0-9-_]+), Member must not be null]")
    # A layer of another region is refused before the name of a function that exists.
    west = boto3.client(
        "lambda", endpoint_url=lam.meta.endpoint_url, region_name="eu-west-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    other = west.publish_layer_version(LayerName=layer_name, Content=content)["LayerVersionArn"]
    with pytest.raises(ClientError) as raised:
        lam.create_function(
            FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="handler.handler",
            Code={"ZipFile": zip_bytes({"handler.py": ECHO})}, Layers=[other],
        )  # fmt: skip
    assert error_of(raised) == (
        "InvalidParameterValueException",
        "Layers are not in the same region as the function. Layers are expected to be in region us-east-1.",
    )
