"""CloudWatch Logs' CloudFormation resource types (LogGroup, LogStream, MetricFilter,
SubscriptionFilter), through the Logs provider's own operations."""

from __future__ import annotations

import json
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceGone,
    ResourceHandler,
    ResourceRequest,
    as_int,
)


async def _ignore_missing(request: ResourceRequest, operation: str, params: dict[str, Any]) -> None:
    try:
        await request.call("logs", operation, params)
    except ResourceFailed as error:
        if error.code != "ResourceNotFoundException":
            raise


class LogGroup(ResourceHandler):
    identifier = "LogGroupName"
    replace_on = frozenset({"LogGroupName", "LogGroupClass"})
    name_property = "LogGroupName"
    attributes = frozenset({"Arn"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("LogGroupName") or request.physical_name(512)
        params: dict[str, Any] = {"logGroupName": name}
        if properties.get("KmsKeyId"):
            params["kmsKeyId"] = properties["KmsKeyId"]
        if properties.get("LogGroupClass"):
            params["logGroupClass"] = properties["LogGroupClass"]
        tags = {tag["Key"]: tag["Value"] for tag in request.user_tags(properties.get("Tags"))}
        if tags:
            params["tags"] = tags
        await request.call("logs", "CreateLogGroup", params)
        if properties.get("RetentionInDays") is not None:
            try:
                await request.call(
                    "logs",
                    "PutRetentionPolicy",
                    {"logGroupName": name, "retentionInDays": as_int(properties["RetentionInDays"])},
                )
            except ResourceFailed:
                await _ignore_missing(request, "DeleteLogGroup", {"logGroupName": name})
                raise
        return name, {"Arn": self._arn(request, name)}

    @staticmethod
    def _arn(request: ResourceRequest, name: str) -> str:
        return f"arn:{request.partition}:logs:{request.region}:{request.account}:log-group:{name}:*"

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        name, new, old = request.physical_id, request.properties, request.old_properties
        if new.get("RetentionInDays") != old.get("RetentionInDays"):
            if new.get("RetentionInDays") is None:
                await request.call("logs", "DeleteRetentionPolicy", {"logGroupName": name})
            else:
                await request.call(
                    "logs",
                    "PutRetentionPolicy",
                    {"logGroupName": name, "retentionInDays": as_int(new["RetentionInDays"])},
                )
        if new.get("KmsKeyId") != old.get("KmsKeyId"):
            if new.get("KmsKeyId"):
                await request.call(
                    "logs", "AssociateKmsKey", {"logGroupName": name, "kmsKeyId": new["KmsKeyId"]}
                )
            else:
                await request.call("logs", "DisassociateKmsKey", {"logGroupName": name})
        if new.get("Tags") != old.get("Tags"):
            arn = self._arn(request, name)[:-2]
            removed = sorted(
                {t["Key"] for t in old.get("Tags", [])} - {t["Key"] for t in new.get("Tags", [])}
            )
            if removed:
                await request.call("logs", "UntagResource", {"resourceArn": arn, "tagKeys": removed})
            if new.get("Tags"):
                await request.call(
                    "logs",
                    "TagResource",
                    {"resourceArn": arn, "tags": {t["Key"]: t["Value"] for t in new["Tags"]}},
                )
        return {"Arn": self._arn(request, name)}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        groups = (
            await request.call("logs", "DescribeLogGroups", {"logGroupNamePrefix": request.physical_id})
        ).get("logGroups", [])
        group = next((item for item in groups if item["logGroupName"] == request.physical_id), None)
        if group is None:
            raise ResourceGone
        current: dict[str, Any] = {"LogGroupName": group["logGroupName"]}
        if group.get("retentionInDays") is not None:
            current["RetentionInDays"] = group["retentionInDays"]
        return current

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        try:
            await self.read(request)
        except ResourceGone:
            raise ResourceFailed(f"Log group {request.physical_id} does not exist") from None
        return {"Arn": self._arn(request, request.physical_id)}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteLogGroup", {"logGroupName": request.physical_id})


class LogStream(ResourceHandler):
    updatable = False
    required = ("LogGroupName",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("LogStreamName") or request.physical_name(512)
        await request.call(
            "logs", "CreateLogStream", {"logGroupName": properties["LogGroupName"], "logStreamName": name}
        )
        return name, {}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteLogStream",
            {"logGroupName": request.properties["LogGroupName"], "logStreamName": request.physical_id},
        )


def _transformation(item: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "metricName": item["MetricName"],
        "metricNamespace": item["MetricNamespace"],
        "metricValue": str(item["MetricValue"]),
    }
    if item.get("DefaultValue") is not None:
        shaped["defaultValue"] = float(item["DefaultValue"])
    if item.get("Unit"):
        shaped["unit"] = item["Unit"]
    if item.get("Dimensions"):
        shaped["dimensions"] = {dimension["Key"]: dimension["Value"] for dimension in item["Dimensions"]}
    return shaped


class MetricFilter(ResourceHandler):
    replace_on = frozenset({"FilterName", "LogGroupName"})
    name_property = "FilterName"
    required = ("FilterPattern", "LogGroupName", "MetricTransformations")

    async def _put(self, request: ResourceRequest, name: str) -> None:
        properties = request.properties
        await request.call(
            "logs",
            "PutMetricFilter",
            {
                "logGroupName": properties["LogGroupName"],
                "filterName": name,
                "filterPattern": properties.get("FilterPattern", ""),
                "metricTransformations": [
                    _transformation(item) for item in properties["MetricTransformations"]
                ],
            },
        )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("FilterName") or request.physical_name(512)
        await self._put(request, name)
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request, request.physical_id)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteMetricFilter",
            {"logGroupName": request.properties["LogGroupName"], "filterName": request.physical_id},
        )


class SubscriptionFilter(ResourceHandler):
    replace_on = frozenset({"FilterName", "LogGroupName"})
    name_property = "FilterName"
    required = ("DestinationArn", "FilterPattern", "LogGroupName")

    async def _put(self, request: ResourceRequest, name: str) -> None:
        properties = request.properties
        params: dict[str, Any] = {
            "logGroupName": properties["LogGroupName"],
            "filterName": name,
            "filterPattern": properties.get("FilterPattern", ""),
            "destinationArn": properties["DestinationArn"],
        }
        if properties.get("RoleArn"):
            params["roleArn"] = properties["RoleArn"]
        if properties.get("Distribution"):
            params["distribution"] = properties["Distribution"]
        await request.call("logs", "PutSubscriptionFilter", params)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        name = request.properties.get("FilterName") or request.physical_name(512)
        await self._put(request, name)
        return name, {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request, request.physical_id)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request,
            "DeleteSubscriptionFilter",
            {"logGroupName": request.properties["LogGroupName"], "filterName": request.physical_id},
        )


class ResourcePolicy(ResourceHandler):
    replace_on = frozenset({"PolicyName"})
    name_property = "PolicyName"
    required = ("PolicyDocument", "PolicyName")

    async def _put(self, request: ResourceRequest) -> None:
        document = request.properties["PolicyDocument"]
        await request.call(
            "logs",
            "PutResourcePolicy",
            {
                "policyName": request.properties["PolicyName"],
                "policyDocument": document if isinstance(document, str) else json.dumps(document),
            },
        )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        return request.properties["PolicyName"], {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteResourcePolicy", {"policyName": request.physical_id})


class Destination(ResourceHandler):
    replace_on = frozenset({"DestinationName"})
    name_property = "DestinationName"
    required = ("DestinationName", "RoleArn", "TargetArn")
    attributes = frozenset({"Arn"})

    async def _put(self, request: ResourceRequest) -> str:
        properties = request.properties
        output = await request.call(
            "logs",
            "PutDestination",
            {
                "destinationName": properties["DestinationName"],
                "targetArn": properties["TargetArn"],
                "roleArn": properties["RoleArn"],
            },
        )
        policy = properties.get("DestinationPolicy")
        if policy:
            await request.call(
                "logs",
                "PutDestinationPolicy",
                {
                    "destinationName": properties["DestinationName"],
                    "accessPolicy": policy if isinstance(policy, str) else json.dumps(policy),
                },
            )
        return str(output["destination"]["arn"])

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        arn = await self._put(request)
        return request.properties["DestinationName"], {"Arn": arn}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        return {"Arn": await self._put(request)}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteDestination", {"destinationName": request.physical_id})


def _camel(value: Any) -> Any:
    """CloudFormation's PascalCase property keys as the Logs API's camelCase members."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel(item) for item in value]
    return value


def _tag_map(request: ResourceRequest, given: list[dict[str, Any]] | None) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in request.user_tags(given)}


class QueryDefinition(ResourceHandler):
    identifier = "QueryDefinitionId"
    required = ("Name", "QueryString")
    attributes = frozenset({"QueryDefinitionId"})

    async def _put(self, request: ResourceRequest, definition_id: str | None) -> str:
        properties = request.properties
        params: dict[str, Any] = {"name": properties["Name"], "queryString": properties["QueryString"]}
        if definition_id:
            params["queryDefinitionId"] = definition_id
        if properties.get("LogGroupNames"):
            params["logGroupNames"] = list(properties["LogGroupNames"])
        if properties.get("QueryLanguage"):
            params["queryLanguage"] = properties["QueryLanguage"]
        return str((await request.call("logs", "PutQueryDefinition", params))["queryDefinitionId"])

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        definition_id = await self._put(request, None)
        return definition_id, {"QueryDefinitionId": definition_id}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request, request.physical_id)
        return {"QueryDefinitionId": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteQueryDefinition", {"queryDefinitionId": request.physical_id})

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await request.call(
            "logs",
            "DescribeQueryDefinitions",
            {"queryDefinitionNamePrefix": request.properties.get("Name", "")},
        )
        for definition in found.get("queryDefinitions", []):
            if definition["queryDefinitionId"] == request.physical_id:
                current: dict[str, Any] = {
                    "Name": definition["name"],
                    "QueryString": definition["queryString"],
                }
                if definition.get("logGroupNames"):
                    current["LogGroupNames"] = definition["logGroupNames"]
                return current
        raise ResourceGone

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        found = await request.call("logs", "DescribeQueryDefinitions", {})
        if not any(d["queryDefinitionId"] == request.physical_id for d in found.get("queryDefinitions", [])):
            raise ResourceFailed(
                f"Query definition {request.physical_id} does not exist.", "ResourceNotFoundException"
            )
        return {"QueryDefinitionId": request.physical_id}


class AccountPolicy(ResourceHandler):
    """One account-level policy; the physical id is "{account}|{type}|{name}", its identifier."""

    replace_on = frozenset({"PolicyName", "PolicyType"})
    required = ("PolicyName", "PolicyDocument", "PolicyType")
    attributes = frozenset({"AccountId"})

    async def _put(self, request: ResourceRequest) -> None:
        properties = request.properties
        document = properties["PolicyDocument"]
        params: dict[str, Any] = {
            "policyName": properties["PolicyName"],
            "policyType": properties["PolicyType"],
            "policyDocument": document if isinstance(document, str) else json.dumps(document),
            "scope": properties.get("Scope", "ALL"),
        }
        if properties.get("SelectionCriteria"):
            params["selectionCriteria"] = properties["SelectionCriteria"]
        await request.call("logs", "PutAccountPolicy", params)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        properties = request.properties
        return (
            f"{request.account}|{properties['PolicyType']}|{properties['PolicyName']}",
            {"AccountId": request.account},
        )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {"AccountId": request.account}

    async def delete(self, request: ResourceRequest) -> None:
        _, kind, name = request.physical_id.split("|", 2)
        await _ignore_missing(request, "DeleteAccountPolicy", {"policyName": name, "policyType": kind})


class DeliverySource(ResourceHandler):
    identifier = "Name"
    replace_on = frozenset({"Name"})
    name_property = "Name"
    required = ("Name",)
    attributes = frozenset({"Arn", "ResourceArns", "Service"})

    async def _put(self, request: ResourceRequest, tags: bool) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {
            "name": properties["Name"],
            "resourceArn": properties.get("ResourceArn", ""),
            "logType": properties.get("LogType", ""),
        }
        if tags and _tag_map(request, properties.get("Tags")):
            params["tags"] = _tag_map(request, properties.get("Tags"))
        source = (await request.call("logs", "PutDeliverySource", params))["deliverySource"]
        return {"Arn": source["arn"], "ResourceArns": source["resourceArns"], "Service": source["service"]}

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        return request.properties["Name"], await self._put(request, tags=True)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._put(request, tags=False)

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteDeliverySource", {"name": request.physical_id})

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        source = (await request.call("logs", "GetDeliverySource", {"name": request.physical_id}))[
            "deliverySource"
        ]
        return {"Arn": source["arn"], "ResourceArns": source["resourceArns"], "Service": source["service"]}


class DeliveryDestination(ResourceHandler):
    replace_on = frozenset({"Name", "OutputFormat", "DestinationResourceArn"})
    name_property = "Name"
    required = ("Name",)
    attributes = frozenset({"Arn", "DeliveryDestinationType"})

    async def _put(self, request: ResourceRequest, tags: bool) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {"name": properties["Name"]}
        if properties.get("DestinationResourceArn"):
            params["deliveryDestinationConfiguration"] = {
                "destinationResourceArn": properties["DestinationResourceArn"]
            }
        if properties.get("DeliveryDestinationType"):
            params["deliveryDestinationType"] = properties["DeliveryDestinationType"]
        if properties.get("OutputFormat"):
            params["outputFormat"] = properties["OutputFormat"]
        if tags and _tag_map(request, properties.get("Tags")):
            params["tags"] = _tag_map(request, properties.get("Tags"))
        destination = (await request.call("logs", "PutDeliveryDestination", params))["deliveryDestination"]
        await self._policy(request)
        return {"Arn": destination["arn"], "DeliveryDestinationType": destination["deliveryDestinationType"]}

    async def _policy(self, request: ResourceRequest) -> None:
        new = request.properties.get("DeliveryDestinationPolicy")
        old = request.old_properties.get("DeliveryDestinationPolicy")
        name = request.properties["Name"]
        if new:
            document = new.get("DeliveryDestinationPolicy") if isinstance(new, dict) else new
            await request.call(
                "logs",
                "PutDeliveryDestinationPolicy",
                {
                    "deliveryDestinationName": name,
                    "deliveryDestinationPolicy": document
                    if isinstance(document, str)
                    else json.dumps(document),
                },
            )
        elif old:
            await _ignore_missing(
                request, "DeleteDeliveryDestinationPolicy", {"deliveryDestinationName": name}
            )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        return request.properties["Name"], await self._put(request, tags=True)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        return await self._put(request, tags=False)

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteDeliveryDestination", {"name": request.physical_id})


class Delivery(ResourceHandler):
    replace_on = frozenset({"DeliverySourceName", "DeliveryDestinationArn"})
    required = ("DeliverySourceName", "DeliveryDestinationArn")
    attributes = frozenset({"Arn", "DeliveryId", "DeliveryDestinationType"})

    @staticmethod
    def _configuration(properties: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if properties.get("RecordFields") is not None:
            params["recordFields"] = list(properties["RecordFields"])
        if properties.get("FieldDelimiter") is not None:
            params["fieldDelimiter"] = properties["FieldDelimiter"]
        s3: dict[str, Any] = {}
        if properties.get("S3SuffixPath") is not None:
            s3["suffixPath"] = properties["S3SuffixPath"]
        if properties.get("S3EnableHiveCompatiblePath") is not None:
            s3["enableHiveCompatiblePath"] = properties["S3EnableHiveCompatiblePath"] in (
                True,
                "true",
                "True",
            )
        if s3:
            params["s3DeliveryConfiguration"] = s3
        return params

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {
            "deliverySourceName": properties["DeliverySourceName"],
            "deliveryDestinationArn": properties["DeliveryDestinationArn"],
            **self._configuration(properties),
        }
        if _tag_map(request, properties.get("Tags")):
            params["tags"] = _tag_map(request, properties.get("Tags"))
        delivery = (await request.call("logs", "CreateDelivery", params))["delivery"]
        return delivery["id"], {
            "Arn": delivery["arn"],
            "DeliveryId": delivery["id"],
            "DeliveryDestinationType": delivery["deliveryDestinationType"],
        }

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        configuration = self._configuration(request.properties)
        if configuration:
            await request.call(
                "logs", "UpdateDeliveryConfiguration", {"id": request.physical_id, **configuration}
            )
        delivery = (await request.call("logs", "GetDelivery", {"id": request.physical_id}))["delivery"]
        return {
            "Arn": delivery["arn"],
            "DeliveryId": delivery["id"],
            "DeliveryDestinationType": delivery["deliveryDestinationType"],
        }

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteDelivery", {"id": request.physical_id})


class Transformer(ResourceHandler):
    replace_on = frozenset({"LogGroupIdentifier"})
    required = ("LogGroupIdentifier", "TransformerConfig")

    async def _put(self, request: ResourceRequest) -> None:
        await request.call(
            "logs",
            "PutTransformer",
            {
                "logGroupIdentifier": request.properties["LogGroupIdentifier"],
                "transformerConfig": _camel(request.properties["TransformerConfig"]),
            },
        )

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        return request.properties["LogGroupIdentifier"], {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteTransformer", {"logGroupIdentifier": request.physical_id})


class LogAnomalyDetector(ResourceHandler):
    replace_on = frozenset({"DetectorName", "LogGroupArnList", "KmsKeyId", "AccountId"})
    attributes = frozenset(
        {"AnomalyDetectorArn", "AnomalyDetectorStatus", "CreationTimeStamp", "LastModifiedTimeStamp"}
    )

    async def _attributes(self, request: ResourceRequest, arn: str) -> dict[str, Any]:
        found = await request.call("logs", "GetLogAnomalyDetector", {"anomalyDetectorArn": arn})
        return {
            "AnomalyDetectorArn": arn,
            "AnomalyDetectorStatus": found.get("anomalyDetectorStatus", ""),
            "CreationTimeStamp": found.get("creationTimeStamp", 0),
            "LastModifiedTimeStamp": found.get("lastModifiedTimeStamp", 0),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"logGroupArnList": list(properties.get("LogGroupArnList", []))}
        for name, member in (
            ("DetectorName", "detectorName"),
            ("EvaluationFrequency", "evaluationFrequency"),
            ("FilterPattern", "filterPattern"),
            ("KmsKeyId", "kmsKeyId"),
        ):
            if properties.get(name):
                params[member] = properties[name]
        if properties.get("AnomalyVisibilityTime") is not None:
            params["anomalyVisibilityTime"] = as_int(properties["AnomalyVisibilityTime"])
        arn = (await request.call("logs", "CreateLogAnomalyDetector", params))["anomalyDetectorArn"]
        return arn, await self._attributes(request, arn)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        properties = request.properties
        params: dict[str, Any] = {"anomalyDetectorArn": request.physical_id, "enabled": True}
        for name, member in (
            ("EvaluationFrequency", "evaluationFrequency"),
            ("FilterPattern", "filterPattern"),
        ):
            if properties.get(name) is not None:
                params[member] = properties[name]
        if properties.get("AnomalyVisibilityTime") is not None:
            params["anomalyVisibilityTime"] = as_int(properties["AnomalyVisibilityTime"])
        await request.call("logs", "UpdateLogAnomalyDetector", params)
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(
            request, "DeleteLogAnomalyDetector", {"anomalyDetectorArn": request.physical_id}
        )


_SCHEDULED_FIELDS = (
    "Description",
    "QueryLanguage",
    "QueryString",
    "LogGroupIdentifiers",
    "ScheduleExpression",
    "Timezone",
    "StartTimeOffset",
    "DestinationConfiguration",
    "ScheduleStartTime",
    "ScheduleEndTime",
    "ExecutionRoleArn",
    "State",
)


class ScheduledQuery(ResourceHandler):
    replace_on = frozenset({"Name"})
    name_property = "Name"
    required = ("Name", "QueryLanguage", "QueryString", "ScheduleExpression", "ExecutionRoleArn")
    attributes = frozenset(
        {"ScheduledQueryArn", "CreationTime", "LastUpdatedTime", "LastTriggeredTime", "LastExecutionStatus"}
    )

    @staticmethod
    def _params(properties: dict[str, Any]) -> dict[str, Any]:
        params = {
            name[:1].lower() + name[1:]: _camel(properties[name])
            for name in _SCHEDULED_FIELDS
            if properties.get(name) is not None
        }
        for name in ("startTimeOffset", "scheduleStartTime", "scheduleEndTime"):
            if name in params:
                params[name] = as_int(params[name])
        return params

    async def _attributes(self, request: ResourceRequest, arn: str) -> dict[str, Any]:
        found = await request.call("logs", "GetScheduledQuery", {"identifier": arn})
        return {
            "ScheduledQueryArn": arn,
            "CreationTime": found.get("creationTime", 0),
            "LastUpdatedTime": found.get("lastUpdatedTime", 0),
            "LastTriggeredTime": found.get("lastTriggeredTime", 0),
            "LastExecutionStatus": found.get("lastExecutionStatus", ""),
        }

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        params = {"name": request.properties["Name"], **self._params(request.properties)}
        tags = _tag_map(request, request.properties.get("Tags"))
        if tags:
            params["tags"] = tags
        arn = (await request.call("logs", "CreateScheduledQuery", params))["scheduledQueryArn"]
        return arn, await self._attributes(request, arn)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call(
            "logs",
            "UpdateScheduledQuery",
            {"identifier": request.physical_id, **self._params(request.properties)},
        )
        return await self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await _ignore_missing(request, "DeleteScheduledQuery", {"identifier": request.physical_id})


HANDLERS = {
    "AWS::Logs::LogGroup": LogGroup,
    "AWS::Logs::LogStream": LogStream,
    "AWS::Logs::MetricFilter": MetricFilter,
    "AWS::Logs::SubscriptionFilter": SubscriptionFilter,
    "AWS::Logs::ResourcePolicy": ResourcePolicy,
    "AWS::Logs::Destination": Destination,
    "AWS::Logs::QueryDefinition": QueryDefinition,
    "AWS::Logs::AccountPolicy": AccountPolicy,
    "AWS::Logs::DeliverySource": DeliverySource,
    "AWS::Logs::DeliveryDestination": DeliveryDestination,
    "AWS::Logs::Delivery": Delivery,
    "AWS::Logs::Transformer": Transformer,
    "AWS::Logs::LogAnomalyDetector": LogAnomalyDetector,
    "AWS::Logs::ScheduledQuery": ScheduledQuery,
}
