"""Export tasks: a group's events in a time range written to an S3 bucket the way AWS lays them
out — `<prefix>/aws-logs-write-test`, then `<prefix>/<task-id>/<stream>/000000.gz`, each a
gzip of `<ISO time> <message>` lines — with the task going PENDING → RUNNING → COMPLETED.

Tables (scope = account/region):
  export_tasks   task id → task record
"""

from __future__ import annotations

import asyncio
import gzip
import inspect
import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.policy import document as policy_document
from overcast.policy.evaluate import ALLOWED, AuthorizationRequest, Principal, evaluate
from overcast.store import scope as store_scope

from .shared import SEP, bad_token, invalid, invalid_operation, not_found, now_ms

if TYPE_CHECKING:
    from overcast.store import Table

    from .provider import Provider

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "exportedlogs"
WRITE_TEST_KEY = "aws-logs-write-test"
WRITE_TEST_BODY = b"Permission Check Successful"
_ACTIVE = ("PENDING", "RUNNING")
_REFUSED = (
    "{action} call on the given bucket failed. Please check if CloudWatch Logs has been granted "
    "permission to perform this operation."
)
#: AWS starts a new object for a stream after this many bytes of (uncompressed) lines.
_CHUNK_BYTES = 100 * 1024 * 1024


def _line(stamp: int, message: str) -> bytes:
    moment = datetime.fromtimestamp(stamp / 1000, UTC)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{stamp % 1000:03d}Z {message}\n".encode()


def _s3_context(account: str, region: str) -> RequestContext:
    return RequestContext.internal(
        "s3", account, region, principal_arn=build_arn("iam", region, account, "root", global_service=True)
    )


async def _put_object(s3: Any, account: str, region: str, bucket: str, key: str, body: bytes) -> None:
    """Write through S3's PutObject handler (which may be a coroutine)."""
    params = {"Bucket": bucket, "Key": key, "Body": body, "ContentLength": len(body)}
    result = s3.put_object(_s3_context(account, region), params)
    if inspect.isawaitable(result):
        await result


class Exports:
    @property
    def export_tasks(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "export_tasks")

    def _check_bucket(self: Provider, context: RequestContext, bucket: str, group: str) -> None:  # type: ignore[misc]
        """AWS's checks before an export: the bucket exists and its policy lets the Logs service
        read its ACL and put objects (aws:SourceAccount/SourceArn are this account and group)."""
        s3 = self.runtime.provider("s3") if self.runtime.config.service_enabled("s3") else None
        if s3 is None:
            raise invalid("The given bucket does not exist. Please make sure the bucket is valid.")
        internal = _s3_context(context.account, context.region)
        try:
            s3.head_bucket(internal, {"Bucket": bucket})
        except ServiceError as error:
            if error.status == 403:
                raise invalid(_REFUSED.format(action="GetBucketAcl")) from None
            raise invalid("The given bucket does not exist. Please make sure the bucket is valid.") from None
        try:
            text = s3.get_bucket_policy(internal, {"Bucket": bucket})["Policy"]
            document = policy_document.parse(text, policy_document.RESOURCE)
        except (ServiceError, policy_document.MalformedPolicy):
            raise invalid(_REFUSED.format(action="GetBucketAcl")) from None
        source = {
            "aws:SourceAccount": context.account,
            "aws:SourceArn": build_arn("logs", context.region, context.account, f"log-group:{group}"),
        }
        checks: tuple[tuple[str, str, dict[str, str]], ...] = (
            ("GetBucketAcl", f"arn:aws:s3:::{bucket}", {}),
            ("PutObject", f"arn:aws:s3:::{bucket}/*", {"s3:x-amz-acl": "bucket-owner-full-control"}),
        )
        for action, resource, extra in checks:
            if not any(
                evaluate(
                    AuthorizationRequest(
                        principal=Principal.service(service),
                        action=f"s3:{action}",
                        resource=resource,
                        resource_account=context.account,
                        context={**source, **extra},
                        region=context.region,
                    ),
                    resource_policy=document,
                ).decision
                == ALLOWED
                for service in ("logs.amazonaws.com", f"logs.{context.region}.amazonaws.com")
            ):
                raise invalid(_REFUSED.format(action=action))

    async def create_export_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        group = params["logGroupName"]
        start, end = params["from"], params["to"]
        if end < start:
            raise invalid("The 'to' time must be equal to or after the 'from' time.")
        self._group(scope, group)
        bucket = params["destination"]
        self._check_bucket(context, bucket, group)
        if any(task["status"]["code"] in _ACTIVE for _, task in self.export_tasks.scan(scope)):
            raise ServiceError("LimitExceededException", "Resource limit exceeded.", 400)
        task_id = str(uuid.uuid4())
        task: dict[str, Any] = {
            "taskId": task_id,
            "logGroupName": group,
            "from": start,
            "to": end,
            "destination": bucket,
            "destinationPrefix": params.get("destinationPrefix") or DEFAULT_PREFIX,
            "status": {"code": "PENDING", "message": "Pending"},
            "executionInfo": {"creationTime": now_ms()},
        }
        if params.get("taskName"):
            task["taskName"] = params["taskName"]
        if params.get("logStreamNamePrefix"):
            task["logStreamNamePrefix"] = params["logStreamNamePrefix"]
        # AWS proves it may write to the bucket before it accepts the task: the object lands at
        # the bucket's root, or under the prefix the caller gave.
        test_key = (
            f"{params['destinationPrefix'].strip('/')}/{WRITE_TEST_KEY}"
            if params.get("destinationPrefix")
            else WRITE_TEST_KEY
        )
        try:
            await _put_object(
                self.runtime.provider("s3"),
                context.account,
                context.region,
                bucket,
                test_key,
                WRITE_TEST_BODY,
            )
        except ServiceError:
            raise invalid(_REFUSED.format(action="PutObject")) from None
        self.export_tasks.put(scope, task_id, task)
        asyncio.get_running_loop().create_task(self.run_export(context.account, context.region, task_id))
        return {"taskId": task_id}

    def _set_status(self: Provider, scope: str, task_id: str, code: str, message: str) -> dict | None:  # type: ignore[misc]
        task = self.export_tasks.get(scope, task_id)
        if task is None or task["status"]["code"] not in _ACTIVE:
            return None  # cancelled meanwhile
        task["status"] = {"code": code, "message": message}
        if code not in _ACTIVE:
            task["executionInfo"]["completionTime"] = now_ms()
        self.export_tasks.put(scope, task_id, task)
        return task

    async def run_export(self: Provider, account: str, region: str, task_id: str) -> None:  # type: ignore[misc]
        """Write a task's events to its bucket, then mark it COMPLETED (or FAILED)."""
        await asyncio.sleep(0)
        if self._pending:
            self.flush()
        scope = store_scope(account, region)
        task = self._set_status(scope, task_id, "RUNNING", "Started successfully")
        if task is None:
            return
        try:
            await self._write_export(account, region, task)
        except ServiceError as error:
            self._set_status(scope, task_id, "FAILED", error.message)
            return
        except Exception:
            log.exception("logs export %s failed", task_id)
            self._set_status(scope, task_id, "FAILED", "Internal error")
            return
        self._set_status(scope, task_id, "COMPLETED", "Completed successfully")

    async def _write_export(self: Provider, account: str, region: str, task: dict) -> None:  # type: ignore[misc]
        scope = store_scope(account, region)
        s3 = self.runtime.provider("s3")
        bucket, prefix = task["destination"], task["destinationPrefix"].strip("/")
        folder = f"{prefix}/{task['taskId']}" if prefix else task["taskId"]
        group, stream_prefix = task["logGroupName"], task.get("logStreamNamePrefix") or ""
        for stream_key, stream in list(self.streams.scan(scope, prefix=group + SEP + stream_prefix)):
            lines: list[bytes] = []
            size, part = 0, 0
            low, high = f"{stream_key}{SEP}{task['from']:015d}", f"{stream_key}{SEP}{task['to'] + 1:015d}"
            for _, event in self.events.scan(
                scope, prefix=stream_key + SEP, start_after=low, end_before=high
            ):
                line = _line(event["t"], event["m"])
                if size + len(line) > _CHUNK_BYTES and lines:
                    key = f"{folder}/{stream['logStreamName']}/{part:06d}.gz"
                    await _put_object(s3, account, region, bucket, key, gzip.compress(b"".join(lines)))
                    lines, size, part = [], 0, part + 1
                lines.append(line)
                size += len(line)
            if lines:
                key = f"{folder}/{stream['logStreamName']}/{part:06d}.gz"
                await _put_object(s3, account, region, bucket, key, gzip.compress(b"".join(lines)))

    def describe_export_tasks(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        task_id, code = params.get("taskId"), params.get("statusCode")
        if task_id:
            task = self.export_tasks.get(scope, task_id)
            found = [task] if task is not None else []
        else:
            found = [task for _, task in self.export_tasks.scan(scope)]
            found.sort(key=lambda t: t["executionInfo"]["creationTime"], reverse=True)
        if code:
            found = [t for t in found if t["status"]["code"] == code]
        found = [{k: v for k, v in t.items() if k != "logStreamNamePrefix"} for t in found]
        return paginate_list(
            self.store, "logs", "DescribeExportTasks", params, found, bad_token=bad_token,
            default_limit=50, bind=f"{task_id}{SEP}{code}",
        )  # fmt: skip

    def cancel_export_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        task = self.export_tasks.get(scope, params["taskId"])
        if task is None:
            raise not_found("The specified export task does not exist.")
        if task["status"]["code"] not in _ACTIVE:
            raise invalid_operation("The specified export task has already finished")
        task["status"] = {"code": "CANCELLED", "message": "Cancelled by user"}
        task["executionInfo"]["completionTime"] = now_ms()
        self.export_tasks.put(scope, task["taskId"], task)
        return {}
