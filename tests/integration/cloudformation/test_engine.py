"""The engine through boto3: templates, parameters, intrinsics, conditions, outputs and
exports, rollback, updates in place and by replacement, deletion."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle

QUEUE = """
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: {timeout}
Outputs:
  Url:
    Value: !Ref Queue
  Arn:
    Value: !GetAtt Queue.Arn
"""


def test_create_describe_and_delete(cfn, client, stack_name):
    stack_id = cfn.create_stack(StackName=stack_name, TemplateBody=QUEUE.format(timeout=45))["StackId"]
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["StackId"] == stack_id
    url = outputs(stack)["Url"]
    sqs = client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "45"
    assert attributes["QueueArn"] == outputs(stack)["Arn"]
    assert url.rsplit("/", 1)[1].startswith(f"{stack_name}-Queue-")
    summary = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    assert [(r["LogicalResourceId"], r["ResourceStatus"]) for r in summary] == [("Queue", "CREATE_COMPLETE")]
    detail = cfn.describe_stack_resource(StackName=stack_name, LogicalResourceId="Queue")[
        "StackResourceDetail"
    ]
    assert detail["PhysicalResourceId"] == url
    events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    assert events[0]["ResourceStatus"] == "CREATE_COMPLETE" and events[0]["LogicalResourceId"] == stack_name
    assert events[-1]["ResourceStatus"] == "CREATE_IN_PROGRESS"
    template = cfn.get_template(StackName=stack_name)["TemplateBody"]
    assert "AWS::SQS::Queue" in template

    cfn.delete_stack(StackName=stack_name)
    deleted = settle(cfn, stack_id)
    assert deleted["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as refused:
        sqs.get_queue_attributes(QueueUrl=url)
    assert "NonExistentQueue" in str(refused.value)
    with pytest.raises(ClientError) as gone:
        cfn.describe_stacks(StackName=stack_name)
    assert gone.value.response["Error"]["Message"] == f"Stack with id {stack_name} does not exist"
    listed = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert stack_id in [entry["StackId"] for entry in listed]


def test_already_exists_and_bad_template(cfn, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=QUEUE.format(timeout=30))
    with pytest.raises(ClientError) as exists:
        cfn.create_stack(StackName=stack_name, TemplateBody=QUEUE.format(timeout=30))
    assert exists.value.response["Error"]["Code"] == "AlreadyExistsException"
    with pytest.raises(ClientError) as broken:
        cfn.create_stack(StackName=stack_name + "x", TemplateBody="Resources: {}")
    assert broken.value.response["Error"]["Message"] == (
        "Template format error: At least one Resources member must be defined."
    )
    with pytest.raises(ClientError) as dangling:
        cfn.validate_template(
            TemplateBody="Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Nope\n"
        )
    assert "Unresolved resource dependencies [Nope]" in dangling.value.response["Error"]["Message"]
    settle(cfn, stack_name)
    cfn.delete_stack(StackName=stack_name)


PARAMETERS = """
Parameters:
  Environment:
    Type: String
    Default: dev
    AllowedValues: [dev, staging, prod]
  Memory:
    Type: Number
    Default: 512
    MinValue: 128
    MaxValue: 10240
  Secret:
    Type: String
    NoEcho: true
  Zones:
    Type: CommaDelimitedList
    Default: "a,b,c"
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
Mappings:
  Sizes:
    dev: {Retention: "60"}
    prod: {Retention: "1209600"}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: !FindInMap [Sizes, !If [IsProd, prod, dev], Retention]
  ProdOnly:
    Type: AWS::SQS::Queue
    Condition: IsProd
Outputs:
  Joined: {Value: !Join ["-", [!Ref Environment, !Ref Memory]]}
  Second: {Value: !Select [1, !Ref Zones]}
  Split: {Value: !Select [2, !Split [",", "x,y,z"]]}
  Sub: {Value: !Sub "${AWS::StackName}/${AWS::Region}/${AWS::AccountId}/${Queue.QueueName}/${!Literal}"}
  SubMap: {Value: !Sub ["${A}-${B}", {A: one, B: !Ref Environment}]}
  Encoded: {Value: !Base64 "hello"}
  Zones: {Value: !Join [",", !GetAZs ""]}
  Cidrs: {Value: !Join [",", !Cidr ["10.0.0.0/16", 3, 8]]}
  Length: {Value: !Length [1, 2, 3]}
  Json: {Value: !ToJsonString {a: [1, 2]}}
  Prod: {Value: !If [IsProd, "yes", "no"]}
  NotProd: {Value: !If [IsProd, "p", !Ref "AWS::NoValue"], Condition: IsProd}
  Secret: {Value: !Ref Secret}
"""


def test_parameters_intrinsics_and_conditions(cfn, client, stack_name):
    with pytest.raises(ClientError) as missing:
        cfn.create_stack(StackName=stack_name, TemplateBody=PARAMETERS)
    assert missing.value.response["Error"]["Message"] == "Parameters: [Secret] must have values"
    with pytest.raises(ClientError) as not_allowed:
        cfn.create_stack(
            StackName=stack_name,
            TemplateBody=PARAMETERS,
            Parameters=[
                {"ParameterKey": "Secret", "ParameterValue": "s"},
                {"ParameterKey": "Environment", "ParameterValue": "qa"},
            ],
        )
    assert (
        not_allowed.value.response["Error"]["Message"]
        == "Parameter 'Environment' must be one of AllowedValues"
    )
    with pytest.raises(ClientError) as too_small:
        cfn.create_stack(
            StackName=stack_name,
            TemplateBody=PARAMETERS,
            Parameters=[
                {"ParameterKey": "Secret", "ParameterValue": "s"},
                {"ParameterKey": "Memory", "ParameterValue": "64"},
            ],
        )
    assert (
        too_small.value.response["Error"]["Message"]
        == "Parameter 'Memory' must be a number not less than 128"
    )
    with pytest.raises(ClientError) as unknown:
        cfn.create_stack(
            StackName=stack_name,
            TemplateBody=PARAMETERS,
            Parameters=[
                {"ParameterKey": "Secret", "ParameterValue": "s"},
                {"ParameterKey": "Nope", "ParameterValue": "1"},
            ],
        )
    assert unknown.value.response["Error"]["Message"] == "Parameters: [Nope] do not exist in the template"

    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=PARAMETERS,
        Parameters=[{"ParameterKey": "Secret", "ParameterValue": "hush"}],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    shown = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert shown == {"Environment": "dev", "Memory": "512", "Secret": "****", "Zones": "a,b,c"}
    values = outputs(stack)
    queue_url = resources(cfn, stack_name)["Queue"]["PhysicalResourceId"]
    assert values["Joined"] == "dev-512"
    assert values["Second"] == "b"
    assert values["Split"] == "z"
    assert values["Sub"] == f"{stack_name}/us-east-1/000000000000/{queue_url.rsplit('/', 1)[1]}/${{Literal}}"
    assert values["SubMap"] == "one-dev"
    assert values["Encoded"] == "aGVsbG8="
    assert values["Zones"] == "us-east-1a,us-east-1b,us-east-1c"
    assert values["Cidrs"] == "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24"
    assert values["Length"] == "3"
    assert json.loads(values["Json"]) == {"a": [1, 2]}
    assert values["Prod"] == "no"
    assert "NotProd" not in values
    assert values["Secret"] == "hush"
    assert "ProdOnly" not in resources(cfn, stack_name)
    retention = client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["MessageRetentionPeriod"]
    )
    assert retention["Attributes"]["MessageRetentionPeriod"] == "60"

    # An update that turns the condition on: the prod queue appears, the retention changes in place.
    cfn.update_stack(
        StackName=stack_name,
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": "Secret", "UsePreviousValue": True},
            {"ParameterKey": "Environment", "ParameterValue": "prod"},
        ],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    now = resources(cfn, stack_name)
    assert now["Queue"]["PhysicalResourceId"] == queue_url
    assert "ProdOnly" in now
    retention = client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["MessageRetentionPeriod"]
    )
    assert retention["Attributes"]["MessageRetentionPeriod"] == "1209600"
    assert outputs(stack)["Secret"] == "hush"
    with pytest.raises(ClientError) as same:
        cfn.update_stack(
            StackName=stack_name,
            UsePreviousTemplate=True,
            Parameters=[
                {"ParameterKey": "Secret", "UsePreviousValue": True},
                {"ParameterKey": "Environment", "UsePreviousValue": True},
            ],
        )
    assert same.value.response["Error"]["Message"] == "No updates are to be performed."
    cfn.delete_stack(StackName=stack_name)


FAILING = """
Resources:
  Good:
    Type: AWS::SQS::Queue
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Bad:
    Type: AWS::SQS::Queue
    DependsOn: Table
    Properties:
      VisibilityTimeout: 999999
  After:
    Type: AWS::SQS::Queue
    Properties:
      DelaySeconds: !GetAtt Bad.QueueName
"""


def test_rollback_with_the_resource_error(cfn, client, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=FAILING)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"].startswith("The following resource(s) failed to create: [Bad]")
    events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Bad"]
    assert "VisibilityTimeout" in failed[0]["ResourceStatusReason"]
    assert "InvalidAttributeValue" in failed[0]["ResourceStatusReason"]
    deleted = {e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "DELETE_COMPLETE"}
    assert {"Good", "Table"} <= deleted
    assert "After" not in {e["LogicalResourceId"] for e in events}
    tables = client("dynamodb").list_tables()["TableNames"]
    assert not [name for name in tables if name.startswith(f"{stack_name}-Table-")]
    with pytest.raises(ClientError) as stuck:
        cfn.update_stack(StackName=stack_name, TemplateBody=FAILING)
    assert "ROLLBACK_COMPLETE state and can not be updated" in stuck.value.response["Error"]["Message"]
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_disable_rollback_keeps_what_was_made(cfn, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=FAILING, DisableRollback=True)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_FAILED"
    assert resources(cfn, stack_name)["Good"]["ResourceStatus"] == "CREATE_COMPLETE"
    cfn.rollback_stack(StackName=stack_name)
    assert settle(cfn, stack_name)["StackStatus"] == "ROLLBACK_COMPLETE"
    cfn.delete_stack(StackName=stack_name)


def test_unsupported_type_fails_the_stack(cfn, stack_name):
    cfn.create_stack(
        StackName=stack_name, TemplateBody="Resources:\n  Thing:\n    Type: AWS::Nowhere::Thing\n"
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [
        e
        for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert failed[0]["ResourceStatusReason"] == "Unsupported resource type AWS::Nowhere::Thing"
    cfn.delete_stack(StackName=stack_name)


TABLE = """
Parameters:
  Key:
    Type: String
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: !Ref Key, AttributeType: S}]
      KeySchema: [{AttributeName: !Ref Key, KeyType: HASH}]
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      Tags: [{Key: table, Value: !Ref Table}]
Outputs:
  Table: {Value: !Ref Table}
"""


def test_update_that_replaces_a_resource(cfn, client, stack_name):
    cfn.create_stack(
        StackName=stack_name, TemplateBody=TABLE, Parameters=[{"ParameterKey": "Key", "ParameterValue": "id"}]
    )
    first = settle(cfn, stack_name)
    assert first["StackStatus"] == "CREATE_COMPLETE", first.get("StackStatusReason")
    old_table = outputs(first)["Table"]
    queue_url = resources(cfn, stack_name)["Queue"]["PhysicalResourceId"]

    change_set = cfn.create_change_set(
        StackName=stack_name,
        ChangeSetName="rekey",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Key", "ParameterValue": "pk"}],
    )
    described = cfn.describe_change_set(StackName=stack_name, ChangeSetName="rekey")
    assert described["Status"] == "CREATE_COMPLETE" and described["ExecutionStatus"] == "AVAILABLE"
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]}
    assert changes["Table"]["Action"] == "Modify"
    assert changes["Table"]["Replacement"] == "True"
    assert {d["Target"]["Name"]: d["Target"]["RequiresRecreation"] for d in changes["Table"]["Details"]} == {
        "AttributeDefinitions": "Never",
        "KeySchema": "Always",
    }
    assert changes["Queue"]["Action"] == "Modify"
    assert changes["Queue"]["Replacement"] == "False"

    cfn.execute_change_set(ChangeSetName=change_set["Id"])
    second = settle(cfn, stack_name)
    assert second["StackStatus"] == "UPDATE_COMPLETE", second.get("StackStatusReason")
    new_table = outputs(second)["Table"]
    assert new_table != old_table
    dynamodb = client("dynamodb")
    assert dynamodb.describe_table(TableName=new_table)["Table"]["KeySchema"][0]["AttributeName"] == "pk"
    with pytest.raises(ClientError):
        dynamodb.describe_table(TableName=old_table)
    tags = client("sqs").list_queue_tags(QueueUrl=queue_url)["Tags"]
    assert tags["table"] == new_table
    statuses = [
        (e["LogicalResourceId"], e["ResourceStatus"])
        for e in reversed(cfn.describe_stack_events(StackName=stack_name)["StackEvents"])
    ]
    assert statuses[-1] == (stack_name, "UPDATE_COMPLETE")
    assert (stack_name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") in statuses
    cleanup = statuses.index((stack_name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
    assert ("Table", "DELETE_COMPLETE") in statuses[cleanup:]
    assert cfn.describe_change_set(ChangeSetName=change_set["Id"])["ExecutionStatus"] == "EXECUTE_COMPLETE"
    cfn.delete_stack(StackName=stack_name)


def test_named_resource_cannot_be_replaced_and_update_rolls_back(cfn, client, stack_name):
    body = """
Parameters:
  Key: {Type: String, Default: id}
  Display: {Type: String, Default: first}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${AWS::StackName}-table"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: !Ref Key, AttributeType: S}]
      KeySchema: [{AttributeName: !Ref Key, KeyType: HASH}]
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !Ref Display
"""
    cfn.create_stack(StackName=stack_name, TemplateBody=body)
    assert settle(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"
    topic = resources(cfn, stack_name)["Topic"]["PhysicalResourceId"]
    sns = client("sns")
    cfn.update_stack(
        StackName=stack_name,
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Display", "ParameterValue": "second"}],
    )
    assert settle(cfn, stack_name)["StackStatus"] == "UPDATE_COMPLETE"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "second"
    # A new key replaces the table, which its fixed name forbids: the update rolls back,
    # and the topic's display name goes back with it.
    cfn.update_stack(
        StackName=stack_name,
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": "Key", "ParameterValue": "pk"},
            {"ParameterKey": "Display", "ParameterValue": "third"},
        ],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Table"]
    assert failed[0]["ResourceStatusReason"] == (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        f"Rename {stack_name}-table and update the stack again."
    )
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "second"
    shown = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert shown == {"Key": "id", "Display": "second"}
    cfn.delete_stack(StackName=stack_name)


def test_exports_and_imports(cfn, stack_name):
    exporter = """
Resources:
  Queue: {Type: AWS::SQS::Queue}
Outputs:
  Arn:
    Value: !GetAtt Queue.Arn
    Export: {Name: !Sub "${AWS::StackName}-arn"}
"""
    importer = """
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !ImportValue EXPORT
Outputs:
  Imported: {Value: !GetAtt Param.Value}
"""
    cfn.create_stack(StackName=stack_name, TemplateBody=exporter)
    first = settle(cfn, stack_name)
    export_name = f"{stack_name}-arn"
    with pytest.raises(ClientError) as missing:
        cfn.create_stack(
            StackName=stack_name + "-b", TemplateBody=importer.replace("EXPORT", "no-such-export")
        )
    assert missing.value.response["Error"]["Message"] == "No export named no-such-export found."
    cfn.create_stack(StackName=stack_name + "-b", TemplateBody=importer.replace("EXPORT", export_name))
    second = settle(cfn, stack_name + "-b")
    assert outputs(second)["Imported"] == outputs(first)["Arn"]
    exports = {e["Name"]: e for e in cfn.list_exports()["Exports"]}
    assert exports[export_name]["Value"] == outputs(first)["Arn"]
    assert exports[export_name]["ExportingStackId"] == first["StackId"]
    assert cfn.list_imports(ExportName=export_name)["Imports"] == [stack_name + "-b"]
    cfn.delete_stack(StackName=stack_name)
    blocked = settle(cfn, stack_name)
    assert blocked["StackStatus"] == "DELETE_FAILED"
    assert (
        blocked["StackStatusReason"]
        == f"Export {export_name} cannot be deleted as it is in use by {stack_name}-b"
    )
    cfn.delete_stack(StackName=stack_name + "-b")
    settle(cfn, second["StackId"])
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, first["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert export_name not in {e["Name"] for e in cfn.list_exports()["Exports"]}


def test_termination_protection_and_stack_policy(cfn, stack_name):
    cfn.create_stack(
        StackName=stack_name, TemplateBody=QUEUE.format(timeout=30), EnableTerminationProtection=True
    )
    settle(cfn, stack_name)
    with pytest.raises(ClientError) as protected:
        cfn.delete_stack(StackName=stack_name)
    assert protected.value.response["Error"]["Message"] == (
        f"Stack [{stack_name}] cannot be deleted while TerminationProtection is enabled"
    )
    policy = json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}
    )
    cfn.set_stack_policy(StackName=stack_name, StackPolicyBody=policy)
    assert json.loads(cfn.get_stack_policy(StackName=stack_name)["StackPolicyBody"]) == json.loads(policy)
    cfn.update_termination_protection(StackName=stack_name, EnableTerminationProtection=False)
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, cfn.list_stacks()["StackSummaries"][0]["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_ssm_parameter_types_and_dynamic_references(cfn, client, stack_name):
    ssm = client("ssm")
    ssm.put_parameter(Name=f"/{stack_name}/timeout", Value="77", Type="String")
    ssm.put_parameter(Name=f"/{stack_name}/secret", Value="s3cret", Type="SecureString")
    secrets = client("secretsmanager")
    secrets.create_secret(
        Name=f"{stack_name}-db", SecretString=json.dumps({"user": "admin", "password": "pw"})
    )
    body = f"""
Parameters:
  Timeout:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /{stack_name}/timeout
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !Ref Timeout
  Copy:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: "{{{{resolve:ssm:/{stack_name}/timeout}}}}-{{{{resolve:ssm-secure:/{stack_name}/secret}}}}-{{{{resolve:secretsmanager:{stack_name}-db:SecretString:user}}}}"
Outputs:
  Copy: {{Value: !GetAtt Copy.Value}}
"""
    cfn.create_stack(StackName=stack_name, TemplateBody=body)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    assert stack["Parameters"][0]["ResolvedValue"] == "77"
    assert outputs(stack)["Copy"] == "77-s3cret-admin"
    url = resources(cfn, stack_name)["Queue"]["PhysicalResourceId"]
    assert (
        client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
            "VisibilityTimeout"
        ]
        == "77"
    )
    cfn.delete_stack(StackName=stack_name)


def test_template_from_s3_and_summary(cfn, client, stack_name):
    s3 = client("s3")
    s3.create_bucket(Bucket=stack_name)
    s3.put_object(Bucket=stack_name, Key="t.yaml", Body=QUEUE.format(timeout=31).encode())
    for url in (
        f"https://s3.amazonaws.com/{stack_name}/t.yaml",
        f"https://{stack_name}.s3.us-east-1.amazonaws.com/t.yaml",
    ):
        summary = cfn.get_template_summary(TemplateURL=url)
        assert summary["ResourceTypes"] == ["AWS::SQS::Queue"]
    cfn.create_stack(StackName=stack_name, TemplateURL=f"https://{stack_name}.s3.amazonaws.com/t.yaml")
    assert settle(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError) as missing:
        cfn.validate_template(TemplateURL=f"https://s3.amazonaws.com/{stack_name}/nope.yaml")
    assert missing.value.response["Error"]["Code"] == "ValidationError"
    cfn.delete_stack(StackName=stack_name)


def test_capabilities_are_checked(cfn, stack_name):
    role = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      {name}
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: lambda.amazonaws.com}}, Action: "sts:AssumeRole"}}]
"""
    with pytest.raises(ClientError) as refused:
        cfn.create_stack(StackName=stack_name, TemplateBody=role.format(name=""))
    assert refused.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"
    assert refused.value.response["Error"]["Message"] == "Requires capabilities : [CAPABILITY_IAM]"
    with pytest.raises(ClientError) as named:
        cfn.create_stack(
            StackName=stack_name,
            TemplateBody=role.format(name=f"RoleName: {stack_name}"),
            Capabilities=["CAPABILITY_IAM"],
        )
    assert named.value.response["Error"]["Message"] == "Requires capabilities : [CAPABILITY_NAMED_IAM]"
    validated = cfn.validate_template(TemplateBody=role.format(name=""))
    assert validated["Capabilities"] == ["CAPABILITY_IAM"]
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=role.format(name=f"RoleName: {stack_name}"),
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert resources(cfn, stack_name)["Role"]["PhysicalResourceId"] == stack_name
    cfn.delete_stack(StackName=stack_name)


def test_notifications_to_sns(cfn, client, stack_name):
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name=f"{stack_name}-events")["TopicArn"]
    url = sqs.create_queue(QueueName=f"{stack_name}-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    cfn.create_stack(StackName=stack_name, TemplateBody=QUEUE.format(timeout=30), NotificationARNs=[topic])
    stack = settle(cfn, stack_name)
    assert stack["NotificationARNs"] == [topic]
    bodies: list[str] = []
    for _ in range(10):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        bodies += [message["Body"] for message in got]
        if any(
            "ResourceStatus='CREATE_COMPLETE'" in body and f"LogicalResourceId='{stack_name}'" in body
            for body in bodies
        ):
            break
    assert any(
        "ResourceStatus='CREATE_COMPLETE'" in body and f"LogicalResourceId='{stack_name}'" in body
        for body in bodies
    )
    assert any(
        "LogicalResourceId='Queue'" in body and "ResourceType='AWS::SQS::Queue'" in body for body in bodies
    )
    cfn.delete_stack(StackName=stack_name)


def test_language_extensions_and_include(cfn, client, stack_name):
    s3 = client("s3")
    s3.create_bucket(Bucket=stack_name)
    s3.put_object(
        Bucket=stack_name,
        Key="snippet.yaml",
        Body=b"Included:\n  Type: AWS::SNS::Topic\n  Properties:\n    DisplayName: from-s3\n",
    )
    body = f"""
Transform: AWS::LanguageExtensions
Parameters:
  Names:
    Type: CommaDelimitedList
    Default: "alpha,beta-two"
Resources:
  Fn::Transform:
    Name: AWS::Include
    Parameters:
      Location: s3://{stack_name}/snippet.yaml
  Fn::ForEach::Queues:
    - Name
    - !Ref Names
    - Queue&{{Name}}:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !Sub "${{AWS::StackName}}-${{Name}}"
          Tags: [{{Key: name, Value: !Ref Name}}]
Outputs:
  Fn::ForEach::Urls:
    - Name
    - [alpha, betatwo]
    - Url${{Name}}:
        Value: !Ref
          Fn::Sub: Queue${{Name}}
  Count:
    Value: !Length [1, 2, 3]
"""
    with pytest.raises(ClientError) as refused:
        cfn.create_stack(StackName=stack_name, TemplateBody=body)
    assert refused.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"
    cfn.create_stack(StackName=stack_name, TemplateBody=body, Capabilities=["CAPABILITY_AUTO_EXPAND"])
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    made = resources(cfn, stack_name)
    assert {"Queuealpha", "Queuebetatwo", "Included"} <= set(made)
    assert made["Queuebetatwo"]["PhysicalResourceId"].endswith(f"/{stack_name}-beta-two")
    values = outputs(stack)
    assert values["Urlalpha"] == made["Queuealpha"]["PhysicalResourceId"]
    assert values["Count"] == "3"
    topic = made["Included"]["PhysicalResourceId"]
    assert client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "from-s3"
    cfn.delete_stack(StackName=stack_name)


def test_rules_check_parameters(cfn, stack_name):
    body = """
Parameters:
  Environment: {Type: String, Default: dev}
  Size: {Type: String, Default: small}
Rules:
  ProdIsLarge:
    RuleCondition: !Equals [!Ref Environment, prod]
    Assertions:
      - Assert: !Contains [[large, xlarge], !Ref Size]
        AssertDescription: Production needs a large size
Resources:
  Queue: {Type: AWS::SQS::Queue}
"""
    with pytest.raises(ClientError) as refused:
        cfn.create_stack(
            StackName=stack_name,
            TemplateBody=body,
            Parameters=[{"ParameterKey": "Environment", "ParameterValue": "prod"}],
        )
    assert refused.value.response["Error"]["Message"] == "Production needs a large size"
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=body,
        Parameters=[
            {"ParameterKey": "Environment", "ParameterValue": "prod"},
            {"ParameterKey": "Size", "ParameterValue": "large"},
        ],
    )
    assert settle(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"
    cfn.delete_stack(StackName=stack_name)


def test_update_replace_policy_retain_keeps_the_old_resource(cfn, client, stack_name):
    body = TABLE.replace(
        "    Type: AWS::DynamoDB::Table\n",
        "    Type: AWS::DynamoDB::Table\n    UpdateReplacePolicy: Retain\n",
    )
    cfn.create_stack(
        StackName=stack_name, TemplateBody=body, Parameters=[{"ParameterKey": "Key", "ParameterValue": "id"}]
    )
    old_table = outputs(settle(cfn, stack_name))["Table"]
    cfn.update_stack(
        StackName=stack_name,
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Key", "ParameterValue": "pk"}],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert outputs(stack)["Table"] != old_table
    dynamodb = client("dynamodb")
    assert dynamodb.describe_table(TableName=old_table)["Table"]["TableStatus"] == "ACTIVE"
    skipped = [
        e for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        if e["ResourceStatus"] == "DELETE_SKIPPED"
    ]  # fmt: skip
    assert [e["PhysicalResourceId"] for e in skipped] == [old_table]
    cfn.delete_stack(StackName=stack_name)
    dynamodb.delete_table(TableName=old_table)


def test_update_without_rollback_then_rollback_stack(cfn, client, stack_name):
    body = """
Parameters:
  Delay: {Type: Number, Default: 0}
  Display: {Type: String, Default: first}
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {DisplayName: !Ref Display}
  Queue:
    Type: AWS::SQS::Queue
    DependsOn: Topic
    Properties: {DelaySeconds: !Ref Delay}
"""
    cfn.create_stack(StackName=stack_name, TemplateBody=body)
    assert settle(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"
    topic = resources(cfn, stack_name)["Topic"]["PhysicalResourceId"]
    cfn.update_stack(
        StackName=stack_name,
        UsePreviousTemplate=True,
        DisableRollback=True,
        Parameters=[
            {"ParameterKey": "Delay", "ParameterValue": "99999"},
            {"ParameterKey": "Display", "ParameterValue": "second"},
        ],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_FAILED"
    sns = client("sns")
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "second"
    cfn.rollback_stack(StackName=stack_name)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "first"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {
        "Delay": "0",
        "Display": "first",
    }
    cfn.delete_stack(StackName=stack_name)


def test_import_existing_resources(cfn, client, stack_name):
    sqs, dynamodb = client("sqs"), client("dynamodb")
    url = sqs.create_queue(QueueName=f"{stack_name}-imported")["QueueUrl"]
    dynamodb.create_table(
        TableName=f"{stack_name}-imported",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    body = f"""
Resources:
  Queue:
    Type: AWS::SQS::Queue
    DeletionPolicy: Retain
    Properties: {{QueueName: {stack_name}-imported}}
  Table:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Properties:
      TableName: {stack_name}-imported
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{{AttributeName: id, AttributeType: S}}]
      KeySchema: [{{AttributeName: id, KeyType: HASH}}]
Outputs:
  QueueArn: {{Value: !GetAtt Queue.Arn}}
  TableArn: {{Value: !GetAtt Table.Arn}}
"""
    to_import = [
        {
            "ResourceType": "AWS::SQS::Queue",
            "LogicalResourceId": "Queue",
            "ResourceIdentifier": {"QueueUrl": url},
        },
        {
            "ResourceType": "AWS::DynamoDB::Table",
            "LogicalResourceId": "Table",
            "ResourceIdentifier": {"TableName": f"{stack_name}-imported"},
        },
    ]
    with pytest.raises(ClientError) as refused:
        cfn.create_change_set(
            StackName=stack_name,
            ChangeSetName="imp",
            ChangeSetType="IMPORT",
            TemplateBody=body.replace("    DeletionPolicy: Retain\n", "", 1),
            ResourcesToImport=to_import,
        )
    assert "must have DeletionPolicy attribute" in refused.value.response["Error"]["Message"]
    cfn.create_change_set(
        StackName=stack_name,
        ChangeSetName="imp",
        ChangeSetType="IMPORT",
        TemplateBody=body,
        ResourcesToImport=to_import,
    )
    described = cfn.describe_change_set(StackName=stack_name, ChangeSetName="imp")
    assert sorted(
        (c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"])
        for c in described["Changes"]
    ) == [
        ("Import", "Queue"),
        ("Import", "Table"),
    ]
    cfn.execute_change_set(StackName=stack_name, ChangeSetName="imp")
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "IMPORT_COMPLETE", stack.get("StackStatusReason")
    made = resources(cfn, stack_name)
    assert made["Queue"]["PhysicalResourceId"] == url
    assert made["Queue"]["ResourceStatus"] == "IMPORT_COMPLETE"
    assert outputs(stack)["TableArn"].endswith(f":table/{stack_name}-imported")
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]  # retained
    dynamodb.delete_table(TableName=f"{stack_name}-imported")
    sqs.delete_queue(QueueUrl=url)


CDK_STYLE = """
{
 "Resources": {
  "Queue4A7E3555": {
   "Type": "AWS::SQS::Queue",
   "Properties": {"VisibilityTimeout": 300},
   "UpdateReplacePolicy": "Delete",
   "DeletionPolicy": "Delete",
   "Metadata": {"aws:cdk:path": "App/Queue/Resource"}
  },
  "CDKMetadata": {
   "Type": "AWS::CDK::Metadata",
   "Properties": {"Analytics": "v2:deflate64:H4sI"},
   "Condition": "CDKMetadataAvailable"
  }
 },
 "Conditions": {
  "CDKMetadataAvailable": {"Fn::Or": [{"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}]}
 },
 "Parameters": {
  "BootstrapVersion": {
   "Type": "AWS::SSM::Parameter::Value<String>",
   "Default": "/cdk-bootstrap/hnb659fds/version",
   "Description": "Version of the CDK Bootstrap resources in this environment"
  }
 },
 "Rules": {
  "CheckBootstrapVersion": {
   "Assertions": [
    {
     "Assert": {"Fn::Not": [{"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}]},
     "AssertDescription": "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI."
    }
   ]
  }
 }
}
"""


def test_a_cdk_synthesized_template(cfn, client, stack_name):
    ssm = client("ssm")
    ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="5", Type="String", Overwrite=True)
    with pytest.raises(ClientError) as old_bootstrap:
        cfn.create_stack(StackName=stack_name, TemplateBody=CDK_STYLE)
    assert old_bootstrap.value.response["Error"]["Message"].startswith(
        "CDK bootstrap stack version 6 required."
    )
    ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="21", Type="String", Overwrite=True)
    cfn.create_stack(StackName=stack_name, TemplateBody=CDK_STYLE)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    assert set(resources(cfn, stack_name)) == {"Queue4A7E3555", "CDKMetadata"}
    cfn.delete_stack(StackName=stack_name)


CONDITIONAL_ROLE = """
Parameters:
  RoleName: {Type: String}
Conditions:
  Wanted: !Equals [!Ref RoleName, wanted]
Resources:
  Role:
    Condition: Wanted
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]
Outputs:
  RoleArn: {Value: !GetAtt Role.Arn}
  Either: {Value: !If [Wanted, !GetAtt Role.Arn, none]}
"""


def test_an_output_naming_a_resource_its_condition_leaves_out_is_refused(cfn, stack_name):
    with pytest.raises(ClientError) as refused:
        cfn.create_stack(
            StackName=stack_name,
            TemplateBody=CONDITIONAL_ROLE,
            Parameters=[{"ParameterKey": "RoleName", "ParameterValue": "other"}],
            Capabilities=["CAPABILITY_IAM"],
        )
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert refused.value.response["Error"]["Message"] == (
        "Unresolved resource dependencies [Role] in the Outputs block of the template"
    )
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=CONDITIONAL_ROLE,
        Parameters=[{"ParameterKey": "RoleName", "ParameterValue": "wanted"}],
        Capabilities=["CAPABILITY_IAM"],
    )
    assert settle(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"


def test_use_previous_value_with_a_value_is_refused(cfn, stack_name):
    template = "Parameters:\n  P: {Type: String}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n"
    cfn.create_stack(
        StackName=stack_name, TemplateBody=template, Parameters=[{"ParameterKey": "P", "ParameterValue": "a"}]
    )
    assert settle(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError) as refused:
        cfn.update_stack(
            StackName=stack_name,
            UsePreviousTemplate=True,
            Parameters=[{"ParameterKey": "P", "UsePreviousValue": True, "ParameterValue": "b"}],
        )
    assert refused.value.response["Error"]["Message"] == (
        "Invalid input for parameter key P. Cannot specify usePreviousValue as true and non empty value for a parameter"
    )


def test_use_previous_template_with_a_template_is_refused(cfn, stack_name):
    template = "Resources:\n  Q: {Type: AWS::SQS::Queue}\n"
    cfn.create_stack(StackName=stack_name, TemplateBody=template)
    assert settle(cfn, stack_name)["StackStatus"] == "CREATE_COMPLETE"
    for given in ({"TemplateBody": template}, {"TemplateURL": "https://s3.amazonaws.com/b/t.yaml"}):
        with pytest.raises(ClientError) as refused:
            cfn.create_change_set(
                StackName=stack_name, ChangeSetName="again", UsePreviousTemplate=True, **given
            )
        assert refused.value.response["Error"]["Message"] == (
            "You cannot specify both usePreviousTemplate and Template Body/Template URL."
        )
