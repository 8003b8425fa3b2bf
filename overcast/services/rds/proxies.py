"""RDS Proxy: a proxy in front of one DB instance or one Aurora cluster (its default target
group's target), with a default read/write endpoint and endpoints of its own (READ_WRITE to
the writer, READ_ONLY to a cluster's readers).

Each endpoint is a real listener (forwarding.py) on a 127.0.2.x address at the engine family's
default port (5432 for PostgreSQL, 3306 for MySQL), as a proxy's DNS name answers on that port
on AWS. At each new client connection it reaches the target as it is now — the instance, the
cluster's current writer, or its available readers in turn — so a failover needs no client
change. The connection is relayed byte for byte: the client authenticates to the engine with
the credentials the proxy's Secrets Manager secret holds on AWS; the pooling and multiplexing
RDS Proxy adds between them are not reproduced (each client connection is one engine
connection)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from overcast.common import tagging
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.rds.common import (
    MixinBase,
    arn,
    check_identifier,
    check_max_records,
    invalid,
    iso,
    not_found,
)
from overcast.services.rds.forwarding import bind_free

PROXY_BLOCK = "127.0.2"
PORTS = {"POSTGRESQL": 5432, "MYSQL": 3306, "SQLSERVER": 1433}
#: AWS's quotas: proxies per account and region, endpoints per proxy.
MAX_PROXIES = 20
MAX_ENDPOINTS = 20
DEFAULT_POOL = {
    "MaxConnectionsPercent": 100,
    "MaxIdleConnectionsPercent": 50,
    "ConnectionBorrowTimeout": 120,
    "SessionPinningFilters": [],
    "InitQuery": "",
}


def proxy_not_found(name: str) -> ServiceError:
    return not_found(
        "DBProxyNotFoundFault",
        f"The specified proxy name {name} doesn't correspond to a proxy owned by your Amazon Web"
        " Services account in the specified Amazon Web Services Region.",
    )


def endpoint_not_found(name: str) -> ServiceError:
    return not_found("DBProxyEndpointNotFoundFault", f"DBProxyEndpoint {name} not found.")


def group_not_found(name: str) -> ServiceError:
    return not_found("DBProxyTargetGroupNotFoundFault", f"DBProxyTargetGroup {name} not found.")


def family_of(engine: str) -> str:
    return "POSTGRESQL" if "postgres" in engine else "MYSQL"


def _suffix(*parts: str) -> str:
    return hashlib.sha256("/".join((*parts, str(time.time_ns()))).encode()).hexdigest()[:17]


class ProxyMixin(MixinBase):
    def _proxy_row(self, scope: str, name: str) -> dict[str, Any]:
        row = self.proxies.get(scope, name.lower())
        if row is None:
            raise proxy_not_found(name)
        return row

    def _proxy_endpoint_row(self, scope: str, name: str) -> dict[str, Any]:
        row = self.proxy_endpoints.get(scope, name.lower())
        if row is None:
            raise endpoint_not_found(name)
        return row

    @staticmethod
    def _group(row: dict[str, Any], name: str | None) -> dict[str, Any]:
        group = row["group"]
        if (name or "default") != group["TargetGroupName"]:
            raise group_not_found(name or "default")
        return group

    # -- the data plane -------------------------------------------------------------------------------

    def _instance_target(self, scope: str, identifier: str) -> tuple[str, int] | None:
        instance = self.instances.get(scope, identifier)
        if instance is None or instance["desc"].get("DBInstanceStatus") != "available":
            return None
        return (instance.get("address") or "127.0.0.1", instance["port"])

    def proxy_targets(self, scope: str, proxy: str, role: str) -> list[tuple[str, int]]:
        """Where a connection to one of the proxy's endpoints goes now."""
        row = self.proxies.get(scope, proxy)
        if row is None:
            return []
        group = row["group"]
        picks: list[str] = []
        if group.get("instance"):
            if role == "READ_WRITE":
                picks = [group["instance"]]
        elif group.get("cluster"):
            cluster = self.clusters.get(scope, group["cluster"])
            if cluster is not None:
                writer = cluster.get("writer")
                if role == "READ_WRITE":
                    picks = [writer] if writer else []
                else:
                    picks = [m for m in cluster["members"] if m != writer]
        return [t for t in (self._instance_target(scope, p) for p in picks) if t is not None]

    def open_proxy_listener(self, scope: str, kind: str, row: dict[str, Any]) -> str:
        """Start the listener of a proxy (kind "proxy") or one of its endpoints; its address."""
        if kind == "proxy":
            name, proxy, role = row["desc"]["DBProxyName"], row["desc"]["DBProxyName"], "READ_WRITE"
            family = row["desc"]["EngineFamily"]
        else:
            name, proxy = row["desc"]["DBProxyEndpointName"], row["desc"]["DBProxyName"]
            role = row["desc"]["TargetRole"]
            owner = self.proxies.get(scope, proxy.lower())
            family = owner["desc"]["EngineFamily"] if owner else "POSTGRESQL"
        key = f"{kind}/{scope}/{name.lower()}"
        self.close_forwarder(key)
        taken = {f.address[0] for f in self.forwarders.values()}
        forwarder = bind_free(
            PROXY_BLOCK,
            PORTS.get(family, 5432),
            taken,
            lambda: self.proxy_targets(scope, proxy.lower(), role),
            name,
            preferred=row.get("address"),
        )
        self.forwarders[key] = forwarder
        return forwarder.address[0]

    def _listen(self, scope: str, kind: str, row: dict[str, Any]) -> str:
        try:
            return self.open_proxy_listener(scope, kind, row)
        except OSError as error:
            raise ServiceError(
                "InsufficientAvailableIPsInSubnetFault", f"No address is free for the proxy: {error}"
            ) from None

    # -- proxies --------------------------------------------------------------------------------------

    def _render_proxy(self, row: dict[str, Any]) -> dict[str, Any]:
        return dict(row["desc"])

    @staticmethod
    def _auth(entries: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        out = []
        for entry in entries or []:
            item = {k: v for k, v in entry.items() if v is not None}
            item.setdefault("AuthScheme", "SECRETS")
            item.setdefault("IAMAuth", "DISABLED")
            if item["IAMAuth"] not in ("DISABLED", "REQUIRED", "ENABLED"):
                raise invalid(f"Invalid IAMAuth value: {item['IAMAuth']}")
            out.append(item)
        return out

    def create_db_proxy(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = check_identifier(params["DBProxyName"], "DBProxyName")
        family = params["EngineFamily"]
        if family not in PORTS:
            raise invalid(
                f"Invalid EngineFamily: {family}. Valid values are MYSQL, POSTGRESQL and SQLSERVER."
            )
        subnets = params["VpcSubnetIds"]
        for subnet in subnets:
            if not subnet.startswith("subnet-"):
                raise ServiceError("InvalidSubnet", f"The subnet ID '{subnet}' is not valid")
        timeout = params.get("IdleClientTimeout", 1800)
        if not 1 <= timeout <= 28800:
            raise invalid("IdleClientTimeout must be between 1 and 28800 seconds.")
        auth = self._auth(params.get("Auth"))
        from overcast.services.rds.groups import _vpc_of

        with self.store.transaction():
            if self.proxies.get(scope, name) is not None:
                raise ServiceError(
                    "DBProxyAlreadyExistsFault",
                    f"Cannot create the DBProxy because a DBProxy with the identifier {name} already exists.",
                )
            if self.proxies.count(scope) >= MAX_PROXIES:
                raise ServiceError(
                    "DBProxyQuotaExceededFault", f"You can't create more than {MAX_PROXIES} proxies."
                )
            moment = iso()
            row: dict[str, Any] = {
                "desc": {
                    "DBProxyName": name,
                    "DBProxyArn": arn(context, "db-proxy", "prx-" + _suffix(scope, name)),
                    "Status": "available",
                    "EngineFamily": family,
                    "VpcId": _vpc_of(subnets),
                    "VpcSecurityGroupIds": params.get("VpcSecurityGroupIds") or [],
                    "VpcSubnetIds": subnets,
                    "Auth": auth,
                    "RoleArn": params["RoleArn"],
                    "Endpoint": "",
                    "RequireTLS": bool(params.get("RequireTLS")),
                    "IdleClientTimeout": timeout,
                    "DebugLogging": bool(params.get("DebugLogging")),
                    "CreatedDate": moment,
                    "UpdatedDate": moment,
                    "EndpointNetworkType": params.get("EndpointNetworkType") or "IPV4",
                    "TargetConnectionNetworkType": params.get("TargetConnectionNetworkType") or "IPV4",
                },
                "group": {
                    "TargetGroupName": "default",
                    "TargetGroupArn": arn(context, "target-group", "prx-tg-" + _suffix(scope, name, "tg")),
                    "ConnectionPoolConfig": dict(DEFAULT_POOL),
                    "CreatedDate": moment,
                    "UpdatedDate": moment,
                },
                "tags": tagging.add_tags(None, params.get("Tags"), self.tag_rules),
            }
            if params.get("DefaultAuthScheme"):
                row["desc"]["DefaultAuthScheme"] = params["DefaultAuthScheme"]
            row["address"] = self._listen(scope, "proxy", row)
            row["desc"]["Endpoint"] = row["address"]
            self.proxies.put(scope, name, row)
        return {"DBProxy": self._render_proxy(row)}

    def describe_db_proxies(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        if params.get("DBProxyName"):
            rows = [self._proxy_row(scope, params["DBProxyName"])]
        else:
            rows = [row for _, row in self.proxies.scan(scope)]
        return self.page("DescribeDBProxies", params, [self._render_proxy(r) for r in rows])

    def modify_db_proxy(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._proxy_row(scope, params["DBProxyName"])
            desc = row["desc"]
            for member in ("RequireTLS", "DebugLogging", "RoleArn", "DefaultAuthScheme"):
                if params.get(member) is not None:
                    desc[member] = params[member]
            if params.get("IdleClientTimeout") is not None:
                if not 1 <= params["IdleClientTimeout"] <= 28800:
                    raise invalid("IdleClientTimeout must be between 1 and 28800 seconds.")
                desc["IdleClientTimeout"] = params["IdleClientTimeout"]
            if params.get("Auth") is not None:
                desc["Auth"] = self._auth(params["Auth"])
            if params.get("SecurityGroups") is not None:
                desc["VpcSecurityGroupIds"] = params["SecurityGroups"]
            old = desc["DBProxyName"]
            new = params.get("NewDBProxyName")
            if new and new.lower() != old:
                new = check_identifier(new, "NewDBProxyName")
                if self.proxies.get(scope, new) is not None:
                    raise ServiceError("DBProxyAlreadyExistsFault", f"DBProxy {new} already exists.")
                desc["DBProxyName"] = new
                self.proxies.delete(scope, old)
                for _, endpoint in list(self.proxy_endpoints.scan(scope)):
                    if endpoint["desc"]["DBProxyName"] == old:
                        endpoint["desc"]["DBProxyName"] = new
                        self.proxy_endpoints.put(scope, endpoint["desc"]["DBProxyEndpointName"], endpoint)
            desc["UpdatedDate"] = iso()
            self.proxies.put(scope, desc["DBProxyName"], row)
        if new and new.lower() != old:
            # Listeners choose targets by the proxy's name: they start again under the new one.
            self.close_forwarder(f"proxy/{scope}/{old}")
            self.open_proxy_listener(scope, "proxy", row)
            for _, endpoint in self.proxy_endpoints.scan(scope):
                if endpoint["desc"]["DBProxyName"] == desc["DBProxyName"]:
                    self.open_proxy_listener(scope, "endpoint", endpoint)
        return {"DBProxy": self._render_proxy(row)}

    def delete_db_proxy(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._proxy_row(scope, params["DBProxyName"])
            name = row["desc"]["DBProxyName"]
            self.proxies.delete(scope, name)
            endpoints = [e for _, e in self.proxy_endpoints.scan(scope) if e["desc"]["DBProxyName"] == name]
            for endpoint in endpoints:
                self.proxy_endpoints.delete(scope, endpoint["desc"]["DBProxyEndpointName"])
        self.close_forwarder(f"proxy/{scope}/{name}")
        for endpoint in endpoints:
            self.close_forwarder(f"endpoint/{scope}/{endpoint['desc']['DBProxyEndpointName']}")
        return {"DBProxy": {**self._render_proxy(row), "Status": "deleting"}}

    # -- the target group and its targets -------------------------------------------------------------

    def _render_group(self, row: dict[str, Any]) -> dict[str, Any]:
        group = row["group"]
        return {
            "DBProxyName": row["desc"]["DBProxyName"],
            "TargetGroupName": group["TargetGroupName"],
            "TargetGroupArn": group["TargetGroupArn"],
            "IsDefault": True,
            "Status": "available",
            "ConnectionPoolConfig": dict(group["ConnectionPoolConfig"]),
            "CreatedDate": group["CreatedDate"],
            "UpdatedDate": group["UpdatedDate"],
        }

    def describe_db_proxy_target_groups(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        row = self._proxy_row(self.scope_of(context), params["DBProxyName"])
        if params.get("TargetGroupName"):
            self._group(row, params["TargetGroupName"])
        return self.page("DescribeDBProxyTargetGroups", params, [self._render_group(row)])

    def modify_db_proxy_target_group(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._proxy_row(scope, params["DBProxyName"])
            group = self._group(row, params["TargetGroupName"])
            pool = group["ConnectionPoolConfig"]
            given = params.get("ConnectionPoolConfig") or {}
            limits = {
                "MaxConnectionsPercent": (1, 100),
                "MaxIdleConnectionsPercent": (0, 100),
                "ConnectionBorrowTimeout": (0, 3600),
            }
            for member, (low, high) in limits.items():
                if given.get(member) is not None:
                    if not low <= given[member] <= high:
                        raise invalid(f"{member} must be between {low} and {high}.")
                    pool[member] = given[member]
            if pool["MaxIdleConnectionsPercent"] > pool["MaxConnectionsPercent"]:
                raise invalid("MaxIdleConnectionsPercent can't be greater than MaxConnectionsPercent.")
            for member in ("SessionPinningFilters", "InitQuery"):
                if given.get(member) is not None:
                    pool[member] = given[member]
            if params.get("NewName"):
                group["TargetGroupName"] = params["NewName"]
            group["UpdatedDate"] = iso()
            self.proxies.put(scope, row["desc"]["DBProxyName"], row)
        return {"DBProxyTargetGroup": self._render_group(row)}

    def _instance_entry(
        self, scope: str, identifier: str, role: str, cluster: str | None = None
    ) -> dict[str, Any] | None:
        instance = self.instances.get(scope, identifier)
        if instance is None:
            return None
        desc = instance["desc"]
        running = desc.get("DBInstanceStatus") == "available" and self.supervisor.running(instance["key"])
        health: dict[str, Any] = {"State": "AVAILABLE" if running else "UNAVAILABLE"}
        if not running:
            health["Reason"] = "CONNECTION_FAILED"
            health["Description"] = f"DB instance {identifier} is {desc.get('DBInstanceStatus')}."
        entry: dict[str, Any] = {
            "TargetArn": desc["DBInstanceArn"],
            "Endpoint": instance.get("address") or "127.0.0.1",
            "RdsResourceId": identifier,
            "Port": instance["port"],
            "Type": "RDS_INSTANCE",
            "Role": role,
            "TargetHealth": health,
        }
        if cluster:
            entry["TrackedClusterId"] = cluster
        return entry

    def _targets(self, scope: str, row: dict[str, Any]) -> list[dict[str, Any]]:
        group = row["group"]
        out: list[dict[str, Any]] = []
        if group.get("instance"):
            entry = self._instance_entry(scope, group["instance"], "READ_WRITE")
            if entry is not None:
                out.append(entry)
        elif group.get("cluster"):
            cluster = self.clusters.get(scope, group["cluster"])
            if cluster is not None:
                cluster_id = cluster["desc"]["DBClusterIdentifier"]
                out.append(
                    {
                        "TargetArn": cluster["desc"]["DBClusterArn"],
                        "TrackedClusterId": cluster_id,
                        "RdsResourceId": cluster_id,
                        "Port": cluster["port"],
                        "Type": "TRACKED_CLUSTER",
                        "Role": "UNKNOWN",
                    }
                )
                for member in cluster["members"]:
                    role = "READ_WRITE" if member == cluster.get("writer") else "READ_ONLY"
                    entry = self._instance_entry(scope, member, role, cluster_id)
                    if entry is not None:
                        out.append(entry)
        return out

    def describe_db_proxy_targets(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        row = self._proxy_row(scope, params["DBProxyName"])
        self._group(row, params.get("TargetGroupName"))
        return self.page("DescribeDBProxyTargets", params, self._targets(scope, row))

    def register_db_proxy_targets(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        instances = [i.lower() for i in params.get("DBInstanceIdentifiers") or []]
        clusters = [c.lower() for c in params.get("DBClusterIdentifiers") or []]
        if len(instances) + len(clusters) != 1:
            raise invalid("Exactly one DB instance or DB cluster can be registered with a target group.")
        with self.store.transaction():
            row = self._proxy_row(scope, params["DBProxyName"])
            group = self._group(row, params.get("TargetGroupName"))
            if group.get("instance") or group.get("cluster"):
                raise ServiceError(
                    "DBProxyTargetAlreadyRegisteredFault",
                    "The proxy is already associated with a DB instance or cluster.",
                )
            family = row["desc"]["EngineFamily"]
            if instances:
                instance = self.instances.get(scope, instances[0])
                if instance is None:
                    raise not_found("DBInstanceNotFound", f"DBInstance {instances[0]} not found.")
                desc = instance["desc"]
                if desc.get("DBClusterIdentifier"):
                    raise invalid(
                        f"DB instance {instances[0]} is a member of a DB cluster: register the cluster."
                    )
                if desc.get("DBInstanceStatus") != "available":
                    raise ServiceError(
                        "InvalidDBInstanceState", f"DB instance {instances[0]} is not available."
                    )
                if family_of(desc["Engine"]) != family:
                    raise invalid(
                        f"The engine of DB instance {instances[0]} ({desc['Engine']}) does not"
                        f" match the proxy's engine family {family}."
                    )
                group["instance"] = instances[0]
            else:
                cluster = self.clusters.get(scope, clusters[0])
                if cluster is None:
                    raise not_found("DBClusterNotFoundFault", f"DBCluster {clusters[0]} not found.")
                if cluster["desc"]["Status"] != "available":
                    raise ServiceError(
                        "InvalidDBClusterStateFault", f"DB cluster {clusters[0]} is not available."
                    )
                if family_of(cluster["desc"]["Engine"]) != family:
                    raise invalid(
                        f"The engine of DB cluster {clusters[0]} does not match the proxy's engine"
                        f" family {family}."
                    )
                group["cluster"] = clusters[0]
            group["UpdatedDate"] = iso()
            self.proxies.put(scope, row["desc"]["DBProxyName"], row)
        return {"DBProxyTargets": self._targets(scope, row)}

    def deregister_db_proxy_targets(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        instances = [i.lower() for i in params.get("DBInstanceIdentifiers") or []]
        clusters = [c.lower() for c in params.get("DBClusterIdentifiers") or []]
        with self.store.transaction():
            row = self._proxy_row(scope, params["DBProxyName"])
            group = self._group(row, params.get("TargetGroupName"))
            for name in instances:
                if group.get("instance") != name:
                    raise not_found("DBProxyTargetNotFoundFault", f"DBProxyTarget {name} not found.")
                group.pop("instance")
            for name in clusters:
                if group.get("cluster") != name:
                    raise not_found("DBProxyTargetNotFoundFault", f"DBProxyTarget {name} not found.")
                group.pop("cluster")
            group["UpdatedDate"] = iso()
            self.proxies.put(scope, row["desc"]["DBProxyName"], row)
        return {}

    # -- endpoints ------------------------------------------------------------------------------------

    def _default_endpoint(self, row: dict[str, Any]) -> dict[str, Any]:
        desc = row["desc"]
        return {
            "DBProxyEndpointName": "default",
            "DBProxyName": desc["DBProxyName"],
            "Status": "available",
            "VpcId": desc["VpcId"],
            "VpcSecurityGroupIds": desc["VpcSecurityGroupIds"],
            "VpcSubnetIds": desc["VpcSubnetIds"],
            "Endpoint": desc["Endpoint"],
            "CreatedDate": desc["CreatedDate"],
            "TargetRole": "READ_WRITE",
            "IsDefault": True,
            "EndpointNetworkType": desc.get("EndpointNetworkType", "IPV4"),
        }

    def create_db_proxy_endpoint(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        name = check_identifier(params["DBProxyEndpointName"], "DBProxyEndpointName")
        role = params.get("TargetRole") or "READ_WRITE"
        if role not in ("READ_WRITE", "READ_ONLY"):
            raise invalid(f"Invalid TargetRole: {role}. Valid values are READ_WRITE and READ_ONLY.")
        for subnet in params["VpcSubnetIds"]:
            if not subnet.startswith("subnet-"):
                raise ServiceError("InvalidSubnet", f"The subnet ID '{subnet}' is not valid")
        from overcast.services.rds.groups import _vpc_of

        with self.store.transaction():
            proxy = self._proxy_row(scope, params["DBProxyName"])
            proxy_name = proxy["desc"]["DBProxyName"]
            if name == "default" or self.proxy_endpoints.get(scope, name) is not None:
                raise ServiceError(
                    "DBProxyEndpointAlreadyExistsFault", f"DBProxyEndpoint {name} already exists."
                )
            mine = [e for _, e in self.proxy_endpoints.scan(scope) if e["desc"]["DBProxyName"] == proxy_name]
            if len(mine) >= MAX_ENDPOINTS:
                raise ServiceError(
                    "DBProxyEndpointQuotaExceededFault",
                    f"A proxy can't have more than {MAX_ENDPOINTS} endpoints.",
                )
            row: dict[str, Any] = {
                "desc": {
                    "DBProxyEndpointName": name,
                    "DBProxyEndpointArn": arn(
                        context, "db-proxy-endpoint", "prx-endpoint-" + _suffix(scope, name)
                    ),
                    "DBProxyName": proxy_name,
                    "Status": "available",
                    "VpcId": _vpc_of(params["VpcSubnetIds"]),
                    "VpcSecurityGroupIds": params.get("VpcSecurityGroupIds") or [],
                    "VpcSubnetIds": params["VpcSubnetIds"],
                    "Endpoint": "",
                    "CreatedDate": iso(),
                    "TargetRole": role,
                    "IsDefault": False,
                    "EndpointNetworkType": params.get("EndpointNetworkType") or "IPV4",
                },
                "tags": tagging.add_tags(None, params.get("Tags"), self.tag_rules),
            }
            row["address"] = self._listen(scope, "endpoint", row)
            row["desc"]["Endpoint"] = row["address"]
            self.proxy_endpoints.put(scope, name, row)
        return {"DBProxyEndpoint": dict(row["desc"])}

    def describe_db_proxy_endpoints(self, context: RequestContext, params: dict) -> dict:
        check_max_records(params)
        scope = self.scope_of(context)
        if params.get("DBProxyName"):
            proxies = [self._proxy_row(scope, params["DBProxyName"])]
        else:
            proxies = [row for _, row in self.proxies.scan(scope)]
        names = {p["desc"]["DBProxyName"] for p in proxies}
        out = [self._default_endpoint(p) for p in proxies]
        out += [
            dict(e["desc"]) for _, e in self.proxy_endpoints.scan(scope) if e["desc"]["DBProxyName"] in names
        ]
        wanted = params.get("DBProxyEndpointName")
        if wanted:
            out = [e for e in out if e["DBProxyEndpointName"] == wanted.lower()]
            if not out:
                raise endpoint_not_found(wanted)
        return self.page("DescribeDBProxyEndpoints", params, out)

    def modify_db_proxy_endpoint(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._proxy_endpoint_row(scope, params["DBProxyEndpointName"])
            desc = row["desc"]
            if params.get("VpcSecurityGroupIds") is not None:
                desc["VpcSecurityGroupIds"] = params["VpcSecurityGroupIds"]
            old = desc["DBProxyEndpointName"]
            new = str(params.get("NewDBProxyEndpointName") or "")
            renamed = bool(new) and new.lower() != old
            if renamed:
                new = check_identifier(new, "NewDBProxyEndpointName")
                if new == "default" or self.proxy_endpoints.get(scope, new) is not None:
                    raise ServiceError(
                        "DBProxyEndpointAlreadyExistsFault", f"DBProxyEndpoint {new} already exists."
                    )
                self.proxy_endpoints.delete(scope, old)
                desc["DBProxyEndpointName"] = new
            self.proxy_endpoints.put(scope, desc["DBProxyEndpointName"], row)
        if renamed:
            self.close_forwarder(f"endpoint/{scope}/{old}")
            self.open_proxy_listener(scope, "endpoint", row)
        return {"DBProxyEndpoint": dict(desc)}

    def delete_db_proxy_endpoint(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._proxy_endpoint_row(scope, params["DBProxyEndpointName"])
            name = row["desc"]["DBProxyEndpointName"]
            self.proxy_endpoints.delete(scope, name)
        self.close_forwarder(f"endpoint/{scope}/{name}")
        return {"DBProxyEndpoint": {**row["desc"], "Status": "deleting"}}
