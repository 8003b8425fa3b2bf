"""Each resource type of today's services, created by a stack, checked through its own
service, and deleted with it; every Fn::GetAtt attribute answers."""

from __future__ import annotations

import json

from tests.integration.cloudformation.conftest import outputs, resources, settle

EVERYTHING = """
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: {Status: Enabled}
      Tags: [{Key: team, Value: blue}]
      CorsConfiguration:
        CorsRules: [{AllowedMethods: [GET], AllowedOrigins: ["*"], MaxAge: 60}]
  BucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Statement: [{Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: !Sub "${Bucket.Arn}/*"}]
  Queue:
    Type: AWS::SQS::Queue
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: sns.amazonaws.com}, Action: "sqs:SendMessage", Resource: !GetAtt Queue.Arn}]
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: everything
  Subscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: sqs
      Endpoint: !GetAtt Queue.Arn
      RawMessageDelivery: true
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument:
        Statement: [{Effect: Allow, Principal: {AWS: "*"}, Action: "sns:Publish", Resource: !Ref Topic}]
  LogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 7
  LogStream:
    Type: AWS::Logs::LogStream
    Properties:
      LogGroupName: !Ref LogGroup
  MetricFilter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref LogGroup
      FilterPattern: ERROR
      MetricTransformations: [{MetricName: Errors, MetricNamespace: App, MetricValue: "1"}]
  Parameter:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !GetAtt Topic.TopicName
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: stack key
      EnableKeyRotation: true
  KeyAlias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: !Sub "alias/${AWS::StackName}"
      TargetKeyId: !Ref Key
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        SecretStringTemplate: '{"user": "admin"}'
        GenerateStringKey: password
        PasswordLength: 20
  Bus:
    Type: AWS::Events::EventBus
    Properties:
      Name: !Sub "${AWS::StackName}-bus"
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: {source: [app]}
      Targets: [{Id: queue, Arn: !GetAtt Queue.Arn}]
  Group:
    Type: AWS::IAM::Group
  User:
    Type: AWS::IAM::User
    Properties:
      Groups: [!Ref Group]
  AccessKey:
    Type: AWS::IAM::AccessKey
    Properties:
      UserName: !Ref User
  ManagedPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sqs:*", Resource: "*"}]}
      Users: [!Ref User]
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}]
  InlinePolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: inline
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}
      Roles: [!Ref Role]
  Profile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref Role]
  TrailBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: cloudtrail.amazonaws.com}, Action: "s3:GetBucketAcl", Resource: !GetAtt Bucket.Arn}
          - {Effect: Allow, Principal: {Service: cloudtrail.amazonaws.com}, Action: "s3:PutObject", Resource: !Sub "${Bucket.Arn}/*"}
    DependsOn: BucketPolicy
  Trail:
    Type: AWS::CloudTrail::Trail
    DependsOn: TrailBucketPolicy
    Properties:
      S3BucketName: !Ref Bucket
      IsLogging: true
Outputs:
  BucketArn: {Value: !GetAtt Bucket.Arn}
  BucketDomain: {Value: !GetAtt Bucket.RegionalDomainName}
  TopicName: {Value: !GetAtt Topic.TopicName}
  SubscriptionArn: {Value: !Ref Subscription}
  LogGroupArn: {Value: !GetAtt LogGroup.Arn}
  KeyArn: {Value: !GetAtt Key.Arn}
  SecretId: {Value: !Ref Secret}
  BusArn: {Value: !GetAtt Bus.Arn}
  RuleArn: {Value: !GetAtt Rule.Arn}
  UserArn: {Value: !GetAtt User.Arn}
  Secret: {Value: !GetAtt AccessKey.SecretAccessKey}
  PolicyArn: {Value: !Ref ManagedPolicy}
  RoleId: {Value: !GetAtt Role.RoleId}
  ProfileArn: {Value: !GetAtt Profile.Arn}
  TrailArn: {Value: !GetAtt Trail.Arn}
  ParameterValue: {Value: !GetAtt Parameter.Value}
"""


def test_every_type_creates_works_and_deletes(cfn, client, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=EVERYTHING, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, stack_name)
    failures = [
        (e["LogicalResourceId"], e.get("ResourceStatusReason"))
        for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        if e["ResourceStatus"].endswith("FAILED")
    ]
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures
    made = {name: r["PhysicalResourceId"] for name, r in resources(cfn, stack_name).items()}
    values = outputs(stack)

    s3 = client("s3")
    bucket = made["Bucket"]
    assert values["BucketArn"] == f"arn:aws:s3:::{bucket}"
    assert values["BucketDomain"] == f"{bucket}.s3.us-east-1.amazonaws.com"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert {"Key": "team", "Value": "blue"} in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert "cloudtrail.amazonaws.com" in s3.get_bucket_policy(Bucket=bucket)["Policy"]

    sqs = client("sqs")
    policy = sqs.get_queue_attributes(QueueUrl=made["Queue"], AttributeNames=["Policy"])["Attributes"][
        "Policy"
    ]
    assert json.loads(policy)["Statement"][0]["Action"] == "sqs:SendMessage"
    sns = client("sns")
    sns.publish(TopicArn=made["Topic"], Message="through the stack")
    received = sqs.receive_message(QueueUrl=made["Queue"], WaitTimeSeconds=5)["Messages"]
    assert received[0]["Body"] == "through the stack"
    assert values["SubscriptionArn"] == made["Subscription"]
    assert values["TopicName"] == made["Topic"].rsplit(":", 1)[1]

    logs = client("logs")
    group = logs.describe_log_groups(logGroupNamePrefix=made["LogGroup"])["logGroups"][0]
    assert group["retentionInDays"] == 7
    assert values["LogGroupArn"] == group["arn"]
    assert (
        logs.describe_metric_filters(logGroupName=made["LogGroup"])["metricFilters"][0]["filterName"]
        == made["MetricFilter"]
    )
    assert client("ssm").get_parameter(Name=made["Parameter"])["Parameter"]["Value"] == values["TopicName"]
    assert values["ParameterValue"] == values["TopicName"]

    kms = client("kms")
    assert kms.describe_key(KeyId=f"alias/{stack_name}")["KeyMetadata"]["Arn"] == values["KeyArn"]
    assert kms.get_key_rotation_status(KeyId=made["Key"])["KeyRotationEnabled"] is True
    secret = json.loads(
        client("secretsmanager").get_secret_value(SecretId=values["SecretId"])["SecretString"]
    )
    assert secret["user"] == "admin" and len(secret["password"]) == 20

    events = client("events")
    rule_name = made["Rule"].split("|")[-1]
    assert events.describe_rule(Name=rule_name, EventBusName=f"{stack_name}-bus")["Arn"] == values["RuleArn"]
    events.put_events(
        Entries=[{"Source": "app", "DetailType": "t", "Detail": "{}", "EventBusName": f"{stack_name}-bus"}]
    )
    assert sqs.receive_message(QueueUrl=made["Queue"], WaitTimeSeconds=5)["Messages"]

    iam = client("iam")
    assert iam.get_group(GroupName=made["Group"])["Users"][0]["UserName"] == made["User"]
    assert (
        iam.list_access_keys(UserName=made["User"])["AccessKeyMetadata"][0]["AccessKeyId"]
        == made["AccessKey"]
    )
    assert values["Secret"]
    attached = iam.list_attached_user_policies(UserName=made["User"])["AttachedPolicies"]
    assert attached[0]["PolicyArn"] == values["PolicyArn"]
    assert iam.get_role_policy(RoleName=made["Role"], PolicyName="inline")["PolicyName"] == "inline"
    assert (
        iam.get_instance_profile(InstanceProfileName=made["Profile"])["InstanceProfile"]["Roles"][0][
            "RoleName"
        ]
        == made["Role"]
    )
    assert iam.get_role(RoleName=made["Role"])["Role"]["RoleId"] == values["RoleId"]
    status = client("cloudtrail").get_trail_status(Name=made["Trail"])
    assert status["IsLogging"] is True

    # Deleting the stack removes them all, dependents first; the bucket must be empty by then.
    for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    client("cloudtrail").stop_logging(Name=made["Trail"])
    cfn.delete_stack(StackName=stack_name)
    gone = settle(cfn, stack["StackId"])
    reasons = [
        (e["LogicalResourceId"], e.get("ResourceStatusReason"))
        for e in cfn.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
        if e["ResourceStatus"] == "DELETE_FAILED"
    ]
    if gone["StackStatus"] == "DELETE_FAILED":
        # CloudTrail may have delivered a log file into the bucket: empty it and retry.
        for version in s3.list_object_versions(Bucket=bucket).get("Versions", []):
            s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
        cfn.delete_stack(StackName=stack_name)
        gone = settle(cfn, stack["StackId"])
    assert gone["StackStatus"] == "DELETE_COMPLETE", reasons
    assert not [q for q in sqs.list_queues().get("QueueUrls", []) if q == made["Queue"]]
    assert made["User"] not in [u["UserName"] for u in iam.list_users()["Users"]]
    assert kms.describe_key(KeyId=made["Key"])["KeyMetadata"]["KeyState"] == "PendingDeletion"


MORE = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  Function:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(event, context):\\n    return 1\\n"}
  InvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Function
      Qualifier: $LATEST
      MaximumRetryAttempts: 1
  Queue: {Type: AWS::SQS::Queue}
  QueueInline:
    Type: AWS::SQS::QueueInlinePolicy
    Properties:
      Queue: !Ref Queue
      PolicyDocument: {Statement: [{Effect: Allow, Principal: "*", Action: "sqs:SendMessage", Resource: !GetAtt Queue.Arn}]}
  Topic: {Type: AWS::SNS::Topic}
  TopicInline:
    Type: AWS::SNS::TopicInlinePolicy
    Properties:
      TopicArn: !Ref Topic
      PolicyDocument: {Statement: [{Effect: Allow, Principal: {AWS: "*"}, Action: "sns:Publish", Resource: !Ref Topic}]}
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties: {SecretString: s}
  SecretPolicy:
    Type: AWS::SecretsManager::ResourcePolicy
    Properties:
      SecretId: !Ref Secret
      ResourcePolicy:
        Version: "2012-10-17"
        Statement: [{Effect: Deny, Principal: {AWS: "arn:aws:iam::111122223333:root"}, Action: "secretsmanager:GetSecretValue", Resource: "*"}]
  LogsPolicy:
    Type: AWS::Logs::ResourcePolicy
    Properties:
      PolicyName: !Sub "${AWS::StackName}-logs"
      PolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "logs:PutLogEvents", "Resource": "*"}]}'
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: !Sub "${AWS::StackName}-bus"}
  Archive:
    Type: AWS::Events::Archive
    Properties:
      SourceArn: !GetAtt Bus.Arn
      RetentionDays: 3
  Document:
    Type: AWS::SSM::Document
    Properties:
      DocumentType: Command
      Content:
        schemaVersion: "2.2"
        description: say hello
        mainSteps: [{action: "aws:runShellScript", name: hello, inputs: {runCommand: [echo hello]}}]
  Group:
    Type: AWS::XRay::Group
    Properties:
      GroupName: !Sub "${AWS::StackName}-group"
      FilterExpression: 'service("api")'
  Rule:
    Type: AWS::XRay::SamplingRule
    Properties:
      SamplingRule:
        RuleName: !Select [0, !Split ["-", !Sub "r${AWS::StackName}"]]
        Priority: 100
        FixedRate: 0.5
        ReservoirSize: 1
        ServiceName: "*"
        ServiceType: "*"
        Host: "*"
        HTTPMethod: "*"
        URLPath: "*"
        ResourceARN: "*"
        Version: 1
Outputs:
  ArchiveArn: {Value: !GetAtt Archive.Arn}
  GroupArn: {Value: !GetAtt Group.GroupARN}
  RuleArn: {Value: !GetAtt Rule.RuleARN}
"""


def test_more_types(cfn, client, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=MORE, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, stack_name, timeout=120)
    failures = [
        (e["LogicalResourceId"], e.get("ResourceStatusReason"))
        for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        if e["ResourceStatus"].endswith("FAILED")
    ]
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures
    made = {name: r["PhysicalResourceId"] for name, r in resources(cfn, stack_name).items()}
    config = client("lambda").get_function_event_invoke_config(
        FunctionName=made["Function"], Qualifier="$LATEST"
    )
    assert config["MaximumRetryAttempts"] == 1
    policy = client("sqs").get_queue_attributes(QueueUrl=made["Queue"], AttributeNames=["Policy"])[
        "Attributes"
    ]
    assert "sqs:SendMessage" in policy["Policy"]
    assert "sns:Publish" in client("sns").get_topic_attributes(TopicArn=made["Topic"])["Attributes"]["Policy"]
    assert (
        "111122223333"
        in client("secretsmanager").get_resource_policy(SecretId=made["Secret"])["ResourcePolicy"]
    )
    names = [p["policyName"] for p in client("logs").describe_resource_policies()["resourcePolicies"]]
    assert f"{stack_name}-logs" in names
    assert (
        client("events").describe_archive(ArchiveName=made["Archive"])["ArchiveArn"]
        == outputs(stack)["ArchiveArn"]
    )
    assert client("ssm").describe_document(Name=made["Document"])["Document"]["DocumentType"] == "Command"
    assert (
        client("xray").get_group(GroupARN=outputs(stack)["GroupArn"])["Group"]["FilterExpression"]
        == 'service("api")'
    )
    cfn.delete_stack(StackName=stack_name)
    gone = settle(cfn, stack["StackId"], timeout=120)
    assert gone["StackStatus"] == "DELETE_COMPLETE"
    assert f"{stack_name}-logs" not in [
        p["policyName"] for p in client("logs").describe_resource_policies()["resourcePolicies"]
    ]


def test_global_table(cfn, client, stack_name, endpoint):
    import boto3

    body = """
Resources:
  Global:
    Type: AWS::DynamoDB::GlobalTable
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      Replicas: [{Region: us-east-1}, {Region: eu-west-1}]
Outputs:
  StreamArn: {Value: !GetAtt Global.StreamArn}
"""
    cfn.create_stack(StackName=stack_name, TemplateBody=body)
    stack = settle(cfn, stack_name, timeout=120)
    failures = [
        (e["LogicalResourceId"], e.get("ResourceStatusReason"))
        for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        if e["ResourceStatus"].endswith("FAILED")
    ]
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures
    name = resources(cfn, stack_name)["Global"]["PhysicalResourceId"]
    assert f":table/{name}/stream/" in outputs(stack)["StreamArn"]
    client("dynamodb").put_item(TableName=name, Item={"id": {"S": "1"}})
    europe = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    assert europe.get_item(TableName=name, Key={"id": {"S": "1"}})["Item"] == {"id": {"S": "1"}}
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"
    assert name not in europe.list_tables()["TableNames"]


def test_destination_rotation_and_event_data_store(cfn, client, stack_name):
    body = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  Rotator:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code: {ZipFile: "def handler(event, context):\\n    return None\\n"}
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties: {SecretString: s}
  Schedule:
    Type: AWS::SecretsManager::RotationSchedule
    Properties:
      SecretId: !Ref Secret
      RotationLambdaARN: !GetAtt Rotator.Arn
      RotateImmediatelyOnUpdate: false
      RotationRules: {AutomaticallyAfterDays: 30}
  Destination:
    Type: AWS::Logs::Destination
    Properties:
      DestinationName: !Sub "${AWS::StackName}-dest"
      TargetArn: !Sub "arn:aws:kinesis:${AWS::Region}:${AWS::AccountId}:stream/logs"
      RoleArn: !GetAtt Role.Arn
  Lake:
    Type: AWS::CloudTrail::EventDataStore
    Properties:
      RetentionPeriod: 90
  Connection:
    Type: AWS::Events::Connection
    Properties:
      AuthorizationType: API_KEY
      AuthParameters: {ApiKeyAuthParameters: {ApiKeyName: x-api-key, ApiKeyValue: secret}}
  ApiDestination:
    Type: AWS::Events::ApiDestination
    Properties:
      ConnectionArn: !GetAtt Connection.Arn
      HttpMethod: POST
      InvocationEndpoint: https://example.com/hook
Outputs:
  ApiDestinationArn: {Value: !GetAtt ApiDestination.Arn}
  DestinationArn: {Value: !GetAtt Destination.Arn}
  LakeArn: {Value: !GetAtt Lake.EventDataStoreArn}
"""
    cfn.create_stack(StackName=stack_name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, stack_name, timeout=120)
    failures = [
        (e["LogicalResourceId"], e.get("ResourceStatusReason"))
        for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        if e["ResourceStatus"].endswith("FAILED")
    ]
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures
    made = {name: r["PhysicalResourceId"] for name, r in resources(cfn, stack_name).items()}
    described = client("secretsmanager").describe_secret(SecretId=made["Secret"])
    assert described["RotationEnabled"] is True
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
    destinations = client("logs").describe_destinations(DestinationNamePrefix=f"{stack_name}-dest")[
        "destinations"
    ]
    assert destinations[0]["arn"] == outputs(stack)["DestinationArn"]
    lake = client("cloudtrail").get_event_data_store(EventDataStore=outputs(stack)["LakeArn"])
    assert lake["RetentionPeriod"] == 90
    destination = client("events").describe_api_destination(Name=made["ApiDestination"])
    assert destination["ApiDestinationArn"] == outputs(stack)["ApiDestinationArn"]
    assert (
        destination["ConnectionArn"]
        == client("events").describe_connection(Name=made["Connection"])["ConnectionArn"]
    )
    cfn.delete_stack(StackName=stack_name)
    gone = settle(cfn, stack["StackId"], timeout=120)
    reasons = [
        (e["LogicalResourceId"], e.get("ResourceStatusReason"))
        for e in cfn.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
        if e["ResourceStatus"] == "DELETE_FAILED"
    ]
    assert gone["StackStatus"] == "DELETE_COMPLETE", reasons
