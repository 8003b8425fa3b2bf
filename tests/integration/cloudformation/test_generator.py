"""The IaC generator: a resource scan lists the account's real resources (those stacks manage
marked so), and a generated template holds their properties read back from their services,
a template that imports them into a stack."""

from __future__ import annotations

import json
import random
import time
import uuid

import boto3
import pytest
import yaml
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


def wait(read, done, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while True:
        found = read()
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_scan_and_generate_a_template_that_imports(endpoint):
    account = str(random.randint(10**11, 10**12 - 1))
    cfn = account_client(endpoint, "cloudformation", account)
    sqs = account_client(endpoint, "sqs", account)
    s3 = account_client(endpoint, "s3", account)
    queue_url = sqs.create_queue(QueueName="loose-queue", Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    bucket = f"loose-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    managed = f"m-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(
        StackName=managed, TemplateBody=json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
    )
    assert settle(cfn, managed)["StackStatus"] == "CREATE_COMPLETE"

    scan_id = cfn.start_resource_scan()["ResourceScanId"]
    scan = wait(
        lambda: cfn.describe_resource_scan(ResourceScanId=scan_id), lambda s: s["Status"] != "IN_PROGRESS"
    )
    assert scan["Status"] == "COMPLETE"
    assert scan["PercentageCompleted"] == 100.0
    queues = cfn.list_resource_scan_resources(ResourceScanId=scan_id, ResourceTypePrefix="AWS::SQS::Queue")[
        "Resources"
    ]
    # Queue URLs name the queue by its path; the host is the endpoint the URL was made for.
    by_path = {resource["ResourceIdentifier"]["QueueUrl"].split("/", 3)[3]: resource for resource in queues}
    loose = by_path[queue_url.split("/", 3)[3]]
    assert loose["ManagedByStack"] is False
    queue_url = loose["ResourceIdentifier"]["QueueUrl"]
    assert [r for r in queues if r["ManagedByStack"]]
    assert cfn.list_resource_scans()["ResourceScanSummaries"][0]["ResourceScanId"] == scan_id
    partial = cfn.start_resource_scan(ScanFilters=[{"Types": ["AWS::S3::*"]}])["ResourceScanId"]
    wait(lambda: cfn.describe_resource_scan(ResourceScanId=partial), lambda s: s["Status"] != "IN_PROGRESS")
    buckets = cfn.list_resource_scan_resources(ResourceScanId=partial)["Resources"]
    assert {r["ResourceType"] for r in buckets} == {"AWS::S3::Bucket"}
    assert bucket in {r["ResourceIdentifier"]["BucketName"] for r in buckets}

    name = f"gen-{uuid.uuid4().hex[:8]}"
    template_id = cfn.create_generated_template(
        GeneratedTemplateName=name,
        Resources=[
            {
                "ResourceType": "AWS::SQS::Queue",
                "LogicalResourceId": "Loose",
                "ResourceIdentifier": {"QueueUrl": queue_url},
            }
        ],
    )["GeneratedTemplateId"]
    with pytest.raises(ClientError) as exists:
        cfn.create_generated_template(GeneratedTemplateName=name)
    assert exists.value.response["Error"]["Code"] == "AlreadyExistsException"
    described = wait(
        lambda: cfn.describe_generated_template(GeneratedTemplateName=name),
        lambda d: d["Status"] == "COMPLETE",
    )
    assert described["GeneratedTemplateId"] == template_id
    assert described["Progress"]["ResourcesSucceeded"] == 1
    body = json.loads(cfn.get_generated_template(GeneratedTemplateName=name)["TemplateBody"])
    loose = body["Resources"]["Loose"]
    assert loose["Type"] == "AWS::SQS::Queue"
    assert loose["DeletionPolicy"] == "Retain"
    assert loose["Properties"]["QueueName"] == "loose-queue"
    assert str(loose["Properties"]["VisibilityTimeout"]) == "45"

    cfn.update_generated_template(
        GeneratedTemplateName=name,
        NewGeneratedTemplateName=f"{name}-2",
        AddResources=[{"ResourceType": "AWS::S3::Bucket", "ResourceIdentifier": {"BucketName": bucket}}],
        TemplateConfiguration={"DeletionPolicy": "DELETE"},
    )
    wait(
        lambda: cfn.describe_generated_template(GeneratedTemplateName=f"{name}-2"),
        lambda d: d["Status"] == "COMPLETE",
    )
    text = cfn.get_generated_template(GeneratedTemplateName=f"{name}-2", Format="YAML")["TemplateBody"]
    generated = yaml.safe_load(text)
    assert {resource["Type"] for resource in generated["Resources"].values()} == {
        "AWS::SQS::Queue",
        "AWS::S3::Bucket",
    }
    assert all(resource["DeletionPolicy"] == "Delete" for resource in generated["Resources"].values())
    summaries = cfn.list_generated_templates()["Summaries"]
    assert [(s["GeneratedTemplateName"], s["NumberOfResources"]) for s in summaries] == [(f"{name}-2", 2)]

    # The generated template imports the queue into a new stack.
    imported = f"i-{uuid.uuid4().hex[:8]}"
    only_queue = {"Resources": {"Loose": generated["Resources"]["Loose"]}}
    cfn.create_change_set(
        StackName=imported,
        ChangeSetName="import",
        ChangeSetType="IMPORT",
        TemplateBody=json.dumps(only_queue),
        ResourcesToImport=[
            {
                "ResourceType": "AWS::SQS::Queue",
                "LogicalResourceId": "Loose",
                "ResourceIdentifier": {"QueueUrl": queue_url},
            }
        ],
    )
    wait(
        lambda: cfn.describe_change_set(StackName=imported, ChangeSetName="import"),
        lambda c: c["Status"] in ("CREATE_COMPLETE", "FAILED"),
    )
    cfn.execute_change_set(StackName=imported, ChangeSetName="import")
    assert settle(cfn, imported)["StackStatus"] == "IMPORT_COMPLETE"

    cfn.delete_generated_template(GeneratedTemplateName=f"{name}-2")
    with pytest.raises(ClientError) as gone:
        cfn.describe_generated_template(GeneratedTemplateName=f"{name}-2")
    assert gone.value.response["Error"]["Code"] == "GeneratedTemplateNotFound"


def test_generated_template_of_a_missing_resource_fails(cfn):
    name = f"gen-{uuid.uuid4().hex[:8]}"
    cfn.create_generated_template(
        GeneratedTemplateName=name,
        Resources=[
            {"ResourceType": "AWS::DynamoDB::Table", "ResourceIdentifier": {"TableName": "no-such-table-x"}}
        ],
    )
    described = wait(
        lambda: cfn.describe_generated_template(GeneratedTemplateName=name),
        lambda d: d["Status"] in ("COMPLETE", "FAILED"),
    )
    assert described["Status"] == "FAILED"
    assert described["Resources"][0]["ResourceStatus"] == "FAILED"
    with pytest.raises(ClientError) as unsupported:
        cfn.create_generated_template(
            GeneratedTemplateName=f"{name}-x",
            Resources=[{"ResourceType": "AWS::Nope::Thing", "ResourceIdentifier": {"Id": "x"}}],
        )
    assert unsupported.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as no_scan:
        cfn.describe_resource_scan(
            ResourceScanId="arn:aws:cloudformation:us-east-1:000000000000:resourceScan/nope"
        )
    assert no_scan.value.response["Error"]["Code"] == "ResourceScanNotFound"
