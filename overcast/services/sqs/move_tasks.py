"""Dead-letter queue redrive: StartMessageMoveTask, ListMessageMoveTasks,
CancelMessageMoveTask. A task runs in the background on the server's loop, moving the
source's receivable messages to the destination (or back to the queue each came from), and
is stored so a restart resumes it."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from typing import TYPE_CHECKING

from overcast.common import jsontext
from overcast.context import RequestContext
from overcast.services.sqs import errors

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.sqs.provider import Provider

ACTIVE = ("RUNNING", "CANCELLING")
#: Messages moved between yields to the event loop when no rate is set.
CHUNK = 100


class MoveTaskOperations:
    def init_move_tasks(self: Provider) -> None:  # type: ignore[misc]
        self.t_tasks = self.store.table("sqs", "tasks")
        #: task id → (scope, key, record)
        self.tasks: dict[str, tuple[str, str, dict]] = {}

    def load_move_tasks(self: Provider) -> None:  # type: ignore[misc]
        for sc in self.t_tasks.scopes():
            for key, record in self.t_tasks.scan(sc):
                self.tasks[record["id"]] = (sc, key, record)
                if record["status"] in ACTIVE:
                    self.runtime.spawn(self._run_task(record["id"]), name=f"sqs move task {record['id']}")

    def forget_move_tasks(self: Provider) -> None:  # type: ignore[misc]
        for _, _, record in self.tasks.values():
            if record["status"] in ACTIVE:
                record["status"] = "CANCELLED"  # the running coroutine sees this and stops
        self.tasks = {}

    def start_message_move_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        source_arn = params["SourceArn"]
        source = self._task_queue(source_arn, "SourceArn")
        if not any(q.redrive is not None and q.redrive[0] == source_arn for q in self.queues.values()):
            raise errors.invalid_parameter("Source queue must be configured as a Dead Letter Queue.")
        destination_arn = params.get("DestinationArn")
        if destination_arn:
            self._task_queue(destination_arn, "DestinationArn")
        rate = params.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and not 1 <= rate <= 500:
            raise errors.invalid_value(rate, "MaxNumberOfMessagesPerSecond", "Must be between 1 and 500.")
        for _, _, record in self.tasks.values():
            if record["source"] == source_arn and record["status"] in ACTIVE:
                raise errors.invalid_parameter(
                    "There is already a task running. Only one active task is allowed for a source queue arn at"
                    " a given time."
                )
        now = time.time()
        if source.timed:
            source.promote(now)
        task_id = str(uuid.uuid4())
        handle = base64.b64encode(json.dumps({"taskId": task_id, "sourceArn": source_arn}).encode()).decode()
        record = {
            "id": task_id, "handle": handle, "source": source_arn, "dest": destination_arn, "rate": rate,
            "status": "RUNNING", "moved": 0, "to_move": source.n_ready, "started": int(now * 1000), "reason": None,
        }  # fmt: skip
        key = f"{source.name}/{record['started']:015d}/{task_id}"
        self.t_tasks.put(source.scope, key, record)
        self.tasks[task_id] = (source.scope, key, record)
        self.runtime.spawn(self._run_task(task_id), name=f"sqs move task {task_id}")
        return {"TaskHandle": handle}

    def _task_queue(self: Provider, arn: str, parameter: str):  # type: ignore[misc]
        parts = arn.split(":")
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
            raise errors.invalid_parameter(
                f"You must use this format to specify the {parameter}: arn:<partition>:<service>:<region>:"
                "<account-id>:<resource-id>"
            )
        queue = self.by_arn.get(arn)
        if queue is None:
            raise errors.resource_not_found(
                f"The resource that you specified for the {parameter} parameter doesn't exist."
            )
        return queue

    def cancel_message_move_task(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        handle = params["TaskHandle"]
        try:
            document = jsontext.loads(base64.b64decode(handle))
            task_id, source_arn = document["taskId"], document["sourceArn"]
        except (ValueError, KeyError, TypeError):
            raise errors.invalid_parameter("Value for parameter TaskHandle is invalid.") from None
        if not isinstance(source_arn, str) or source_arn not in self.by_arn:
            # AWS looks at the handle's source queue before the task.
            raise errors.resource_not_found(
                "The resource that you specified for the SourceArn parameter doesn't exist."
            )
        entry = self.tasks.get(task_id)
        if entry is None:
            raise errors.resource_not_found("Task does not exist.")
        sc, key, record = entry
        if record["status"] != "RUNNING":
            raise errors.invalid_parameter("Only active tasks can be cancelled.")
        record["status"] = "CANCELLED"
        self.t_tasks.put(sc, key, record)
        return {"ApproximateNumberOfMessagesMoved": record["moved"]}

    def list_message_move_tasks(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        source_arn = params["SourceArn"]
        source = self._task_queue(source_arn, "SourceArn")
        limit = params.get("MaxResults")
        if limit is None:
            limit = 1
        elif not 1 <= limit <= 10:
            raise errors.invalid_value(
                limit, "MaxResults", "You must enter a number that's between 1 and 10."
            )
        results = []
        for _, record in self.t_tasks.scan(source.scope, prefix=f"{source.name}/", reverse=True, limit=limit):
            live = self.tasks.get(record["id"])
            record = live[2] if live is not None else record
            entry = {
                "Status": record["status"],
                "SourceArn": record["source"],
                "ApproximateNumberOfMessagesMoved": record["moved"],
                "ApproximateNumberOfMessagesToMove": record["to_move"],
                "StartedTimestamp": record["started"],
            }
            if record["status"] == "RUNNING":
                entry["TaskHandle"] = record["handle"]
            if record["dest"]:
                entry["DestinationArn"] = record["dest"]
            if record["rate"] is not None:
                entry["MaxNumberOfMessagesPerSecond"] = record["rate"]
            if record["reason"]:
                entry["FailureReason"] = record["reason"]
            results.append(entry)
        return {"Results": results}

    async def _run_task(self: Provider, task_id: str) -> None:  # type: ignore[misc]
        entry = self.tasks.get(task_id)
        if entry is None:
            return
        sc, key, record = entry
        moved_since_save = 0
        while record["status"] == "RUNNING":
            source = self.by_arn.get(record["source"])
            if source is None:
                record.update(status="FAILED", reason="AWS.SimpleQueueService.NonExistentQueue")
                break
            if record["moved"] >= record["to_move"]:
                record["status"] = "COMPLETED"
                break
            now = time.time()
            if source.timed:
                source.promote(now)
            batch = source.take(1)
            if not batch:
                record["status"] = "COMPLETED"
                break
            msg = batch[0]
            target_arn = record["dest"]
            if not target_arn:
                stored = self.t_messages.get(source.scope, self._key(source, msg.seq))
                target_arn = stored.get("dlq_src")
            target = self.by_arn.get(target_arn) if target_arn else None
            if target is None:
                source.put_back(batch)
                record.update(status="FAILED", reason="AWS.SimpleQueueService.NonExistentQueue")
                break
            self.move_message(source, msg, target, now, {"dlq_src": None})
            record["moved"] += 1
            moved_since_save += 1
            if record["rate"]:
                self.t_tasks.put(sc, key, record)
                await asyncio.sleep(1.0 / record["rate"])
            elif moved_since_save >= CHUNK:
                self.t_tasks.put(sc, key, record)
                moved_since_save = 0
                await asyncio.sleep(0)
        if self.tasks.get(task_id) is entry:
            self.t_tasks.put(sc, key, record)
