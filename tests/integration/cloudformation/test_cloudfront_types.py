"""CloudFront's resource types: the guide's static site as a template — a bucket, an origin
access control, its bucket policy naming the distribution, a cache policy, a published
viewer-request function — served through the data plane, then deleted with its stack."""

from __future__ import annotations

import http.client

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudformation.conftest import outputs, resources, settle

TEMPLATE = """
Resources:
  Site:
    Type: AWS::S3::Bucket
  Oac:
    Type: AWS::CloudFront::OriginAccessControl
    Properties:
      OriginAccessControlConfig:
        Name: !Sub "${AWS::StackName}-oac"
        OriginAccessControlOriginType: s3
        SigningBehavior: always
        SigningProtocol: sigv4
  Identity:
    Type: AWS::CloudFront::CloudFrontOriginAccessIdentity
    Properties:
      CloudFrontOriginAccessIdentityConfig: {Comment: legacy}
  Cache:
    Type: AWS::CloudFront::CachePolicy
    Properties:
      CachePolicyConfig:
        Name: !Sub "${AWS::StackName}-cache"
        MinTTL: 0
        DefaultTTL: 60
        MaxTTL: 3600
        ParametersInCacheKeyAndForwardedToOrigin:
          EnableAcceptEncodingGzip: true
          HeadersConfig: {HeaderBehavior: none}
          CookiesConfig: {CookieBehavior: none}
          QueryStringsConfig: {QueryStringBehavior: whitelist, QueryStrings: [v]}
  Headers:
    Type: AWS::CloudFront::ResponseHeadersPolicy
    Properties:
      ResponseHeadersPolicyConfig:
        Name: !Sub "${AWS::StackName}-headers"
        CustomHeadersConfig:
          Items: [{Header: X-Site, Value: guide, Override: true}]
  Rewrite:
    Type: AWS::CloudFront::Function
    Properties:
      Name: !Sub "${AWS::StackName}-rewrite"
      AutoPublish: true
      FunctionConfig: {Comment: index, Runtime: cloudfront-js-2.0}
      FunctionCode: |
        function handler(event) {
          var request = event.request;
          if (request.uri.endsWith('/')) { request.uri += 'index.html'; }
          return request;
        }
  Distribution:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        DefaultRootObject: index.html
        Origins:
          - Id: site
            DomainName: !GetAtt Site.RegionalDomainName
            S3OriginConfig: {OriginAccessIdentity: ""}
            OriginAccessControlId: !GetAtt Oac.Id
        DefaultCacheBehavior:
          TargetOriginId: site
          ViewerProtocolPolicy: allow-all
          CachePolicyId: !Ref Cache
          ResponseHeadersPolicyId: !Ref Headers
          FunctionAssociations:
            - {EventType: viewer-request, FunctionARN: !GetAtt Rewrite.FunctionARN}
        CustomErrorResponses:
          - {ErrorCode: 404, ResponseCode: 200, ResponsePagePath: /index.html}
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Site
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: cloudfront.amazonaws.com}
            Action: s3:GetObject
            Resource: !Sub "arn:aws:s3:::${Site}/*"
            Condition:
              StringEquals:
                AWS:SourceArn: !Sub "arn:aws:cloudfront::${AWS::AccountId}:distribution/${Distribution}"
Outputs:
  Domain: {Value: !GetAtt Distribution.DomainName}
  Id: {Value: !GetAtt Distribution.Id}
  Bucket: {Value: !Ref Site}
  Canonical: {Value: !GetAtt Identity.S3CanonicalUserId}
"""


def _get(endpoint: str, dist_id: str, path: str):
    host, port = endpoint.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", f"/_aws/cloudfront/{dist_id}{path}")
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_static_site_stack(cfn, client, endpoint, stack_name):
    cfn.create_stack(StackName=stack_name, TemplateBody=TEMPLATE)
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    found = outputs(stack)
    assert found["Domain"] == f"{found['Id'].lower()}.cloudfront.net"
    assert len(found["Canonical"]) >= 64
    cloudfront = client("cloudfront")
    config = cloudfront.get_distribution_config(Id=found["Id"])["DistributionConfig"]
    assert config["Origins"]["Items"][0]["DomainName"].startswith(found["Bucket"])
    assert config["CustomErrorResponses"]["Items"][0]["ResponsePagePath"] == "/index.html"

    client("s3").put_object(
        Bucket=found["Bucket"], Key="docs/index.html", Body=b"docs", ContentType="text/html"
    )
    client("s3").put_object(Bucket=found["Bucket"], Key="index.html", Body=b"root", ContentType="text/html")
    status, headers, body = _get(endpoint, found["Id"], "/docs/")
    assert (status, body) == (200, b"docs")
    assert headers["X-Site"] == "guide"
    status, _, body = _get(endpoint, found["Id"], "/")
    assert (status, body) == (200, b"root")

    ids = {name: resource["PhysicalResourceId"] for name, resource in resources(cfn, stack_name).items()}
    for key in ("docs/index.html", "index.html"):  # a stack deletes only an empty bucket
        client("s3").delete_object(Bucket=found["Bucket"], Key=key)
    cfn.delete_stack(StackName=stack_name)
    deleted = settle(cfn, stack["StackId"])
    assert deleted["StackStatus"] == "DELETE_COMPLETE"
    listed = cloudfront.list_distributions()["DistributionList"].get("Items", [])
    assert found["Id"] not in [item["Id"] for item in listed]
    policies = cloudfront.list_cache_policies(Type="custom")["CachePolicyList"].get("Items", [])
    assert ids["Cache"] not in [item["CachePolicy"]["Id"] for item in policies]


SIGNING_TEMPLATE = """
Parameters:
  Pem: {Type: String}
Resources:
  Key:
    Type: AWS::CloudFront::PublicKey
    Properties:
      PublicKeyConfig:
        CallerReference: !Sub "${AWS::StackName}-key"
        Name: !Sub "${AWS::StackName}-key"
        EncodedKey: !Ref Pem
  Group:
    Type: AWS::CloudFront::KeyGroup
    Properties:
      KeyGroupConfig:
        Name: !Sub "${AWS::StackName}-group"
        Items: [!Ref Key]
  Forward:
    Type: AWS::CloudFront::OriginRequestPolicy
    Properties:
      OriginRequestPolicyConfig:
        Name: !Sub "${AWS::StackName}-forward"
        HeadersConfig: {HeaderBehavior: whitelist, Headers: [x-tenant]}
        CookiesConfig: {CookieBehavior: none}
        QueryStringsConfig: {QueryStringBehavior: all}
  Store:
    Type: AWS::CloudFront::KeyValueStore
    Properties:
      Name: !Sub "${AWS::StackName}-kvs"
      Comment: redirects
Outputs:
  Group: {Value: !Ref Group}
  Key: {Value: !Ref Key}
  Forward: {Value: !Ref Forward}
  StoreArn: {Value: !GetAtt Store.Arn}
"""


def test_signing_and_request_policy_stack(cfn, client, stack_name):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=SIGNING_TEMPLATE,
        Parameters=[{"ParameterKey": "Pem", "ParameterValue": pem}],
    )
    stack = settle(cfn, stack_name)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    found = outputs(stack)
    cloudfront = client("cloudfront")
    assert cloudfront.get_key_group(Id=found["Group"])["KeyGroup"]["KeyGroupConfig"]["Items"] == [
        found["Key"]
    ]
    policy = cloudfront.get_origin_request_policy(Id=found["Forward"])["OriginRequestPolicy"]
    assert policy["OriginRequestPolicyConfig"]["HeadersConfig"]["Headers"] == {
        "Quantity": 1,
        "Items": ["x-tenant"],
    }
    stores = cloudfront.list_key_value_stores()["KeyValueStoreList"]["Items"]
    assert found["StoreArn"] in [store["ARN"] for store in stores]
    cfn.delete_stack(StackName=stack_name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        cloudfront.get_public_key(Id=found["Key"])
