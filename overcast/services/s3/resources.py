"""S3's CloudFormation resource types, AWS::S3::Bucket and AWS::S3::BucketPolicy, through the S3
provider's own operations. A bucket's configuration properties (versioning, encryption, CORS,
lifecycle, notifications, website, public access block, ownership, tags) become the
corresponding Put* calls."""

from __future__ import annotations

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


def _filter_rules(filter_: dict[str, Any] | None) -> dict[str, Any] | None:
    rules = ((filter_ or {}).get("S3Key") or {}).get("Rules")
    if not rules:
        return None
    return {"Key": {"FilterRules": [{"Name": rule["Name"], "Value": rule["Value"]} for rule in rules]}}


def _notifications(config: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {}
    for cfn_key, api_key, target_cfn, target_api in (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
        ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
        ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"),
    ):
        items = []
        for item in config.get(cfn_key, []):
            entry: dict[str, Any] = {target_api: item[target_cfn], "Events": [item["Event"]]}
            rules = _filter_rules(item.get("Filter"))
            if rules:
                entry["Filter"] = rules
            items.append(entry)
        if items:
            shaped[api_key] = items
    if as_bool((config.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled", False)):
        shaped["EventBridgeConfiguration"] = {}
    return shaped


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"Status": rule.get("Status", "Enabled")}
    if rule.get("Id"):
        shaped["ID"] = rule["Id"]
    filter_: dict[str, Any] = {}
    if rule.get("Prefix") is not None:
        filter_["Prefix"] = rule["Prefix"]
    if rule.get("TagFilters"):
        filter_ = (
            {"And": {**filter_, "Tags": rule["TagFilters"]}} if filter_ else {"Tag": rule["TagFilters"][0]}
        )
    shaped["Filter"] = filter_
    if rule.get("ExpirationInDays") is not None:
        shaped["Expiration"] = {"Days": as_int(rule["ExpirationInDays"])}
    elif rule.get("ExpirationDate"):
        shaped["Expiration"] = {"Date": rule["ExpirationDate"]}
    elif rule.get("ExpiredObjectDeleteMarker") is not None:
        shaped["Expiration"] = {"ExpiredObjectDeleteMarker": as_bool(rule["ExpiredObjectDeleteMarker"])}
    if rule.get("NoncurrentVersionExpirationInDays") is not None:
        shaped["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": as_int(rule["NoncurrentVersionExpirationInDays"])
        }
    elif rule.get("NoncurrentVersionExpiration"):
        shaped["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": as_int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    transitions = list(rule.get("Transitions", []))
    if rule.get("Transition"):
        transitions.append(rule["Transition"])
    if transitions:
        shaped["Transitions"] = [
            {
                "StorageClass": item["StorageClass"],
                **(
                    {"Days": as_int(item["TransitionInDays"])}
                    if "TransitionInDays" in item
                    else {"Date": item.get("TransitionDate")}
                ),
            }
            for item in transitions
        ]
    if rule.get("AbortIncompleteMultipartUpload"):
        shaped["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": as_int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        }
    return shaped


def _website(config: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {}
    if config.get("IndexDocument"):
        shaped["IndexDocument"] = {"Suffix": config["IndexDocument"]}
    if config.get("ErrorDocument"):
        shaped["ErrorDocument"] = {"Key": config["ErrorDocument"]}
    if config.get("RedirectAllRequestsTo"):
        shaped["RedirectAllRequestsTo"] = config["RedirectAllRequestsTo"]
    if config.get("RoutingRules"):
        shaped["RoutingRules"] = config["RoutingRules"]
    return shaped


def _cors(config: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in config.get("CorsRules", []):
        shaped = {
            key: rule[key] for key in ("AllowedHeaders", "AllowedMethods", "AllowedOrigins") if key in rule
        }
        if rule.get("ExposedHeaders"):
            shaped["ExposeHeaders"] = rule["ExposedHeaders"]
        if rule.get("MaxAge") is not None:
            shaped["MaxAgeSeconds"] = as_int(rule["MaxAge"])
        if rule.get("Id"):
            shaped["ID"] = rule["Id"]
        rules.append(shaped)
    return {"CORSRules": rules}


def _encryption(config: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in config.get("ServerSideEncryptionConfiguration", []):
        shaped: dict[str, Any] = {}
        if rule.get("ServerSideEncryptionByDefault"):
            shaped["ApplyServerSideEncryptionByDefault"] = rule["ServerSideEncryptionByDefault"]
        if rule.get("BucketKeyEnabled") is not None:
            shaped["BucketKeyEnabled"] = as_bool(rule["BucketKeyEnabled"])
        rules.append(shaped)
    return {"Rules": rules}


def _public_access(config: dict[str, Any]) -> dict[str, Any]:
    return {key: as_bool(value) for key, value in config.items()}


#: property → (put operation, its parameter, shaping, delete operation or None)
_CONFIGURATIONS: tuple[tuple[str, str, str, Any, str | None], ...] = (
    (
        "BucketEncryption",
        "PutBucketEncryption",
        "ServerSideEncryptionConfiguration",
        _encryption,
        "DeleteBucketEncryption",
    ),
    ("CorsConfiguration", "PutBucketCors", "CORSConfiguration", _cors, "DeleteBucketCors"),
    (
        "LifecycleConfiguration",
        "PutBucketLifecycleConfiguration",
        "LifecycleConfiguration",
        lambda config: {"Rules": [_lifecycle_rule(rule) for rule in config.get("Rules", [])]},
        "DeleteBucketLifecycle",
    ),
    ("WebsiteConfiguration", "PutBucketWebsite", "WebsiteConfiguration", _website, "DeleteBucketWebsite"),
    (
        "PublicAccessBlockConfiguration",
        "PutPublicAccessBlock",
        "PublicAccessBlockConfiguration",
        _public_access,
        "DeletePublicAccessBlock",
    ),
    (
        "OwnershipControls",
        "PutBucketOwnershipControls",
        "OwnershipControls",
        lambda config: config,
        "DeleteBucketOwnershipControls",
    ),
    (
        "NotificationConfiguration",
        "PutBucketNotificationConfiguration",
        "NotificationConfiguration",
        _notifications,
        None,
    ),
)


class Bucket(ResourceHandler):
    identifier = "BucketName"
    replace_on = frozenset({"BucketName", "ObjectLockEnabled"})
    name_property = "BucketName"
    attributes = frozenset({"Arn", "DomainName", "DualStackDomainName", "RegionalDomainName", "WebsiteURL"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        name = properties.get("BucketName") or request.physical_name(63, lowercase=True)
        params: dict[str, Any] = {"Bucket": name}
        if request.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": request.region}
        if as_bool(properties.get("ObjectLockEnabled", False)):
            params["ObjectLockEnabledForBucket"] = True
        if properties.get("AccessControl"):
            params["ACL"] = _canned_acl(properties["AccessControl"])
        await request.call("s3", "CreateBucket", params)
        try:
            await self._configure(request, name, properties, {})
        except ResourceFailed:
            await self._remove(request, name)
            raise
        return name, self._attributes(request, name)

    @staticmethod
    def _attributes(request: ResourceRequest, name: str) -> dict[str, Any]:
        region = request.region
        return {
            "Arn": f"arn:{request.partition}:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
        }

    async def _configure(
        self, request: ResourceRequest, name: str, new: dict[str, Any], old: dict[str, Any]
    ) -> None:
        versioning, old_versioning = new.get("VersioningConfiguration"), old.get("VersioningConfiguration")
        if versioning != old_versioning and (versioning or old_versioning):
            status = (versioning or {}).get("Status", "Suspended")
            await request.call(
                "s3", "PutBucketVersioning", {"Bucket": name, "VersioningConfiguration": {"Status": status}}
            )
        for prop, put, parameter, shape, delete in _CONFIGURATIONS:
            value, before = new.get(prop), old.get(prop)
            if value == before:
                continue
            if value:
                await request.call("s3", put, {"Bucket": name, parameter: shape(value)})
            elif delete is not None:
                await request.call("s3", delete, {"Bucket": name})
            else:
                await request.call("s3", put, {"Bucket": name, parameter: {}})
        tags, old_tags = (
            request.user_tags(new.get("Tags")),
            request.user_tags(old.get("Tags")) if old else None,
        )
        if tags != old_tags:
            if tags:
                await request.call("s3", "PutBucketTagging", {"Bucket": name, "Tagging": {"TagSet": tags}})
            else:
                await request.call("s3", "DeleteBucketTagging", {"Bucket": name})

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._configure(request, request.physical_id, request.properties, request.old_properties)
        return self._attributes(request, request.physical_id)

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        name = request.physical_id
        await read_or_gone(request, "s3", "HeadBucket", {"Bucket": name}, "NoSuchBucket", "404")
        current: dict[str, Any] = {"BucketName": name}
        versioning = await request.call("s3", "GetBucketVersioning", {"Bucket": name})
        if versioning.get("Status"):
            current["VersioningConfiguration"] = {"Status": versioning["Status"]}
        return current

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("s3", "HeadBucket", {"Bucket": request.physical_id})
        return self._attributes(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await self._remove(request, request.physical_id)

    @staticmethod
    async def _remove(request: ResourceRequest, name: str) -> None:
        try:
            await request.call("s3", "DeleteBucket", {"Bucket": name})
        except ResourceFailed as error:
            if error.code != "NoSuchBucket":
                raise


def _canned_acl(value: str) -> str:
    """CloudFormation's AccessControl names (PublicRead) as S3's canned ACLs (public-read)."""
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "-", value).lower()


class BucketPolicy(ResourceHandler):
    replace_on = frozenset({"Bucket"})
    required = ("Bucket", "PolicyDocument")
    attributes = frozenset({"Id"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        await self._put(request)
        physical_id = request.physical_name(255)
        return physical_id, {"Id": physical_id}

    async def _put(self, request: ResourceRequest) -> None:
        await request.call(
            "s3",
            "PutBucketPolicy",
            {
                "Bucket": request.properties["Bucket"],
                "Policy": policy_text(request.properties["PolicyDocument"]),
            },
        )

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        await self._put(request)
        return {"Id": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("s3", "DeleteBucketPolicy", {"Bucket": request.properties["Bucket"]})
        except ResourceFailed as error:
            if error.code != "NoSuchBucket":
                raise


HANDLERS = {"AWS::S3::Bucket": Bucket, "AWS::S3::BucketPolicy": BucketPolicy}
