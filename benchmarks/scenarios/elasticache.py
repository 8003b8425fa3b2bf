"""ElastiCache: DescribeCacheClusters of one cluster with its nodes (the call every waiter and
client-side discovery repeats). The cluster is a real redis-server that the setup creates."""

from scenarios import AwsCall, ClientFactory, Scenario

CLUSTER = "bench-redis"


def _setup(client: ClientFactory) -> None:
    client("elasticache").create_cache_cluster(
        CacheClusterId=CLUSTER, Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1
    )


SCENARIOS = (
    Scenario(
        name="elasticache-describe-cache-cluster",
        summary="ElastiCache DescribeCacheClusters of one cluster with ShowCacheNodeInfo (query protocol)",
        setup=_setup,
        requests=(
            AwsCall(
                "elasticache",
                "DescribeCacheClusters",
                {"CacheClusterId": CLUSTER, "ShowCacheNodeInfo": True},
            ),
        ),
    ),
)
