"""Parameter groups applied to running engines, subnet and security groups, serverless caches,
the catalog (engine versions, offerings) and tags."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.elasticache.conftest import Redis, mc_get, mc_set, unique, wait_cluster


def test_a_parameter_group_change_reaches_the_running_engine(ec):
    name = unique("params")
    created = ec.create_cache_parameter_group(
        CacheParameterGroupName=name, CacheParameterGroupFamily="redis7", Description="mine"
    )["CacheParameterGroup"]
    assert created["CacheParameterGroupFamily"] == "redis7"
    defaults = ec.describe_cache_parameters(CacheParameterGroupName="default.redis7")["Parameters"]
    policy = next(p for p in defaults if p["ParameterName"] == "maxmemory-policy")
    assert policy["ParameterValue"] == "volatile-lru"
    cluster_id = unique("pg")
    ec.create_cache_cluster(
        CacheClusterId=cluster_id,
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        CacheParameterGroupName=name,
    )
    cluster = wait_cluster(ec, cluster_id)
    redis = Redis(cluster["CacheNodes"][0]["Endpoint"]["Port"])
    assert redis("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"volatile-lru"]
    ec.modify_cache_parameter_group(
        CacheParameterGroupName=name,
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"}],
    )
    assert redis("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"allkeys-lru"]
    user = ec.describe_cache_parameters(CacheParameterGroupName=name, Source="user")["Parameters"]
    assert [(p["ParameterName"], p["ParameterValue"]) for p in user] == [("maxmemory-policy", "allkeys-lru")]
    with pytest.raises(ClientError) as error:
        ec.modify_cache_parameter_group(
            CacheParameterGroupName=name,
            ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "sometimes"}],
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    ec.reset_cache_parameter_group(CacheParameterGroupName=name, ResetAllParameters=True)
    assert redis("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"volatile-lru"]
    redis.close()
    with pytest.raises(ClientError) as error:
        ec.delete_cache_parameter_group(CacheParameterGroupName=name)
    assert error.value.response["Error"]["Code"] == "InvalidCacheParameterGroupState"
    ec.delete_cache_cluster(CacheClusterId=cluster_id)


def test_subnet_security_groups_and_tags(ec, client):
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.0.20.0/24", "us-east-1a"), ("10.0.21.0/24", "us-east-1b"))
    ]
    name = unique("subnets")
    with pytest.raises(ClientError) as error:
        ec.create_cache_subnet_group(
            CacheSubnetGroupName=name,
            CacheSubnetGroupDescription="data",
            SubnetIds=["subnet-0000000000000dead"],
        )
    assert error.value.response["Error"]["Code"] == "InvalidSubnet"
    group = ec.create_cache_subnet_group(
        CacheSubnetGroupName=name, CacheSubnetGroupDescription="data", SubnetIds=subnets
    )["CacheSubnetGroup"]
    assert [s["SubnetIdentifier"] for s in group["Subnets"]] == subnets
    assert group["VpcId"] == vpc
    assert [s["SubnetAvailabilityZone"]["Name"] for s in group["Subnets"]] == ["us-east-1a", "us-east-1b"]
    ec.modify_cache_subnet_group(CacheSubnetGroupName=name, CacheSubnetGroupDescription="private data")
    found = ec.describe_cache_subnet_groups(CacheSubnetGroupName=name)["CacheSubnetGroups"][0]
    assert found["CacheSubnetGroupDescription"] == "private data"
    ec.add_tags_to_resource(ResourceName=found["ARN"], Tags=[{"Key": "tier", "Value": "data"}])
    ec.remove_tags_from_resource(ResourceName=found["ARN"], TagKeys=["tier"])
    assert ec.list_tags_for_resource(ResourceName=found["ARN"])["TagList"] == []
    ec.delete_cache_subnet_group(CacheSubnetGroupName=name)
    with pytest.raises(ClientError) as error:
        ec.describe_cache_subnet_groups(CacheSubnetGroupName=name)
    assert error.value.response["Error"]["Code"] == "CacheSubnetGroupNotFoundFault"

    sg = unique("sg")
    ec.create_cache_security_group(CacheSecurityGroupName=sg, Description="legacy")
    ec.authorize_cache_security_group_ingress(
        CacheSecurityGroupName=sg, EC2SecurityGroupName="web", EC2SecurityGroupOwnerId="123456789012"
    )
    groups = ec.describe_cache_security_groups(CacheSecurityGroupName=sg)["CacheSecurityGroups"]
    assert groups[0]["EC2SecurityGroups"][0]["Status"] == "authorized"
    ec.revoke_cache_security_group_ingress(
        CacheSecurityGroupName=sg, EC2SecurityGroupName="web", EC2SecurityGroupOwnerId="123456789012"
    )
    ec.delete_cache_security_group(CacheSecurityGroupName=sg)


def test_catalog(ec):
    versions = ec.describe_cache_engine_versions(Engine="redis")["CacheEngineVersions"]
    assert {"7.0", "7.1"} <= {v["EngineVersion"] for v in versions}
    assert ec.describe_cache_engine_versions(Engine="memcached", DefaultOnly=True)["CacheEngineVersions"]
    offerings = ec.describe_reserved_cache_nodes_offerings(CacheNodeType="cache.t3.micro")[
        "ReservedCacheNodesOfferings"
    ]
    assert offerings and all(o["CacheNodeType"] == "cache.t3.micro" for o in offerings)
    defaults = ec.describe_engine_default_parameters(CacheParameterGroupFamily="memcached1.6")[
        "EngineDefaults"
    ]
    assert any(p["ParameterName"] == "max_item_size" for p in defaults["Parameters"])
    assert ec.describe_service_updates()["ServiceUpdates"] == []
    mods = ec.list_allowed_node_type_modifications
    with pytest.raises(ClientError):
        mods(CacheClusterId="nope")


def test_serverless_caches_run_an_engine_each(ec):
    name = unique("sl")
    created = ec.create_serverless_cache(ServerlessCacheName=name, Engine="redis")["ServerlessCache"]
    assert created["Status"] == "creating"
    deadline = time.monotonic() + 30
    while True:
        cache = ec.describe_serverless_caches(ServerlessCacheName=name)["ServerlessCaches"][0]
        if cache["Status"] == "available":
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    redis = Redis(cache["Endpoint"]["Port"])
    assert redis("SET", "k", "v") == "OK"
    redis.close()
    ec.create_serverless_cache_snapshot(ServerlessCacheName=name, ServerlessCacheSnapshotName=f"{name}-s")
    deadline = time.monotonic() + 30
    while (
        ec.describe_serverless_cache_snapshots(ServerlessCacheSnapshotName=f"{name}-s")[
            "ServerlessCacheSnapshots"
        ][0]["Status"]
        != "available"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    ec.delete_serverless_cache(ServerlessCacheName=name)

    mc = unique("slmc")
    ec.create_serverless_cache(ServerlessCacheName=mc, Engine="memcached")
    deadline = time.monotonic() + 30
    while True:
        cache = ec.describe_serverless_caches(ServerlessCacheName=mc)["ServerlessCaches"][0]
        if cache["Status"] == "available":
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert mc_set(cache["Endpoint"]["Port"], "a", b"b") == b"STORED"
    assert mc_get(cache["Endpoint"]["Port"], "a") == b"b"
    ec.delete_serverless_cache(ServerlessCacheName=mc)
