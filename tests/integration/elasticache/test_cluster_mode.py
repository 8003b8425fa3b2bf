"""Redis cluster mode enabled: shards with their slots as a real Redis Cluster, which a
cluster client finds through the configuration endpoint."""

from __future__ import annotations

import pytest
import redis
from botocore.exceptions import ClientError
from redis.cluster import RedisCluster

from tests.integration.elasticache.conftest import unique, wait_gone, wait_group


def test_three_shards_with_replicas_serve_a_cluster_client(ec):
    group_id = unique("shards")
    created = ec.create_replication_group(
        ReplicationGroupId=group_id,
        ReplicationGroupDescription="sharded",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumNodeGroups=3,
        ReplicasPerNodeGroup=1,
        AutomaticFailoverEnabled=True,
    )["ReplicationGroup"]
    try:
        assert created["ClusterEnabled"] is True and created["ClusterMode"] == "enabled"
        assert len(created["MemberClusters"]) == 6
        group = wait_group(ec, group_id, timeout=60)
        shards = group["NodeGroups"]
        assert [s["NodeGroupId"] for s in shards] == ["0001", "0002", "0003"]
        assert [s["Slots"] for s in shards] == ["0-5460", "5461-10921", "10922-16383"]
        assert all(
            sorted(m["CurrentRole"] for m in s["NodeGroupMembers"]) == ["primary", "replica"] for s in shards
        )
        config = group["ConfigurationEndpoint"]

        client = RedisCluster(host=config["Address"], port=config["Port"], socket_timeout=5)
        for n in range(300):
            client.set(f"key:{n}", n)
        assert [int(client.get(f"key:{n}")) for n in range(300)] == list(range(300))
        slots = client.cluster_slots()
        assert sorted(slots) == [(0, 5460), (5461, 10921), (10922, 16383)]
        # The keys are spread over the three primaries, each holding only its own slots' keys.
        counts = []
        for shard in shards:
            primary = next(m for m in shard["NodeGroupMembers"] if m["CurrentRole"] == "primary")
            node = redis.Redis(port=primary["ReadEndpoint"]["Port"], socket_timeout=5)
            counts.append(node.dbsize())
            assert b"cluster_state:ok" in node.execute_command("CLUSTER", "INFO")
            replica = next(m for m in shard["NodeGroupMembers"] if m["CurrentRole"] == "replica")
            follower = redis.Redis(port=replica["ReadEndpoint"]["Port"], socket_timeout=5)
            node.execute_command("WAIT", 1, 5000)
            assert follower.dbsize() == counts[-1]
        assert sum(counts) == 300 and all(c > 50 for c in counts)
        client.close()
    finally:
        ec.delete_replication_group(ReplicationGroupId=group_id)
    wait_gone(lambda: ec.describe_replication_groups(ReplicationGroupId=group_id), timeout=60)


def test_node_group_configuration_sets_slots_and_bad_layouts_are_refused(ec):
    with pytest.raises(ClientError) as error:
        ec.create_replication_group(
            ReplicationGroupId=unique("bad"), ReplicationGroupDescription="x", Engine="redis",
            CacheNodeType="cache.t3.micro", NumNodeGroups=2,
            NodeGroupConfiguration=[{"Slots": "0-100", "ReplicaCount": 0}, {"Slots": "101-200", "ReplicaCount": 0}],
        )  # fmt: skip
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as error:
        ec.create_replication_group(
            ReplicationGroupId=unique("bad"), ReplicationGroupDescription="x", Engine="redis",
            CacheNodeType="cache.t3.micro", NumNodeGroups=2, AutomaticFailoverEnabled=False,
        )  # fmt: skip
    assert error.value.response["Error"]["Code"] == "InvalidParameterCombination"
    group_id = unique("custom")
    ec.create_replication_group(
        ReplicationGroupId=group_id, ReplicationGroupDescription="x", Engine="redis",
        CacheNodeType="cache.t3.micro", NumNodeGroups=2,
        NodeGroupConfiguration=[
            {"NodeGroupId": "0001", "Slots": "0-1000", "ReplicaCount": 0},
            {"NodeGroupId": "0002", "Slots": "1001-16383", "ReplicaCount": 0},
        ],
    )  # fmt: skip
    try:
        group = wait_group(ec, group_id, timeout=60)
        assert [s["Slots"] for s in group["NodeGroups"]] == ["0-1000", "1001-16383"]
        config = group["ConfigurationEndpoint"]
        client = RedisCluster(host=config["Address"], port=config["Port"], socket_timeout=5)
        assert sorted(client.cluster_slots()) == [(0, 1000), (1001, 16383)]
        client.set("{user1}:a", "1")
        assert client.get("{user1}:a") == b"1"
        client.close()
    finally:
        ec.delete_replication_group(ReplicationGroupId=group_id)
    wait_gone(lambda: ec.describe_replication_groups(ReplicationGroupId=group_id), timeout=60)


def test_resharding_moves_slots_with_their_keys_and_a_shard_fails_over(ec):
    group_id = unique("reshard")
    ec.create_replication_group(
        ReplicationGroupId=group_id, ReplicationGroupDescription="x", Engine="redis",
        CacheNodeType="cache.t3.micro", NumNodeGroups=2, ReplicasPerNodeGroup=1,
    )  # fmt: skip
    try:
        group = wait_group(ec, group_id, timeout=60)
        config = group["ConfigurationEndpoint"]
        client = RedisCluster(host=config["Address"], port=config["Port"], socket_timeout=5)
        for n in range(500):
            client.set(f"k{n}", n)
        client.close()

        ec.modify_replication_group_shard_configuration(
            ReplicationGroupId=group_id, NodeGroupCount=3, ApplyImmediately=True
        )
        group = wait_group(ec, group_id, timeout=90)
        shards = group["NodeGroups"]
        assert len(shards) == 3 and len(group["MemberClusters"]) == 6
        sizes = []
        for shard in shards:
            total = 0
            for part in shard["Slots"].split(","):
                low, high = map(int, part.split("-"))
                total += high - low + 1
            sizes.append(total)
        assert sum(sizes) == 16384 and max(sizes) - min(sizes) <= 1
        client = RedisCluster(host=config["Address"], port=config["Port"], socket_timeout=5)
        assert [int(client.get(f"k{n}")) for n in range(500)] == list(range(500))
        new_primary = next(m for m in shards[2]["NodeGroupMembers"] if m["CurrentRole"] == "primary")[
            "ReadEndpoint"
        ]["Port"]
        assert redis.Redis(port=new_primary, socket_timeout=5).dbsize() > 100
        client.close()

        # A failover on one shard: its replica becomes the primary and serves the shard's keys.
        before = {m["CurrentRole"]: m["CacheClusterId"] for m in shards[0]["NodeGroupMembers"]}
        ec.test_failover(ReplicationGroupId=group_id, NodeGroupId=shards[0]["NodeGroupId"])
        group = wait_group(ec, group_id, timeout=60)
        after = {m["CurrentRole"]: m["CacheClusterId"] for m in group["NodeGroups"][0]["NodeGroupMembers"]}
        assert after["primary"] == before["replica"] and after["replica"] == before["primary"]
        with pytest.raises(ClientError) as error:
            ec.test_failover(ReplicationGroupId=group_id, NodeGroupId="0099")
        assert error.value.response["Error"]["Code"] == "NodeGroupNotFoundFault"

        # Scaling in empties the removed shard into the others.
        ec.modify_replication_group_shard_configuration(
            ReplicationGroupId=group_id, NodeGroupCount=2, NodeGroupsToRemove=["0002"], ApplyImmediately=True
        )
        group = wait_group(ec, group_id, timeout=90)
        assert [s["NodeGroupId"] for s in group["NodeGroups"]] == ["0001", "0003"]
        assert len(group["MemberClusters"]) == 4
        config = group["ConfigurationEndpoint"]
        client = RedisCluster(host=config["Address"], port=config["Port"], socket_timeout=5)
        assert [int(client.get(f"k{n}")) for n in range(500)] == list(range(500))
        client.close()
    finally:
        ec.delete_replication_group(ReplicationGroupId=group_id)
    wait_gone(lambda: ec.describe_replication_groups(ReplicationGroupId=group_id), timeout=60)
