"""ElastiCache's CloudFormation types: a stack with a VPC's subnets in a subnet group, a parameter
group, RBAC users, a replication group using them, a memcached cluster and a serverless cache;
its outputs name the engines a client reaches."""

from __future__ import annotations

import time
import uuid

from tests.integration.elasticache.conftest import Redis, mc_get, mc_set

TEMPLATE = """
Parameters:
  Suffix: {Type: String}
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  DataA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.20.0/24, AvailabilityZone: us-east-1a}
  DataB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.0.21.0/24, AvailabilityZone: us-east-1b}
  Subnets:
    Type: AWS::ElastiCache::SubnetGroup
    Properties:
      Description: private data subnets
      SubnetIds: [!Ref DataA, !Ref DataB]
  Params:
    Type: AWS::ElastiCache::ParameterGroup
    Properties:
      CacheParameterGroupFamily: redis7
      Description: tuned
      Properties: {maxmemory-policy: allkeys-lru}
  AppUser:
    Type: AWS::ElastiCache::User
    Properties:
      UserId: !Sub app-${Suffix}
      UserName: app
      Engine: redis
      AccessString: on ~* +@all
      Passwords: [app-password-123456]
  DefaultUser:
    Type: AWS::ElastiCache::User
    Properties:
      UserId: !Sub def-${Suffix}
      UserName: default
      Engine: redis
      AccessString: off -@all
      NoPasswordRequired: true
  Users:
    Type: AWS::ElastiCache::UserGroup
    Properties:
      UserGroupId: !Sub users-${Suffix}
      Engine: redis
      UserIds: [!Ref AppUser, !Ref DefaultUser]
  Cache:
    Type: AWS::ElastiCache::ReplicationGroup
    Properties:
      ReplicationGroupDescription: App cache
      Engine: redis
      CacheNodeType: cache.t3.micro
      NumCacheClusters: 2
      AutomaticFailoverEnabled: true
      TransitEncryptionEnabled: true
      CacheSubnetGroupName: !Ref Subnets
      CacheParameterGroupName: !Ref Params
      UserGroupIds: [!Ref Users]
  Sessions:
    Type: AWS::ElastiCache::CacheCluster
    Properties:
      Engine: memcached
      CacheNodeType: cache.t3.micro
      NumCacheNodes: 1
      CacheSubnetGroupName: !Ref Subnets
  Serverless:
    Type: AWS::ElastiCache::ServerlessCache
    Properties:
      ServerlessCacheName: !Sub sl-${Suffix}
      Engine: valkey
Outputs:
  Primary: {Value: !Sub "${Cache.PrimaryEndPoint.Address}:${Cache.PrimaryEndPoint.Port}"}
  ReaderPort: {Value: !GetAtt Cache.ReaderEndPoint.Port}
  Group: {Value: !Ref Cache}
  SessionsPort: {Value: !GetAtt Sessions.ConfigurationEndpoint.Port}
  ServerlessPort: {Value: !GetAtt Serverless.Endpoint.Port}
  UsersArn: {Value: !GetAtt Users.Arn}
"""


def settle(cfn, stack: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        if not found["StackStatus"].endswith("IN_PROGRESS"):
            return found
        assert time.monotonic() < deadline, found["StackStatus"]
        time.sleep(0.3)


def test_a_stack_of_caches_that_clients_reach(client, tls):
    cfn, ec = client("cloudformation"), client("elasticache")
    suffix = uuid.uuid4().hex[:8]
    stack = f"cache-{suffix}"
    cfn.create_stack(
        StackName=stack,
        TemplateBody=TEMPLATE,
        Parameters=[{"ParameterKey": "Suffix", "ParameterValue": suffix}],
    )
    found = settle(cfn, stack)
    assert found["StackStatus"] == "CREATE_COMPLETE", cfn.describe_stack_events(StackName=stack)[
        "StackEvents"
    ][:3]
    out = {o["OutputKey"]: o["OutputValue"] for o in found["Outputs"]}
    host, port = out["Primary"].split(":")
    assert host == "127.0.0.1"
    group = ec.describe_replication_groups(ReplicationGroupId=out["Group"])["ReplicationGroups"][0]
    assert group["Status"] == "available" and group["UserGroupIds"] == [f"users-{suffix}"]
    assert out["UsersArn"].endswith(f":usergroup:users-{suffix}")

    redis = Redis(int(port), tls=tls)
    assert redis("AUTH", "app", "app-password-123456") == "OK"
    assert redis("SET", "page", "home") == "OK"
    assert redis("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"allkeys-lru"]
    redis.close()
    reader = Redis(int(out["ReaderPort"]), tls=tls)
    assert reader("AUTH", "app", "app-password-123456") == "OK"
    deadline = time.monotonic() + 10
    while reader("GET", "page") != b"home":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    reader.close()
    assert mc_set(int(out["SessionsPort"]), "s", b"1") == b"STORED"
    assert mc_get(int(out["SessionsPort"]), "s") == b"1"
    serverless = Redis(int(out["ServerlessPort"]))
    assert serverless("PING") == "PONG"
    serverless.close()

    cfn.delete_stack(StackName=stack)
    assert settle(cfn, found["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert all(
        g["ReplicationGroupId"] != out["Group"] for g in ec.describe_replication_groups()["ReplicationGroups"]
    )
    assert all(u["UserId"] != f"app-{suffix}" for u in ec.describe_users()["Users"])
