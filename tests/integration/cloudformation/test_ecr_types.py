"""ECR's resource types: a repository (its Arn and RepositoryUri, lifecycle and repository
policies) with a registry policy, a replication configuration, a pull-through cache rule, a
repository creation template and a registry scanning configuration, checked through ECR and
deleted with their stack."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, settle

TEMPLATE = """
Parameters:
  Prefix: {Type: String}
Resources:
  Repository:
    Type: AWS::ECR::Repository
    Properties:
      ImageTagMutability: IMMUTABLE_WITH_EXCLUSION
      ImageTagMutabilityExclusionFilters:
        - {ImageTagMutabilityExclusionFilterType: WILDCARD, ImageTagMutabilityExclusionFilterValue: "dev*"}
      ImageScanningConfiguration: {ScanOnPush: true}
      EmptyOnDelete: true
      LifecyclePolicy:
        LifecyclePolicyText: '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}}]}'
      RepositoryPolicyText:
        Version: "2012-10-17"
        Statement:
          - {Sid: pull, Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: ["ecr:BatchGetImage"]}
      Tags: [{Key: team, Value: blue}]
  Registry:
    Type: AWS::ECR::RegistryPolicy
    Properties:
      PolicyText:
        Version: "2012-10-17"
        Statement:
          - {Sid: replicate, Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: ["ecr:ReplicateImage"], Resource: "*"}
  Replication:
    Type: AWS::ECR::ReplicationConfiguration
    Properties:
      ReplicationConfiguration:
        Rules:
          - Destinations: [{Region: eu-west-1, RegistryId: !Ref AWS::AccountId}]
            RepositoryFilters: [{Filter: !Ref Prefix, FilterType: PREFIX_MATCH}]
  Cache:
    Type: AWS::ECR::PullThroughCacheRule
    Properties:
      EcrRepositoryPrefix: !Ref Prefix
      UpstreamRegistryUrl: public.ecr.aws
  Template:
    Type: AWS::ECR::RepositoryCreationTemplate
    Properties:
      Prefix: !Sub "${Prefix}-made"
      AppliedFor: [CREATE_ON_PUSH]
      ImageTagMutability: IMMUTABLE
      ResourceTags: [{Key: origin, Value: template}]
  Scanning:
    Type: AWS::ECR::RegistryScanningConfiguration
    Properties:
      ScanType: BASIC
      Rules:
        - ScanFrequency: SCAN_ON_PUSH
          RepositoryFilters: [{Filter: !Sub "${Prefix}*", FilterType: WILDCARD}]
Outputs:
  Name: {Value: !Ref Repository}
  Arn: {Value: !GetAtt Repository.Arn}
  Uri: {Value: !GetAtt Repository.RepositoryUri}
"""


def test_ecr_types_create_and_delete(cfn, client, stack_name):
    ecr = client("ecr")
    prefix = f"cache{uuid.uuid4().hex[:6]}"
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=TEMPLATE,
        Parameters=[{"ParameterKey": "Prefix", "ParameterValue": prefix}],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = outputs(stack)
    repository = ecr.describe_repositories(repositoryNames=[out["Name"]])["repositories"][0]
    assert repository["repositoryArn"] == out["Arn"]
    assert repository["repositoryUri"] == out["Uri"]
    assert repository["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repository["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD", "filter": "dev*"}]
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert "untagged" in ecr.get_lifecycle_policy(repositoryName=out["Name"])["lifecyclePolicyText"]
    assert "BatchGetImage" in ecr.get_repository_policy(repositoryName=out["Name"])["policyText"]
    assert ecr.list_tags_for_resource(resourceArn=out["Arn"])["tags"] == [{"Key": "team", "Value": "blue"}]
    assert "ReplicateImage" in ecr.get_registry_policy()["policyText"]
    rules = ecr.describe_registry()["replicationConfiguration"]["rules"]
    assert rules[0]["destinations"] == [{"region": "eu-west-1", "registryId": "000000000000"}]
    assert ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=[prefix])["pullThroughCacheRules"]
    template = ecr.describe_repository_creation_templates(prefixes=[f"{prefix}-made"])[
        "repositoryCreationTemplates"
    ]
    assert (
        template[0]["appliedFor"] == ["CREATE_ON_PUSH"] and template[0]["imageTagMutability"] == "IMMUTABLE"
    )
    rules = ecr.get_registry_scanning_configuration()["scanningConfiguration"]["rules"]
    assert rules == [
        {
            "scanFrequency": "SCAN_ON_PUSH",
            "repositoryFilters": [{"filter": f"{prefix}*", "filterType": "WILDCARD"}],
        }
    ]

    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        ecr.describe_repositories(repositoryNames=[out["Name"]])
    assert ecr.describe_registry()["replicationConfiguration"]["rules"] == []
    with pytest.raises(ClientError):
        ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=[prefix])
    assert (
        ecr.describe_repository_creation_templates(prefixes=[f"{prefix}-made"])["repositoryCreationTemplates"]
        == []
    )
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"]["rules"] == []


BOOTSTRAP_LIKE = """
Parameters:
  Qualifier: {Type: String, Default: hnb659fds}
Resources:
  ContainerAssetsRepository:
    Type: AWS::ECR::Repository
    Properties:
      ImageTagMutability: IMMUTABLE
      LifecyclePolicy:
        LifecyclePolicyText: |
          {
            "rules": [
              {
                "rulePriority": 1,
                "description": "Untagged images should not exist, but expire any older than one year",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 365},
                "action": {"type": "expire"}
              }
            ]
          }
      RepositoryName: !Sub "cdk-${Qualifier}-container-assets-${AWS::AccountId}-${AWS::Region}"
      RepositoryPolicyText:
        Statement:
          - Sid: LambdaECRImageRetrievalPolicy
            Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: [ecr:BatchGetImage, ecr:GetDownloadUrlForLayer]
            Condition:
              StringLike:
                "aws:sourceArn": !Sub "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*"
Outputs:
  ImageRepositoryName: {Value: !Ref ContainerAssetsRepository}
"""


def test_the_cdk_bootstrap_container_assets_repository(cfn, client, stack_name):
    """The repository `cdk bootstrap`'s template declares, which cdk-assets then pushes to."""
    ecr = client("ecr")
    qualifier = stack_name[-9:]
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=BOOTSTRAP_LIKE,
        Parameters=[{"ParameterKey": "Qualifier", "ParameterValue": qualifier}],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    name = outputs(stack)["ImageRepositoryName"]
    assert name == f"cdk-{qualifier}-container-assets-000000000000-us-east-1"
    assert "sinceImagePushed" in ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
