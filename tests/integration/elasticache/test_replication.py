"""Replication groups: a Redis primary and real replicas (REPLICAOF), failover promoting a
replica, RDB snapshots restored into new clusters, and RBAC users as ACL users on the engine."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.integration.elasticache.conftest import Redis, RedisError, unique, wait_cluster, wait_group


def eventually(check, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.05)


def test_a_replica_returns_what_the_primary_wrote_and_failover_promotes_it(ec, tls):
    group_id = unique("rg")
    # The guide's command.
    ec.create_replication_group(
        ReplicationGroupId=group_id, ReplicationGroupDescription="App cache", Engine="redis",
        EngineVersion="7.0", CacheNodeType="cache.t3.micro", NumCacheClusters=2,
        AutomaticFailoverEnabled=True, AtRestEncryptionEnabled=True, TransitEncryptionEnabled=True,
    )  # fmt: skip
    group = wait_group(ec, group_id)
    assert group["MemberClusters"] == [f"{group_id}-001", f"{group_id}-002"]
    assert group["AutomaticFailover"] == "enabled" and group["ClusterEnabled"] is False
    node_group = group["NodeGroups"][0]
    primary_port = node_group["PrimaryEndpoint"]["Port"]
    reader_port = node_group["ReaderEndpoint"]["Port"]
    assert primary_port != reader_port
    roles = {m["CacheClusterId"]: m["CurrentRole"] for m in node_group["NodeGroupMembers"]}
    assert roles == {f"{group_id}-001": "primary", f"{group_id}-002": "replica"}
    member = wait_cluster(ec, f"{group_id}-002")
    assert member["ReplicationGroupId"] == group_id

    # In-transit encryption: the nodes speak TLS only, with a certificate of Overcast's CA.
    with pytest.raises(OSError):
        Redis(primary_port)("PING")
    primary, replica = Redis(primary_port, tls=tls), Redis(reader_port, tls=tls)
    assert primary("SET", "order:1", "paid") == "OK"
    assert eventually(lambda: replica("GET", "order:1")) == b"paid"
    assert isinstance(replica("SET", "x", "1"), RedisError)  # READONLY
    primary.close()
    replica.close()

    # Snapshot of the group, restored into a new cluster.
    ec.create_snapshot(ReplicationGroupId=group_id, SnapshotName=f"{group_id}-snap")
    snap = eventually(
        lambda: next(
            (s for s in ec.describe_snapshots(SnapshotName=f"{group_id}-snap")["Snapshots"]
             if s["SnapshotStatus"] == "available"), None,
        )
    )  # fmt: skip
    assert snap["ReplicationGroupId"] == group_id and snap["NodeSnapshots"][0]["CacheSize"]

    ec.test_failover(ReplicationGroupId=group_id, NodeGroupId="0001")
    group = wait_group(ec, group_id)
    node_group = group["NodeGroups"][0]
    assert node_group["PrimaryEndpoint"]["Port"] == reader_port
    roles = {m["CacheClusterId"]: m["CurrentRole"] for m in node_group["NodeGroupMembers"]}
    assert roles == {f"{group_id}-001": "replica", f"{group_id}-002": "primary"}
    new_primary, old_primary = Redis(reader_port, tls=tls), Redis(primary_port, tls=tls)
    assert new_primary("SET", "order:2", "shipped") == "OK"
    assert eventually(lambda: old_primary("GET", "order:2")) == b"shipped"
    assert isinstance(old_primary("SET", "y", "1"), RedisError)
    new_primary.close()
    old_primary.close()
    messages = [
        e["Message"]
        for e in ec.describe_events(SourceType="replication-group", SourceIdentifier=group_id)["Events"]
    ]
    assert any("Failover" in m for m in messages)

    restored_id = unique("restored")
    ec.create_cache_cluster(
        CacheClusterId=restored_id,
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        SnapshotName=f"{group_id}-snap",
    )
    restored = wait_cluster(ec, restored_id)
    conn = Redis(restored["CacheNodes"][0]["Endpoint"]["Port"])
    assert conn("GET", "order:1") == b"paid"
    assert conn("GET", "order:2") is None  # written after the snapshot
    conn.close()

    ec.delete_cache_cluster(CacheClusterId=restored_id)
    ec.delete_replication_group(ReplicationGroupId=group_id, FinalSnapshotIdentifier=f"{group_id}-final")
    eventually(lambda: not ec.describe_replication_groups()["ReplicationGroups"]
               or all(g["ReplicationGroupId"] != group_id for g in ec.describe_replication_groups()["ReplicationGroups"]))  # fmt: skip
    assert (
        ec.describe_snapshots(SnapshotName=f"{group_id}-final")["Snapshots"][0]["SnapshotStatus"]
        == "available"
    )
    ec.delete_snapshot(SnapshotName=f"{group_id}-snap")
    ec.delete_snapshot(SnapshotName=f"{group_id}-final")


def test_users_and_user_groups_are_acl_users_on_the_engine(ec, tls):
    suffix = unique("u")
    app, default = f"app-{suffix}", f"def-{suffix}"
    ec.create_user(
        UserId=app,
        UserName="app",
        Engine="redis",
        AccessString="on ~app:* +@all",
        Passwords=["app-password-123456"],
    )
    ec.create_user(UserId=default, UserName="default", Engine="redis", AccessString="off ~* +@all",
                   NoPasswordRequired=True)  # fmt: skip
    with pytest.raises(ClientError) as error:
        ec.create_user_group(UserGroupId=f"g-{suffix}", Engine="redis", UserIds=[app])
    assert error.value.response["Error"]["Code"] == "DefaultUserRequired"
    ec.create_user_group(UserGroupId=f"g-{suffix}", Engine="redis", UserIds=[app, default])
    users = {u["UserId"]: u for u in ec.describe_users()["Users"]}
    assert users[app]["Authentication"] == {"Type": "password", "PasswordCount": 1}
    assert users[app]["UserGroupIds"] == [f"g-{suffix}"]
    assert "default" in users

    group_id = unique("rbac")
    ec.create_replication_group(
        ReplicationGroupId=group_id, ReplicationGroupDescription="rbac", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=1, TransitEncryptionEnabled=True,
        UserGroupIds=[f"g-{suffix}"],
    )  # fmt: skip
    group = wait_group(ec, group_id)
    assert group["UserGroupIds"] == [f"g-{suffix}"]
    assert ec.describe_user_groups(UserGroupId=f"g-{suffix}")["UserGroups"][0]["ReplicationGroups"] == [
        group_id
    ]
    redis = Redis(group["NodeGroups"][0]["PrimaryEndpoint"]["Port"], tls=tls)
    assert isinstance(redis("GET", "app:x"), RedisError)  # the default user is off
    assert isinstance(redis("AUTH", "app", "wrong-password-123456"), RedisError)
    assert redis("AUTH", "app", "app-password-123456") == "OK"
    assert redis("SET", "app:x", "1") == "OK"
    assert isinstance(redis("SET", "other:x", "1"), RedisError)  # outside ~app:*
    redis.close()

    # A changed access string reaches the engine.
    ec.modify_user(UserId=app, AccessString="on ~* +@all")
    redis = Redis(group["NodeGroups"][0]["PrimaryEndpoint"]["Port"], tls=tls)
    assert redis("AUTH", "app", "app-password-123456") == "OK"
    assert redis("SET", "other:x", "1") == "OK"
    redis.close()

    with pytest.raises(ClientError) as error:
        ec.delete_user_group(UserGroupId=f"g-{suffix}")
    assert error.value.response["Error"]["Code"] == "InvalidUserGroupState"
    ec.delete_replication_group(ReplicationGroupId=group_id)


def test_a_crashed_primary_fails_over_to_its_replica(ec, endpoint):
    import json
    import os
    import signal
    import urllib.request

    group_id = unique("crash")
    ec.create_replication_group(
        ReplicationGroupId=group_id, ReplicationGroupDescription="crash", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=2, AutomaticFailoverEnabled=True,
    )  # fmt: skip
    group = wait_group(ec, group_id)
    primary_port = group["NodeGroups"][0]["PrimaryEndpoint"]["Port"]
    replica_port = group["NodeGroups"][0]["ReaderEndpoint"]["Port"]
    conn = Redis(primary_port)
    assert conn("SET", "before", "1") == "OK"
    conn.close()
    with urllib.request.urlopen(f"{endpoint}/_overcast/ps", timeout=10) as response:
        engines = json.loads(response.read())["engines"]
    pid = next(e["pid"] for e in engines if e["name"] == f"{group_id}-001/0001")
    os.kill(pid, signal.SIGKILL)

    def promoted():
        found = ec.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
        return (
            found
            if found["Status"] == "available"
            and found["NodeGroups"][0]["PrimaryEndpoint"]["Port"] == replica_port
            else None
        )

    group = eventually(promoted, timeout=30)
    roles = {m["CacheClusterId"]: m["CurrentRole"] for m in group["NodeGroups"][0]["NodeGroupMembers"]}
    assert roles == {f"{group_id}-001": "replica", f"{group_id}-002": "primary"}
    new_primary = Redis(replica_port)
    assert new_primary("GET", "before") == b"1"
    assert new_primary("SET", "after", "2") == "OK"
    new_primary.close()

    def followed():
        try:
            old = Redis(primary_port)
        except OSError:
            return None
        value = old("GET", "after")
        old.close()
        return value

    assert eventually(followed, timeout=30) == b"2"  # the old primary came back as a replica
    messages = [
        e["Message"]
        for e in ec.describe_events(SourceType="replication-group", SourceIdentifier=group_id)["Events"]
    ]
    assert any(m.startswith("Failover from") for m in messages)
    ec.delete_replication_group(ReplicationGroupId=group_id)
