"""Custom resources (Custom::* and AWS::CloudFormation::CustomResource): CloudFormation sends
the request to the ServiceToken (a Lambda function it invokes, or an SNS topic it publishes
to) with a presigned S3 URL as ResponseURL, and the provider's answer is the JSON document
PUT there (cfn-response's). The bucket is the region's custom resource response bucket,
created in the stack's account on first use.

The ResponseURL is https on port 443 (Overcast's https front, common/httpsfront.py), as AWS's
is: providers that send to the URL's host alone (the CDK's Node ones) reach Overcast. Where
that port cannot be opened, it names Overcast's own port over http, and a provider that never
answers fails with the reason."""

from __future__ import annotations

import asyncio
import json
import re
import time
from functools import lru_cache
from typing import Any

from overcast.common.httpsfront import front_for
from overcast.common.ids import fast_uuid
from overcast.services.cloudformation.handlers import ResourceFailed, ResourceHandler, ResourceRequest

#: How long after the function's invocation ends a response may still arrive (it may answer
#: from a background thread or a later invocation); AWS waits up to an hour for any response.
RESPONSE_GRACE_SECONDS = 5.0
#: How long CloudFormation waits for a response to a request published to an SNS topic.
SNS_RESPONSE_SECONDS = 3600.0


def response_bucket(region: str) -> str:
    return f"cloudformation-custom-resource-response-{region.replace('-', '')}"


@lru_cache(maxsize=64)
def _presigner(endpoint: str, account: str, region: str) -> Any:
    import botocore.session
    from botocore.config import Config

    session = botocore.session.Session()
    return session.create_client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=account,  # a 12-digit key id is that account's
        aws_secret_access_key="cloudformation",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


async def _response_endpoint(request: ResourceRequest) -> str:
    """Where the providers' answers go: the https front when it is open."""
    config = request.runtime.config
    front = front_for(config.host, config.port)
    if await front.ensure():
        return front.base_url
    return _endpoint(request)


def _endpoint(request: ResourceRequest) -> str:
    config = request.runtime.config
    host = config.host if config.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.port}"


def as_strings(value: Any) -> Any:
    """Properties as a custom resource's provider receives them: CloudFormation sends every
    scalar as a string (true → "true", 5 → "5"), in lists and objects alike."""
    if isinstance(value, dict):
        return {key: as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_strings(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


class CustomResource(ResourceHandler):
    required = ("ServiceToken",)
    replace_on = frozenset({"ServiceToken"})

    async def _send(self, request: ResourceRequest, request_type: str) -> dict[str, Any]:
        properties = request.properties
        token = properties.get("ServiceToken")
        if not token:
            raise ResourceFailed(
                f"Properties validation failed for resource {request.logical_id} with message:\n#: required key [ServiceToken] not found"
            )
        bucket = response_bucket(request.region)
        await self._ensure_bucket(request, bucket)
        key = f"{request.stack_id.replace(':', '%3A').replace('/', '%2F')}|{request.logical_id}|{fast_uuid()}"
        presigner = _presigner(await _response_endpoint(request), request.account, request.region)
        url = presigner.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=7200
        )
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": token,
            "ResponseURL": url,
            "StackId": request.stack_id,
            "RequestId": fast_uuid(),
            "LogicalResourceId": request.logical_id,
            "ResourceType": request.resource_type,
            "ResourceProperties": as_strings(properties),
        }
        if request.physical_id:
            event["PhysicalResourceId"] = request.physical_id
        if request_type == "Update":
            event["OldResourceProperties"] = as_strings(request.old_properties)
        service = token.split(":")[2] if token.startswith("arn:") else ""
        if service == "lambda":
            output = await request.call(
                "lambda",
                "Invoke",
                {
                    "FunctionName": token,
                    "InvocationType": "RequestResponse",
                    "Payload": json.dumps(event).encode(),
                },
            )
            deadline = time.monotonic() + RESPONSE_GRACE_SECONDS
            error = output.get("FunctionError")
            payload = output.get("Payload", b"")
            if hasattr(payload, "read"):
                payload = payload.read()
        elif service == "sns":
            await request.call("sns", "Publish", {"TopicArn": token, "Message": json.dumps(event)})
            deadline = time.monotonic() + SNS_RESPONSE_SECONDS
            error, payload = None, b""
        else:
            raise ResourceFailed(f"Invalid service token: {token}")
        while True:
            response = await self._response(request, bucket, key)
            if response is not None:
                return response
            if time.monotonic() > deadline:
                detail = f": {bytes(payload).decode(errors='replace')[:500]}" if error else ""
                problem = front_for(request.runtime.config.host, request.runtime.config.port).problem
                if problem:
                    detail += f" ({problem})"
                raise ResourceFailed(
                    f"CloudFormation did not receive a response from your Custom Resource{detail}. "
                    "Please check your logs for requestId [" + event["RequestId"] + "]."
                )
            await asyncio.sleep(0.05)

    @staticmethod
    async def _ensure_bucket(request: ResourceRequest, bucket: str) -> None:
        try:
            await request.call("s3", "HeadBucket", {"Bucket": bucket})
        except ResourceFailed:
            params: dict[str, Any] = {"Bucket": bucket}
            if request.region != "us-east-1":
                params["CreateBucketConfiguration"] = {"LocationConstraint": request.region}
            try:
                await request.call("s3", "CreateBucket", params)
            except ResourceFailed as error:
                if error.code != "BucketAlreadyOwnedByYou":
                    raise
            # Versioned: every signal PUT to one wait condition handle is kept.
            await request.call(
                "s3",
                "PutBucketVersioning",
                {"Bucket": bucket, "VersioningConfiguration": {"Status": "Enabled"}},
            )

    @staticmethod
    async def _response(request: ResourceRequest, bucket: str, key: str) -> dict[str, Any] | None:
        try:
            output = await request.call("s3", "GetObject", {"Bucket": bucket, "Key": key})
        except ResourceFailed as error:
            if error.code in ("NoSuchKey", "404"):
                return None
            raise
        body = output.get("Body", b"")
        data = body.read() if hasattr(body, "read") else body
        await request.call("s3", "DeleteObject", {"Bucket": bucket, "Key": key})
        try:
            response = json.loads(bytes(data))
        except ValueError:
            raise ResourceFailed("Invalid response object: the response is not JSON") from None
        if not isinstance(response, dict) or response.get("Status") not in ("SUCCESS", "FAILED"):
            raise ResourceFailed("Invalid response object: Status must be SUCCESS or FAILED")
        if response["Status"] == "FAILED":
            raise ResourceFailed(str(response.get("Reason") or "Custom resource failed"))
        return response

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        response = await self._send(request, "Create")
        physical_id = str(response.get("PhysicalResourceId") or "")
        if not physical_id:
            raise ResourceFailed("Invalid PhysicalResourceId")
        return physical_id, dict(response.get("Data") or {})

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        response = await self._send(request, "Update")
        physical_id = str(response.get("PhysicalResourceId") or request.physical_id)
        request.physical_id = physical_id  # a new id: CloudFormation deletes the old one in cleanup
        return dict(response.get("Data") or {})

    async def delete(self, request: ResourceRequest) -> None:
        await self._send(request, "Delete")


class WaitConditionHandle(ResourceHandler):
    """A presigned URL (its Ref) that signals are PUT to, for a WaitCondition to count."""

    updatable = False

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        bucket = response_bucket(request.region)
        await CustomResource._ensure_bucket(request, bucket)
        presigner = _presigner(_endpoint(request), request.account, request.region)
        key = f"waitcondition/{request.stack_id.rsplit('/', 1)[-1]}/{request.logical_id}/{fast_uuid()}"
        url = presigner.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=43200
        )
        return str(url), {}

    async def delete(self, request: ResourceRequest) -> None:
        return None


def _iso_seconds(text: str) -> float:
    """An ISO 8601 duration as CreationPolicy gives it (PT15M, PT1H30M, PT30S)."""
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", str(text))
    if match is None or not any(match.groups()):
        raise ResourceFailed(f"Invalid Timeout {text}: an ISO 8601 duration such as PT15M")
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds


class WaitCondition(ResourceHandler):
    """Waits for Count success signals: PUT to its Handle's URL, or (with a CreationPolicy)
    sent by SignalResource. A failure signal or the timeout fails it."""

    updatable = False
    attributes = frozenset({"Data"})

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        policy = (request.creation_policy or {}).get("ResourceSignal")
        if policy is not None:
            count = int(policy.get("Count", 1))
            timeout = _iso_seconds(policy.get("Timeout", "PT5M"))
        else:
            for key in ("Handle", "Timeout"):
                if properties.get(key) in (None, ""):
                    raise ResourceFailed(
                        f"Properties validation failed for resource {request.logical_id} with message:\n"
                        f"#: required key [{key}] not found"
                    )
            count = int(properties.get("Count", 1))
            timeout = float(properties["Timeout"])
        provider = request.runtime.provider("cloudformation")
        deadline = time.monotonic() + timeout
        received: dict[str, str] = {}
        provider.awaiting_signals[(request.stack_id, request.logical_id)] = []
        try:
            while True:
                signals = list(provider.awaiting_signals[(request.stack_id, request.logical_id)])
                if properties.get("Handle") and policy is None:
                    signals += await self._handle_signals(request, str(properties["Handle"]))
                for signal in signals:
                    status = str(signal.get("Status", "SUCCESS")).upper()
                    unique = str(signal.get("UniqueId", ""))
                    if status == "FAILURE":
                        raise ResourceFailed(
                            f"WaitCondition received failed message: '{signal.get('Reason', '')}' for uniqueId: {unique}"
                        )
                    received[unique] = str(signal.get("Data", ""))
                if len(received) >= count:
                    return fast_uuid(), {"Data": json.dumps(received)}
                if time.monotonic() > deadline:
                    raise ResourceFailed(
                        f"WaitCondition timed out. Received {len(received)} conditions when expecting {count}"
                    )
                await asyncio.sleep(0.1)
        finally:
            provider.awaiting_signals.pop((request.stack_id, request.logical_id), None)

    @staticmethod
    async def _handle_signals(request: ResourceRequest, url: str) -> list[dict[str, Any]]:
        from overcast.services.cloudformation.sources import s3_location

        bucket, key = s3_location(url.split("?", 1)[0])
        listing = await request.call("s3", "ListObjectVersions", {"Bucket": bucket, "Prefix": key})
        signals = []
        for version in listing.get("Versions", []):
            if version["Key"] != key:
                continue
            output = await request.call(
                "s3", "GetObject", {"Bucket": bucket, "Key": key, "VersionId": version["VersionId"]}
            )
            body = output.get("Body", b"")
            data = body.read() if hasattr(body, "read") else body
            try:
                signal = json.loads(bytes(data))
            except ValueError:
                continue
            if isinstance(signal, dict):
                signals.append(signal)
        return signals

    async def delete(self, request: ResourceRequest) -> None:
        return None


class CdkMetadata(ResourceHandler):
    """AWS::CDK::Metadata: the CDK's analytics record, which CloudFormation keeps as the
    resource's properties and nothing else (it creates nothing in any service)."""

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        return fast_uuid(), {}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        return {}

    async def delete(self, request: ResourceRequest) -> None:
        return None


HANDLERS = {
    "AWS::CloudFormation::CustomResource": CustomResource,
    "AWS::CloudFormation::WaitConditionHandle": WaitConditionHandle,
    "AWS::CloudFormation::WaitCondition": WaitCondition,
    "AWS::CDK::Metadata": CdkMetadata,
}
