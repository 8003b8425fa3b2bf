"""Cache nodes come back with their data after Overcast restarts; an engine that is not
installed is refused at once, naming its package."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import Server
from tests.integration.elasticache.conftest import Redis, wait_cluster, wait_group


def client_for(server: Server):
    return boto3.client(
        "elasticache", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip


def test_cache_data_and_ports_survive_an_overcast_restart(tmp_path):
    data = str(tmp_path / "data")
    server = Server("--data-dir", data, "--quiet")
    try:
        ec = client_for(server)
        ec.create_replication_group(
            ReplicationGroupId="sessions", ReplicationGroupDescription="s", Engine="redis",
            CacheNodeType="cache.t3.micro", NumCacheClusters=2, AutomaticFailoverEnabled=True,
        )  # fmt: skip
        group = wait_group(ec, "sessions")
        primary = group["NodeGroups"][0]["PrimaryEndpoint"]["Port"]
        reader = group["NodeGroups"][0]["ReaderEndpoint"]["Port"]
        conn = Redis(primary)
        assert conn("SET", "user:1", "ada") == "OK"
        conn.close()
    finally:
        server.stop()
    with pytest.raises(OSError):
        Redis(primary)  # the engines stopped with Overcast

    again = Server("--data-dir", data, "--quiet")
    try:
        ec = client_for(again)
        group = wait_group(ec, "sessions")
        assert group["NodeGroups"][0]["PrimaryEndpoint"]["Port"] == primary
        wait_cluster(ec, "sessions-002")
        deadline = time.monotonic() + 20
        while True:
            try:
                conn = Redis(primary)
                value = conn("GET", "user:1")
                conn.close()
                replica = Redis(reader)
                copied = replica("GET", "user:1")
                replica.close()
                if value == b"ada" and copied == b"ada":
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the data did not come back"
            time.sleep(0.1)
    finally:
        again.stop()


def test_a_missing_engine_is_refused_at_once_naming_its_package(tmp_path):
    server = Server(
        "--ephemeral", "--quiet",
        env={"OVERCAST_REDIS_BIN_DIR": str(tmp_path / "none"), "OVERCAST_MEMCACHED_BIN_DIR": str(tmp_path / "none")},
    )  # fmt: skip
    try:
        ec = client_for(server)
        with pytest.raises(ClientError) as error:
            ec.create_cache_cluster(CacheClusterId="c1", Engine="redis", CacheNodeType="cache.t3.micro")
        assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
        assert "redis-server" in error.value.response["Error"]["Message"]
        with pytest.raises(ClientError) as error:
            ec.create_cache_cluster(
                CacheClusterId="c2", Engine="memcached", CacheNodeType="cache.t3.micro", NumCacheNodes=1
            )
        assert "memcached" in error.value.response["Error"]["Message"]
        assert ec.describe_cache_clusters()["CacheClusters"] == []
    finally:
        server.stop()


def test_automatic_snapshots_are_taken_in_the_snapshot_window():
    from datetime import UTC, datetime, timedelta

    # The scheduler's clock runs 60 times as fast: a window ten minutes away opens within seconds.
    server = Server("--ephemeral", "--quiet", env={"OVERCAST_SCHEDULE_SPEED": "60"})
    try:
        ec = client_for(server)
        start = datetime.now(UTC) + timedelta(minutes=10)
        end = start + timedelta(minutes=60)
        window = f"{start:%H:%M}-{end:%H:%M}"
        with pytest.raises(ClientError) as error:
            ec.create_cache_cluster(
                CacheClusterId="nightly", Engine="redis", CacheNodeType="cache.t3.micro",
                SnapshotRetentionLimit=1, SnapshotWindow="05:00-05:30",
            )  # fmt: skip
        assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
        ec.create_cache_cluster(
            CacheClusterId="nightly", Engine="redis", CacheNodeType="cache.t3.micro",
            SnapshotRetentionLimit=1, SnapshotWindow=window,
        )  # fmt: skip
        cluster = wait_cluster(ec, "nightly")
        conn = Redis(cluster["CacheNodes"][0]["Endpoint"]["Port"])
        assert conn("SET", "kept", "yes") == "OK"
        conn.close()
        deadline = time.monotonic() + 40
        while True:
            found = [
                s for s in ec.describe_snapshots(CacheClusterId="nightly", SnapshotSource="automated")["Snapshots"]
                if s["SnapshotStatus"] == "available"
            ]  # fmt: skip
            if found:
                break
            assert time.monotonic() < deadline, "no automatic snapshot"
            time.sleep(0.2)
        assert found[0]["SnapshotName"].startswith("automatic.nightly-")
        ec.create_cache_cluster(
            CacheClusterId="restored", Engine="redis", CacheNodeType="cache.t3.micro",
            SnapshotName=found[0]["SnapshotName"],
        )  # fmt: skip
        restored = wait_cluster(ec, "restored")
        conn = Redis(restored["CacheNodes"][0]["Endpoint"]["Port"])
        assert conn("GET", "kept") == b"yes"
        conn.close()
    finally:
        server.stop()
