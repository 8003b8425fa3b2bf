"""The private extension registry: types registered from a schema handler package in S3,
their versions, configurations, testing, publishing to other accounts and activation there;
a stack resource of a registered type fails the way a failing handler does."""

from __future__ import annotations

import io
import json
import random
import time
import uuid
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import settle


def account_client(endpoint: str, service: str, account: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="test",
    )


def fresh_account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


def schema(name: str, **extra) -> dict:
    return {
        "typeName": name,
        "description": f"{name} for tests",
        "properties": {"Name": {"type": "string"}, "Id": {"type": "string"}},
        "primaryIdentifier": ["/properties/Id"],
        "readOnlyProperties": ["/properties/Id"],
        "handlers": {
            "create": {"permissions": []},
            "read": {"permissions": []},
            "delete": {"permissions": []},
        },
        **extra,
    }


FRAGMENT = {
    "Parameters": {"QueueName": {"Type": "String", "Description": "the queue's name"}},
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "QueueName"}}},
        "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${QueueName}-dlq"}}},
        "Policy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": "Queue"}],
                "PolicyDocument": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "sqs:SendMessage",
                            "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
                        }
                    ]
                },
            },
        },
    },
}


def package(document: dict | None, fragment: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if document is not None:
            archive.writestr("schema.json", json.dumps(document))
        archive.writestr(".rpdk-config", json.dumps({"typeName": (document or {}).get("typeName")}))
        if fragment:
            archive.writestr("fragments/module.json", json.dumps(FRAGMENT))
        else:
            archive.writestr("ResourceProvider.zip", b"not run here")
    return buffer.getvalue()


def upload(s3, data: bytes) -> str:
    bucket = f"pkg-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="package.zip", Body=data)
    return f"s3://{bucket}/package.zip"


def registered(cfn, token: str) -> dict:
    deadline = time.monotonic() + 30
    while True:
        found = cfn.describe_type_registration(RegistrationToken=token)
        if found["ProgressStatus"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_register_versions_and_deregister(endpoint):
    account = fresh_account()
    cfn, s3 = account_client(endpoint, "cloudformation", account), account_client(endpoint, "s3", account)
    name = "Acme::Storage::Widget"
    first = registered(
        cfn,
        cfn.register_type(TypeName=name, SchemaHandlerPackage=upload(s3, package(schema(name))))[
            "RegistrationToken"
        ],
    )
    assert first["ProgressStatus"] == "COMPLETE"
    assert first["TypeVersionArn"].endswith("type/resource/Acme-Storage-Widget/00000001")
    second = registered(
        cfn,
        cfn.register_type(
            TypeName=name,
            SchemaHandlerPackage=upload(s3, package(schema(name, description="second"))),
            ExecutionRoleArn=f"arn:aws:iam::{account}:role/handler",
        )["RegistrationToken"],
    )
    assert second["TypeVersionArn"].endswith("/00000002")
    described = cfn.describe_type(Type="RESOURCE", TypeName=name)
    assert described["Visibility"] == "PRIVATE"
    assert described["DefaultVersionId"] == "00000001"
    assert described["Arn"].endswith("/Acme-Storage-Widget/00000001")
    assert described["ProvisioningType"] == "IMMUTABLE"
    assert json.loads(described["Schema"])["typeName"] == name
    versions = cfn.list_type_versions(Type="RESOURCE", TypeName=name)["TypeVersionSummaries"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [
        ("00000001", True),
        ("00000002", False),
    ]
    assert [
        t["TypeName"] for t in cfn.list_types(Visibility="PRIVATE", Type="RESOURCE")["TypeSummaries"]
    ] == [name]
    # Without a filter only registrations still in progress are listed.
    assert cfn.list_type_registrations(Type="RESOURCE", TypeName=name)["RegistrationTokenList"] == []
    tokens = cfn.list_type_registrations(Type="RESOURCE", TypeName=name, RegistrationStatusFilter="COMPLETE")[
        "RegistrationTokenList"
    ]
    assert len(tokens) == 2

    cfn.set_type_default_version(Type="RESOURCE", TypeName=name, VersionId="00000002")
    assert cfn.describe_type(Type="RESOURCE", TypeName=name)["Description"] == "second"
    for refused in (
        {"Type": "RESOURCE", "TypeName": name},  # two versions are active
        {"Type": "RESOURCE", "TypeName": name, "VersionId": "00000002"},  # the default one
        {"Type": "RESOURCE", "TypeName": name, "VersionId": "00000099"},  # no such version
    ):
        with pytest.raises(ClientError) as error:
            cfn.deregister_type(**refused)
        assert error.value.response["Error"]["Code"] == "CFNRegistryException"
    cfn.deregister_type(Arn=versions[0]["Arn"])
    assert [
        v["VersionId"] for v in cfn.list_type_versions(Type="RESOURCE", TypeName=name)["TypeVersionSummaries"]
    ] == ["00000002"]
    cfn.deregister_type(Type="RESOURCE", TypeName=name)
    with pytest.raises(ClientError) as gone:
        cfn.describe_type(Type="RESOURCE", TypeName=name)
    assert gone.value.response["Error"]["Code"] == "TypeNotFoundException"


def test_bad_packages_fail_the_registration(endpoint):
    account = fresh_account()
    cfn, s3 = account_client(endpoint, "cloudformation", account), account_client(endpoint, "s3", account)
    mismatch = cfn.register_type(
        TypeName="Acme::Storage::Gadget",
        SchemaHandlerPackage=upload(s3, package(schema("Acme::Other::Thing"))),
    )["RegistrationToken"]
    found = registered(cfn, mismatch)
    assert found["ProgressStatus"] == "FAILED"
    assert "does not match" in found["Description"]
    no_schema = registered(
        cfn,
        cfn.register_type(TypeName="Acme::Storage::Gadget", SchemaHandlerPackage=upload(s3, package(None)))[
            "RegistrationToken"
        ],
    )
    assert no_schema["ProgressStatus"] == "FAILED"
    missing = registered(
        cfn,
        cfn.register_type(
            TypeName="Acme::Storage::Gadget", SchemaHandlerPackage="s3://no-such-bucket-x/p.zip"
        )["RegistrationToken"],
    )
    assert missing["ProgressStatus"] == "FAILED"
    with pytest.raises(ClientError) as reserved:
        cfn.register_type(TypeName="AWS::Storage::Gadget", SchemaHandlerPackage="s3://b/p.zip")
    assert reserved.value.response["Error"]["Code"] == "CFNRegistryException"
    assert cfn.list_types(Visibility="PRIVATE")["TypeSummaries"] == []


def test_a_registered_type_fails_its_stack_as_a_failing_handler(endpoint):
    account = fresh_account()
    cfn, s3 = account_client(endpoint, "cloudformation", account), account_client(endpoint, "s3", account)
    name = "Acme::Storage::Crate"
    registered(
        cfn,
        cfn.register_type(TypeName=name, SchemaHandlerPackage=upload(s3, package(schema(name))))[
            "RegistrationToken"
        ],
    )
    stack = f"s-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(
        StackName=stack,
        TemplateBody=json.dumps({"Resources": {"Crate": {"Type": name, "Properties": {"Name": "x"}}}}),
        OnFailure="DO_NOTHING",
    )
    assert settle(cfn, stack)["StackStatus"] == "CREATE_FAILED"
    failed = [
        event
        for event in cfn.describe_stack_events(StackName=stack)["StackEvents"]
        if event["LogicalResourceId"] == "Crate" and event["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert "HandlerErrorCode: InternalFailure" in failed[0]["ResourceStatusReason"]


def test_configuration_tests_publishing_and_activation(endpoint):
    owner, user = fresh_account(), fresh_account()
    cfn, s3 = account_client(endpoint, "cloudformation", owner), account_client(endpoint, "s3", owner)
    other = account_client(endpoint, "cloudformation", user)
    resource = "Acme::Storage::Bin"
    configured = schema(
        resource,
        typeConfiguration={
            "type": "object",
            "properties": {"ApiKey": {"type": "string"}},
            "required": ["ApiKey"],
            "additionalProperties": False,
        },
    )
    registered(
        cfn,
        cfn.register_type(TypeName=resource, SchemaHandlerPackage=upload(s3, package(configured)))[
            "RegistrationToken"
        ],
    )
    arn = cfn.set_type_configuration(
        Type="RESOURCE", TypeName=resource, Configuration=json.dumps({"ApiKey": "k"})
    )["ConfigurationArn"]
    assert arn.endswith("type-configuration/resource/Acme-Storage-Bin/default")
    with pytest.raises(ClientError) as invalid:
        cfn.set_type_configuration(Type="RESOURCE", TypeName=resource, Configuration=json.dumps({"Other": 1}))
    assert invalid.value.response["Error"]["Code"] == "CFNRegistryException"
    configurations = cfn.batch_describe_type_configurations(
        TypeConfigurationIdentifiers=[
            {"Type": "RESOURCE", "TypeName": resource},
            {"Type": "RESOURCE", "TypeName": "Acme::No::Such"},
        ]
    )
    assert json.loads(configurations["TypeConfigurations"][0]["Configuration"]) == {"ApiKey": "k"}
    assert configurations["Errors"][0]["ErrorCode"] == "TypeConfigurationNotFoundException"

    # Contract tests need the handlers to run: they fail here, and an untested type is not published.
    cfn.test_type(Type="RESOURCE", TypeName=resource)
    tested = cfn.describe_type(Type="RESOURCE", TypeName=resource)
    assert tested["TypeTestsStatus"] == "FAILED"
    with pytest.raises(ClientError) as no_publisher:
        cfn.publish_type(Type="RESOURCE", TypeName=resource)
    assert no_publisher.value.response["Error"]["Code"] == "CFNRegistryException"
    assert "PublisherId" not in cfn.describe_publisher()
    publisher = cfn.register_publisher(AcceptTermsAndConditions=True)["PublisherId"]
    assert len(publisher) == 40
    assert cfn.describe_publisher(PublisherId=publisher)["PublisherStatus"] == "VERIFIED"
    with pytest.raises(ClientError) as untested:
        cfn.publish_type(Type="RESOURCE", TypeName=resource)
    assert "TestType" in untested.value.response["Error"]["Message"]

    # A module has no handlers: it passes its tests, is published, and another account activates it.
    module = "Acme::Storage::Shelf::MODULE"
    registered(
        cfn,
        cfn.register_type(
            Type="MODULE",
            TypeName=module,
            SchemaHandlerPackage=upload(s3, package(schema(module), fragment=True)),
        )["RegistrationToken"],
    )
    cfn.test_type(Type="MODULE", TypeName=module)
    assert cfn.describe_type(Type="MODULE", TypeName=module)["TypeTestsStatus"] == "PASSED"
    public_arn = cfn.publish_type(Type="MODULE", TypeName=module)["PublicTypeArn"]
    assert public_arn.endswith(f"/{publisher}/Acme-Storage-Shelf-MODULE/1.0.0")
    assert other.describe_publisher(PublisherId=publisher)["PublisherId"] == publisher
    activated = other.activate_type(
        Type="MODULE", PublisherId=publisher, TypeName=module, TypeNameAlias="Mine::Storage::Shelf::MODULE"
    )["Arn"]
    assert activated.endswith(f"{user}:type/module/Mine-Storage-Shelf-MODULE")
    found = other.describe_type(Arn=activated)
    assert found["IsActivated"] is True
    assert found["OriginalTypeName"] == module
    assert found["PublicVersionNumber"] == "1.0.0"
    with pytest.raises(ClientError) as not_private:
        other.deregister_type(Arn=activated)
    assert not_private.value.response["Error"]["Code"] == "CFNRegistryException"
    other.deactivate_type(Arn=activated)
    with pytest.raises(ClientError) as gone:
        other.describe_type(Arn=activated)
    assert gone.value.response["Error"]["Code"] == "TypeNotFoundException"
    with pytest.raises(ClientError) as unknown:
        other.activate_type(Type="RESOURCE", PublisherId=publisher, TypeName="Acme::No::Such")
    assert unknown.value.response["Error"]["Code"] == "TypeNotFoundException"


def test_record_handler_progress_needs_a_running_handler(cfn):
    with pytest.raises(ClientError) as refused:
        cfn.record_handler_progress(BearerToken="token", OperationStatus="SUCCESS")
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailed"


def test_a_registered_module_expands_into_its_resources(endpoint):
    account = fresh_account()
    cfn, s3 = account_client(endpoint, "cloudformation", account), account_client(endpoint, "s3", account)
    sqs = account_client(endpoint, "sqs", account)
    module = "Acme::Queues::Pair::MODULE"
    registered(
        cfn,
        cfn.register_type(
            Type="MODULE",
            TypeName=module,
            SchemaHandlerPackage=upload(s3, package(schema(module), fragment=True)),
        )["RegistrationToken"],
    )
    stack = f"s-{uuid.uuid4().hex[:8]}"
    template = {"Resources": {"Orders": {"Type": module, "Properties": {"QueueName": f"orders-{stack}"}}}}
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(template))
    assert settle(cfn, stack)["StackStatus"] == "CREATE_COMPLETE"
    logical = {
        r["LogicalResourceId"] for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]
    }
    assert logical == {"OrdersQueue", "OrdersDlq", "OrdersPolicy"}
    sqs.get_queue_url(QueueName=f"orders-{stack}")
    sqs.get_queue_url(QueueName=f"orders-{stack}-dlq")
    with pytest.raises(ClientError) as missing:
        cfn.create_stack(
            StackName=f"{stack}-x", TemplateBody=json.dumps({"Resources": {"O": {"Type": module}}})
        )
    assert missing.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as unknown:
        cfn.create_stack(
            StackName=f"{stack}-y",
            TemplateBody=json.dumps({"Resources": {"O": {"Type": "Acme::No::Such::MODULE"}}}),
        )
    assert unknown.value.response["Error"]["Code"] == "ValidationError"
