"""The IaC generator: resource scans that list the account's resources by asking each service
for them (ListBuckets, ListQueues, ...), and generated templates whose resources' properties
are read from their services by the types' own handlers, ready to import into a stack.

Tables (per account and region): "scans" keyed by scan id, "generated" keyed by the
template's id, "generated_names" name → id."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml  # type: ignore[import-untyped]

from overcast.common import pagination
from overcast.common.arns import partition
from overcast.common.ids import fast_uuid
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceGone,
    ResourceRequest,
    call,
    handler_for,
)
from overcast.services.cloudformation.template import validation

if TYPE_CHECKING:
    from overcast.runtime import Runtime

MAX_RESOURCES = 500


@dataclass(frozen=True)
class Lister:
    """How a scan finds one type's resources: the service's listing operation, the list in
    its output and the resource's identifier in each entry."""

    service: str
    operation: str
    items: str
    identifier: Callable[[Any], str | None]
    params: tuple[tuple[str, Any], ...] = ()
    token: str = "NextToken"
    next_token: str = "NextToken"


def _key(name: str) -> Callable[[Any], str | None]:
    return lambda entry: entry.get(name) if isinstance(entry, dict) else None


def _same(entry: Any) -> str | None:
    return entry if isinstance(entry, str) else None


def _role(entry: Any) -> str | None:
    # Service-linked roles belong to their service, not to templates.
    if entry.get("Path", "/").startswith("/aws-service-role/"):
        return None
    name: str | None = entry.get("RoleName")
    return name


def _last_segment(entry: Any) -> str | None:
    return entry.rsplit("/", 1)[-1] if isinstance(entry, str) else None


def _hosted_zone(entry: Any) -> str | None:
    return str(entry["Id"]).rsplit("/", 1)[-1]


#: The types a scan finds, by type name.
LISTERS: dict[str, Lister] = {
    "AWS::S3::Bucket": Lister("s3", "ListBuckets", "Buckets", _key("Name"), token="ContinuationToken"),
    "AWS::SQS::Queue": Lister("sqs", "ListQueues", "QueueUrls", _same),
    "AWS::SNS::Topic": Lister("sns", "ListTopics", "Topics", _key("TopicArn")),
    "AWS::DynamoDB::Table": Lister(
        "dynamodb",
        "ListTables",
        "TableNames",
        _same,
        token="ExclusiveStartTableName",
        next_token="LastEvaluatedTableName",
    ),
    "AWS::Lambda::Function": Lister(
        "lambda", "ListFunctions", "Functions", _key("FunctionName"), token="Marker", next_token="NextMarker"
    ),
    "AWS::IAM::Role": Lister("iam", "ListRoles", "Roles", _role, token="Marker", next_token="Marker"),
    "AWS::Logs::LogGroup": Lister(
        "logs",
        "DescribeLogGroups",
        "logGroups",
        _key("logGroupName"),
        token="nextToken",
        next_token="nextToken",
    ),
    "AWS::Kinesis::Stream": Lister("kinesis", "ListStreams", "StreamNames", _same),
    "AWS::ECR::Repository": Lister(
        "ecr",
        "DescribeRepositories",
        "repositories",
        _key("repositoryName"),
        token="nextToken",
        next_token="nextToken",
    ),
    "AWS::SSM::Parameter": Lister("ssm", "DescribeParameters", "Parameters", _key("Name")),
    "AWS::CloudWatch::Alarm": Lister("cloudwatch", "DescribeAlarms", "MetricAlarms", _key("AlarmName")),
    "AWS::CloudWatch::Dashboard": Lister(
        "cloudwatch", "ListDashboards", "DashboardEntries", _key("DashboardName")
    ),
    "AWS::ECS::Cluster": Lister(
        "ecs", "ListClusters", "clusterArns", _last_segment, token="nextToken", next_token="nextToken"
    ),
    "AWS::ApiGateway::RestApi": Lister(
        "apigateway", "GetRestApis", "items", _key("id"), token="position", next_token="position"
    ),
    "AWS::Route53::HostedZone": Lister(
        "route53", "ListHostedZones", "HostedZones", _hosted_zone, token="Marker", next_token="NextMarker"
    ),
}


def _identifier_key(type_name: str) -> str:
    handler = handler_for(type_name)
    if handler is None or handler.identifier is None:
        raise validation(f"Resource type {type_name} is not supported by the IaC generator")
    return handler.identifier


def _logical_id(type_name: str, identifier: str, taken: set[str]) -> str:
    base = "".join(type_name.split("::")[1:]) + re.sub(
        r"[^A-Za-z0-9]", "", identifier.rsplit("/", 1)[-1].rsplit(":", 1)[-1].title()
    )
    base = base[:200] or "Resource"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}{number}"
    taken.add(name)
    return name


class Generator:
    runtime: Runtime

    if TYPE_CHECKING:

        @staticmethod
        def scope_of(context: RequestContext) -> str: ...

        def find_stack(self, context: RequestContext, name: str, deleted: bool = True) -> dict[str, Any]: ...

    def _table(self, name: str) -> Any:
        return self.runtime.store.table("cloudformation", name)

    # -- resource scans ---------------------------------------------------------------------------

    def _managed_ids(self, context: RequestContext) -> set[str]:
        """The physical ids of the resources the region's live stacks hold."""
        found: set[str] = set()
        for _, stack in self._table("stacks").scan(self.scope_of(context)):
            if stack["StackStatus"] == "DELETE_COMPLETE":
                continue
            for state in stack.get("Resources", {}).values():
                if state.get("PhysicalResourceId"):
                    found.add(state["PhysicalResourceId"])
        return found

    async def start_resource_scan(self, context: RequestContext, params: dict) -> dict:
        scans = self._table("scans")
        scope_name = self.scope_of(context)
        for _, scan in scans.scan(scope_name):
            if scan["Status"] == "IN_PROGRESS":
                raise ServiceError(
                    "ResourceScanInProgress",
                    f"A resource scan ({scan['ResourceScanId']}) is already in progress",
                    400,
                )
        wanted: set[str] = set()
        for scan_filter in params.get("ScanFilters") or []:
            for pattern in scan_filter.get("Types") or []:
                matched = [name for name in LISTERS if _type_matches(pattern, name)]
                if not matched and "*" not in pattern:
                    raise validation(f"Resource type {pattern} is not supported by resource scans")
                wanted.update(matched)
        scan_id = (
            f"arn:{partition(context.region)}:cloudformation:{context.region}:{context.account}:"
            f"resourceScan/{fast_uuid()}"
        )
        record: dict[str, Any] = {
            "ResourceScanId": scan_id,
            "Status": "IN_PROGRESS",
            "StartTime": time.time(),
            "PercentageCompleted": 0.0,
            "ScanType": "PARTIAL" if params.get("ScanFilters") else "FULL",
            "ScanFilters": params.get("ScanFilters") or [],
            "Resources": [],
        }
        key = scan_id.rsplit("/", 1)[1]
        scans.put(scope_name, key, record)
        self.runtime.spawn(
            self._scan(context, key, sorted(wanted or LISTERS)), "cloudformation resource scan"
        )
        return {"ResourceScanId": scan_id}

    async def _scan(self, context: RequestContext, key: str, types: list[str]) -> None:
        scans = self._table("scans")
        scope_name = self.scope_of(context)
        managed = self._managed_ids(context)
        resources: list[dict[str, Any]] = []
        failures: list[str] = []
        for type_name in types:
            try:
                for identifier in await self._list(context, LISTERS[type_name]):
                    resources.append(
                        {
                            "ResourceType": type_name,
                            "ResourceIdentifier": {_identifier_key(type_name): identifier},
                            "ManagedByStack": identifier in managed,
                        }
                    )
            except (ResourceFailed, ServiceError) as error:
                failures.append(f"{type_name}: {error}")
        record = scans.get(scope_name, key)
        record.update(
            {
                "Status": "COMPLETE",
                "EndTime": time.time(),
                "PercentageCompleted": 100.0,
                "Resources": resources,
                "ResourceTypes": types,
                "ResourcesScanned": len(resources),
                "ResourcesRead": len(resources),
            }
        )
        if failures:
            record["StatusReason"] = "Some resource types could not be listed: " + "; ".join(failures)
        scans.put(scope_name, key, record)

    async def _list(self, context: RequestContext, lister: Lister) -> list[str]:
        found: list[str] = []
        params: dict[str, Any] = dict(lister.params)
        for _ in range(1000):
            output = await call(
                self.runtime, lister.service, lister.operation, context.account, context.region, params
            )
            for entry in output.get(lister.items) or []:
                identifier = lister.identifier(entry)
                if identifier:
                    found.append(identifier)
            token = output.get(lister.next_token)
            if not token or (lister.next_token == "Marker" and not output.get("IsTruncated")):
                break
            params[lister.token] = token
        return found

    def _scan_record(self, context: RequestContext, scan_id: str) -> dict[str, Any]:
        record: dict[str, Any] | None = self._table("scans").get(
            self.scope_of(context), scan_id.rsplit("/", 1)[-1]
        )
        if record is None or record["ResourceScanId"] != scan_id:
            raise ServiceError("ResourceScanNotFound", f"Resource scan {scan_id} not found", 400)
        return record

    def describe_resource_scan(self, context: RequestContext, params: dict) -> dict:
        record = self._scan_record(context, params["ResourceScanId"])
        shown = {
            key: record[key]
            for key in (
                "ResourceScanId",
                "Status",
                "StatusReason",
                "PercentageCompleted",
                "ResourceTypes",
                "ResourcesScanned",
                "ResourcesRead",
                "ScanFilters",
            )
            if record.get(key) is not None
        }
        shown["StartTime"] = _when(record["StartTime"])
        if record.get("EndTime"):
            shown["EndTime"] = _when(record["EndTime"])
        return shown

    def list_resource_scans(self, context: RequestContext, params: dict) -> dict:
        records = sorted(
            (record for _, record in self._table("scans").scan(self.scope_of(context))),
            key=lambda record: -record["StartTime"],
        )
        if params.get("ScanTypeFilter"):
            records = [record for record in records if record["ScanType"] == params["ScanTypeFilter"]]
        return pagination.paginate_list(
            self.runtime.store,
            "cloudformation",
            "ListResourceScans",
            params,
            records,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
            render=_scan_summary,
        )

    def _complete_scan(self, context: RequestContext, scan_id: str) -> dict[str, Any]:
        record = self._scan_record(context, scan_id)
        if record["Status"] != "COMPLETE":
            raise ServiceError(
                "ResourceScanInProgress", f"Resource scan {scan_id} is {record['Status']}", 400
            )
        return record

    def list_resource_scan_resources(self, context: RequestContext, params: dict) -> dict:
        record = self._complete_scan(context, params["ResourceScanId"])
        resources = [resource for resource in record["Resources"] if _resource_matches(resource, params)]
        return pagination.paginate_list(
            self.runtime.store,
            "cloudformation",
            "ListResourceScanResources",
            params,
            resources,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
            bind=params["ResourceScanId"],
        )

    async def list_resource_scan_related_resources(self, context: RequestContext, params: dict) -> dict:
        """The scanned resources that the given ones' properties name (a function's role, a
        subscription's queue, ...)."""
        record = self._complete_scan(context, params["ResourceScanId"])
        given = params["Resources"]
        given_keys = {
            (item["ResourceType"], json.dumps(item["ResourceIdentifier"], sort_keys=True)) for item in given
        }
        texts: list[str] = []
        for item in given:
            properties = await self._read(context, item["ResourceType"], item["ResourceIdentifier"])
            texts.append(json.dumps(properties, default=str))
        related = []
        for resource in record["Resources"]:
            key = (resource["ResourceType"], json.dumps(resource["ResourceIdentifier"], sort_keys=True))
            if key in given_keys:
                continue
            identifier = next(iter(resource["ResourceIdentifier"].values()))
            if any(_names(text, identifier) for text in texts):
                related.append(resource)
        return pagination.paginate_list(
            self.runtime.store,
            "cloudformation",
            "ListResourceScanRelatedResources",
            params,
            related,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=100,
            bind=params["ResourceScanId"],
        )

    async def _read(
        self, context: RequestContext, type_name: str, identifier: dict[str, str]
    ) -> dict[str, Any]:
        """A resource's properties in template terms, read from its service by its type's handler."""
        key = _identifier_key(type_name)
        handler = handler_for(type_name)
        assert handler is not None
        value = identifier.get(key)
        if not value:
            raise ResourceFailed(f"The resource identifier of {type_name} needs {key}")
        request = ResourceRequest(
            runtime=self.runtime,
            account=context.account,
            region=context.region,
            stack_name="",
            stack_id="",
            logical_id="",
            resource_type=type_name,
            properties={},
            physical_id=value,
        )
        try:
            properties = await handler.read(request)
        except ResourceGone:
            raise ResourceFailed(f"Resource {type_name} {value} does not exist") from None
        properties = dict(properties or {})
        if handler.name_property and handler.name_property not in properties:
            properties[handler.name_property] = value.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return properties

    # -- generated templates ----------------------------------------------------------------------

    def _generated(self, context: RequestContext, name: str) -> dict[str, Any]:
        scope_name = self.scope_of(context)
        key = (
            name.rsplit("/", 1)[-1]
            if name.startswith("arn:")
            else self._table("generated_names").get(scope_name, name)
        )
        record: dict[str, Any] | None = self._table("generated").get(scope_name, key) if key else None
        if record is None or (name.startswith("arn:") and record["GeneratedTemplateId"] != name):
            raise ServiceError("GeneratedTemplateNotFound", f"Generated template {name} not found", 404)
        return record

    def _save_generated(self, context: RequestContext, record: dict[str, Any]) -> None:
        self._table("generated").put(
            self.scope_of(context), record["GeneratedTemplateId"].rsplit("/", 1)[1], record
        )

    def _entries(self, resources: list[dict[str, Any]], taken: set[str]) -> list[dict[str, Any]]:
        entries = []
        for resource in resources:
            type_name = resource["ResourceType"]
            key = _identifier_key(type_name)
            identifier = resource["ResourceIdentifier"]
            if key not in identifier:
                raise validation(f"The resource identifier of {type_name} must be {key}")
            logical_id = resource.get("LogicalResourceId")
            if logical_id:
                if logical_id in taken:
                    raise validation(f"Logical resource id {logical_id} is used twice")
                taken.add(logical_id)
            else:
                logical_id = _logical_id(type_name, identifier[key], taken)
            entries.append(
                {
                    "ResourceType": type_name,
                    "LogicalResourceId": logical_id,
                    "ResourceIdentifier": identifier,
                    "ResourceStatus": "PENDING",
                }
            )
        return entries

    async def create_generated_template(self, context: RequestContext, params: dict) -> dict:
        name = params["GeneratedTemplateName"]
        scope_name = self.scope_of(context)
        if self._table("generated_names").get(scope_name, name) is not None:
            raise ServiceError("AlreadyExistsException", f"Generated template {name} already exists", 400)
        resources = params.get("Resources") or []
        if len(resources) > MAX_RESOURCES:
            raise ServiceError(
                "LimitExceededException", f"A generated template holds at most {MAX_RESOURCES} resources", 400
            )
        stack_id = None
        taken: set[str] = set()
        if params.get("StackName"):
            stack = self.find_stack(context, params["StackName"], deleted=False)
            stack_id = stack["StackId"]
            taken.update(stack.get("Resources", {}))
        template_id = (
            f"arn:{partition(context.region)}:cloudformation:{context.region}:{context.account}:"
            f"generatedtemplate/{fast_uuid()}"
        )
        now = time.time()
        record = {
            "GeneratedTemplateId": template_id,
            "GeneratedTemplateName": name,
            "Resources": self._entries(resources, taken),
            "Status": "CREATE_PENDING",
            "CreationTime": now,
            "LastUpdatedTime": now,
            "StackId": stack_id,
            "TemplateConfiguration": {
                "DeletionPolicy": "RETAIN",
                "UpdateReplacePolicy": "RETAIN",
                **(params.get("TemplateConfiguration") or {}),
            },
        }
        self._save_generated(context, record)
        self._table("generated_names").put(scope_name, name, template_id.rsplit("/", 1)[1])
        self.runtime.spawn(
            self._generate(context, template_id, refresh=True), "cloudformation generated template"
        )
        return {"GeneratedTemplateId": template_id}

    async def _generate(self, context: RequestContext, template_id: str, refresh: bool) -> None:
        record = self._generated(context, template_id)
        record["Status"] = (
            "CREATE_IN_PROGRESS" if record["Status"] == "CREATE_PENDING" else "UPDATE_IN_PROGRESS"
        )
        self._save_generated(context, record)
        for entry in record["Resources"]:
            if not refresh and entry["ResourceStatus"] == "COMPLETE":
                continue
            try:
                entry["Properties"] = await self._read(
                    context, entry["ResourceType"], entry["ResourceIdentifier"]
                )
                entry["ResourceStatus"] = "COMPLETE"
                entry.pop("ResourceStatusReason", None)
            except ResourceFailed as error:
                entry["ResourceStatus"] = "FAILED"
                entry["ResourceStatusReason"] = str(error)
                entry.pop("Properties", None)
        current = self._generated(context, template_id)
        if current.get("LastUpdatedTime") != record["LastUpdatedTime"]:
            return  # changed meanwhile: that change's own generation finishes it
        failed = [entry for entry in record["Resources"] if entry["ResourceStatus"] == "FAILED"]
        record["Status"] = "FAILED" if failed and len(failed) == len(record["Resources"]) else "COMPLETE"
        if failed:
            record["StatusReason"] = f"{len(failed)} resource(s) could not be read"
        else:
            record.pop("StatusReason", None)
        self._save_generated(context, record)

    async def update_generated_template(self, context: RequestContext, params: dict) -> dict:
        record = self._generated(context, params["GeneratedTemplateName"])
        if record["Status"].endswith(("_PENDING", "_IN_PROGRESS")):
            raise validation(f"Generated template {record['GeneratedTemplateName']} is {record['Status']}")
        scope_name = self.scope_of(context)
        new_name = params.get("NewGeneratedTemplateName")
        if new_name and new_name != record["GeneratedTemplateName"]:
            if self._table("generated_names").get(scope_name, new_name) is not None:
                raise ServiceError(
                    "AlreadyExistsException", f"Generated template {new_name} already exists", 400
                )
            self._table("generated_names").delete(scope_name, record["GeneratedTemplateName"])
            self._table("generated_names").put(
                scope_name, new_name, record["GeneratedTemplateId"].rsplit("/", 1)[1]
            )
            record["GeneratedTemplateName"] = new_name
        removed = set(params.get("RemoveResources") or [])
        unknown = removed - {entry["LogicalResourceId"] for entry in record["Resources"]}
        if unknown:
            raise validation(f"Resources {sorted(unknown)} are not in the generated template")
        record["Resources"] = [
            entry for entry in record["Resources"] if entry["LogicalResourceId"] not in removed
        ]
        taken = {entry["LogicalResourceId"] for entry in record["Resources"]}
        record["Resources"].extend(self._entries(params.get("AddResources") or [], taken))
        if len(record["Resources"]) > MAX_RESOURCES:
            raise ServiceError(
                "LimitExceededException", f"A generated template holds at most {MAX_RESOURCES} resources", 400
            )
        if params.get("TemplateConfiguration"):
            record["TemplateConfiguration"].update(params["TemplateConfiguration"])
        record["Status"] = "UPDATE_PENDING"
        record["LastUpdatedTime"] = time.time()
        self._save_generated(context, record)
        self.runtime.spawn(
            self._generate(
                context, record["GeneratedTemplateId"], refresh=bool(params.get("RefreshAllResources"))
            ),
            "cloudformation generated template",
        )
        return {"GeneratedTemplateId": record["GeneratedTemplateId"]}

    def describe_generated_template(self, context: RequestContext, params: dict) -> dict:
        record = self._generated(context, params["GeneratedTemplateName"])
        resources = record["Resources"]
        shown: dict[str, Any] = {
            "GeneratedTemplateId": record["GeneratedTemplateId"],
            "GeneratedTemplateName": record["GeneratedTemplateName"],
            "Resources": [
                {
                    key: entry[key]
                    for key in (
                        "ResourceType",
                        "LogicalResourceId",
                        "ResourceIdentifier",
                        "ResourceStatus",
                        "ResourceStatusReason",
                    )
                    if key in entry
                }
                for entry in resources
            ],
            "Status": record["Status"],
            "StatusReason": record.get("StatusReason", ""),
            "CreationTime": _when(record["CreationTime"]),
            "LastUpdatedTime": _when(record["LastUpdatedTime"]),
            "Progress": {
                "ResourcesSucceeded": sum(entry["ResourceStatus"] == "COMPLETE" for entry in resources),
                "ResourcesFailed": sum(entry["ResourceStatus"] == "FAILED" for entry in resources),
                "ResourcesProcessing": sum(entry["ResourceStatus"] == "IN_PROGRESS" for entry in resources),
                "ResourcesPending": sum(entry["ResourceStatus"] == "PENDING" for entry in resources),
            },
            "TemplateConfiguration": record["TemplateConfiguration"],
            "TotalWarnings": 0,
        }
        if record.get("StackId"):
            shown["StackId"] = record["StackId"]
        return shown

    def get_generated_template(self, context: RequestContext, params: dict) -> dict:
        record = self._generated(context, params["GeneratedTemplateName"])
        if record["Status"] not in ("COMPLETE", "FAILED"):
            return {"Status": record["Status"]}
        template = self._template(context, record)
        if params.get("Format") == "YAML":
            body = yaml.safe_dump(template, sort_keys=False)
        else:
            body = json.dumps(template, indent=2)
        return {"Status": record["Status"], "TemplateBody": body}

    def _template(self, context: RequestContext, record: dict[str, Any]) -> dict[str, Any]:
        configuration = record["TemplateConfiguration"]
        policy = {"RETAIN": "Retain", "DELETE": "Delete"}
        resources: dict[str, Any] = {}
        if record.get("StackId"):
            stack = self.find_stack(context, record["StackId"])
            resources.update(json.loads(json.dumps((stack.get("TemplateDoc") or {}).get("Resources", {}))))
        for entry in record["Resources"]:
            if entry["ResourceStatus"] != "COMPLETE":
                continue
            resources[entry["LogicalResourceId"]] = {
                "Type": entry["ResourceType"],
                "DeletionPolicy": policy.get(configuration.get("DeletionPolicy", "RETAIN"), "Retain"),
                "UpdateReplacePolicy": policy.get(
                    configuration.get("UpdateReplacePolicy", "RETAIN"), "Retain"
                ),
                "Properties": entry.get("Properties", {}),
            }
        return {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Metadata": {"TemplateId": record["GeneratedTemplateId"]},
            "Resources": resources,
        }

    def list_generated_templates(self, context: RequestContext, params: dict) -> dict:
        records = sorted(
            (record for _, record in self._table("generated").scan(self.scope_of(context))),
            key=lambda record: -record["CreationTime"],
        )
        return pagination.paginate_list(
            self.runtime.store,
            "cloudformation",
            "ListGeneratedTemplates",
            params,
            records,
            bad_token=lambda: validation("Invalid NextToken"),
            default_limit=50,
            render=_template_summary,
        )

    def delete_generated_template(self, context: RequestContext, params: dict) -> dict:
        record = self._generated(context, params["GeneratedTemplateName"])
        if record["Status"].endswith(("_PENDING", "_IN_PROGRESS")):
            raise ServiceError(
                "ConcurrentResourcesLimitExceeded",
                f"Generated template {record['GeneratedTemplateName']} is {record['Status']}",
                429,
            )
        scope_name = self.scope_of(context)
        self._table("generated").delete(scope_name, record["GeneratedTemplateId"].rsplit("/", 1)[1])
        self._table("generated_names").delete(scope_name, record["GeneratedTemplateName"])
        return {}


def _when(seconds: float) -> Any:
    from overcast.services.cloudformation.provider import timestamp

    return timestamp(seconds)


def _type_matches(pattern: str, name: str) -> bool:
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return name == pattern


def _resource_matches(resource: dict[str, Any], params: dict[str, Any]) -> bool:
    prefix = params.get("ResourceTypePrefix")
    if prefix and not _type_matches(
        prefix if prefix.endswith("*") else prefix + "*", resource["ResourceType"]
    ):
        return False
    wanted = params.get("ResourceIdentifier")
    return not wanted or any(wanted in value for value in resource["ResourceIdentifier"].values())


def _names(text: str, identifier: str) -> bool:
    """Whether a resource's properties (as JSON text) name the identifier, itself or as the
    last part of an ARN."""
    quoted = json.dumps(identifier)
    return quoted in text or f'/{identifier}"' in text or f':{identifier}"' in text


def _scan_summary(record: dict[str, Any]) -> dict[str, Any]:
    shown = {
        "ResourceScanId": record["ResourceScanId"],
        "Status": record["Status"],
        "StartTime": _when(record["StartTime"]),
        "PercentageCompleted": record["PercentageCompleted"],
        "ScanType": record["ScanType"],
    }
    if record.get("EndTime"):
        shown["EndTime"] = _when(record["EndTime"])
    if record.get("StatusReason"):
        shown["StatusReason"] = record["StatusReason"]
    return shown


def _template_summary(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "GeneratedTemplateId": record["GeneratedTemplateId"],
        "GeneratedTemplateName": record["GeneratedTemplateName"],
        "Status": record["Status"],
        "StatusReason": record.get("StatusReason", ""),
        "CreationTime": _when(record["CreationTime"]),
        "LastUpdatedTime": _when(record["LastUpdatedTime"]),
        "NumberOfResources": len(record["Resources"]),
    }
