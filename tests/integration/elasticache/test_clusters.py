"""Cache clusters on real engines: a Redis node and memcached nodes answering their own protocols
at the endpoints the API returns, reboot, scaling, deletion and AWS's refusals."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.elasticache.conftest import (
    Redis,
    RedisError,
    endpoint_port,
    mc_get,
    mc_set,
    unique,
    wait_cluster,
    wait_gone,
)


def test_a_redis_cluster_is_a_real_redis_at_its_endpoint(ec):
    cluster_id = unique("redis")
    started = time.monotonic()
    created = ec.create_cache_cluster(
        CacheClusterId=cluster_id, Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1,
        Tags=[{"Key": "team", "Value": "web"}],
    )["CacheCluster"]  # fmt: skip
    assert created["CacheClusterStatus"] == "creating"
    cluster = wait_cluster(ec, cluster_id)
    assert time.monotonic() - started < 10
    assert cluster["Engine"] == "redis" and cluster["NumCacheNodes"] == 1
    assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7"
    assert cluster["ARN"].endswith(f":cluster:{cluster_id}")
    endpoint = cluster["CacheNodes"][0]["Endpoint"]
    assert endpoint["Address"] == "127.0.0.1"
    redis = Redis(endpoint["Port"])
    assert redis("SET", "greeting", "hello") == "OK"
    assert redis("GET", "greeting") == b"hello"
    assert redis("INCR", "counter") == 1
    run_id = redis("INFO", "server").split(b"run_id:")[1].split(b"\r\n")[0]
    redis.close()
    tags = ec.list_tags_for_resource(ResourceName=cluster["ARN"])["TagList"]
    assert tags == [{"Key": "team", "Value": "web"}]

    # A reboot really restarts the engine; the data is saved first and comes back.
    ec.reboot_cache_cluster(CacheClusterId=cluster_id, CacheNodeIdsToReboot=["0001"])
    wait_cluster(ec, cluster_id)
    redis = Redis(endpoint["Port"])
    assert redis("INFO", "server").split(b"run_id:")[1].split(b"\r\n")[0] != run_id
    assert redis("GET", "greeting") == b"hello"
    redis.close()
    events = ec.describe_events(SourceType="cache-cluster", SourceIdentifier=cluster_id)["Events"]
    assert any("restarted" in e["Message"] for e in events)
    assert any(e["Message"] == "Cache cluster created" for e in events)

    # A new node type is the engine's memory (capped, so that many nodes fit one machine).
    redis = Redis(endpoint["Port"])
    assert redis("CONFIG", "GET", "maxmemory") == [b"maxmemory", str(256 * 1024 * 1024).encode()]
    ec.modify_cache_cluster(CacheClusterId=cluster_id, CacheNodeType="cache.t1.micro", ApplyImmediately=True)
    assert redis("CONFIG", "GET", "maxmemory") == [b"maxmemory", str(213 * 1024 * 1024).encode()]
    redis.close()

    ec.delete_cache_cluster(CacheClusterId=cluster_id)
    wait_gone(lambda: ec.describe_cache_clusters(CacheClusterId=cluster_id))
    with pytest.raises(OSError):
        Redis(endpoint["Port"])


def test_memcached_nodes_are_separate_memcached_processes(ec):
    cluster_id = unique("mc")
    ec.create_cache_cluster(
        CacheClusterId=cluster_id, Engine="memcached", CacheNodeType="cache.t3.micro", NumCacheNodes=2
    )
    cluster = wait_cluster(ec, cluster_id)
    assert [n["CacheNodeId"] for n in cluster["CacheNodes"]] == ["0001", "0002"]
    assert cluster["ConfigurationEndpoint"]["Address"] == "127.0.0.1"
    first, second = endpoint_port(cluster, 0), endpoint_port(cluster, 1)
    assert first != second
    assert mc_set(first, "session", b"abc") == b"STORED"
    assert mc_get(first, "session") == b"abc"
    assert mc_get(second, "session") is None  # another process: keys are not shared

    ec.modify_cache_cluster(CacheClusterId=cluster_id, NumCacheNodes=3, ApplyImmediately=True)
    cluster = wait_cluster(ec, cluster_id)
    assert len(cluster["CacheNodes"]) == 3
    assert mc_set(endpoint_port(cluster, 2), "k", b"v") == b"STORED"

    with pytest.raises(ClientError) as error:
        ec.modify_cache_cluster(CacheClusterId=cluster_id, NumCacheNodes=2, ApplyImmediately=True)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    ec.modify_cache_cluster(
        CacheClusterId=cluster_id, NumCacheNodes=2, CacheNodeIdsToRemove=["0002"], ApplyImmediately=True
    )
    cluster = wait_cluster(ec, cluster_id)
    assert [n["CacheNodeId"] for n in cluster["CacheNodes"]] == ["0001", "0003"]
    assert mc_get(endpoint_port(cluster, 0), "session") == b"abc"
    with pytest.raises(OSError):
        mc_get(second, "session")
    ec.delete_cache_cluster(CacheClusterId=cluster_id)


def test_refusals_are_aws_errors(ec):
    def code(call, **params):
        with pytest.raises(ClientError) as error:
            call(**params)
        return error.value.response["Error"]["Code"]

    assert code(ec.describe_cache_clusters, CacheClusterId="nope") == "CacheClusterNotFound"
    assert (
        code(ec.create_cache_cluster, CacheClusterId="x1", Engine="redis", CacheNodeType="cache.huge")
        == "InvalidParameterValue"
    )
    assert (
        code(ec.create_cache_cluster, CacheClusterId="x1", Engine="redis", CacheNodeType="cache.t3.micro",
             NumCacheNodes=2)
        == "InvalidParameterValue"
    )  # fmt: skip
    assert code(ec.create_cache_cluster, CacheClusterId="1bad", CacheNodeType="cache.t3.micro") == (
        "InvalidParameterValue"
    )
    assert (
        code(ec.create_cache_cluster, CacheClusterId="x1", Engine="redis", CacheNodeType="cache.t3.micro",
             SnapshotName="missing")
        == "SnapshotNotFoundFault"
    )  # fmt: skip
    assert code(ec.delete_cache_cluster, CacheClusterId="nope") == "CacheClusterNotFound"
    assert code(ec.describe_replication_groups, ReplicationGroupId="nope") == "ReplicationGroupNotFoundFault"


def test_an_auth_token_is_the_engines_password(ec, tls):
    group_id = unique("auth")
    token = "a-very-secret-token-123"
    ec.create_replication_group(
        ReplicationGroupId=group_id, ReplicationGroupDescription="auth", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=1, TransitEncryptionEnabled=True, AuthToken=token,
    )  # fmt: skip
    group = wait_group_available(ec, group_id)
    assert group["AuthTokenEnabled"] is True and group["TransitEncryptionEnabled"] is True
    redis = Redis(group["NodeGroups"][0]["PrimaryEndpoint"]["Port"], tls=tls)
    assert isinstance(redis("GET", "x"), RedisError)  # NOAUTH
    assert redis("AUTH", token) == "OK"
    assert redis("SET", "x", "1") == "OK"
    redis.close()
    ec.delete_replication_group(ReplicationGroupId=group_id)


def wait_group_available(ec, group_id: str) -> dict:
    from tests.integration.elasticache.conftest import wait_group

    return wait_group(ec, group_id)
