"""ElastiCache on real engines: seconds from CreateCacheCluster (redis and memcached) to
`available`, a replica's lag behind a write to its primary, and redis-benchmark GET/SET through the
endpoint the API returns beside a redis-server started by hand (same binary, same settings but
the ones Overcast adds: its admin ACL user, maxmemory).

    .venv/bin/python benchmarks/elasticache_engines.py [--rounds 3] [--requests 100000]

Starts its own Overcast (ephemeral). The endpoint is the engine itself, so the redis-benchmark
ratio should be 1.0 within noise: runs alternate, by hand / through Overcast, to share the drift."""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from overcast.engines.process import free_port, port_open  # noqa: E402
from overcast.services.elasticache.engines import Resp  # noqa: E402
from tests.conftest import Server  # noqa: E402


def wait_available(ec, cluster_id: str, timeout: float = 60) -> dict:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        found = ec.describe_cache_clusters(CacheClusterId=cluster_id, ShowCacheNodeInfo=True)[
            "CacheClusters"
        ][0]
        if found["CacheClusterStatus"] == "available":
            return found
        if found["CacheClusterStatus"] == "failed":
            raise RuntimeError(f"{cluster_id} failed")
        time.sleep(0.01)
    raise RuntimeError(f"{cluster_id} not available after {timeout}s")


def create_seconds(ec, engine: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        cluster_id = f"bench-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        ec.create_cache_cluster(
            CacheClusterId=cluster_id, Engine=engine, CacheNodeType="cache.t3.micro", NumCacheNodes=1
        )
        wait_available(ec, cluster_id)
        times.append(time.perf_counter() - started)
        ec.delete_cache_cluster(CacheClusterId=cluster_id)
    return times


def replica_lag(ec, writes: int) -> list[float]:
    group_id = f"bench-{uuid.uuid4().hex[:8]}"
    ec.create_replication_group(
        ReplicationGroupId=group_id, ReplicationGroupDescription="bench", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=2,
    )  # fmt: skip
    while True:
        group = ec.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
        if group["Status"] == "available":
            break
        time.sleep(0.02)
    node_group = group["NodeGroups"][0]
    writer = Resp(node_group["PrimaryEndpoint"]["Port"])
    reader = Resp(node_group["ReaderEndpoint"]["Port"])
    lags = []
    for n in range(writes):
        writer.call("SET", f"lag:{n}", "x")
        started = time.perf_counter()
        while reader.call("GET", f"lag:{n}") is None:
            pass
        lags.append(time.perf_counter() - started)
    writer.close()
    reader.close()
    ec.delete_replication_group(ReplicationGroupId=group_id)
    return lags


def redis_benchmark(port: int, requests: int, clients: int) -> dict[str, float]:
    out = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "set,get", "-n", str(requests),
         "-c", str(clients), "-q"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = {}
    for name in ("SET", "GET"):
        match = re.search(rf"{name}: ([\d.]+) requests per second", out.replace("\r", "\n"))
        assert match, out
        found[name] = float(match.group(1))
    return found


class HandStarted:
    """redis-server started by hand on a free port, persistence as Overcast's nodes have it, in
    a session of its own as a daemon runs (and as Overcast runs its engines). On a kernel with
    autogroup scheduling a process that shares the benchmark client's session is woken faster
    under load than one in its own session: started in the client's session, the hand-started
    server measured about twice as fast on a loaded machine, whoever started it."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="redis-by-hand-"))
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--save", "900 1 300 10 60 10000", "--appendonly", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        while not port_open(self.port):
            time.sleep(0.01)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def cluster_mode_seconds(ec, rounds: int, keys: int = 1000) -> tuple[list[float], list[float]]:
    """Cluster mode enabled: seconds from CreateReplicationGroup (3 shards of a primary and a
    replica) to available, and from a reshard to 4 shards with `keys` keys to available."""
    from redis.cluster import RedisCluster

    def settle(group_id: str) -> dict:
        while True:
            found = ec.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
            if found["Status"] == "available":
                return found
            if found["Status"] == "create-failed":
                raise RuntimeError(f"{group_id} failed")
            time.sleep(0.02)

    creates, reshards = [], []
    for _ in range(rounds):
        group_id = f"bench-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        ec.create_replication_group(
            ReplicationGroupId=group_id, ReplicationGroupDescription="bench", Engine="redis",
            CacheNodeType="cache.t3.micro", NumNodeGroups=3, ReplicasPerNodeGroup=1,
        )  # fmt: skip
        config = settle(group_id)["ConfigurationEndpoint"]
        creates.append(time.perf_counter() - started)
        client = RedisCluster(host=config["Address"], port=config["Port"])
        for n in range(keys):
            client.set(f"k{n}", n)
        client.close()
        started = time.perf_counter()
        ec.modify_replication_group_shard_configuration(
            ReplicationGroupId=group_id, NodeGroupCount=4, ApplyImmediately=True
        )
        settle(group_id)
        reshards.append(time.perf_counter() - started)
        ec.delete_replication_group(ReplicationGroupId=group_id)
    return creates, reshards


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--requests", type=int, default=100000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    server = Server("--ephemeral", "--quiet")
    try:
        ec = boto3.client(
            "elasticache", endpoint_url=server.endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip
        for engine in ("redis", "memcached"):
            times = create_seconds(ec, engine, args.rounds)
            print(
                f"CreateCacheCluster ({engine}) -> available: median {statistics.median(times):.2f}s"
                f"  {['%.2f' % t for t in times]}"
            )
        creates, reshards = cluster_mode_seconds(ec, args.rounds)
        print(
            f"CreateReplicationGroup (cluster mode, 3 shards x 2 nodes) -> available: median"
            f" {statistics.median(creates):.2f}s; reshard 3 -> 4 shards with 1000 keys: median"
            f" {statistics.median(reshards):.2f}s"
        )
        lags = replica_lag(ec, args.writes)
        print(
            f"replica lag after a write: median {statistics.median(lags) * 1000:.2f} ms,"
            f" max {max(lags) * 1000:.2f} ms"
        )
        cluster_id = f"bench-{uuid.uuid4().hex[:8]}"
        ec.create_cache_cluster(CacheClusterId=cluster_id, Engine="redis", CacheNodeType="cache.t3.micro")
        port = wait_available(ec, cluster_id)["CacheNodes"][0]["Endpoint"]["Port"]
        hand = HandStarted()
        try:
            rows: dict[str, dict[str, list[float]]] = {
                "SET": {"hand": [], "via": []},
                "GET": {"hand": [], "via": []},
            }
            ratios: dict[str, list[float]] = {"SET": [], "GET": []}
            for _ in range(args.rounds):
                h = redis_benchmark(hand.port, args.requests, args.clients)
                o = redis_benchmark(port, args.requests, args.clients)
                for name in ("SET", "GET"):
                    rows[name]["hand"].append(h[name])
                    rows[name]["via"].append(o[name])
                    ratios[name].append(o[name] / h[name])
            for name in ("SET", "GET"):
                print(
                    f"redis-benchmark {name} ({args.clients} clients, {args.requests} requests): by hand"
                    f" {statistics.median(rows[name]['hand']):.0f}/s, through the endpoint"
                    f" {statistics.median(rows[name]['via']):.0f}/s, ratio {statistics.median(ratios[name]):.3f}"
                )
        finally:
            hand.stop()
            ec.delete_cache_cluster(CacheClusterId=cluster_id)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
