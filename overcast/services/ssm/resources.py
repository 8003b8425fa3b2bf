"""SSM's CloudFormation resource type AWS::SSM::Parameter, through the SSM provider's own
operations."""

from __future__ import annotations

import copy
import json
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceHandler,
    ResourceRequest,
    as_bool,
    as_int,
    policy_text,
    read_or_gone,
)


class Parameter(ResourceHandler):
    identifier = "Name"
    replace_on = frozenset({"Name"})
    name_property = "Name"
    required = ("Type", "Value")
    attributes = frozenset({"Type", "Value"})

    def _params(self, request: ResourceRequest, name: str) -> dict[str, Any]:
        properties = request.properties
        value = properties["Value"]
        params: dict[str, Any] = {
            "Name": name,
            "Type": properties["Type"],
            "Value": ",".join(value) if isinstance(value, list) else str(value),
        }
        for key in ("Description", "AllowedPattern", "Tier", "DataType", "Policies"):
            if properties.get(key):
                params[key] = properties[key]
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("Name") or f"CFN-{request.physical_name(2048 - 4)}"
        params = self._params(request, name)
        tags = properties.get("Tags") or {}
        if tags:
            params["Tags"] = [{"Key": key, "Value": str(value)} for key, value in tags.items()]
        await request.call("ssm", "PutParameter", params)
        return name, {"Type": params["Type"], "Value": params["Value"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = self._params(request, request.physical_id)
        await request.call("ssm", "PutParameter", {**params, "Overwrite": True})
        old_tags, new_tags = request.old_properties.get("Tags") or {}, request.properties.get("Tags") or {}
        if old_tags != new_tags:
            removed = sorted(set(old_tags) - set(new_tags))
            if removed:
                await request.call(
                    "ssm",
                    "RemoveTagsFromResource",
                    {"ResourceType": "Parameter", "ResourceId": request.physical_id, "TagKeys": removed},
                )
            if new_tags:
                await request.call(
                    "ssm",
                    "AddTagsToResource",
                    {
                        "ResourceType": "Parameter",
                        "ResourceId": request.physical_id,
                        "Tags": [{"Key": key, "Value": str(value)} for key, value in new_tags.items()],
                    },
                )
        return {"Type": params["Type"], "Value": params["Value"]}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        parameter = (
            await read_or_gone(
                request, "ssm", "GetParameter", {"Name": request.physical_id}, "ParameterNotFound"
            )
        )["Parameter"]
        return {"Name": parameter["Name"], "Type": parameter["Type"], "Value": parameter["Value"]}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        parameter = (await request.call("ssm", "GetParameter", {"Name": request.physical_id}))["Parameter"]
        return {"Type": parameter["Type"], "Value": parameter["Value"]}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ssm", "DeleteParameter", {"Name": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ParameterNotFound":
                raise


class Document(ResourceHandler):
    updatable = False
    name_property = "Name"
    required = ("Content",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        import json

        properties = request.properties
        content = properties["Content"]
        document_format = properties.get("DocumentFormat", "JSON")
        if not isinstance(content, str):
            if document_format == "YAML":
                import yaml  # type: ignore[import-untyped]

                content = yaml.safe_dump(content)
            else:
                content = json.dumps(content)
        name = properties.get("Name") or request.physical_name(128).replace("-", "_")
        params: dict[str, Any] = {
            "Name": name,
            "Content": content,
            "DocumentType": properties.get("DocumentType", "Command"),
            "DocumentFormat": document_format,
        }
        for key in ("TargetType", "VersionName"):
            if properties.get(key):
                params[key] = properties[key]
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        await request.call("ssm", "CreateDocument", params)
        return name, {}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("ssm", "DeleteDocument", {"Name": request.physical_id})
        except ResourceFailed as error:
            if error.code != "InvalidDocument":
                raise


async def _ignore_missing(
    request: ResourceRequest, operation: str, params: dict[str, Any], *codes: str
) -> None:
    try:
        await request.call("ssm", operation, params)
    except ResourceFailed as error:
        if error.code not in codes:
            raise


def _pick(properties: dict[str, Any], *names: str) -> dict[str, Any]:
    """The named properties, copied: the caller may convert them without touching the template's."""
    return {name: copy.deepcopy(properties[name]) for name in names if properties.get(name) is not None}


def _ssm_tags(request: ResourceRequest, given: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    return request.user_tags(given)


_ASSOCIATION_FIELDS = (
    "Name",
    "DocumentVersion",
    "Parameters",
    "Targets",
    "ScheduleExpression",
    "OutputLocation",
    "AssociationName",
    "AutomationTargetParameterName",
    "MaxErrors",
    "MaxConcurrency",
    "ComplianceSeverity",
    "SyncCompliance",
    "ApplyOnlyAtCronInterval",
    "CalendarNames",
    "ScheduleOffset",
)


class Association(ResourceHandler):
    replace_on = frozenset({"InstanceId", "AssociationName"})
    required = ("Name",)
    attributes = frozenset({"AssociationId"})

    def _params(self, properties: dict[str, Any]) -> dict[str, Any]:
        params = _pick(properties, *_ASSOCIATION_FIELDS)
        if "ApplyOnlyAtCronInterval" in params:
            params["ApplyOnlyAtCronInterval"] = as_bool(params["ApplyOnlyAtCronInterval"])
        if "ScheduleOffset" in params:
            params["ScheduleOffset"] = as_int(params["ScheduleOffset"])
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = self._params(request.properties)
        if request.properties.get("InstanceId"):
            params["InstanceId"] = request.properties["InstanceId"]
        description = (await request.call("ssm", "CreateAssociation", params))["AssociationDescription"]
        association_id = description["AssociationId"]
        return association_id, {"AssociationId": association_id}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = self._params(request.properties)
        params.pop("AssociationName", None)
        await request.call("ssm", "UpdateAssociation", {"AssociationId": request.physical_id, **params})
        return {"AssociationId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request, "DeleteAssociation", {"AssociationId": request.physical_id}, "AssociationDoesNotExist"
        )

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = (
            await read_or_gone(
                request,
                "ssm",
                "DescribeAssociation",
                {"AssociationId": request.physical_id},
                "AssociationDoesNotExist",
            )
        )["AssociationDescription"]
        return {
            key: found[key]
            for key in ("Name", "Parameters", "Targets", "ScheduleExpression", "AssociationName",
                        "MaxErrors", "MaxConcurrency", "ComplianceSeverity")
            if found.get(key) is not None
        }  # fmt: skip


class MaintenanceWindow(ResourceHandler):
    identifier = "WindowId"
    required = ("Name", "AllowUnassociatedTargets", "Cutoff", "Duration", "Schedule")
    attributes = frozenset({"WindowId"})

    _FIELDS = ("Name", "Description", "Schedule", "ScheduleTimezone", "StartDate", "EndDate")

    def _params(self, properties: dict[str, Any]) -> dict[str, Any]:
        params = _pick(properties, *self._FIELDS)
        params["AllowUnassociatedTargets"] = as_bool(properties.get("AllowUnassociatedTargets"))
        for name in ("Cutoff", "Duration", "ScheduleOffset"):
            if properties.get(name) is not None:
                params[name] = as_int(properties[name])
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = self._params(request.properties)
        tags = _ssm_tags(request, request.properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        window_id = (await request.call("ssm", "CreateMaintenanceWindow", params))["WindowId"]
        return window_id, {"WindowId": window_id}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = self._params(request.properties)
        await request.call(
            "ssm", "UpdateMaintenanceWindow", {"WindowId": request.physical_id, "Replace": True, **params}
        )
        return {"WindowId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request, "DeleteMaintenanceWindow", {"WindowId": request.physical_id}, "DoesNotExistException"
        )

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request, "ssm", "GetMaintenanceWindow", {"WindowId": request.physical_id}, "DoesNotExistException"
        )
        return {
            key: found[key]
            for key in ("Name", "Description", "Schedule", "ScheduleTimezone", "Duration", "Cutoff",
                        "AllowUnassociatedTargets", "StartDate", "EndDate", "ScheduleOffset")
            if found.get(key) is not None
        }  # fmt: skip

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("ssm", "GetMaintenanceWindow", {"WindowId": request.physical_id})
        return {"WindowId": request.physical_id}


class MaintenanceWindowTarget(ResourceHandler):
    replace_on = frozenset({"WindowId", "ResourceType"})
    required = ("WindowId", "ResourceType", "Targets")
    attributes = frozenset({"WindowTargetId"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = _pick(
            request.properties,
            "WindowId",
            "ResourceType",
            "Targets",
            "OwnerInformation",
            "Name",
            "Description",
        )
        target_id = (await request.call("ssm", "RegisterTargetWithMaintenanceWindow", params))[
            "WindowTargetId"
        ]
        return target_id, {"WindowTargetId": target_id}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = _pick(request.properties, "Targets", "OwnerInformation", "Name", "Description")
        await request.call(
            "ssm",
            "UpdateMaintenanceWindowTarget",
            {
                "WindowId": request.properties["WindowId"],
                "WindowTargetId": request.physical_id,
                "Replace": True,
                **params,
            },
        )
        return {"WindowTargetId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeregisterTargetFromMaintenanceWindow",
            {
                "WindowId": request.properties.get("WindowId"),
                "WindowTargetId": request.physical_id,
                "Safe": False,
            },
            "DoesNotExistException",
        )


#: CloudFormation's TaskInvocationParameters members → the API's.
_INVOCATION = {
    "MaintenanceWindowRunCommandParameters": "RunCommand",
    "MaintenanceWindowAutomationParameters": "Automation",
    "MaintenanceWindowStepFunctionsParameters": "StepFunctions",
    "MaintenanceWindowLambdaParameters": "Lambda",
}


def _invocation(given: dict[str, Any]) -> dict[str, Any]:
    invocation: dict[str, Any] = {}
    for cfn_name, api_name in _INVOCATION.items():
        if given.get(cfn_name) is None:
            continue
        value = dict(given[cfn_name])
        if api_name == "RunCommand":
            if isinstance(value.get("Parameters"), str):
                value["Parameters"] = json.loads(value["Parameters"])
            if value.get("TimeoutSeconds") is not None:
                value["TimeoutSeconds"] = as_int(value["TimeoutSeconds"])
        if api_name == "Lambda" and isinstance(value.get("Payload"), str):
            value["Payload"] = value["Payload"].encode()
        invocation[api_name] = value
    return invocation


class MaintenanceWindowTask(ResourceHandler):
    replace_on = frozenset({"WindowId", "TaskType"})
    required = ("WindowId", "TaskArn", "TaskType", "Priority")
    attributes = frozenset({"WindowTaskId"})

    def _params(self, properties: dict[str, Any]) -> dict[str, Any]:
        params = _pick(
            properties,
            "TaskArn",
            "Targets",
            "ServiceRoleArn",
            "TaskParameters",
            "MaxConcurrency",
            "MaxErrors",
            "Name",
            "Description",
            "CutoffBehavior",
        )
        params["Priority"] = as_int(properties.get("Priority", 1))
        if properties.get("TaskInvocationParameters"):
            params["TaskInvocationParameters"] = _invocation(properties["TaskInvocationParameters"])
        logging = properties.get("LoggingInfo")
        if logging:
            params["LoggingInfo"] = {
                "S3BucketName": logging.get("S3Bucket"),
                "S3Region": logging.get("Region"),
                **({"S3KeyPrefix": logging["S3Prefix"]} if logging.get("S3Prefix") else {}),
            }
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = self._params(request.properties)
        params.update(WindowId=request.properties["WindowId"], TaskType=request.properties["TaskType"])
        task_id = (await request.call("ssm", "RegisterTaskWithMaintenanceWindow", params))["WindowTaskId"]
        return task_id, {"WindowTaskId": task_id}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        params = self._params(request.properties)
        await request.call(
            "ssm",
            "UpdateMaintenanceWindowTask",
            {
                "WindowId": request.properties["WindowId"],
                "WindowTaskId": request.physical_id,
                "Replace": True,
                **params,
            },
        )
        return {"WindowTaskId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeregisterTaskFromMaintenanceWindow",
            {"WindowId": request.properties.get("WindowId"), "WindowTaskId": request.physical_id},
            "DoesNotExistException",
        )


class PatchBaseline(ResourceHandler):
    identifier = "BaselineId"
    replace_on = frozenset({"OperatingSystem"})
    required = ("Name",)
    attributes = frozenset({"Id"})

    _FIELDS = (
        "Name",
        "GlobalFilters",
        "ApprovalRules",
        "ApprovedPatches",
        "ApprovedPatchesComplianceLevel",
        "ApprovedPatchesEnableNonSecurity",
        "RejectedPatches",
        "RejectedPatchesAction",
        "Description",
        "Sources",
    )

    def _params(self, properties: dict[str, Any]) -> dict[str, Any]:
        params = _pick(properties, *self._FIELDS)
        if "ApprovedPatchesEnableNonSecurity" in params:
            params["ApprovedPatchesEnableNonSecurity"] = as_bool(params["ApprovedPatchesEnableNonSecurity"])
        for rule in (params.get("ApprovalRules") or {}).get("PatchRules", []):
            for name in ("ApproveAfterDays",):
                if rule.get(name) is not None:
                    rule[name] = as_int(rule[name])
            if rule.get("EnableNonSecurity") is not None:
                rule["EnableNonSecurity"] = as_bool(rule["EnableNonSecurity"])
        return params

    async def _groups(
        self, request: ResourceRequest, baseline_id: str, new: list[str], old: list[str]
    ) -> None:
        for group in old:
            if group not in new:
                await _ignore_missing(
                    request,
                    "DeregisterPatchBaselineForPatchGroup",
                    {"BaselineId": baseline_id, "PatchGroup": group},
                    "DoesNotExistException",
                    "InvalidResourceId",  # no longer registered with it
                )
        for group in new:
            if group not in old:
                await request.call(
                    "ssm",
                    "RegisterPatchBaselineForPatchGroup",
                    {"BaselineId": baseline_id, "PatchGroup": group},
                )

    async def _default(self, request: ResourceRequest, baseline_id: str) -> None:
        if as_bool(request.properties.get("DefaultBaseline", False)) and not as_bool(
            request.old_properties.get("DefaultBaseline", False)
        ):
            await request.call("ssm", "RegisterDefaultPatchBaseline", {"BaselineId": baseline_id})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = self._params(request.properties)
        if request.properties.get("OperatingSystem"):
            params["OperatingSystem"] = request.properties["OperatingSystem"]
        tags = _ssm_tags(request, request.properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        baseline_id = (await request.call("ssm", "CreatePatchBaseline", params))["BaselineId"]
        await self._groups(request, baseline_id, list(request.properties.get("PatchGroups", [])), [])
        await self._default(request, baseline_id)
        return baseline_id, {"Id": baseline_id}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        baseline_id = request.physical_id
        await request.call(
            "ssm",
            "UpdatePatchBaseline",
            {"BaselineId": baseline_id, "Replace": True, **self._params(request.properties)},
        )
        await self._groups(
            request,
            baseline_id,
            list(request.properties.get("PatchGroups", [])),
            list(request.old_properties.get("PatchGroups", [])),
        )
        await self._default(request, baseline_id)
        return {"Id": baseline_id}

    async def delete(self, request: ResourceRequest) -> None:
        await self._groups(request, request.physical_id, [], list(request.properties.get("PatchGroups", [])))
        await _ignore_missing(
            request, "DeletePatchBaseline", {"BaselineId": request.physical_id}, "DoesNotExistException"
        )

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("ssm", "GetPatchBaseline", {"BaselineId": request.physical_id})
        return {"Id": request.physical_id}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await read_or_gone(
            request, "ssm", "GetPatchBaseline", {"BaselineId": request.physical_id}, "DoesNotExistException"
        )
        current = {
            key: found[key]
            for key in ("Name", "OperatingSystem", "Description", "ApprovedPatches", "RejectedPatches")
            if found.get(key) not in (None, [])
        }
        current["PatchGroups"] = found.get("PatchGroups", [])
        return current


class ResourceDataSync(ResourceHandler):
    replace_on = frozenset(
        {
            "SyncName",
            "S3Destination",
            "BucketName",
            "BucketRegion",
            "BucketPrefix",
            "SyncFormat",
            "KMSKeyArn",
            "SyncType",
        }
    )
    name_property = "SyncName"
    required = ("SyncName",)
    attributes = frozenset({"SyncName"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"SyncName": properties["SyncName"]}
        destination = properties.get("S3Destination")
        if not destination and properties.get("BucketName"):
            destination = {
                "BucketName": properties["BucketName"],
                "Region": properties.get("BucketRegion", request.region),
                "SyncFormat": properties.get("SyncFormat", "JsonSerDe"),
                **_pick(properties, "BucketPrefix"),
                **({"AWSKMSKeyARN": properties["KMSKeyArn"]} if properties.get("KMSKeyArn") else {}),
            }
        elif destination:
            destination = {
                "BucketName": destination["BucketName"],
                "Region": destination.get("BucketRegion", request.region),
                "SyncFormat": destination.get("SyncFormat", "JsonSerDe"),
                **_pick(destination, "BucketPrefix"),
                **({"AWSKMSKeyARN": destination["KMSKeyArn"]} if destination.get("KMSKeyArn") else {}),
            }
        if destination:
            params["S3Destination"] = destination
        for name in ("SyncType", "SyncSource"):
            if properties.get(name):
                params[name] = properties[name]
        await request.call("ssm", "CreateResourceDataSync", params)
        return properties["SyncName"], {"SyncName": properties["SyncName"]}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "ssm",
            "UpdateResourceDataSync",
            {
                "SyncName": request.physical_id,
                "SyncType": request.properties.get("SyncType", "SyncFromSource"),
                "SyncSource": request.properties.get("SyncSource"),
            },
        )
        return {"SyncName": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteResourceDataSync",
            {"SyncName": request.physical_id},
            "ResourceDataSyncNotFoundException",
        )


class ResourcePolicy(ResourceHandler):
    """A policy on an SSM resource (an OpsItemGroup, a parameter): the physical id is its
    PolicyId; the hash recorded in its attributes is what an update or delete presents."""

    replace_on = frozenset({"ResourceArn"})
    required = ("ResourceArn", "Policy")
    attributes = frozenset({"PolicyId", "PolicyHash"})

    async def _put(self, request: ResourceRequest, current: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "ResourceArn": request.properties["ResourceArn"],
            "Policy": policy_text(request.properties["Policy"]),
            **current,
        }
        output = await request.call("ssm", "PutResourcePolicy", params)
        return {"PolicyId": output["PolicyId"], "PolicyHash": output["PolicyHash"]}

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        attributes = await self._put(request, {})
        return attributes["PolicyId"], attributes

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._put(
            request, {"PolicyId": request.physical_id, "PolicyHash": request.attributes.get("PolicyHash", "")}
        )

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteResourcePolicy",
            {
                "ResourceArn": request.properties.get("ResourceArn"),
                "PolicyId": request.physical_id,
                "PolicyHash": request.attributes.get("PolicyHash", ""),
            },
            "ResourcePolicyNotFoundException",
            "ResourceNotFoundException",
        )


HANDLERS = {
    "AWS::SSM::Parameter": Parameter,
    "AWS::SSM::Document": Document,
    "AWS::SSM::Association": Association,
    "AWS::SSM::MaintenanceWindow": MaintenanceWindow,
    "AWS::SSM::MaintenanceWindowTarget": MaintenanceWindowTarget,
    "AWS::SSM::MaintenanceWindowTask": MaintenanceWindowTask,
    "AWS::SSM::PatchBaseline": PatchBaseline,
    "AWS::SSM::ResourceDataSync": ResourceDataSync,
    "AWS::SSM::ResourcePolicy": ResourcePolicy,
}
