"""What ElastiCache offers: engines and their versions, parameter group families and their
default parameters, node types and their memory, reserved node offerings."""

from __future__ import annotations

import hashlib
from typing import Any

from overcast.errors import ServiceError

#: Engine → versions, oldest first (DescribeCacheEngineVersions), and each version's family.
VERSIONS: dict[str, list[tuple[str, str]]] = {
    "redis": [
        ("5.0.6", "redis5.0"),
        ("6.0", "redis6.x"),
        ("6.2", "redis6.x"),
        ("7.0", "redis7"),
        ("7.1", "redis7"),
    ],
    "valkey": [("7.2", "valkey7"), ("8.0", "valkey8")],
    "memcached": [("1.5.16", "memcached1.5"), ("1.6.6", "memcached1.6"), ("1.6.17", "memcached1.6"),
                  ("1.6.22", "memcached1.6")],
}  # fmt: skip
DEFAULT_VERSION = {"redis": "7.1", "valkey": "8.0", "memcached": "1.6.22"}
ENGINE_DESCRIPTION = {"redis": "Redis", "valkey": "Valkey", "memcached": "memcached"}

#: Node type → memory in MiB (the engine's maxmemory; a node here gets a fraction of it).
NODE_TYPES: dict[str, float] = {
    "cache.t2.micro": 555, "cache.t2.small": 1550, "cache.t2.medium": 3220,
    "cache.t3.micro": 512, "cache.t3.small": 1370, "cache.t3.medium": 3090,
    "cache.t4g.micro": 512, "cache.t4g.small": 1370, "cache.t4g.medium": 3090,
    "cache.m5.large": 6380, "cache.m5.xlarge": 12930, "cache.m5.2xlarge": 26040,
    "cache.m6g.large": 6380, "cache.m6g.xlarge": 12930, "cache.m7g.large": 6380,
    "cache.r5.large": 13070, "cache.r5.xlarge": 26320, "cache.r6g.large": 13070,
    "cache.r6g.xlarge": 26320, "cache.r7g.large": 13070, "cache.m4.large": 6420,
    "cache.r4.large": 12300, "cache.m3.medium": 2780, "cache.t1.micro": 213,
}  # fmt: skip
#: The memory a node's engine is given (maxmemory), at most, so that many nodes fit a laptop.
MAX_NODE_MB = 256


def check_engine(engine: str | None) -> str:
    name = (engine or "redis").lower()
    if name not in VERSIONS:
        raise ServiceError("InvalidParameterValue", f"Invalid value for Engine: {engine}")
    return name


def resolve_version(engine: str, version: str | None) -> str:
    if not version:
        return DEFAULT_VERSION[engine]
    known = [v for v, _ in VERSIONS[engine]]
    if version in known:
        return version
    # "7.x", "6.x", "7" name the newest of that major.
    major = version.split(".")[0]
    matches = [v for v in known if v.split(".")[0] == major]
    if matches and (version.endswith(".x") or version == major):
        return matches[-1]
    within = [v for v in known if v.startswith(version + ".")]
    if within:
        return within[-1]
    if version.startswith(tuple(f"{v}." for v in known)):
        return version
    raise ServiceError("InvalidParameterCombination", f"Cannot find version {version} for {engine}")


def family(engine: str, version: str) -> str:
    best = VERSIONS[engine][-1][1]
    for known, fam in VERSIONS[engine]:
        if (
            version == known
            or version.startswith(known + ".")
            or version.split(".")[:2] == known.split(".")[:2]
        ):
            best = fam
    return best


def family_engine(name: str) -> str | None:
    for engine, versions in VERSIONS.items():
        if any(fam == name for _, fam in versions):
            return engine
    return None


def check_node_type(node_type: str | None) -> str:
    if not node_type:
        raise ServiceError(
            "InvalidParameterValue", "The parameter CacheNodeType must be provided and must not be null."
        )
    if node_type not in NODE_TYPES:
        raise ServiceError("InvalidParameterValue", f"Invalid CacheNodeType: {node_type}")
    return node_type


def node_memory(node_type: str) -> int:
    return int(min(NODE_TYPES[node_type], MAX_NODE_MB))


def _param(
    name: str,
    value: str,
    kind: str,
    allowed: str,
    description: str,
    modifiable: bool = True,
    change: str = "immediate",
) -> dict[str, Any]:
    return {
        "ParameterName": name, "ParameterValue": value, "Description": description, "Source": "system",
        "DataType": kind, "AllowedValues": allowed, "IsModifiable": modifiable,
        "MinimumEngineVersion": "2.6.13", "ChangeType": change,
    }  # fmt: skip


_POLICIES = (
    "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction"
)
REDIS_PARAMETERS = [
    _param("activerehashing", "yes", "string", "yes,no", "Apply rehashing or not.", change="requires-reboot"),
    _param("appendonly", "no", "string", "yes,no", "Enable Redis persistence.", False),
    _param("cluster-enabled", "no", "string", "yes,no", "Enable cluster mode", change="requires-reboot"),
    _param("databases", "16", "integer", "1-1200000", "Set the number of databases.", change="requires-reboot"),
    _param("hash-max-listpack-entries", "128", "integer", "0-", "The maximum number of hash entries in order for the dataset to be compressed."),
    _param("hash-max-listpack-value", "64", "integer", "0-", "The threshold of biggest hash entries in order for the dataset to be compressed."),
    _param("lazyfree-lazy-eviction", "no", "string", "yes,no", "Perform an asynchronous delete on evictions."),
    _param("lazyfree-lazy-expire", "no", "string", "yes,no", "Perform an asynchronous delete on expired keys."),
    _param("lfu-decay-time", "1", "integer", "0-", "The amount of time in minutes to decrement the key counter for LFU eviction policy"),
    _param("lfu-log-factor", "10", "integer", "1-", "The log factor for incrementing key counter for LFU eviction policy"),
    _param("list-max-listpack-size", "-2", "integer", "-5-", "Max number of entries or bytes in a list node."),
    _param("lua-time-limit", "5000", "integer", "5000", "Max execution time of a Lua script in milliseconds.", False),
    _param("maxclients", "65000", "integer", "1-65000", "The maximum number of Redis clients.", False, "requires-reboot"),
    _param("maxmemory-policy", "volatile-lru", "string", _POLICIES, "Max memory policy."),
    _param("maxmemory-samples", "3", "integer", "1-", "Max memory samples."),
    _param("notify-keyspace-events", "", "string", None or "", "The keyspace events for Redis to notify Pub/Sub clients about."),
    _param("reserved-memory-percent", "25", "integer", "0-100", "The percent of memory reserved for non-cache memory usage."),
    _param("set-max-intset-entries", "512", "integer", "0-", "The limit in the size of the set in order for the dataset to be compressed."),
    _param("slowlog-log-slower-than", "10000", "integer", "-", "The execution time, in microseconds, to exceed in order for the command to get logged."),
    _param("slowlog-max-len", "128", "integer", "0-", "The length of the slow log."),
    _param("tcp-keepalive", "300", "integer", "0-", "If non-zero, send ACKs every given number of seconds."),
    _param("timeout", "0", "integer", "0,20-", "Close connection if client is idle for a given number of seconds, or never if 0."),
    _param("zset-max-listpack-entries", "128", "integer", "0-", "The maximum number of sorted set entries in order for the dataset to be compressed."),
    _param("zset-max-listpack-value", "64", "integer", "0-", "The threshold of biggest sorted set entries in order for the dataset to be compressed."),
]  # fmt: skip
MEMCACHED_PARAMETERS = [
    _param("backlog_queue_limit", "1024", "integer", "1-10000", "The backlog queue limit.", False, "requires-reboot"),
    _param("binding_protocol", "auto", "string", "auto,binary,ascii", "Binding protocol.", False, "requires-reboot"),
    _param("cas_disabled", "0", "boolean", "0,1", "If 1, check and set (CAS) operations will be disabled.", change="requires-reboot"),
    _param("chunk_size", "48", "integer", "1-", "The minimum number of bytes to allocate for the smallest item's key, value, and flags.", change="requires-reboot"),
    _param("max_item_size", "1048576", "integer", "1048576-134217728", "The size of the largest item storable in the cache, in bytes.", change="requires-reboot"),
    _param("max_simultaneous_connections", "65000", "integer", "3-65000", "The maximum number of simultaneous connections.", False, "requires-reboot"),
    _param("maxconns_fast", "0", "boolean", "0,1", "Controls the way memcached handles new connection requests when the maximum connection limit is reached.", change="requires-reboot"),
]  # fmt: skip


def default_parameters(fam: str) -> list[dict[str, Any]]:
    engine = family_engine(fam)
    params = MEMCACHED_PARAMETERS if engine == "memcached" else REDIS_PARAMETERS
    result = []
    for param in params:
        if fam in ("redis5.0", "redis6.x") and "listpack" in param["ParameterName"]:
            param = {**param, "ParameterName": param["ParameterName"].replace("listpack", "ziplist")}
        result.append(dict(param))
    return result


def default_group(fam: str) -> str:
    return f"default.{fam}"


#: Reserved node offerings: each node type for one and three years, for each payment option.
_DURATIONS = (31536000, 94608000)
_OFFERINGS = ("No Upfront", "Partial Upfront", "All Upfront")


def offerings() -> list[dict[str, Any]]:
    found = []
    for node_type, memory in NODE_TYPES.items():
        hourly = round(0.017 * memory / 512, 4)
        for duration in _DURATIONS:
            years = duration // 31536000
            for kind in _OFFERINGS:
                for product in ("redis", "memcached"):
                    seed = f"{node_type}/{duration}/{kind}/{product}".encode()
                    digest = hashlib.sha256(seed).hexdigest()
                    offering_id = (
                        f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
                    )
                    upfront = {"No Upfront": 0.0, "Partial Upfront": 0.5, "All Upfront": 1.0}[kind]
                    total = hourly * 24 * 365 * years * 0.6
                    found.append({
                        "ReservedCacheNodesOfferingId": offering_id,
                        "CacheNodeType": node_type,
                        "Duration": duration,
                        "FixedPrice": round(total * upfront, 2),
                        "UsagePrice": 0.0,
                        "ProductDescription": product,
                        "OfferingType": kind,
                        "RecurringCharges": [] if kind == "All Upfront" else [{
                            "RecurringChargeAmount": round(hourly * 0.6 * (1 - upfront), 4),
                            "RecurringChargeFrequency": "Hourly",
                        }],
                    })  # fmt: skip
    return found
