"""Function names, ARNs and qualifiers are validated the way AWS does: each operation's own model
pattern first (one Coral validation error), then Lambda's own checks, with AWS's wording."""

from __future__ import annotations

import botocore.session
import pytest
from botocore.exceptions import ClientError

from .helpers import ROLE, create, zip_bytes

ECHO = "def handler(event, context):\n    return event\n"


def pattern(operation: str, member: str = "FunctionName") -> str:
    model = botocore.session.get_session().get_service_model("lambda")
    return model.operation_model(operation).input_shape.members[member].metadata["pattern"]


def error(raised) -> tuple[str, str]:
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_each_operation_checks_its_own_pattern(client):
    lam = client("lambda")
    with pytest.raises(ClientError) as raised:
        lam.get_function(FunctionName="my-function!")
    assert error(raised) == (
        "ValidationException",
        "1 validation error detected: Value 'my-function!' at 'functionName' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {pattern('GetFunction')}",
    )
    with pytest.raises(ClientError) as raised:
        lam.create_function(
            FunctionName="my.function", Runtime="python3.12", Role=ROLE, Handler="h.h", Code={"ZipFile": b"x"}
        )
    assert error(raised)[1].endswith(pattern("CreateFunction"))
    with pytest.raises(ClientError) as raised:
        lam.get_function(FunctionName="my-function", Qualifier="invalid!")
    assert "at 'qualifier' failed to satisfy constraint" in error(raised)[1]


def test_names_that_pass_the_pattern_but_name_nothing(client):
    lam = client("lambda")
    long_name = "a" * 65
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_function(FunctionName=long_name)
    assert (
        error(raised)[1] == f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{long_name}"
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.invoke(FunctionName=long_name)
    assert error(raised)[1].endswith(f"function:{long_name}:$LATEST")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_function(
            FunctionName=long_name,
            Runtime="python3.12",
            Role=ROLE,
            Handler="h.h",
            Code={"ZipFile": zip_bytes({"h.py": ECHO})},
        )
    assert "Member must have length less than or equal to 64" in error(raised)[1]


def test_wrong_region_arns_and_deletes(client):
    lam = client("lambda")
    name = create(lam, ECHO)
    other = f"arn:aws:lambda:eu-central-1:000000000000:function:{name}"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_function(FunctionName=other)
    assert error(raised)[1] == "Functions from 'eu-central-1' are not reachable in this region ('us-east-1')"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.delete_function(FunctionName=name, Qualifier="some-alias")
    assert error(raised)[1] == "Deletion of aliases is not currently supported."
    assert lam.get_function(FunctionName=f"{name}:$LATEST")["Configuration"]["FunctionName"] == name
    lam.get_function(FunctionName=name, Qualifier="$LATEST")
    deleted = lam.delete_function(FunctionName=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_function(FunctionName=name, Qualifier="$LATEST")
    assert error(raised)[1].endswith(f"function:{name}:$LATEST")


def test_unknown_runtimes_and_listed_fields(client):
    lam = client("lambda")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_function(
            FunctionName="rt-check",
            Runtime="PYTHON3.9",
            Role=ROLE,
            Handler="h.h",
            Code={"ZipFile": zip_bytes({"h.py": ECHO})},
        )
    message = error(raised)[1]
    assert message.startswith(
        "Value PYTHON3.9 at 'runtime' failed to satisfy constraint"
    ) and message.endswith("or be a valid ARN")
    name = create(lam, ECHO)
    updated = lam.update_function_configuration(FunctionName=name, Timeout=9)
    assert updated["LastUpdateStatus"] == "InProgress"
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
    )
    got = lam.get_function_configuration(FunctionName=name)
    assert got["LastUpdateStatus"] == "Successful" and got["RevisionId"] != updated["RevisionId"]
    pages = lam.get_paginator("list_functions").paginate()  # a shared server holds many functions
    listed = next(f for page in pages for f in page["Functions"] if f["FunctionName"] == name)
    for field in ("State", "LastUpdateStatus", "RuntimeVersionConfig"):
        assert field not in listed
    assert listed["Timeout"] == 9


def test_not_found_wordings_of_urls_aliases_and_provisioned_concurrency(client):
    lam = client("lambda")
    name = create(lam, ECHO, Publish=True)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.create_function_url_config(FunctionName=name + "-missing", AuthType="NONE")
    assert error(raised)[1] == "Function does not exist"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_function_url_config(FunctionName=name)
    assert error(raised)[1] == "The resource you requested does not exist."
    with pytest.raises(ClientError) as raised:
        lam.create_function_url_config(FunctionName=name, Qualifier="$LATEST", AuthType="NONE")
    assert error(raised)[0] == "ValidationException"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.update_alias(FunctionName=name, Name="nope", FunctionVersion="1")
    assert error(raised)[1].startswith("Alias not found: ")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="noalias")
    assert error(raised)[1].startswith("Cannot find alias arn: ")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="$LATEST")
    assert error(raised)[1] == "The function resource provided must be an alias or a published version."
    assert (
        lam.delete_function(FunctionName=name, Qualifier="999")["ResponseMetadata"]["HTTPStatusCode"] == 204
    )
    with pytest.raises(ClientError) as raised:
        lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Never")
    assert error(raised)[1].endswith("enum value set: [Terminate, Allow]")


def test_json_logs_have_levels(client):
    lam = client("lambda")
    name = create(lam, ECHO, LoggingConfig={"LogFormat": "JSON"})
    logging = lam.get_function_configuration(FunctionName=name)["LoggingConfig"]
    assert logging["ApplicationLogLevel"] == logging["SystemLogLevel"] == "INFO"
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
    )
    updated = lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})
    assert "ApplicationLogLevel" not in updated["LoggingConfig"]


def test_limits_and_mapping_answers(client):
    lam, sqs = client("lambda"), client("sqs")
    big = {"LARGE_VAR": "x" * 4100}
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        create(lam, ECHO, Environment={"Variables": big}, wait=False)
    assert error(raised)[1].startswith(
        "Lambda was unable to configure your environment variables because the environment variables you have "
        'provided exceeded the 4KB limit. String measured: {"LARGE_VAR":"xxx'
    )
    name = create(lam, ECHO)
    before = lam.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"a": "b"})
    assert lam.get_function(FunctionName=name)["Configuration"]["RevisionId"] != before
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.create_event_source_mapping(FunctionName=name + "-nope", EventSourceArn=queue)
    assert error(raised)[1] == "Function does not exist"
    mapping = lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=queue, Enabled=False, FilterCriteria={"Filters": []}
    )
    assert mapping["StateTransitionReason"] == "USER_INITIATED" and "FilterCriteria" not in mapping


def test_permission_and_concurrency_wordings(client):
    lam = client("lambda")
    name = create(lam, ECHO, Publish=True)
    with pytest.raises(ClientError) as raised:
        lam.add_permission(
            FunctionName=name,
            Action="lambda:InvokeFunction",
            StatementId="example.com",
            Principal="s3.amazonaws.com",
        )
    assert error(raised)[1].endswith("at 'statementId' failed to satisfy constraint: Member must satisfy regular "
                                     "expression pattern: ([a-zA-Z0-9-_]+)")  # fmt: skip
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.add_permission(
            FunctionName=name,
            Action="lambda:InvokeFunction",
            StatementId="s",
            Principal="s3.amazonaws.com",
            Qualifier="$LATEST",
        )
    assert error(raised)[1] == "We currently do not support adding policies for $LATEST."
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.add_permission(
        FunctionName=name,
        Action="lambda:InvokeFunction",
        StatementId="s",
        Principal="s3.amazonaws.com",
        Qualifier="live",
        RevisionId=alias["RevisionId"],
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.remove_permission(FunctionName=name + "-missing", StatementId="s")
    assert error(raised)[1].startswith("No policy found for: ")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.remove_permission(FunctionName=name, StatementId="s")
    assert error(raised)[1] == "No policy is associated with the given resource."
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.put_function_concurrency(FunctionName=f"{name}:1", ReservedConcurrentExecutions=1)
    assert error(raised)[1].startswith("This operation is permitted on Lambda functions only.")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.put_function_event_invoke_config(FunctionName=name + "-missing")
    assert error(raised)[1] == "You must specify at least one of error handling or destination setting."
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.put_function_event_invoke_config(FunctionName=name + "-missing", MaximumRetryAttempts=1)
    assert error(raised)[1] == "The function doesn't exist."


def test_layer_runtimes_are_checked_against_the_model(client):
    lam = client("lambda")
    with pytest.raises(ClientError) as raised:
        lam.list_layers(CompatibleRuntime="runtimedoesnotexist")
    assert error(raised)[0] == "ValidationException"
    assert (
        "at 'compatibleRuntime' failed to satisfy constraint: Member must satisfy enum value set"
        in error(raised)[1]
    )
    with pytest.raises(ClientError) as raised:
        lam.publish_layer_version(
            LayerName="l",
            Content={"ZipFile": zip_bytes({"a.py": ""})},
            CompatibleRuntimes=["nope", "python3.12"],
        )
    assert "Value '[nope, python3.12]' at 'compatibleRuntimes'" in error(raised)[1]


def test_layer_references_and_version_numbers(client):
    lam = client("lambda")
    layer = lam.publish_layer_version(LayerName="dup-check", Content={"ZipFile": zip_bytes({"a.py": ""})})
    second = lam.publish_layer_version(LayerName="dup-check", Content={"ZipFile": zip_bytes({"b.py": ""})})
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        create(lam, ECHO, Layers=[layer["LayerVersionArn"], second["LayerVersionArn"]], wait=False)
    assert error(raised)[1].startswith("Two different versions of the same layer are not allowed")
    other_region = layer["LayerVersionArn"].replace("us-east-1", "eu-west-1")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        create(lam, ECHO, Layers=[other_region], wait=False)
    assert error(raised)[1].startswith("Layers are not in the same region as the function.")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.get_layer_version(LayerName="dup-check", VersionNumber=0)
    assert error(raised)[1] == "Layer Version Cannot be less than 1"


def test_event_invoke_configs_page(client):
    lam = client("lambda")
    name = create(lam, ECHO, Publish=True)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    lam.put_function_event_invoke_config(FunctionName=name, Qualifier="1", MaximumRetryAttempts=0)
    first = lam.list_function_event_invoke_configs(FunctionName=name, MaxItems=1)
    assert len(first["FunctionEventInvokeConfigs"]) == 1 and first["NextMarker"]
    rest = lam.list_function_event_invoke_configs(FunctionName=name, Marker=first["NextMarker"])
    assert len(rest["FunctionEventInvokeConfigs"]) == 1 and "NextMarker" not in rest


def test_snap_start_setting_is_kept(client):
    lam = client("lambda")
    name = create(lam, ECHO, SnapStart={"ApplyOn": "PublishedVersions"})
    assert lam.get_function_configuration(FunctionName=name)["SnapStart"]["ApplyOn"] == "PublishedVersions"
    updated = lam.update_function_configuration(FunctionName=name, SnapStart={"ApplyOn": "None"})
    assert updated["SnapStart"] == {"ApplyOn": "None", "OptimizationStatus": "Off"}


def test_alias_routing_refusals_as_aws_recorded_them(client):
    lam = client("lambda")
    name = create(lam, ECHO, Publish=True)

    def refusal(**params) -> tuple[str, str, bool]:
        with pytest.raises(ClientError) as raised:
            lam.create_alias(**params)
        return error(raised)[0], error(raised)[1], "Type" in raised.value.response

    assert refusal(
        FunctionName=name,
        Name="a",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"$LATEST": 0.5}},
    ) == (
        "ValidationException",
        "1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed to"
        " satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to"
        " 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression"
        " pattern: [0-9]+]",
        False,
    )
    assert refusal(
        FunctionName=name,
        Name="a",
        FunctionVersion="$LATEST",
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
    ) == (
        "InvalidParameterValueException",
        "$LATEST is not supported for an alias pointing to more than 1 version",
        False,
    )
    code, message, _ = refusal(
        FunctionName=name + "-unknown", Name="a", FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )  # fmt: skip
    assert code == "ResourceNotFoundException"
    assert message == f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{name}-unknown:1"
