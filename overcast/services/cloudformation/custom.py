"""Custom resources (Custom::* and AWS::CloudFormation::CustomResource): CloudFormation sends
the request to the ServiceToken (a Lambda function it invokes, or an SNS topic it publishes
to) with a presigned S3 URL as ResponseURL, and the provider's answer is the JSON document
PUT there (cfn-response's). The bucket is the region's custom resource response bucket,
created in the stack's account on first use."""

from __future__ import annotations

import asyncio
import json
import time
from functools import lru_cache
from typing import Any

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


def _endpoint(request: ResourceRequest) -> str:
    config = request.runtime.config
    host = config.host if config.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.port}"


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
        presigner = _presigner(_endpoint(request), request.account, request.region)
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
            "ResourceProperties": properties,
        }
        if request.physical_id:
            event["PhysicalResourceId"] = request.physical_id
        if request_type == "Update":
            event["OldResourceProperties"] = request.old_properties
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
    """A handle whose Ref is a presigned URL; nothing waits on it without a WaitCondition."""

    updatable = False

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        bucket = response_bucket(request.region)
        await CustomResource._ensure_bucket(request, bucket)
        presigner = _presigner(_endpoint(request), request.account, request.region)
        key = f"{request.stack_id.replace(':', '%3A').replace('/', '%2F')}|{request.logical_id}|{fast_uuid()}"
        url = presigner.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=86400
        )
        return str(url), {}

    async def delete(self, request: ResourceRequest) -> None:
        return None


HANDLERS = {
    "AWS::CloudFormation::CustomResource": CustomResource,
    "AWS::CloudFormation::WaitConditionHandle": WaitConditionHandle,
}
