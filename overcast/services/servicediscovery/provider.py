"""AWS Cloud Map: namespaces, services and the instances registered in them, discovered through
the API (DiscoverInstances) and, for DNS namespaces, through Overcast's Route 53 DNS server.

A private DNS namespace creates a private hosted zone (associated with its VPC), a public one a
public zone; each instance registered in a DNS service writes the service's record sets into that
zone (A/AAAA/CNAME at `service.namespace`, SRV pointing at `instance.service.namespace`, one record
set per instance told apart by the instance id, multivalue or weighted as the service routes), and
deregistering removes them, so `dig` answers with the registered addresses. Namespace and instance
changes are operations (GetOperation), done when the call returns."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

from overcast.common import pagination
from overcast.common.arns import build_arn, parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.store import scope as store_scope

_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
MAX_TAGS = 50
MAX_ATTRIBUTES = 30


def _error(code: str, message: str, status: int = 400) -> ServiceError:
    return ServiceError(code, message, status)


def _invalid(message: str) -> ServiceError:
    return _error("InvalidInput", message)


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(16))


def _now() -> datetime:
    return datetime.now(UTC)


def _matches(value: str, condition: str, values: list[str]) -> bool:
    if condition == "IN":
        return value in values
    if condition == "BEGINS_WITH":
        return any(value.startswith(v) for v in values)
    if condition == "BETWEEN" and len(values) == 2:
        return values[0] <= value <= values[1]
    return bool(values) and value == values[0]


class Provider(BaseProvider):
    service = "servicediscovery"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        table = self.store.table
        self.namespaces = table("servicediscovery", "namespaces")
        self.services = table("servicediscovery", "services")
        #: keyed `{service id}/{instance id}`
        self.instances = table("servicediscovery", "instances")
        self.operations = table("servicediscovery", "operations")
        self.tags = table("servicediscovery", "tags")
        #: DiscoverInstances' view of a service, by (scope, namespace name, service name):
        #: (namespace, service, instances, revision). Cleared by every change to namespaces,
        #: services or instances (`_changed`); health is read live, not held here.
        self._discovery: dict[tuple[str, str, str], tuple[dict, dict, list[dict[str, Any]], int]] = {}

    def _changed(self) -> None:
        self._discovery.clear()

    def reset(self) -> None:
        self._changed()

    def state_replaced(self) -> None:
        self._changed()

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def _page(self, operation: str, params: dict, items: list[Any]) -> dict[str, Any]:
        return pagination.paginate_list(
            self.store,
            "servicediscovery",
            operation,
            params,
            items,
            bad_token=lambda: _invalid("The NextToken is not valid."),
            default_limit=100,
        )

    # -- lookups --------------------------------------------------------------------------------

    def _namespace(self, context: RequestContext, ident: str) -> dict[str, Any]:
        row = self.namespaces.get(self.scope_of(context), ident)
        if row is None:
            raise _error("NamespaceNotFound", ident)  # Cloud Map's message is the id
        return dict(row)

    def _service(self, context: RequestContext, ident: str) -> dict[str, Any]:
        row = self.services.get(self.scope_of(context), ident)
        if row is None:
            raise _error("ServiceNotFound", ident)
        return dict(row)

    def _instance(self, context: RequestContext, service_id: str, ident: str) -> dict[str, Any]:
        row = self.instances.get(self.scope_of(context), f"{service_id}/{ident}")
        if row is None:
            raise _error("InstanceNotFound", ident)
        return dict(row)

    def _service_instances(self, context: RequestContext, service_id: str) -> list[dict[str, Any]]:
        return [row for _, row in self.instances.scan(self.scope_of(context), service_id + "/")]

    def _operation(
        self, context: RequestContext, kind: str, targets: dict[str, str], request_id: str | None = None
    ) -> str:
        """A finished operation's record, and its id (the work was done before it returns)."""
        self._changed()
        moment = _now()
        ident = "".join(secrets.choice(_ALPHABET) for _ in range(32)) + "-" + secrets.token_hex(4)
        row = {
            "Id": ident,
            "Type": kind,
            "Status": "SUCCESS",
            "CreateDate": moment,
            "UpdateDate": moment,
            "Targets": targets,
            "RequestId": request_id,
        }
        self.operations.put(self.scope_of(context), ident, row)
        return ident

    def _arn(self, context: RequestContext, kind: str, ident: str) -> str:
        return build_arn("servicediscovery", context.region, context.account, f"{kind}/{ident}")

    # -- tags -----------------------------------------------------------------------------------

    def _set_tags(self, context: RequestContext, arn: str, given: list[dict[str, Any]] | None) -> None:
        if not given:
            return
        tags = dict(self.tags.get(self.scope_of(context), arn) or {})
        for tag in given:
            tags[tag["Key"]] = tag["Value"]
        if len(tags) > MAX_TAGS:
            raise _error("TooManyTagsException", f"The resource {arn} would have more than {MAX_TAGS} tags.")
        self.tags.put(self.scope_of(context), arn, tags)

    def _tagged(self, context: RequestContext, arn: str) -> None:
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "servicediscovery" or "/" not in parsed.resource:
            raise _invalid(f"Invalid ARN: {arn}")
        kind, ident = parsed.resource.split("/", 1)
        table = {"namespace": self.namespaces, "service": self.services}.get(kind)
        if (
            table is None
            or parsed.account != context.account
            or parsed.region != context.region
            or table.get(self.scope_of(context), ident) is None
        ):
            raise _error("ResourceNotFoundException", f"The resource {arn} does not exist.")

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            self._tagged(context, params["ResourceARN"])
            self._set_tags(context, params["ResourceARN"], params["Tags"])
        return {}

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            self._tagged(context, params["ResourceARN"])
            tags = dict(self.tags.get(self.scope_of(context), params["ResourceARN"]) or {})
            for key in params["TagKeys"]:
                tags.pop(key, None)
            self.tags.put(self.scope_of(context), params["ResourceARN"], tags)
        return {}

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        self._tagged(context, params["ResourceARN"])
        tags = self.tags.get(self.scope_of(context), params["ResourceARN"]) or {}
        return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}

    # -- namespaces -----------------------------------------------------------------------------

    def _create_namespace(
        self, context: RequestContext, params: dict, kind: str, properties: dict[str, Any]
    ) -> dict:
        scope = self.scope_of(context)
        name = params["Name"].rstrip(".") if kind != "HTTP" else params["Name"]
        request_id = params.get("CreatorRequestId")
        with self.store.transaction():
            for _, other in self.namespaces.scan(scope):
                if other["Name"].lower() == name.lower():
                    if request_id and other.get("CreatorRequestId") == request_id:
                        return {"OperationId": other["OperationId"]}
                    raise ServiceError(
                        "NamespaceAlreadyExists",
                        f"Namespace with name {name} already exists.",
                        400,
                        NamespaceId=other["Id"],
                        CreatorRequestId=other.get("CreatorRequestId") or "",
                    )
            ident = _new_id("ns-")
            if kind != "HTTP":
                properties = {**properties, "DnsProperties": self._create_zone(context, name, params, kind)}
            row = {
                "Id": ident,
                "Arn": self._arn(context, "namespace", ident),
                "Name": name,
                "Type": kind,
                "Description": params.get("Description") or "",
                "Properties": properties,
                "CreateDate": _now(),
                "CreatorRequestId": request_id or "",
            }
            row["OperationId"] = self._operation(
                context, "CREATE_NAMESPACE", {"NAMESPACE": ident}, request_id
            )
            self.namespaces.put(scope, ident, row)
            self._set_tags(context, row["Arn"], params.get("Tags"))
        return {"OperationId": row["OperationId"]}

    def _route53(self) -> Any:
        return self.runtime.provider("route53")

    def _create_zone(self, context: RequestContext, name: str, params: dict, kind: str) -> dict[str, Any]:
        """The namespace's hosted zone: private with its VPC, or public."""
        zone_params: dict[str, Any] = {
            "Name": name,
            "CallerReference": f"servicediscovery-{_new_id('')}",
            "HostedZoneConfig": {
                "Comment": "Created by AWS Cloud Map namespace",
                "PrivateZone": kind == "DNS_PRIVATE",
            },
        }
        if kind == "DNS_PRIVATE":
            zone_params["VPC"] = {"VPCId": params["Vpc"], "VPCRegion": context.region}
        r53 = RequestContext.internal("route53", context.account, context.region)
        try:
            zone = self._route53().create_hosted_zone(r53, zone_params)["HostedZone"]
        except ServiceError as problem:  # in Cloud Map's own error
            if problem.code == "InvalidVPCId":
                raise _invalid(f"The VPC {params['Vpc']} does not exist in {context.region}.") from None
            raise
        out: dict[str, Any] = {"HostedZoneId": zone["Id"].rsplit("/", 1)[-1]}
        soa = ((params.get("Properties") or {}).get("DnsProperties") or {}).get("SOA")
        if soa:
            out["SOA"] = soa
        return out

    def create_http_namespace(self, context: RequestContext, params: dict) -> dict:
        return self._create_namespace(
            context,
            params,
            "HTTP",
            {"DnsProperties": {"SOA": {}}, "HttpProperties": {"HttpName": params["Name"]}},
        )

    def create_private_dns_namespace(self, context: RequestContext, params: dict) -> dict:
        return self._create_namespace(
            context, params, "DNS_PRIVATE", {"HttpProperties": {"HttpName": params["Name"].rstrip(".")}}
        )

    def create_public_dns_namespace(self, context: RequestContext, params: dict) -> dict:
        return self._create_namespace(
            context, params, "DNS_PUBLIC", {"HttpProperties": {"HttpName": params["Name"].rstrip(".")}}
        )

    def _namespace_view(self, context: RequestContext, row: dict[str, Any]) -> dict[str, Any]:
        count = sum(1 for _, s in self.services.scan(self.scope_of(context)) if s["NamespaceId"] == row["Id"])
        view = {
            "Id": row["Id"],
            "Arn": row["Arn"],
            "Name": row["Name"],
            "Type": row["Type"],
            "Description": row["Description"],
            "ServiceCount": count,
            "Properties": row["Properties"],
            "CreateDate": row["CreateDate"],
            "CreatorRequestId": row["CreatorRequestId"],
        }
        # Members never given are left out, as Cloud Map answers them.
        return {k: v for k, v in view.items() if v != "" or k in ("Id", "Name")}

    def get_namespace(self, context: RequestContext, params: dict) -> dict:
        return {"Namespace": self._namespace_view(context, self._namespace(context, params["Id"]))}

    def list_namespaces(self, context: RequestContext, params: dict) -> dict:
        rows = sorted(
            (row for _, row in self.namespaces.scan(self.scope_of(context))), key=lambda r: r["CreateDate"]
        )
        fields = {
            "TYPE": lambda r: r["Type"],
            "NAME": lambda r: r["Name"],
            "HTTP_NAME": lambda r: r["Properties"]["HttpProperties"]["HttpName"],
            "RESOURCE_OWNER": lambda r: "SELF",
        }
        for given in params.get("Filters") or []:
            field = fields[given["Name"]]
            rows = [r for r in rows if _matches(field(r), given.get("Condition") or "EQ", given["Values"])]
        views = [
            {k: v for k, v in self._namespace_view(context, r).items() if k != "CreatorRequestId"}
            for r in rows
        ]
        return self._page("ListNamespaces", params, views)

    def _update_namespace(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self._namespace(context, params["Id"])
            given = params["Namespace"]
            if given.get("Description") is not None:
                row["Description"] = given["Description"]
            soa = ((given.get("Properties") or {}).get("DnsProperties") or {}).get("SOA")
            if soa and row["Type"] != "HTTP":
                row["Properties"]["DnsProperties"]["SOA"] = soa
            self.namespaces.put(self.scope_of(context), row["Id"], row)
            ident = self._operation(
                context, "UPDATE_NAMESPACE", {"NAMESPACE": row["Id"]}, params.get("UpdaterRequestId")
            )
        return {"OperationId": ident}

    update_http_namespace = _update_namespace
    update_private_dns_namespace = _update_namespace
    update_public_dns_namespace = _update_namespace

    def delete_namespace(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        with self.store.transaction():
            row = self._namespace(context, params["Id"])
            if any(s["NamespaceId"] == row["Id"] for _, s in self.services.scan(scope)):
                raise _error("ResourceInUse", f"Namespace {row['Id']} has associated services.")
            zone = (row["Properties"].get("DnsProperties") or {}).get("HostedZoneId")
            if zone:
                r53 = RequestContext.internal("route53", context.account, context.region)
                try:
                    self._route53().delete_hosted_zone(r53, {"Id": zone})
                except ServiceError as problem:
                    if problem.code != "NoSuchHostedZone":
                        raise
            self.namespaces.delete(scope, row["Id"])
            self.tags.delete(scope, row["Arn"])
            ident = self._operation(context, "DELETE_NAMESPACE", {"NAMESPACE": row["Id"]})
        return {"OperationId": ident}

    # -- services -------------------------------------------------------------------------------

    def create_service(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        dns = params.get("DnsConfig")
        namespace_id = params.get("NamespaceId") or (dns or {}).get("NamespaceId")
        if not namespace_id:
            raise _invalid("A namespace ID is required.")
        if params.get("HealthCheckConfig") and params.get("HealthCheckCustomConfig"):
            raise _invalid("You can't specify both HealthCheckConfig and HealthCheckCustomConfig.")
        with self.store.transaction():
            namespace = self._namespace(context, namespace_id)
            if namespace["Type"] == "HTTP" and dns:
                raise _invalid("DnsConfig can't be specified for a service in an HTTP namespace.")
            if params.get("Type") == "HTTP" and dns:
                raise _invalid("DnsConfig can't be specified for a service of type HTTP.")
            if dns:
                kinds = [record["Type"] for record in dns["DnsRecords"]]
                if "CNAME" in kinds and (len(kinds) > 1 or dns.get("RoutingPolicy") == "MULTIVALUE"):
                    raise _invalid(
                        "A CNAME record must be the only record and use the WEIGHTED routing policy."
                    )
                if params.get("HealthCheckConfig") and namespace["Type"] == "DNS_PRIVATE":
                    raise _invalid("Route 53 health checks are not available in private DNS namespaces.")
            for _, other in self.services.scan(scope):
                if other["NamespaceId"] == namespace_id and other["Name"].lower() == params["Name"].lower():
                    raise ServiceError(
                        "ServiceAlreadyExists",
                        f"Service with name {params['Name']} already exists.",
                        400,
                        ServiceId=other["Id"],
                        CreatorRequestId=other.get("CreatorRequestId") or "",
                    )
            ident = _new_id("srv-")
            row: dict[str, Any] = {
                "Id": ident,
                "Arn": self._arn(context, "service", ident),
                "Name": params["Name"],
                "NamespaceId": namespace_id,
                "Description": params.get("Description") or "",
                "CreateDate": _now(),
                "CreatorRequestId": params.get("CreatorRequestId") or "",
                "Attributes": {},
            }
            if dns:
                row["DnsConfig"] = {
                    "NamespaceId": namespace_id,
                    "RoutingPolicy": dns.get("RoutingPolicy") or "MULTIVALUE",
                    "DnsRecords": dns["DnsRecords"],
                }
            elif namespace["Type"] == "HTTP" or params.get("Type") == "HTTP":
                row["Type"] = "HTTP"
            for key in ("HealthCheckConfig", "HealthCheckCustomConfig"):
                if params.get(key):
                    row[key] = params[key]
            if dns:
                row["Type"] = "DNS_HTTP"
            self.services.put(scope, ident, row)
            self._set_tags(context, row["Arn"], params.get("Tags"))
        self._changed()
        return {"Service": self._service_view(context, row)}

    def _service_view(self, context: RequestContext, row: dict[str, Any]) -> dict[str, Any]:
        view = {k: v for k, v in row.items() if k != "Attributes" and v != ""}
        view["InstanceCount"] = len(self._service_instances(context, row["Id"]))
        return view

    def get_service(self, context: RequestContext, params: dict) -> dict:
        return {"Service": self._service_view(context, self._service(context, params["Id"]))}

    def list_services(self, context: RequestContext, params: dict) -> dict:
        rows = sorted(
            (r for _, r in self.services.scan(self.scope_of(context))), key=lambda r: r["CreateDate"]
        )
        for given in params.get("Filters") or []:
            if given["Name"] == "NAMESPACE_ID":
                rows = [
                    r
                    for r in rows
                    if _matches(r["NamespaceId"], given.get("Condition") or "EQ", given["Values"])
                ]
        views = [
            {
                k: v
                for k, v in self._service_view(context, r).items()
                if k not in ("NamespaceId", "CreatorRequestId")
            }
            for r in rows
        ]
        return self._page("ListServices", params, views)

    def update_service(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self._service(context, params["Id"])
            given = params["Service"]
            if given.get("Description") is not None:
                row["Description"] = given["Description"]
            if given.get("DnsConfig") and row.get("DnsConfig"):
                old = {r["Type"] for r in row["DnsConfig"]["DnsRecords"]}
                new = {r["Type"] for r in given["DnsConfig"]["DnsRecords"]}
                if old != new:
                    raise _invalid("The record types of a service's DNS configuration can't be changed.")
                row["DnsConfig"]["DnsRecords"] = given["DnsConfig"]["DnsRecords"]
            if given.get("HealthCheckConfig"):
                row["HealthCheckConfig"] = given["HealthCheckConfig"]
            self.services.put(self.scope_of(context), row["Id"], row)
            for instance in self._service_instances(context, row["Id"]):
                self._write_records(context, row, instance, "UPSERT")
            ident = self._operation(context, "UPDATE_SERVICE", {"SERVICE": row["Id"]})
        return {"OperationId": ident}

    def delete_service(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self._service(context, params["Id"])
            if self._service_instances(context, row["Id"]):
                raise _error("ResourceInUse", f"Service {row['Id']} has registered instances.")
            self.services.delete(self.scope_of(context), row["Id"])
            self.tags.delete(self.scope_of(context), row["Arn"])
        self._changed()
        return {}

    def get_service_attributes(self, context: RequestContext, params: dict) -> dict:
        row = self._service(context, params["ServiceId"])
        return {"ServiceAttributes": {"ServiceArn": row["Arn"], "Attributes": row.get("Attributes") or {}}}

    def update_service_attributes(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self._service(context, params["ServiceId"])
            attributes = {**(row.get("Attributes") or {}), **params["Attributes"]}
            if len(attributes) > MAX_ATTRIBUTES:
                raise _error(
                    "ServiceAttributesLimitExceededException",
                    f"A service can have at most {MAX_ATTRIBUTES} attributes.",
                )
            row["Attributes"] = attributes
            self.services.put(self.scope_of(context), row["Id"], row)
        return {}

    def delete_service_attributes(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            row = self._service(context, params["ServiceId"])
            row["Attributes"] = {
                k: v for k, v in (row.get("Attributes") or {}).items() if k not in params["Attributes"]
            }
            self.services.put(self.scope_of(context), row["Id"], row)
        return {}

    # -- instances and their DNS records ---------------------------------------------------------

    def _records(
        self, service: dict[str, Any], namespace: dict[str, Any], instance: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The record sets an instance of a DNS service holds in the namespace's zone."""
        dns = service.get("DnsConfig")
        if not dns:
            return []
        attributes = instance["Attributes"]
        name = f"{service['Name']}.{namespace['Name']}.".lower()
        policy: dict[str, Any] = (
            {"Weight": 1} if dns.get("RoutingPolicy") == "WEIGHTED" else {"MultiValueAnswer": True}
        )
        records = []
        if attributes.get("AWS_ALIAS_DNS_NAME"):
            return [
                {
                    "Name": name,
                    "Type": "A",
                    "SetIdentifier": instance["Id"],
                    "Weight": 1,
                    "AliasTarget": {
                        "HostedZoneId": "Z35SXDOTRQ7X7K",
                        "DNSName": attributes["AWS_ALIAS_DNS_NAME"],
                        "EvaluateTargetHealth": False,
                    },
                }
            ]
        checked = {"HealthCheckId": instance["HealthCheckId"]} if instance.get("HealthCheckId") else {}
        for config in dns["DnsRecords"]:
            kind, ttl = config["Type"], int(config["TTL"])
            value = {
                "A": attributes.get("AWS_INSTANCE_IPV4"),
                "AAAA": attributes.get("AWS_INSTANCE_IPV6"),
                "CNAME": attributes.get("AWS_INSTANCE_CNAME"),
                "SRV": f"1 1 {attributes.get('AWS_INSTANCE_PORT')} {instance['Id']}.{name}",
            }[kind]
            records.append(
                {
                    "Name": name,
                    "Type": kind,
                    "TTL": ttl,
                    "SetIdentifier": instance["Id"],
                    "ResourceRecords": [{"Value": value}],
                    **({"Weight": 1} if kind == "CNAME" else policy),
                    **checked,
                }
            )
            if kind == "SRV":  # the SRV target answers with the instance's own address
                for own, attribute in (("A", "AWS_INSTANCE_IPV4"), ("AAAA", "AWS_INSTANCE_IPV6")):
                    if attributes.get(attribute):
                        records.append(
                            {
                                "Name": f"{instance['Id']}.{name}".lower(),
                                "Type": own,
                                "TTL": ttl,
                                "ResourceRecords": [{"Value": attributes[attribute]}],
                            }
                        )
        return records

    def _write_records(
        self, context: RequestContext, service: dict[str, Any], instance: dict[str, Any], action: str
    ) -> None:
        if not service.get("DnsConfig"):
            return
        namespace = self._namespace(context, service["NamespaceId"])
        zone = (namespace["Properties"].get("DnsProperties") or {}).get("HostedZoneId")
        records = self._records(service, namespace, instance)
        if not zone or not records:
            return
        r53 = RequestContext.internal("route53", context.account, context.region)
        if action == "DELETE":
            listed = self._route53().list_resource_record_sets(
                r53, {"HostedZoneId": zone, "StartRecordName": records[0]["Name"], "MaxItems": "300"}
            )["ResourceRecordSets"]
            wanted = {(r["Name"], r["Type"], r.get("SetIdentifier")) for r in records}
            current = [r for r in listed if (r["Name"], r["Type"], r.get("SetIdentifier")) in wanted]
            changes = [{"Action": "DELETE", "ResourceRecordSet": r} for r in current]
        else:
            changes = [{"Action": "UPSERT", "ResourceRecordSet": r} for r in records]
        if changes:
            self._route53().change_resource_record_sets(
                r53, {"HostedZoneId": zone, "ChangeBatch": {"Changes": changes}}
            )

    def _check_attributes(self, service: dict[str, Any], attributes: dict[str, str]) -> None:
        dns = service.get("DnsConfig")
        if not dns or attributes.get("AWS_ALIAS_DNS_NAME"):
            return
        needed = {"A": "AWS_INSTANCE_IPV4", "AAAA": "AWS_INSTANCE_IPV6", "CNAME": "AWS_INSTANCE_CNAME"}
        for record in dns["DnsRecords"]:
            kind = record["Type"]
            if kind == "SRV":
                if not attributes.get("AWS_INSTANCE_PORT"):
                    raise _invalid("AWS_INSTANCE_PORT is required for a service with an SRV record.")
                if not (attributes.get("AWS_INSTANCE_IPV4") or attributes.get("AWS_INSTANCE_IPV6")):
                    raise _invalid(
                        "AWS_INSTANCE_IPV4 or AWS_INSTANCE_IPV6 is required for a service with an SRV record."
                    )
            elif not attributes.get(needed[kind]):
                raise _invalid(f"{needed[kind]} is required for a service with an {kind} record.")

    def register_instance(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        attributes = dict(params["Attributes"])
        with self.store.transaction():
            service = self._service(context, params["ServiceId"])
            self._check_attributes(service, attributes)
            custom = service.get("HealthCheckCustomConfig") is not None
            previous = self.instances.get(scope, f"{service['Id']}/{params['InstanceId']}")
            row = {
                "Id": params["InstanceId"],
                "ServiceId": service["Id"],
                "Attributes": attributes,
                "CreatorRequestId": params.get("CreatorRequestId") or "",
                "Health": (previous or {}).get("Health") or ("HEALTHY" if custom else None),
                "Revision": time.time_ns(),
            }
            if previous is not None:
                self._write_records(context, service, previous, "DELETE")
                self._drop_health_check(context, previous)
            if service.get("HealthCheckConfig"):
                row["HealthCheckId"] = self._create_health_check(context, service, row)
            self.instances.put(scope, f"{service['Id']}/{row['Id']}", row)
            self._write_records(context, service, row, "UPSERT")
            ident = self._operation(
                context,
                "REGISTER_INSTANCE",
                {"INSTANCE": row["Id"], "SERVICE": service["Id"]},
                params.get("CreatorRequestId"),
            )
        return {"OperationId": ident}

    def deregister_instance(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            service = self._service(context, params["ServiceId"])
            row = self._instance(context, service["Id"], params["InstanceId"])
            self._write_records(context, service, row, "DELETE")
            self._drop_health_check(context, row)
            self.instances.delete(self.scope_of(context), f"{service['Id']}/{row['Id']}")
            ident = self._operation(
                context, "DEREGISTER_INSTANCE", {"INSTANCE": row["Id"], "SERVICE": service["Id"]}
            )
        return {"OperationId": ident}

    def get_instance(self, context: RequestContext, params: dict) -> dict:
        service = self._service(context, params["ServiceId"])
        row = self._instance(context, service["Id"], params["InstanceId"])
        return {
            "ResourceOwner": context.account,
            "Instance": {
                "Id": row["Id"],
                "CreatorRequestId": row["CreatorRequestId"],
                "Attributes": row["Attributes"],
            },
        }

    def list_instances(self, context: RequestContext, params: dict) -> dict:
        service = self._service(context, params["ServiceId"])
        rows = [
            {"Id": r["Id"], "Attributes": r["Attributes"]}
            for r in self._service_instances(context, service["Id"])
        ]
        out = self._page("ListInstances", params, rows)
        out["ResourceOwner"] = context.account
        return out

    def _health(self, service: dict[str, Any], row: dict[str, Any]) -> str:
        if service.get("HealthCheckCustomConfig") is not None:
            return str(row.get("Health") or "HEALTHY")
        if row.get("HealthCheckId"):  # what Route 53's checker last found
            return "HEALTHY" if self._route53().is_healthy(row["HealthCheckId"]) else "UNHEALTHY"
        return "UNKNOWN"

    def _create_health_check(
        self, context: RequestContext, service: dict[str, Any], row: dict[str, Any]
    ) -> str:
        """The Route 53 health check Cloud Map makes for an instance of a service that has a
        HealthCheckConfig: it probes the instance's address and port."""
        config = service["HealthCheckConfig"]
        attributes = row["Attributes"]
        kind = config["Type"]
        address = attributes.get("AWS_INSTANCE_IPV4")
        if not address:
            raise _invalid("AWS_INSTANCE_IPV4 is required for an instance of a service with a health check.")
        check: dict[str, Any] = {
            "Type": kind,
            "IPAddress": address,
            "Port": int(attributes.get("AWS_INSTANCE_PORT") or (443 if kind == "HTTPS" else 80)),
            "FailureThreshold": int(config.get("FailureThreshold") or 1),
            "RequestInterval": 30,
        }
        if kind != "TCP":
            check["ResourcePath"] = config.get("ResourcePath") or "/"
        r53 = RequestContext.internal("route53", context.account, context.region)
        created = self._route53().create_health_check(
            r53,
            {
                "CallerReference": f"servicediscovery-{row['ServiceId']}-{row['Id']}-{time.time_ns()}",
                "HealthCheckConfig": check,
            },
        )
        return str(created["HealthCheck"]["Id"])

    def _drop_health_check(self, context: RequestContext, row: dict[str, Any]) -> None:
        if not row.get("HealthCheckId"):
            return
        r53 = RequestContext.internal("route53", context.account, context.region)
        try:
            self._route53().delete_health_check(r53, {"HealthCheckId": row["HealthCheckId"]})
        except ServiceError as problem:
            if problem.code != "NoSuchHealthCheck":
                raise

    def get_instances_health_status(self, context: RequestContext, params: dict) -> dict:
        service = self._service(context, params["ServiceId"])
        rows = self._service_instances(context, service["Id"])
        wanted = params.get("Instances")
        if wanted:
            known = {r["Id"] for r in rows}
            missing = [i for i in wanted if i not in known]
            if missing:
                raise _error("InstanceNotFound", missing[0])
            rows = [r for r in rows if r["Id"] in wanted]
        # Paged by an offset in the token, as the other listings (botocore defines no paginator).
        start = 0
        if params.get("NextToken"):
            try:
                start = int(
                    pagination.decode_token(self.store, "GetInstancesHealthStatus", params["NextToken"])
                )
            except (ValueError, TypeError):
                raise _invalid("The NextToken is not valid.") from None
        end = start + int(params.get("MaxResults") or 100)
        out: dict[str, Any] = {"Status": {r["Id"]: self._health(service, r) for r in rows[start:end]}}
        if end < len(rows):
            out["NextToken"] = pagination.encode_token(self.store, "GetInstancesHealthStatus", end)
        return out

    def update_instance_custom_health_status(self, context: RequestContext, params: dict) -> dict:
        with self.store.transaction():
            service = self._service(context, params["ServiceId"])
            if service.get("HealthCheckCustomConfig") is None:
                raise _error(
                    "CustomHealthNotFound", f"The service {service['Id']} has no custom health check config."
                )
            row = self._instance(context, service["Id"], params["InstanceId"])
            row["Health"] = params["Status"]
            row["Revision"] = time.time_ns()
            self.instances.put(self.scope_of(context), f"{service['Id']}/{row['Id']}", row)
        self._changed()
        return {}

    # -- discovery ------------------------------------------------------------------------------

    def _discoverable(
        self, context: RequestContext, params: dict
    ) -> tuple[dict, dict, list[dict[str, Any]], int]:
        """(namespace, service, instances, revision) that DiscoverInstances names."""
        scope = self.scope_of(context)
        name = params["NamespaceName"].rstrip(".").lower()
        key = (scope, name, params["ServiceName"].lower())
        cached = self._discovery.get(key)
        if cached is None:
            cached = self._load_discoverable(context, params)
            self._discovery[key] = cached
        return cached

    def _load_discoverable(
        self, context: RequestContext, params: dict
    ) -> tuple[dict, dict, list[dict[str, Any]], int]:
        scope = self.scope_of(context)
        name = params["NamespaceName"].rstrip(".").lower()
        namespace = next(
            (
                r
                for _, r in self.namespaces.scan(scope)
                if name in (r["Name"].lower(), r["Properties"]["HttpProperties"]["HttpName"].lower())
            ),
            None,
        )
        if namespace is None:
            raise _error("NamespaceNotFound", params["NamespaceName"])
        service = next(
            (
                r
                for _, r in self.services.scan(scope)
                if r["NamespaceId"] == namespace["Id"] and r["Name"].lower() == params["ServiceName"].lower()
            ),
            None,
        )
        if service is None:
            raise _error("ServiceNotFound", params["ServiceName"])
        rows = self._service_instances(context, service["Id"])
        revision = max((int(r.get("Revision") or 0) for r in rows), default=0)
        return namespace, service, rows, revision

    def discover_instances(self, context: RequestContext, params: dict) -> dict:
        namespace, service, rows, revision = self._discoverable(context, params)
        wanted = params.get("HealthStatus") or "ALL"
        query = params.get("QueryParameters") or {}
        optional = params.get("OptionalParameters") or {}
        rows = [r for r in rows if all(r["Attributes"].get(k) == v for k, v in query.items())]
        narrowed = [r for r in rows if all(r["Attributes"].get(k) == v for k, v in optional.items())]
        rows = narrowed or rows
        health = {r["Id"]: self._health(service, r) for r in rows}
        if wanted == "HEALTHY":  # an instance no check watches counts as healthy
            rows = [r for r in rows if health[r["Id"]] in ("HEALTHY", "UNKNOWN")]
        elif wanted == "UNHEALTHY":
            rows = [r for r in rows if health[r["Id"]] == "UNHEALTHY"]
        elif wanted == "HEALTHY_OR_ELSE_ALL":
            healthy = [r for r in rows if health[r["Id"]] in ("HEALTHY", "UNKNOWN")]
            rows = healthy or rows
        rows = rows[: int(params.get("MaxResults") or 100)]
        return {
            "Instances": [
                {
                    "InstanceId": r["Id"],
                    "NamespaceName": namespace["Properties"]["HttpProperties"]["HttpName"],
                    "ServiceName": service["Name"],
                    "HealthStatus": health[r["Id"]],
                    "Attributes": r["Attributes"],
                }
                for r in rows
            ],
            "InstancesRevision": revision,
        }

    def discover_instances_revision(self, context: RequestContext, params: dict) -> dict:
        return {"InstancesRevision": self._discoverable(context, params)[3]}

    # -- operations -----------------------------------------------------------------------------

    def get_operation(self, context: RequestContext, params: dict) -> dict:
        row = self.operations.get(self.scope_of(context), params["OperationId"])
        if row is None:
            raise _error("OperationNotFound", params["OperationId"])
        return {"Operation": {k: v for k, v in row.items() if k != "RequestId"}}

    def list_operations(self, context: RequestContext, params: dict) -> dict:
        rows = sorted(
            (r for _, r in self.operations.scan(self.scope_of(context))), key=lambda r: r["CreateDate"]
        )
        for given in params.get("Filters") or []:
            key, values, condition = given["Name"], given["Values"], given.get("Condition") or "EQ"
            if key == "UPDATE_DATE":
                # Two epoch times with BETWEEN (one with another condition), as AWS documents.
                if condition not in ("BETWEEN", "EQ") or len(values) != (2 if condition == "BETWEEN" else 1):
                    raise _invalid("UPDATE_DATE takes two times with BETWEEN, or one with EQ.")
                try:
                    low, high = (float(v) for v in (values + values)[:2])
                except ValueError:
                    raise _invalid(f"Invalid time in filter UPDATE_DATE: {values}") from None
                rows = [r for r in rows if low <= r["UpdateDate"].timestamp() <= high]
                continue
            field = {
                "NAMESPACE_ID": lambda r: r["Targets"].get("NAMESPACE", ""),
                "SERVICE_ID": lambda r: r["Targets"].get("SERVICE", ""),
                "STATUS": lambda r: r["Status"],
                "TYPE": lambda r: r["Type"],
            }[key]
            rows = [r for r in rows if _matches(field(r), condition, values)]
        views = [{"Id": r["Id"], "Status": r["Status"]} for r in rows]
        return self._page("ListOperations", params, views)
