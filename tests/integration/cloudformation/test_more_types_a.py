"""More resource types of services Overcast already has: IAM's inline policies, group
memberships, identity providers and virtual MFA devices; Logs, Events, SSM, X-Ray and Lambda
types. Each stack is checked through the owning service's API, updated where the type allows,
and deleted with its resources."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle
from tests.integration.cloudformation.test_drift import wait_detection

SAML = (
    '<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
    'entityID="https://idp.example.com/{v}"><IDPSSODescriptor '
    'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>'
)

IAM_TEMPLATE = """
Parameters:
  Action: {Type: String, Default: "s3:GetObject"}
  Thumbprint: {Type: String, Default: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
  Metadata: {Type: String}
  Members: {Type: CommaDelimitedList, Default: "a"}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  UserA: {Type: AWS::IAM::User, Properties: {UserName: !Sub "${AWS::StackName}-a"}}
  UserB: {Type: AWS::IAM::User, Properties: {UserName: !Sub "${AWS::StackName}-b"}}
  Group: {Type: AWS::IAM::Group}
  RoleInline:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref Role
      PolicyName: read
      PolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: !Ref Action, Resource: "*"}]
  UserInline:
    Type: AWS::IAM::UserPolicy
    Properties:
      UserName: !Ref UserA
      PolicyName: mine
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sqs:*", Resource: "*"}]}
  GroupInline:
    Type: AWS::IAM::GroupPolicy
    Properties:
      GroupName: !Ref Group
      PolicyName: ours
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Deny, Action: "sns:*", Resource: "*"}]}
  Membership:
    Type: AWS::IAM::UserToGroupAddition
    Properties:
      GroupName: !Ref Group
      Users: !Split [",", !Sub ["${AWS::StackName}-${Joined}", {Joined: !Join [!Sub ",${AWS::StackName}-", !Ref Members]}]]
    DependsOn: [UserA, UserB]
  Oidc:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: !Sub "https://oidc.example.com/${AWS::StackName}"
      ClientIdList: [sts.amazonaws.com]
      ThumbprintList: [!Ref Thumbprint]
  Saml:
    Type: AWS::IAM::SAMLProvider
    Properties:
      Name: !Sub "${AWS::StackName}-idp"
      SamlMetadataDocument: !Ref Metadata
  Mfa:
    Type: AWS::IAM::VirtualMFADevice
    Properties:
      VirtualMfaDeviceName: !Sub "${AWS::StackName}-mfa"
      Users: [!Ref UserB]
Outputs:
  Role: {Value: !Ref Role}
  Group: {Value: !Ref Group}
  RoleInline: {Value: !Ref RoleInline}
  Membership: {Value: !Ref Membership}
  Oidc: {Value: !Ref Oidc}
  OidcArn: {Value: !GetAtt Oidc.Arn}
  Saml: {Value: !Ref Saml}
  SamlArn: {Value: !GetAtt Saml.Arn}
  Mfa: {Value: !Ref Mfa}
  MfaSerial: {Value: !GetAtt Mfa.SerialNumber}
"""


def _failure(cfn, stack: dict) -> str:
    """The stack's status reason and its resources' failure reasons, for assertion messages."""
    events = cfn.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    reasons = [
        f"{e['LogicalResourceId']}: {e['ResourceStatusReason']}"
        for e in events
        if "FAILED" in e["ResourceStatus"]
    ]
    return f"{stack.get('StackStatusReason')} {reasons}"


def _params(**values: str) -> list[dict[str, str]]:
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]


def test_iam_inline_policies_providers_and_mfa(cfn, client, stack_name):
    iam = client("iam")
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=IAM_TEMPLATE,
        Parameters=_params(Metadata=SAML.format(v=1)),
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", _failure(cfn, stack)
    out = outputs(stack)
    user_a, user_b = f"{stack_name}-a", f"{stack_name}-b"
    document = iam.get_role_policy(RoleName=out["Role"], PolicyName="read")["PolicyDocument"]
    assert document["Statement"][0]["Action"] == "s3:GetObject"
    assert out["RoleInline"] == f"read|{out['Role']}"
    assert (
        iam.get_user_policy(UserName=user_a, PolicyName="mine")["PolicyDocument"]["Statement"][0]["Action"]
        == "sqs:*"
    )
    assert iam.get_group_policy(GroupName=out["Group"], PolicyName="ours")["PolicyName"] == "ours"
    members = {user["UserName"] for user in iam.get_group(GroupName=out["Group"])["Users"]}
    assert members == {user_a}
    assert out["Oidc"] == out["OidcArn"] and out["Oidc"].endswith(
        f"oidc-provider/oidc.example.com/{stack_name}"
    )
    oidc = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=out["Oidc"])
    assert oidc["ClientIDList"] == ["sts.amazonaws.com"] and oidc["ThumbprintList"] == ["a" * 40]
    assert out["Saml"] == out["SamlArn"] and out["Saml"].endswith(f"saml-provider/{stack_name}-idp")
    assert "idp.example.com/1" in iam.get_saml_provider(SAMLProviderArn=out["Saml"])["SAMLMetadataDocument"]
    assert out["Mfa"] == out["MfaSerial"] and out["Mfa"].endswith(f":mfa/{stack_name}-mfa")
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=user_b)["MFADevices"]] == [out["Mfa"]]

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=IAM_TEMPLATE,
        Parameters=_params(
            Action="s3:PutObject", Thumbprint="b" * 40, Metadata=SAML.format(v=2), Members="a,b"
        ),
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", _failure(cfn, stack)
    document = iam.get_role_policy(RoleName=out["Role"], PolicyName="read")["PolicyDocument"]
    assert document["Statement"][0]["Action"] == "s3:PutObject"
    members = {user["UserName"] for user in iam.get_group(GroupName=out["Group"])["Users"]}
    assert members == {user_a, user_b}
    oidc = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=out["Oidc"])
    assert oidc["ThumbprintList"] == ["b" * 40]
    assert "idp.example.com/2" in iam.get_saml_provider(SAMLProviderArn=out["Saml"])["SAMLMetadataDocument"]

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=out["Oidc"])
    with pytest.raises(ClientError):
        iam.get_saml_provider(SAMLProviderArn=out["Saml"])
    with pytest.raises(ClientError):
        iam.get_role(RoleName=out["Role"])
    serials = [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    assert out["Mfa"] not in serials


LOGS_TEMPLATE = """
Parameters:
  Query: {Type: String, Default: "fields @message | limit 5"}
  Field: {Type: String, Default: "requestId"}
  Frequency: {Type: String, Default: FIFTEEN_MIN}
Resources:
  Group: {Type: AWS::Logs::LogGroup}
  Sink: {Type: AWS::Logs::LogGroup}
  Saved:
    Type: AWS::Logs::QueryDefinition
    Properties:
      Name: !Sub "${AWS::StackName}/errors"
      QueryString: !Ref Query
      LogGroupNames: [!Ref Group]
  Index:
    Type: AWS::Logs::AccountPolicy
    Properties:
      PolicyName: !Sub "${AWS::StackName}-index"
      PolicyType: FIELD_INDEX_POLICY
      PolicyDocument: !Sub '{"Fields": ["${Field}"]}'
  Source:
    Type: AWS::Logs::DeliverySource
    Properties:
      Name: !Sub "${AWS::StackName}-src"
      ResourceArn: !Sub "arn:aws:cloudfront::${AWS::AccountId}:distribution/E1ABCDEF"
      LogType: ACCESS_LOGS
  Destination:
    Type: AWS::Logs::DeliveryDestination
    Properties:
      Name: !Sub "${AWS::StackName}-dst"
      DestinationResourceArn: !GetAtt Sink.Arn
      OutputFormat: json
  Delivery:
    Type: AWS::Logs::Delivery
    Properties:
      DeliverySourceName: !Ref Source
      DeliveryDestinationArn: !GetAtt Destination.Arn
  Transform:
    Type: AWS::Logs::Transformer
    Properties:
      LogGroupIdentifier: !Ref Group
      TransformerConfig:
        - ParseJSON: {}
        - AddKeys: {Entries: [{Key: env, Value: !Ref Field}]}
  Detector:
    Type: AWS::Logs::LogAnomalyDetector
    Properties:
      DetectorName: !Sub "${AWS::StackName}-detector"
      LogGroupArnList: [!GetAtt Group.Arn]
      EvaluationFrequency: !Ref Frequency
Outputs:
  Group: {Value: !Ref Group}
  Saved: {Value: !Ref Saved}
  SavedId: {Value: !GetAtt Saved.QueryDefinitionId}
  Index: {Value: !Ref Index}
  Source: {Value: !Ref Source}
  SourceService: {Value: !GetAtt Source.Service}
  Destination: {Value: !Ref Destination}
  DestinationType: {Value: !GetAtt Destination.DeliveryDestinationType}
  Delivery: {Value: !Ref Delivery}
  DeliveryArn: {Value: !GetAtt Delivery.Arn}
  Transform: {Value: !Ref Transform}
  Detector: {Value: !Ref Detector}
  DetectorStatus: {Value: !GetAtt Detector.AnomalyDetectorStatus}
"""


def test_logs_queries_policies_deliveries_transformers_detectors(cfn, client, stack_name):
    logs = client("logs")
    cfn.create_stack(StackName=stack_name, TemplateBody=LOGS_TEMPLATE)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", _failure(cfn, stack)
    out = outputs(stack)
    definitions = logs.describe_query_definitions(queryDefinitionNamePrefix=stack_name)["queryDefinitions"]
    assert [d["queryDefinitionId"] for d in definitions] == [out["Saved"]] == [out["SavedId"]]
    assert definitions[0]["queryString"] == "fields @message | limit 5"
    assert definitions[0]["logGroupNames"] == [out["Group"]]
    policies = logs.describe_account_policies(policyType="FIELD_INDEX_POLICY")["accountPolicies"]
    mine = [p for p in policies if p["policyName"] == f"{stack_name}-index"]
    assert json.loads(mine[0]["policyDocument"]) == {"Fields": ["requestId"]}
    assert out["Index"].endswith(f"|FIELD_INDEX_POLICY|{stack_name}-index")
    source = logs.get_delivery_source(name=out["Source"])["deliverySource"]
    assert source["logType"] == "ACCESS_LOGS" and out["SourceService"] == "cloudfront"
    assert out["DestinationType"] == "CWL"
    delivery = logs.get_delivery(id=out["Delivery"])["delivery"]
    assert delivery["deliverySourceName"] == out["Source"] and delivery["arn"] == out["DeliveryArn"]
    transformer = logs.get_transformer(logGroupIdentifier=out["Group"])["transformerConfig"]
    entry = transformer[1]["addKeys"]["entries"][0]
    assert (entry["key"], entry["value"]) == ("env", "requestId")
    assert "parseJSON" in transformer[0] and out["Transform"] == out["Group"]
    detector = logs.get_log_anomaly_detector(anomalyDetectorArn=out["Detector"])
    assert detector["evaluationFrequency"] == "FIFTEEN_MIN" and out["DetectorStatus"]

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=LOGS_TEMPLATE,
        Parameters=_params(Query="fields @timestamp | limit 9", Field="traceId", Frequency="ONE_HOUR"),
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", _failure(cfn, stack)
    assert outputs(stack)["Saved"] == out["Saved"]
    definitions = logs.describe_query_definitions(queryDefinitionNamePrefix=stack_name)["queryDefinitions"]
    assert definitions[0]["queryString"] == "fields @timestamp | limit 9"
    policies = logs.describe_account_policies(policyType="FIELD_INDEX_POLICY")["accountPolicies"]
    mine = [p for p in policies if p["policyName"] == f"{stack_name}-index"]
    assert json.loads(mine[0]["policyDocument"]) == {"Fields": ["traceId"]}
    transformer = logs.get_transformer(logGroupIdentifier=out["Group"])["transformerConfig"]
    assert transformer[1]["addKeys"]["entries"][0]["value"] == "traceId"
    detector = logs.get_log_anomaly_detector(anomalyDetectorArn=out["Detector"])
    assert detector["evaluationFrequency"] == "ONE_HOUR"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert not logs.describe_query_definitions(queryDefinitionNamePrefix=stack_name)["queryDefinitions"]
    policies = logs.describe_account_policies(policyType="FIELD_INDEX_POLICY")["accountPolicies"]
    assert not [p for p in policies if p["policyName"] == f"{stack_name}-index"]
    for call, kwargs in (
        (logs.get_delivery_source, {"name": out["Source"]}),
        (logs.get_delivery_destination, {"name": out["Destination"]}),
        (logs.get_delivery, {"id": out["Delivery"]}),
        (logs.get_log_anomaly_detector, {"anomalyDetectorArn": out["Detector"]}),
    ):
        with pytest.raises(ClientError):
            call(**kwargs)


SSM_TEMPLATE = """
Parameters:
  Env: {Type: String, Default: dev}
  Days: {Type: Number, Default: 7}
  Sharer: {Type: String, Default: "111122223333"}
Resources:
  Bucket: {Type: AWS::S3::Bucket}
  Run:
    Type: AWS::SSM::Association
    Properties:
      Name: AWS-RunShellScript
      AssociationName: !Sub "${AWS::StackName}-run"
      Parameters: {commands: [!Sub "echo ${Env}"]}
      Targets: [{Key: !Sub "tag:env", Values: [!Ref Env]}]
      ScheduleExpression: "rate(1 day)"
  Window:
    Type: AWS::SSM::MaintenanceWindow
    Properties:
      Name: !Sub "${AWS::StackName}-window"
      Schedule: "rate(7 days)"
      Duration: 2
      Cutoff: 1
      AllowUnassociatedTargets: false
      Description: !Ref Env
  Target:
    Type: AWS::SSM::MaintenanceWindowTarget
    Properties:
      WindowId: !Ref Window
      ResourceType: INSTANCE
      Targets: [{Key: tag:env, Values: [!Ref Env]}]
      Name: fleet
  Task:
    Type: AWS::SSM::MaintenanceWindowTask
    Properties:
      WindowId: !Ref Window
      TaskType: RUN_COMMAND
      TaskArn: AWS-RunShellScript
      Priority: 1
      MaxConcurrency: "1"
      MaxErrors: "1"
      Targets: [{Key: WindowTargetIds, Values: [!Ref Target]}]
      TaskInvocationParameters:
        MaintenanceWindowRunCommandParameters:
          Parameters: {commands: [!Sub "echo ${Env}"]}
          TimeoutSeconds: 60
  Baseline:
    Type: AWS::SSM::PatchBaseline
    Properties:
      Name: !Sub "${AWS::StackName}-baseline"
      OperatingSystem: AMAZON_LINUX_2
      PatchGroups: [!Ref Env]
      ApprovalRules:
        PatchRules:
          - ApproveAfterDays: !Ref Days
            PatchFilterGroup:
              PatchFilters: [{Key: CLASSIFICATION, Values: [Security]}]
  Sync:
    Type: AWS::SSM::ResourceDataSync
    Properties:
      SyncName: !Sub "${AWS::StackName}-sync"
      S3Destination: {BucketName: !Ref Bucket, BucketRegion: !Ref "AWS::Region", SyncFormat: JsonSerDe}
  Shared:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "${AWS::StackName}-shared"
      Type: String
      Value: hello
      Tier: Advanced
  Share:
    Type: AWS::SSM::ResourcePolicy
    Properties:
      ResourceArn: !Sub "arn:aws:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Shared}"
      Policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${Sharer}:root"}
            Action: ["ssm:GetParameter"]
            Resource: !Sub "arn:aws:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Shared}"
Outputs:
  Run: {Value: !Ref Run}
  RunId: {Value: !GetAtt Run.AssociationId}
  Window: {Value: !Ref Window}
  Target: {Value: !Ref Target}
  Task: {Value: !Ref Task}
  Baseline: {Value: !Ref Baseline}
  Sync: {Value: !Ref Sync}
  Share: {Value: !Ref Share}
  ShareHash: {Value: !GetAtt Share.PolicyHash}
  ShareArn: {Value: !Sub "arn:aws:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Shared}"}
"""


def test_ssm_associations_windows_baselines_syncs_policies(cfn, client, stack_name):
    ssm = client("ssm")
    cfn.create_stack(StackName=stack_name, TemplateBody=SSM_TEMPLATE)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", _failure(cfn, stack)
    out = outputs(stack)
    association = ssm.describe_association(AssociationId=out["Run"])["AssociationDescription"]
    assert out["Run"] == out["RunId"] and association["Parameters"] == {"commands": ["echo dev"]}
    assert association["AssociationName"] == f"{stack_name}-run"
    window = ssm.get_maintenance_window(WindowId=out["Window"])
    assert (window["Duration"], window["Cutoff"], window["Description"]) == (2, 1, "dev")
    targets = ssm.describe_maintenance_window_targets(WindowId=out["Window"])["Targets"]
    assert [t["WindowTargetId"] for t in targets] == [out["Target"]]
    task = ssm.get_maintenance_window_task(WindowId=out["Window"], WindowTaskId=out["Task"])
    assert task["TaskInvocationParameters"]["RunCommand"]["Parameters"] == {"commands": ["echo dev"]}
    baseline = ssm.get_patch_baseline(BaselineId=out["Baseline"])
    assert baseline["PatchGroups"] == ["dev"]
    assert baseline["ApprovalRules"]["PatchRules"][0]["ApproveAfterDays"] == 7
    syncs = [s["SyncName"] for s in ssm.list_resource_data_sync()["ResourceDataSyncItems"]]
    assert out["Sync"] in syncs
    policies = ssm.get_resource_policies(ResourceArn=out["ShareArn"])["Policies"]
    assert [(p["PolicyId"], p["PolicyHash"]) for p in policies] == [(out["Share"], out["ShareHash"])]

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=SSM_TEMPLATE,
        Parameters=_params(Env="prod", Days="3", Sharer="444455556666"),
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", _failure(cfn, stack)
    updated = outputs(stack)
    assert all(updated[key] == out[key] for key in ("Run", "Window", "Target", "Task", "Baseline", "Share"))
    association = ssm.describe_association(AssociationId=out["Run"])["AssociationDescription"]
    assert association["Parameters"] == {"commands": ["echo prod"]}
    assert ssm.get_maintenance_window(WindowId=out["Window"])["Description"] == "prod"
    task = ssm.get_maintenance_window_task(WindowId=out["Window"], WindowTaskId=out["Task"])
    assert task["TaskInvocationParameters"]["RunCommand"]["Parameters"] == {"commands": ["echo prod"]}
    baseline = ssm.get_patch_baseline(BaselineId=out["Baseline"])
    assert baseline["PatchGroups"] == ["prod"]
    assert baseline["ApprovalRules"]["PatchRules"][0]["ApproveAfterDays"] == 3
    policies = ssm.get_resource_policies(ResourceArn=out["ShareArn"])["Policies"]
    assert "444455556666" in policies[0]["Policy"] and policies[0]["PolicyHash"] == updated["ShareHash"]

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        ssm.describe_association(AssociationId=out["Run"])
    with pytest.raises(ClientError):
        ssm.get_maintenance_window(WindowId=out["Window"])
    with pytest.raises(ClientError):
        ssm.get_patch_baseline(BaselineId=out["Baseline"])
    syncs = [s["SyncName"] for s in ssm.list_resource_data_sync()["ResourceDataSyncItems"]]
    assert out["Sync"] not in syncs


MIXED_TEMPLATE = """
Parameters:
  Account: {Type: String, Default: "111122223333"}
  Mode: {Type: String, Default: Warn}
  PrimaryKey: {Type: String}
  KeyText: {Type: String, Default: first}
Resources:
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: !Sub "${AWS::StackName}-bus"}}
  Grant:
    Type: AWS::Events::EventBusPolicy
    Properties:
      EventBusName: !Ref Bus
      StatementId: partner
      Action: events:PutEvents
      Principal: !Ref Account
  Whole:
    Type: AWS::Events::EventBusPolicy
    Properties:
      EventBusName: !Ref Bus
      StatementId: whole
      Statement:
        Effect: Allow
        Principal: {AWS: !Sub "arn:aws:iam::${Account}:root"}
        Action: events:PutRule
        Resource: !GetAtt Bus.Arn
    DependsOn: Grant
  Global:
    Type: AWS::Events::Endpoint
    Properties:
      Name: !Sub "${AWS::StackName}-ep"
      Description: !Ref Mode
      RoutingConfig:
        FailoverConfig:
          Primary: {HealthCheck: !Sub "arn:aws:route53:::healthcheck/${AWS::StackName}"}
          Secondary: {Route: us-west-2}
      ReplicationConfig: {State: DISABLED}
      EventBuses:
        - EventBusArn: !Sub "arn:aws:events:us-east-1:${AWS::AccountId}:event-bus/${Bus}"
        - EventBusArn: !Sub "arn:aws:events:us-west-2:${AWS::AccountId}:event-bus/${Bus}"
  TracePolicy:
    Type: AWS::XRay::ResourcePolicy
    Properties:
      PolicyName: !Sub "${AWS::StackName}-trace"
      PolicyDocument: !Sub '{"Version":"2012-10-17","Statement":[{"Sid":"s","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::${Account}:root"},"Action":"xray:PutTraceSegments","Resource":"*"}]}'
  Signing:
    Type: AWS::Lambda::CodeSigningConfig
    Properties:
      Description: !Ref Mode
      AllowedPublishers:
        SigningProfileVersionArns:
          - !Sub "arn:aws:signer:${AWS::Region}:${AWS::AccountId}:/signing-profiles/prof/abcdefghij"
      CodeSigningPolicies: {UntrustedArtifactOnDeployment: !Ref Mode}
  Replica:
    Type: AWS::KMS::ReplicaKey
    Properties:
      PrimaryKeyArn: !Ref PrimaryKey
      Description: !Ref KeyText
      PendingWindowInDays: 7
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: "kms:*", Resource: "*"}
Outputs:
  Bus: {Value: !Ref Bus}
  Grant: {Value: !Ref Grant}
  Global: {Value: !Ref Global}
  GlobalArn: {Value: !GetAtt Global.Arn}
  GlobalId: {Value: !GetAtt Global.EndpointId}
  TracePolicy: {Value: !Ref TracePolicy}
  Signing: {Value: !Ref Signing}
  SigningId: {Value: !GetAtt Signing.CodeSigningConfigId}
  Replica: {Value: !Ref Replica}
  ReplicaArn: {Value: !GetAtt Replica.Arn}
"""


def test_bus_policies_endpoints_trace_policies_signing_and_replica_keys(cfn, client, stack_name):
    events, xray, lam, kms = client("events"), client("xray"), client("lambda"), client("kms")
    primary = client("kms", region_name="eu-west-1").create_key(MultiRegion=True)["KeyMetadata"]
    cfn.create_stack(
        StackName=stack_name, TemplateBody=MIXED_TEMPLATE, Parameters=_params(PrimaryKey=primary["Arn"])
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", _failure(cfn, stack)
    out = outputs(stack)
    policy = json.loads(events.describe_event_bus(Name=out["Bus"])["Policy"])
    sids = {statement["Sid"]: statement for statement in policy["Statement"]}
    assert set(sids) == {"partner", "whole"} and sids["whole"]["Action"] == "events:PutRule"
    assert out["Grant"] == f"{out['Bus']}|partner"
    endpoint = events.describe_endpoint(Name=out["Global"])
    assert endpoint["Arn"] == out["GlobalArn"] and endpoint["EndpointId"] == out["GlobalId"]
    assert endpoint["Description"] == "Warn"
    policies = {p["PolicyName"]: p for p in xray.list_resource_policies()["ResourcePolicies"]}
    assert "111122223333" in policies[out["TracePolicy"]]["PolicyDocument"]
    config = lam.get_code_signing_config(CodeSigningConfigArn=out["Signing"])["CodeSigningConfig"]
    assert config["CodeSigningConfigId"] == out["SigningId"]
    assert config["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Warn"
    replica = kms.describe_key(KeyId=out["Replica"])["KeyMetadata"]
    assert replica["Arn"] == out["ReplicaArn"] and replica["KeyId"] == primary["KeyId"]
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert replica["Description"] == "first"

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=MIXED_TEMPLATE,
        Parameters=_params(
            PrimaryKey=primary["Arn"], Account="444455556666", Mode="Enforce", KeyText="second"
        ),
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", _failure(cfn, stack)
    policy = json.loads(events.describe_event_bus(Name=out["Bus"])["Policy"])
    partner = next(s for s in policy["Statement"] if s["Sid"] == "partner")
    assert "444455556666" in json.dumps(partner["Principal"])
    assert events.describe_endpoint(Name=out["Global"])["Description"] == "Enforce"
    policies = {p["PolicyName"]: p for p in xray.list_resource_policies()["ResourcePolicies"]}
    assert "444455556666" in policies[out["TracePolicy"]]["PolicyDocument"]
    config = lam.get_code_signing_config(CodeSigningConfigArn=out["Signing"])["CodeSigningConfig"]
    assert config["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Enforce"
    assert kms.describe_key(KeyId=out["Replica"])["KeyMetadata"]["Description"] == "second"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        events.describe_endpoint(Name=out["Global"])
    names = [p["PolicyName"] for p in xray.list_resource_policies()["ResourcePolicies"]]
    assert out["TracePolicy"] not in names
    with pytest.raises(ClientError):
        lam.get_code_signing_config(CodeSigningConfigArn=out["Signing"])
    assert kms.describe_key(KeyId=out["Replica"])["KeyMetadata"]["KeyState"] == "PendingDeletion"


ATTACH_TEMPLATE = """
Parameters:
  Account: {Type: String, Default: "111122223333"}
  Hours: {Type: Number, Default: 6}
  Mute: {Type: String, Default: "cron(0 2 * * ? *)"}
Resources:
  Credentials:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        SecretStringTemplate: '{"username": "admin"}'
        GenerateStringKey: password
        ExcludePunctuation: true
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties:
      Engine: aurora-postgresql
      MasterUsername: admin
      MasterUserPassword: supersecret1
  Attachment:
    Type: AWS::SecretsManager::SecretTargetAttachment
    Properties:
      SecretId: !Ref Credentials
      TargetId: !Ref Cluster
      TargetType: AWS::RDS::DBCluster
  Store:
    Type: AWS::CloudTrail::EventDataStore
    Properties:
      RetentionPeriod: 7
      AdvancedEventSelectors:
        - FieldSelectors: [{Field: eventCategory, Equals: [ActivityAuditLog]}]
  Channel:
    Type: AWS::CloudTrail::Channel
    Properties:
      Source: Custom
      Destinations: [{Type: EVENT_DATA_STORE, Location: !GetAtt Store.EventDataStoreArn}]
  ChannelPolicy:
    Type: AWS::CloudTrail::ResourcePolicy
    Properties:
      ResourceArn: !Ref Channel
      ResourcePolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${Account}:root"}
            Action: "cloudtrail-data:PutAuditEvents"
            Resource: !Ref Channel
  Board:
    Type: AWS::CloudTrail::Dashboard
    Properties:
      Name: !Sub "${AWS::StackName}-board"
      Widgets:
        - QueryStatement: !Sub
            - "SELECT eventName, COUNT(*) FROM ${Id} GROUP BY eventName"
            - {Id: !Select [1, !Split ["/", !GetAtt Store.EventDataStoreArn]]}
          ViewProperties: {View: Table}
      RefreshSchedule: {Frequency: {Unit: HOURS, Value: !Ref Hours}, Status: ENABLED}
  Quiet:
    Type: AWS::CloudWatch::AlarmMuteRule
    Properties:
      Description: nightly
      Rule: {Schedule: {Expression: !Ref Mute, Duration: PT2H}}
      MuteTargets: {AlarmNames: [!Sub "${AWS::StackName}-alarm"]}
Outputs:
  Secret: {Value: !Ref Credentials}
  Attachment: {Value: !Ref Attachment}
  Cluster: {Value: !Ref Cluster}
  Channel: {Value: !Ref Channel}
  ChannelArn: {Value: !GetAtt Channel.ChannelArn}
  Board: {Value: !Ref Board}
  BoardType: {Value: !GetAtt Board.Type}
  Quiet: {Value: !Ref Quiet}
  QuietArn: {Value: !GetAtt Quiet.Arn}
  QuietType: {Value: !GetAtt Quiet.MuteType}
"""


def test_secret_attachments_trail_channels_dashboards_and_mute_rules(cfn, client, stack_name):
    secrets, trail, cloudwatch = client("secretsmanager"), client("cloudtrail"), client("cloudwatch")
    cfn.create_stack(StackName=stack_name, TemplateBody=ATTACH_TEMPLATE)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", _failure(cfn, stack)
    out = outputs(stack)
    value = json.loads(secrets.get_secret_value(SecretId=out["Secret"])["SecretString"])
    cluster = client("rds").describe_db_clusters(DBClusterIdentifier=out["Cluster"])["DBClusters"][0]
    assert value["username"] == "admin" and value["password"]
    assert (value["engine"], value["host"], value["port"]) == (
        "postgres",
        cluster["Endpoint"],
        cluster["Port"],
    )
    assert value["dbClusterIdentifier"] == out["Cluster"] and out["Attachment"] == out["Secret"]
    channel = trail.get_channel(Channel=out["Channel"])
    assert channel["ChannelArn"] == out["ChannelArn"] == out["Channel"] and channel["Source"] == "Custom"
    policy = json.loads(trail.get_resource_policy(ResourceArn=out["Channel"])["ResourcePolicy"])
    assert "111122223333" in policy["Statement"][0]["Principal"]["AWS"]
    board = trail.get_dashboard(DashboardId=out["Board"])
    assert board["DashboardArn"] == out["Board"] and out["BoardType"] == "CUSTOM"
    assert board["RefreshSchedule"]["Frequency"] == {"Unit": "HOURS", "Value": 6}
    rule = cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName=out["Quiet"])
    assert rule["AlarmMuteRuleArn"] == out["QuietArn"] and out["QuietType"] == "RECURRING"
    assert rule["MuteTargets"]["AlarmNames"] == [f"{stack_name}-alarm"]

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=ATTACH_TEMPLATE,
        Parameters=_params(Account="444455556666", Hours="12", Mute="cron(0 4 * * ? *)"),
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", _failure(cfn, stack)
    policy = json.loads(trail.get_resource_policy(ResourceArn=out["Channel"])["ResourcePolicy"])
    assert "444455556666" in policy["Statement"][0]["Principal"]["AWS"]
    board = trail.get_dashboard(DashboardId=out["Board"])
    assert board["RefreshSchedule"]["Frequency"] == {"Unit": "HOURS", "Value": 12}
    rule = cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName=out["Quiet"])
    assert rule["Rule"]["Schedule"]["Expression"] == "cron(0 4 * * ? *)"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        trail.get_channel(Channel=out["Channel"])
    with pytest.raises(ClientError):
        trail.get_dashboard(DashboardId=out["Board"])
    with pytest.raises(ClientError):
        cloudwatch.get_alarm_mute_rule(AlarmMuteRuleName=out["Quiet"])


SINGLETONS_TEMPLATE = """
Parameters:
  Percent: {Type: Number, Default: 5}
  Namespace: {Type: String, Default: AWS/EC2}
  Schedule: {Type: String, Default: "cron(0 * * * ? *)"}
Resources:
  Group: {Type: AWS::Logs::LogGroup}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: logs.amazonaws.com}, Action: "sts:AssumeRole"}]
  Hourly:
    Type: AWS::Logs::ScheduledQuery
    Properties:
      Name: !Sub "${AWS::StackName}-hourly"
      QueryLanguage: CWLI
      QueryString: "fields @message | limit 10"
      LogGroupIdentifiers: [!Ref Group]
      ScheduleExpression: !Ref Schedule
      StartTimeOffset: 3600
      ExecutionRoleArn: !GetAtt Role.Arn
  Search:
    Type: AWS::XRay::TransactionSearchConfig
    Properties: {IndexingPercentage: !Ref Percent}
  Enrichment:
    Type: AWS::CloudWatch::OTelEnrichment
    Properties:
      IncludeFilters: [{Namespace: !Ref Namespace}]
Outputs:
  Hourly: {Value: !Ref Hourly}
  HourlyArn: {Value: !GetAtt Hourly.ScheduledQueryArn}
  Search: {Value: !Ref Search}
  Enrichment: {Value: !Ref Enrichment}
"""


def test_scheduled_queries_and_account_singletons(endpoint, stack_name):
    """Transaction Search and OTel enrichment are one per account: this test has an account
    of its own."""
    import random

    import boto3

    account = f"{random.randrange(10**11, 10**12)}"
    session = boto3.session.Session(
        aws_access_key_id=account, aws_secret_access_key="test", region_name="us-east-1"
    )
    cfn, logs, xray, cloudwatch = (
        session.client(name, endpoint_url=endpoint)
        for name in ("cloudformation", "logs", "xray", "cloudwatch")
    )
    cfn.create_stack(StackName=stack_name, TemplateBody=SINGLETONS_TEMPLATE, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", _failure(cfn, stack)
    out = outputs(stack)
    assert out["Search"] == out["Enrichment"] == account
    query = logs.get_scheduled_query(identifier=out["Hourly"])
    assert query["scheduledQueryArn"] == out["HourlyArn"] == out["Hourly"]
    assert query["scheduleExpression"] == "cron(0 * * * ? *)" and query["startTimeOffset"] == 3600
    assert xray.get_trace_segment_destination()["Destination"] == "CloudWatchLogs"
    rules = {rule["Name"]: rule for rule in xray.get_indexing_rules()["IndexingRules"]}
    assert rules["Default"]["Rule"]["Probabilistic"]["DesiredSamplingPercentage"] == 5
    enrichment = cloudwatch.get_o_tel_enrichment()
    assert enrichment["Status"] == "Running" and enrichment["IncludeFilters"][0]["Namespace"] == "AWS/EC2"

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=SINGLETONS_TEMPLATE,
        Parameters=_params(Percent="20", Namespace="AWS/Lambda", Schedule="cron(30 * * * ? *)"),
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", _failure(cfn, stack)
    assert logs.get_scheduled_query(identifier=out["Hourly"])["scheduleExpression"] == "cron(30 * * * ? *)"
    rules = {rule["Name"]: rule for rule in xray.get_indexing_rules()["IndexingRules"]}
    assert rules["Default"]["Rule"]["Probabilistic"]["DesiredSamplingPercentage"] == 20
    assert cloudwatch.get_o_tel_enrichment()["IncludeFilters"][0]["Namespace"] == "AWS/Lambda"

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        logs.get_scheduled_query(identifier=out["Hourly"])
    assert xray.get_trace_segment_destination()["Destination"] == "XRay"
    assert cloudwatch.get_o_tel_enrichment()["Status"] == "Stopped"


CAPACITY_TEMPLATE = """
Parameters:
  MaxCpu: {Type: Number, Default: 16}
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.40.0.0/16}}
  Subnet: {Type: AWS::EC2::Subnet, Properties: {VpcId: !Ref Vpc, CidrBlock: 10.40.1.0/24}}
  Group: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: capacity, VpcId: !Ref Vpc}}
  Operator:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  Capacity:
    Type: AWS::Lambda::CapacityProvider
    Properties:
      VpcConfig: {SubnetIds: [!Ref Subnet], SecurityGroupIds: [!Ref Group]}
      PermissionsConfig: {CapacityProviderOperatorRoleArn: !GetAtt Operator.Arn}
      InstanceRequirements: {Architectures: [arm64]}
      CapacityProviderScalingConfig: {ScalingMode: Auto, MaxVCpuCount: !Ref MaxCpu}
Outputs:
  Capacity: {Value: !Ref Capacity}
  CapacityArn: {Value: !GetAtt Capacity.Arn}
  CapacityState: {Value: !GetAtt Capacity.State}
"""


def test_lambda_capacity_provider(cfn, client, stack_name):
    lam = client("lambda")
    cfn.create_stack(StackName=stack_name, TemplateBody=CAPACITY_TEMPLATE, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", _failure(cfn, stack)
    out = outputs(stack)
    found = lam.get_capacity_provider(CapacityProviderName=out["Capacity"])["CapacityProvider"]
    assert found["CapacityProviderArn"] == out["CapacityArn"] and found["State"] == "Active"
    assert out["CapacityState"] in ("Pending", "Active")
    assert found["InstanceRequirements"]["Architectures"] == ["arm64"]
    assert found["CapacityProviderScalingConfig"]["MaxVCpuCount"] == 16

    cfn.update_stack(
        StackName=stack_name,
        TemplateBody=CAPACITY_TEMPLATE,
        Parameters=_params(MaxCpu="64"),
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", _failure(cfn, stack)
    assert outputs(stack)["CapacityArn"] == out["CapacityArn"]
    found = lam.get_capacity_provider(CapacityProviderName=out["Capacity"])["CapacityProvider"]
    assert found["CapacityProviderScalingConfig"]["MaxVCpuCount"] == 64

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        lam.get_capacity_provider(CapacityProviderName=out["Capacity"])


DRIFT_TEMPLATE = """
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}]
  Inline:
    Type: AWS::IAM::RolePolicy
    Properties:
      RoleName: !Ref Role
      PolicyName: read
      PolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]}
  Saved:
    Type: AWS::Logs::QueryDefinition
    Properties: {Name: !Sub "${AWS::StackName}/q", QueryString: "fields @message"}
  Window:
    Type: AWS::SSM::MaintenanceWindow
    Properties: {Name: drifty, Schedule: "rate(7 days)", Duration: 2, Cutoff: 1, AllowUnassociatedTargets: false}
  Run:
    Type: AWS::SSM::Association
    Properties:
      Name: AWS-RunShellScript
      Parameters: {commands: ["echo hi"]}
      Targets: [{Key: tag:env, Values: [dev]}]
      ScheduleExpression: "rate(1 day)"
  Baseline:
    Type: AWS::SSM::PatchBaseline
    Properties: {Name: !Sub "${AWS::StackName}-b", OperatingSystem: AMAZON_LINUX_2, PatchGroups: [web]}
  Quiet:
    Type: AWS::CloudWatch::AlarmMuteRule
    Properties:
      Rule: {Schedule: {Expression: "cron(0 2 * * ? *)", Duration: PT2H}}
      MuteTargets: {AlarmNames: [a]}
  Signing:
    Type: AWS::Lambda::CodeSigningConfig
    Properties:
      Description: as written
      AllowedPublishers:
        SigningProfileVersionArns: [!Sub "arn:aws:signer:${AWS::Region}:${AWS::AccountId}:/signing-profiles/p/abcdefghij"]
"""


def test_new_types_detect_drift(cfn, client, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=DRIFT_TEMPLATE, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", _failure(cfn, stack)
    made = {name: r["PhysicalResourceId"] for name, r in resources(cfn, stack_name).items()}
    first = wait_detection(cfn, cfn.detect_stack_drift(StackName=stack_name)["StackDriftDetectionId"])
    assert first["StackDriftStatus"] == "IN_SYNC", cfn.describe_stack_resource_drifts(StackName=stack_name)

    role = made["Inline"].split("|", 1)[1]
    client("iam").put_role_policy(
        RoleName=role,
        PolicyName="read",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )
    client("ssm").update_maintenance_window(WindowId=made["Window"], Duration=5)
    client("lambda").update_code_signing_config(CodeSigningConfigArn=made["Signing"], Description="changed")
    client("logs").delete_query_definition(queryDefinitionId=made["Saved"])
    client("ssm").deregister_patch_baseline_for_patch_group(BaselineId=made["Baseline"], PatchGroup="web")
    client("cloudwatch").delete_alarm_mute_rule(AlarmMuteRuleName=made["Quiet"])
    second = wait_detection(cfn, cfn.detect_stack_drift(StackName=stack_name)["StackDriftDetectionId"])
    assert second["StackDriftStatus"] == "DRIFTED"
    drifts = {
        d["LogicalResourceId"]: d
        for d in cfn.describe_stack_resource_drifts(StackName=stack_name)["StackResourceDrifts"]
    }
    assert drifts["Saved"]["StackResourceDriftStatus"] == "DELETED"
    assert drifts["Quiet"]["StackResourceDriftStatus"] == "DELETED"
    assert drifts["Run"]["StackResourceDriftStatus"] == "IN_SYNC"
    for name, path in (
        ("Inline", "/PolicyDocument"),
        ("Window", "/Duration"),
        ("Signing", "/Description"),
        ("Baseline", "/PatchGroups"),
    ):
        assert drifts[name]["StackResourceDriftStatus"] == "MODIFIED", drifts[name]
        assert any(d["PropertyPath"].startswith(path) for d in drifts[name]["PropertyDifferences"])
    assert drifts["Role"]["StackResourceDriftStatus"] == "IN_SYNC"
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


FAILING_TEMPLATE = """
Resources:
  Secret: {Type: AWS::SecretsManager::Secret, Properties: {SecretString: '{"username": "u"}'}}
  Attachment:
    Type: AWS::SecretsManager::SecretTargetAttachment
    Properties: {SecretId: !Ref Secret, TargetId: nothing, TargetType: AWS::Redshift::Cluster}
"""

FAILING_MFA_TEMPLATE = """
Resources:
  Mfa:
    Type: AWS::IAM::VirtualMFADevice
    Properties:
      VirtualMfaDeviceName: !Sub "${AWS::StackName}-mfa"
      Users: [!Sub "${AWS::StackName}-nobody"]
"""


def _failed_reasons(cfn, name: str, template: str) -> dict[str, str]:
    stack_id = cfn.create_stack(StackName=name, TemplateBody=template, Capabilities=["CAPABILITY_NAMED_IAM"])[
        "StackId"
    ]
    assert settle(cfn, stack_id)["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    return {
        e["LogicalResourceId"]: e["ResourceStatusReason"]
        for e in events
        if e["ResourceStatus"] == "CREATE_FAILED"
    }


def test_new_types_fail_with_the_services_reasons(cfn, client, stack_name):
    reasons = _failed_reasons(cfn, stack_name, FAILING_TEMPLATE)
    assert "Unsupported TargetType AWS::Redshift::Cluster" in reasons["Attachment"]
    reasons = _failed_reasons(cfn, f"{stack_name}-mfa", FAILING_MFA_TEMPLATE)
    assert "NoSuchEntity" in reasons["Mfa"], reasons
    serials = [d["SerialNumber"] for d in client("iam").list_virtual_mfa_devices()["VirtualMFADevices"]]
    assert not [serial for serial in serials if serial.endswith(f"/{stack_name}-mfa-mfa")]


IMPORT_TEMPLATE = """
Resources:
  Window:
    Type: AWS::SSM::MaintenanceWindow
    DeletionPolicy: Retain
    Properties: {Name: adopted, Schedule: "rate(7 days)", Duration: 2, Cutoff: 1, AllowUnassociatedTargets: false}
  Signing:
    Type: AWS::Lambda::CodeSigningConfig
    DeletionPolicy: Retain
    Properties:
      AllowedPublishers: {SigningProfileVersionArns: [PROFILE]}
Outputs:
  WindowId: {Value: !GetAtt Window.WindowId}
  SigningId: {Value: !GetAtt Signing.CodeSigningConfigId}
"""


def test_new_types_import_existing_resources(cfn, client, stack_name):
    ssm, lam = client("ssm"), client("lambda")
    profile = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/p/abcdefghij"
    window = ssm.create_maintenance_window(
        Name="adopted", Schedule="rate(7 days)", Duration=2, Cutoff=1, AllowUnassociatedTargets=False
    )["WindowId"]
    config = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [profile]})[
        "CodeSigningConfig"
    ]
    cfn.create_change_set(
        StackName=stack_name,
        ChangeSetName="imp",
        ChangeSetType="IMPORT",
        TemplateBody=IMPORT_TEMPLATE.replace("PROFILE", profile),
        ResourcesToImport=[
            {
                "ResourceType": "AWS::SSM::MaintenanceWindow",
                "LogicalResourceId": "Window",
                "ResourceIdentifier": {"WindowId": window},
            },
            {
                "ResourceType": "AWS::Lambda::CodeSigningConfig",
                "LogicalResourceId": "Signing",
                "ResourceIdentifier": {"CodeSigningConfigArn": config["CodeSigningConfigArn"]},
            },
        ],
    )
    cfn.execute_change_set(StackName=stack_name, ChangeSetName="imp")
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "IMPORT_COMPLETE", _failure(cfn, stack)
    assert outputs(stack) == {"WindowId": window, "SigningId": config["CodeSigningConfigId"]}
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    ssm.delete_maintenance_window(WindowId=window)  # retained
    lam.delete_code_signing_config(CodeSigningConfigArn=config["CodeSigningConfigArn"])
