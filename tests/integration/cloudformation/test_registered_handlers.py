"""A registered private resource type whose handlers run: the schema handler package as the
CloudFormation CLI builds it for Python (schema.json, .rpdk-config, ResourceProvider.zip holding
the handler package with cloudformation-cli-python-lib and its dependencies), registered from
S3, then a stack using the type. The handlers manage an SSM parameter through the session the
library gives them; create answers IN_PROGRESS with a callback context first, as a handler
waiting for its resource to stabilize does."""

from __future__ import annotations

import importlib.util
import io
import json
import random
import sys
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import settle

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("cloudformation_cli_python_lib") is None,
    reason="cloudformation-cli-python-lib is not installed (pip install -e '.[test]')",
)

TYPE_NAME = "Acme::Storage::Crate"
PACKAGE = "acme_storage_crate"

SCHEMA = {
    "typeName": TYPE_NAME,
    "description": "A crate kept as an SSM parameter",
    "properties": {
        "Name": {"type": "string"},
        "Contents": {"type": "string"},
        "Id": {"type": "string"},
        "Arn": {"type": "string"},
    },
    "required": ["Name", "Contents"],
    "primaryIdentifier": ["/properties/Id"],
    "readOnlyProperties": ["/properties/Id", "/properties/Arn"],
    "createOnlyProperties": ["/properties/Name"],
    "additionalProperties": False,
    "handlers": {
        "create": {"permissions": ["ssm:PutParameter"]},
        "read": {"permissions": ["ssm:GetParameter"]},
        "update": {"permissions": ["ssm:PutParameter"]},
        "delete": {"permissions": ["ssm:DeleteParameter"]},
    },
}

HANDLERS = """
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from cloudformation_cli_python_lib import (
    Action,
    HandlerErrorCode,
    OperationStatus,
    ProgressEvent,
    Resource,
)
from cloudformation_cli_python_lib.interface import BaseModel


@dataclass
class ResourceModel(BaseModel):
    Name: Optional[str] = None
    Contents: Optional[str] = None
    Id: Optional[str] = None
    Arn: Optional[str] = None

    @classmethod
    def _deserialize(cls, json_data: Optional[Mapping[str, Any]]) -> Optional["ResourceModel"]:
        if not json_data:
            return None
        return cls(**{key: json_data.get(key) for key in ("Name", "Contents", "Id", "Arn")})


resource = Resource("Acme::Storage::Crate", ResourceModel)


def _ssm(session):
    return session.client("ssm")


def _read(session, model):
    try:
        parameter = _ssm(session).get_parameter(Name=model.Id)["Parameter"]
    except _ssm(session).exceptions.ParameterNotFound:
        return None
    return ResourceModel(
        Name=parameter["Name"].rsplit("/", 1)[-1], Contents=parameter["Value"], Id=parameter["Name"],
        Arn=parameter["ARN"],
    )


@resource.handler(Action.CREATE)
def create(session, request, callback_context):
    model = request.desiredResourceState
    if model.Contents == "refuse":
        return ProgressEvent.failed(HandlerErrorCode.InvalidRequest, "a crate cannot hold refuse")
    if not callback_context.get("written"):
        model.Id = "/crates/" + model.Name
        _ssm(session).put_parameter(Name=model.Id, Value=model.Contents, Type="String")
        return ProgressEvent(
            status=OperationStatus.IN_PROGRESS,
            resourceModel=model,
            callbackContext={"written": True},
            callbackDelaySeconds=1,
        )
    found = _read(session, model)
    return ProgressEvent(status=OperationStatus.SUCCESS, resourceModel=found)


@resource.handler(Action.UPDATE)
def update(session, request, callback_context):
    model = request.desiredResourceState
    _ssm(session).put_parameter(Name=model.Id, Value=model.Contents, Type="String", Overwrite=True)
    return ProgressEvent(status=OperationStatus.SUCCESS, resourceModel=_read(session, model))


@resource.handler(Action.READ)
def read(session, request, callback_context):
    found = _read(session, request.desiredResourceState)
    if found is None:
        return ProgressEvent.failed(HandlerErrorCode.NotFound, "no such crate")
    return ProgressEvent(status=OperationStatus.SUCCESS, resourceModel=found)


@resource.handler(Action.DELETE)
def delete(session, request, callback_context):
    model = request.desiredResourceState
    try:
        _ssm(session).delete_parameter(Name=model.Id)
    except _ssm(session).exceptions.ParameterNotFound:
        return ProgressEvent.failed(HandlerErrorCode.NotFound, "no such crate")
    return ProgressEvent(status=OperationStatus.SUCCESS)
"""

#: What `pip install -t build cloudformation-cli-python-lib` puts beside the handler package
#: (boto3 comes with the Lambda runtime); copied from this interpreter's own installation.
LIBRARIES = ("cloudformation_cli_python_lib", "requests", "idna", "certifi", "charset_normalizer")


def handler_package() -> bytes:
    """The zip `cfn submit --dry-run` makes for a Python resource type."""
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as build:
        for library in LIBRARIES:
            spec = importlib.util.find_spec(library)
            if spec is None or spec.origin is None:
                continue
            root = Path(spec.origin).parent
            for path in root.rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts:
                    build.write(path, f"{library}/{path.relative_to(root)}")
        build.writestr(f"{PACKAGE}/__init__.py", "")
        build.writestr(f"{PACKAGE}/handlers.py", HANDLERS)
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("schema.json", json.dumps(SCHEMA))
        package.writestr(
            ".rpdk-config",
            json.dumps(
                {
                    "artifact_type": "RESOURCE",
                    "typeName": TYPE_NAME,
                    "language": runtime.replace(".", ""),
                    "runtime": runtime,
                    "entrypoint": f"{PACKAGE}.handlers.resource",
                    "testEntrypoint": f"{PACKAGE}.handlers.test_entrypoint",
                    "settings": {"use_docker": False, "protocolVersion": "2.0.0"},
                }
            ),
        )
        package.writestr("ResourceProvider.zip", inner.getvalue())
        package.writestr(f"src/{PACKAGE}/handlers.py", HANDLERS)
    return outer.getvalue()


@pytest.fixture(scope="module")
def account(endpoint) -> str:
    account = str(random.randint(10**11, 10**12 - 1))
    s3 = client(endpoint, "s3", account)
    bucket = f"types-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="crate.zip", Body=handler_package())
    cfn = client(endpoint, "cloudformation", account)
    token = cfn.register_type(
        Type="RESOURCE", TypeName=TYPE_NAME, SchemaHandlerPackage=f"s3://{bucket}/crate.zip"
    )["RegistrationToken"]
    registration = cfn.describe_type_registration(RegistrationToken=token)
    assert registration["ProgressStatus"] == "COMPLETE", registration
    return account


def client(endpoint: str, service: str, account: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="test",
    )


def template(contents: str, name: str = "apples") -> str:
    return json.dumps(
        {
            "Resources": {"Crate": {"Type": TYPE_NAME, "Properties": {"Name": name, "Contents": contents}}},
            "Outputs": {
                "Id": {"Value": {"Ref": "Crate"}},
                "Arn": {"Value": {"Fn::GetAtt": ["Crate", "Arn"]}},
            },
        }
    )


def outputs(stack: dict) -> dict[str, str]:
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def test_a_registered_types_handlers_create_update_and_delete_its_resource(endpoint, account):
    cfn, ssm = client(endpoint, "cloudformation", account), client(endpoint, "ssm", account)
    stack = f"crates-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=stack, TemplateBody=template("twelve"))
    created = settle(cfn, stack)
    assert created["StackStatus"] == "CREATE_COMPLETE", created.get("StackStatusReason")
    assert outputs(created)["Id"] == "/crates/apples"  # the primary identifier is the physical id
    parameter = ssm.get_parameter(Name="/crates/apples")["Parameter"]
    assert parameter["Value"] == "twelve"
    assert outputs(created)["Arn"] == parameter["ARN"]  # a read-only property, through GetAtt

    cfn.update_stack(StackName=stack, TemplateBody=template("thirteen"))
    updated = settle(cfn, stack)
    assert updated["StackStatus"] == "UPDATE_COMPLETE", updated.get("StackStatusReason")
    assert ssm.get_parameter(Name="/crates/apples")["Parameter"]["Value"] == "thirteen"
    # The handlers run on CloudFormation's side: no function, no log group in the account.
    assert client(endpoint, "lambda", account).list_functions()["Functions"] == []
    assert client(endpoint, "logs", account).describe_log_groups()["logGroups"] == []
    resource = cfn.describe_stack_resource(StackName=stack, LogicalResourceId="Crate")["StackResourceDetail"]
    assert resource["PhysicalResourceId"] == "/crates/apples"

    # Drift: the READ handler reads the parameter back.
    ssm.put_parameter(Name="/crates/apples", Value="stolen", Type="String", Overwrite=True)
    drift = cfn.detect_stack_resource_drift(StackName=stack, LogicalResourceId="Crate")["StackResourceDrift"]
    assert drift["StackResourceDriftStatus"] == "MODIFIED"
    assert [difference["PropertyPath"] for difference in drift["PropertyDifferences"]] == ["/Contents"]

    cfn.delete_stack(StackName=stack)
    assert settle(cfn, created["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as gone:
        ssm.get_parameter(Name="/crates/apples")
    assert gone.value.response["Error"]["Code"] == "ParameterNotFound"


def test_a_failed_progress_event_fails_the_resource_with_its_message(endpoint, account):
    cfn = client(endpoint, "cloudformation", account)
    stack = f"crates-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=stack, TemplateBody=template("refuse", "pears"), OnFailure="DO_NOTHING")
    assert settle(cfn, stack)["StackStatus"] == "CREATE_FAILED"
    failed = [
        event
        for event in cfn.describe_stack_events(StackName=stack)["StackEvents"]
        if event["LogicalResourceId"] == "Crate" and event["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert failed[0]["ResourceStatusReason"] == (
        'Resource handler returned message: "a crate cannot hold refuse" (HandlerErrorCode: InvalidRequest)'
    )
