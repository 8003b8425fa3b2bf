"""Amazon SQS: standard and FIFO queues, durable, with long polling and dead-letter queues.

Queue operations (create, attributes, tags, permissions, purge, delete) live here; message
operations (send, receive, delete, visibility, redrive, move tasks) in messages.py; the
in-memory index that makes receive O(batch) in queue.py; queue URLs in urls.py.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator

from overcast.common.arns import build_arn, partition
from overcast.common.pagination import paginate_keys, paginate_list
from overcast.common.tagging import add_tags, remove_tags, tag_map
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.cloudwatch.publish import publish_metric
from overcast.services.sqs import attributes as attrs
from overcast.services.sqs import errors, urls
from overcast.services.sqs.messages import MessageOperations
from overcast.services.sqs.queue import Queue
from overcast.store import scope

log = logging.getLogger(__name__)
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}\.fifo$")
_ACCOUNT = re.compile(r"^\d{12}$")
RECREATE_AFTER = 60.0  # seconds a deleted queue's name stays taken
PURGE_INTERVAL = 60.0
#: Actions AddPermission grants (without the "SQS:" prefix).
PERMISSION_ACTIONS = frozenset({
    "*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
    "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue",
    "SendMessageBatch", "DeleteMessageBatch", "ChangeMessageVisibilityBatch", "ListQueueTags",
})  # fmt: skip


class Provider(MessageOperations, BaseProvider):
    service = "sqs"

    def __init__(self, runtime) -> None:
        super().__init__(runtime)
        store = self.store
        self.t_queues = store.table("sqs", "queues")
        self.t_deleted = store.table("sqs", "deleted")
        self.init_messages()
        self.queues: dict[tuple[str, str, str], Queue] = {}
        self.by_arn: dict[str, Queue] = {}
        #: (QueueUrl, caller's account, caller's region) → the queue key it names.
        self._url_keys: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        self.stopping = False

    def start(self) -> None:
        self._load()
        self.runtime.every(1.0, self.sweep, name="sqs retention and dedup sweep")
        self.runtime.every(60.0, self.publish_depths, name="sqs queue depth metrics")

    # -- AWS/SQS metrics ----------------------------------------------------------------

    def queue_metric(self, queue: Queue, name: str, value: float, unit: str = "Count") -> None:
        """One of the AWS/SQS metrics of a queue, dimension QueueName."""
        publish_metric(
            self.runtime, queue.account, queue.region, "AWS/SQS", name, {"QueueName": queue.name}, value, unit
        )

    def publish_depths(self) -> None:
        """The gauges AWS samples each minute: messages visible, in flight, delayed, and the
        age of the oldest."""
        if not self.runtime.config.service_enabled("cloudwatch"):
            return
        now = time.time()
        for queue in list(self.queues.values()):
            if queue.deleted:
                continue
            self.queue_metric(queue, "ApproximateNumberOfMessagesVisible", queue.n_ready)
            self.queue_metric(queue, "ApproximateNumberOfMessagesNotVisible", queue.n_inflight)
            self.queue_metric(queue, "ApproximateNumberOfMessagesDelayed", queue.n_delayed)
            first = next(iter(queue.msgs.values()), None)  # by sequence: the oldest first
            oldest = first.sent if first is not None else None
            self.queue_metric(
                queue, "ApproximateAgeOfOldestMessage", max(0.0, now - oldest) if oldest else 0.0, "Seconds"
            )

    # -- loading ------------------------------------------------------------------------

    def _load(self) -> None:
        for sc in self.t_queues.scopes():
            account, _, region = sc.partition("/")
            for name, record in self.t_queues.scan(sc):
                try:
                    self._register(account, region, name, record)
                except (KeyError, TypeError, ValueError, ServiceError):
                    # Imported state this version cannot read must not take the service down.
                    log.warning("sqs: skipping unreadable queue %s in %s", name, sc)
        self.load_messages()

    def stop(self) -> None:
        """The server is stopping: long polls answer now (empty), and new ones do not wait."""
        self.stopping = True
        for queue in self.queues.values():
            queue.wake_all()

    def state_replaced(self) -> None:
        for queue in self.queues.values():
            queue.deleted = True
            queue.wake_all()
        self.queues.clear()
        self.by_arn.clear()
        self.forget_messages()
        self._load()

    def _register(self, account: str, region: str, name: str, record: dict) -> Queue:
        arn = build_arn("sqs", region, account, name)
        queue = Queue(account, region, name, arn, record)
        self.queues[(account, region, name)] = queue
        self.by_arn[arn] = queue
        return queue

    # -- finding queues -----------------------------------------------------------------

    def queue_for(self, context: RequestContext, url: str) -> Queue:
        """The queue a QueueUrl names (a URL in any of the forms urls.py lists, or a name)."""
        key = self._url_keys.get((url, context.account, context.region))
        if key is not None:
            queue = self.queues.get(key)
            if queue is None:
                raise errors.queue_does_not_exist()
            return queue
        parsed = urls.parse(url)
        if parsed is None:
            if _QUEUE_NAME.match(url) or _FIFO_NAME.match(url):
                parsed = (context.account, url, "")
            else:
                # AWS answers a URL that names no queue at all as it answers an unknown queue.
                raise errors.queue_does_not_exist()
        account, name, region = parsed
        key = (account, region or context.region, name)
        queue = self.queues.get(key)
        if queue is None:
            raise errors.queue_does_not_exist()
        if len(self._url_keys) > 10_000:  # clients use few URLs; bound the memory all the same
            self._url_keys.clear()
        self._url_keys[(url, context.account, context.region)] = key
        return queue

    def queue_by_arn(self, arn: str) -> Queue | None:
        return self.by_arn.get(arn)

    def url_of(self, context: RequestContext, queue: Queue) -> str:
        request = context.request
        return urls.build(request.host, request.scheme, self.runtime.config.port, queue.account, queue.name,
                          queue.region)  # fmt: skip

    # -- queues -------------------------------------------------------------------------

    @staticmethod
    def _at_service_endpoint(context: RequestContext, action: str) -> None:
        """A service-level action sent to a queue's URL is refused, as AWS refuses it."""
        path = context.request.path
        if path not in ("", "/") and urls.parse(path) is not None:
            raise ServiceError("InvalidAction", f"The action {action} is not valid for this endpoint.", 400)

    def create_queue(self, context: RequestContext, params: dict) -> dict:
        self._at_service_endpoint(context, "CreateQueue")
        name = params["QueueName"]
        given = params.get("Attributes") or {}
        fifo_flag = given.get("FifoQueue", "").strip().lower()
        fifo = fifo_flag == "true"
        if fifo:
            if not _FIFO_NAME.match(name):
                raise errors.invalid_parameter(
                    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores,"
                    " must end with .fifo suffix and be 1 to 80 in length."
                )
        elif not _QUEUE_NAME.match(name):
            raise errors.invalid_parameter(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
            )
        if fifo_flag and not fifo:
            raise errors.unknown_attribute("FifoQueue")
        values = dict(attrs.FIFO_DEFAULTS if fifo else attrs.STANDARD_DEFAULTS)
        explicit = {attr: attrs.normalize(attr, value, fifo, True) for attr, value in given.items()}
        self._check_combination(context, name, fifo, values, explicit, given)
        key = (context.account, context.region, name)
        existing = self.queues.get(key)
        if existing is not None:
            for attr, value in explicit.items():
                current = existing.attributes.get(attr, attrs.DROPPED_WHEN.get(attr, ""))
                if current != value:
                    raise ServiceError(
                        "QueueNameExists",
                        f"A queue already exists with the same name and a different value for attribute {attr}",
                    )
            return {"QueueUrl": self.url_of(context, existing)}
        sc = scope(context.account, context.region)
        deleted_at = self.t_deleted.get(sc, name)
        now = time.time()
        if deleted_at is not None and now - deleted_at < RECREATE_AFTER:
            raise ServiceError(
                "QueueDeletedRecently",
                "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
            )
        self._merge(values, explicit)
        tags = tag_map(params.get("tags"), errors.tag_rules(name))
        stamp = int(now)
        record = {
            "attributes": values,
            "tags": dict(tags),
            "created": stamp,
            "modified": stamp,
            "purged": 0.0,
        }
        if fifo:
            # The scope deduplication keeps to for the queue's life: AWS stores and reports a
            # later DeduplicationScope, but its queues go on deduplicating as created.
            record["dedup_scope"] = values.get("DeduplicationScope", "queue")
        with self.store.transaction():
            self.t_queues.put(sc, name, record)
            if deleted_at is not None:
                self.t_deleted.delete(sc, name)
        queue = self._register(context.account, context.region, name, record)
        return {"QueueUrl": self.url_of(context, queue)}

    def _merge(self, values: dict, explicit: dict) -> None:
        for attr, value in explicit.items():
            if attr == "KmsMasterKeyId" and value:
                values["SqsManagedSseEnabled"] = "false"
            if value == attrs.DROPPED_WHEN.get(attr):
                values.pop(attr, None)
            else:
                values[attr] = value

    def _check_combination(
        self, context, name: str, fifo: bool, current: dict, explicit: dict, given: dict
    ) -> None:
        """Checks that involve more than one attribute or another queue."""
        if explicit.get("SqsManagedSseEnabled") == "true" and (
            explicit.get("KmsMasterKeyId")
            or (current.get("KmsMasterKeyId") and "KmsMasterKeyId" not in explicit)
        ):
            raise ServiceError(
                "InvalidAttributeName",
                "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE"
                " or SQS SSE.",
            )
        policy = given.get("RedrivePolicy")
        if policy:
            target_arn, _ = attrs.parse_redrive_policy(policy)
            target = self.by_arn.get(target_arn)
            if target is None:
                raise errors.invalid_value(policy, "RedrivePolicy", "Dead-letter target does not exist.")
            if target.fifo != fifo:
                raise errors.invalid_value(
                    policy, "RedrivePolicy", "Dead-letter queue must be same type of queue as the source."
                )
            source_arn = build_arn("sqs", context.region, context.account, name)
            if not attrs.allows_redrive_from(target.attributes.get("RedriveAllowPolicy"), source_arn):
                raise errors.invalid_value(
                    policy,
                    "RedrivePolicy",
                    f"Queue {target_arn} does not allow {source_arn} to use it as a dead-letter queue.",
                )

    def get_queue_url(self, context: RequestContext, params: dict) -> dict:
        account = params.get("QueueOwnerAWSAccountId") or context.account
        queue = self.queues.get((account, context.region, params["QueueName"]))
        if queue is None:
            raise errors.queue_does_not_exist()
        return {"QueueUrl": self.url_of(context, queue)}

    def list_queues(self, context: RequestContext, params: dict) -> dict:
        self._at_service_endpoint(context, "ListQueues")
        limit = params.get("MaxResults")
        if limit is not None and not 1 <= limit <= 1000:
            raise errors.invalid_value(
                limit, "MaxResults", "MaxResults must be an integer between 1 and 1000."
            )
        sc = scope(context.account, context.region)
        prefix = params.get("QueueNamePrefix") or ""

        def queues_after(after: str | None) -> Iterator[tuple[str, Queue]]:
            for name, _ in self.t_queues.scan(sc, prefix=prefix, start_after=after):
                queue = self.queues.get((context.account, context.region, name))
                if queue is not None:
                    yield name, queue

        output = paginate_keys(
            self.store, "sqs", "ListQueues", params, queues_after,
            bad_token=lambda: errors.invalid_parameter("Invalid NextToken value."),
            default_limit=1000, render=lambda _, queue: self.url_of(context, queue), bind=prefix,
        )  # fmt: skip
        if limit is None:  # without MaxResults SQS lists up to 1000 queues and no token
            output.pop("NextToken", None)
        if not output["QueueUrls"]:
            del output["QueueUrls"]
        return output

    def delete_queue(self, context: RequestContext, params: dict) -> dict:
        queue = self.queue_for(context, params["QueueUrl"])
        self.drop_messages(queue, dedup=True)
        with self.store.transaction():
            self.t_queues.delete(queue.scope, queue.name)
            self.t_deleted.put(queue.scope, queue.name, time.time())
        del self.queues[(queue.account, queue.region, queue.name)]
        self.by_arn.pop(queue.arn, None)
        queue.deleted = True
        queue.wake_all()
        return {}

    def purge_queue(self, context: RequestContext, params: dict) -> dict:
        queue = self.queue_for(context, params["QueueUrl"])
        now = time.time()
        if now - queue.record.get("purged", 0.0) < PURGE_INTERVAL:
            raise ServiceError(
                "PurgeQueueInProgress",
                f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
                403,
            )
        # Purging also ends the deduplication window (AWS accepts a purged message's id again).
        self.drop_messages(queue, dedup=True)
        self._save(queue, dict(queue.record, purged=now))
        return {}

    def _save(self, queue: Queue, record: dict) -> None:
        self.t_queues.put(queue.scope, queue.name, record)
        queue.apply(record)

    # -- attributes ---------------------------------------------------------------------

    def get_queue_attributes(self, context: RequestContext, params: dict) -> dict:
        queue = self.queue_for(context, params["QueueUrl"])
        names = params.get("AttributeNames") or []
        if not names:
            return {}
        wanted = set(names)
        every = "All" in wanted
        for name in wanted:
            if name != "All" and name not in attrs.SETTABLE and name not in attrs.COMPUTED:
                raise errors.unknown_attribute(name)
        now = time.time()
        if queue.timed:
            queue.promote(now)
        record = queue.record
        computed = {
            "ApproximateNumberOfMessages": lambda: str(queue.n_ready),
            "ApproximateNumberOfMessagesNotVisible": lambda: str(queue.n_inflight),
            "ApproximateNumberOfMessagesDelayed": lambda: str(queue.n_delayed),
            "CreatedTimestamp": lambda: str(record["created"]),
            "LastModifiedTimestamp": lambda: str(record["modified"]),
            "QueueArn": lambda: queue.arn,
        }
        result = {}
        for name, compute in computed.items():
            if every or name in wanted:
                result[name] = compute()
        for name, value in queue.attributes.items():
            if every or name in wanted:
                result[name] = value
        return {"Attributes": result} if result else {}

    def set_queue_attributes(self, context: RequestContext, params: dict) -> dict:
        queue = self.queue_for(context, params["QueueUrl"])
        given = params.get("Attributes") or {}
        explicit = {name: attrs.normalize(name, value, queue.fifo, False) for name, value in given.items()}
        values = dict(queue.attributes)
        self._check_combination(
            RequestContext.internal("sqs", queue.account, queue.region),
            queue.name,
            queue.fifo,
            values,
            explicit,
            given,
        )
        self._merge(values, explicit)
        self._save(queue, dict(queue.record, attributes=values, modified=int(time.time())))
        return {}

    # -- tags and permissions -----------------------------------------------------------

    def tag_queue(self, context: RequestContext, params: dict) -> dict:
        queue = self.queue_for(context, params["QueueUrl"])
        given = params.get("Tags")
        if not given:
            raise errors.missing_parameter("Tags")
        tags = add_tags(queue.record.get("tags"), given, errors.tag_rules(queue.name))
        self._save(queue, dict(queue.record, tags=tags))
        return {}

    def untag_queue(self, context: RequestContext, params: dict) -> dict:
        queue = self.queue_for(context, params["QueueUrl"])
        tags = remove_tags(queue.record.get("tags"), params.get("TagKeys"))
        self._save(queue, dict(queue.record, tags=tags))
        return {}

    def list_queue_tags(self, context: RequestContext, params: dict) -> dict:
        queue = self.queue_for(context, params["QueueUrl"])
        tags = queue.record.get("tags") or {}
        return {"Tags": dict(tags)} if tags else {}

    def add_permission(self, context: RequestContext, params: dict) -> dict:
        queue = self.queue_for(context, params["QueueUrl"])
        label = params["Label"]
        accounts = params.get("AWSAccountIds") or []
        actions = params.get("Actions") or []
        if not accounts:
            raise errors.missing_parameter("AWSAccountIds")
        if not actions:
            raise errors.missing_parameter("Actions")
        if len(actions) > 7:
            raise ServiceError("OverLimit", f"{len(actions)} Actions were found, maximum allowed is 7.", 403)
        for action in actions:
            if action not in PERMISSION_ACTIONS:
                raise errors.invalid_value(
                    f"SQS:{action}", "ActionName",
                    "Please refer to the appropriate WSDL for a list of valid actions. ",
                )  # fmt: skip
        for account in accounts:
            if not _ACCOUNT.match(account):
                raise errors.invalid_value(account, "AWSAccountIds", "Invalid account id.")
        policy = self._policy_document(queue)
        if any(statement.get("Sid") == label for statement in policy["Statement"]):
            raise errors.invalid_value(label, "Label", "Already exists.")
        prefix = f"arn:{partition(queue.region)}:iam::"
        principals = [f"{prefix}{account}:root" for account in accounts]
        policy["Statement"].append({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": f"SQS:{actions[0]}" if len(actions) == 1 else [f"SQS:{action}" for action in actions],
            "Resource": queue.arn,
        })  # fmt: skip
        self._set_policy(queue, policy)
        return {}

    def remove_permission(self, context: RequestContext, params: dict) -> dict:
        queue = self.queue_for(context, params["QueueUrl"])
        label = params["Label"]
        policy = self._policy_document(queue)
        kept = [statement for statement in policy["Statement"] if statement.get("Sid") != label]
        if len(kept) == len(policy["Statement"]):
            raise errors.invalid_value(label, "Label", "can't find label.")
        policy["Statement"] = kept
        self._set_policy(queue, policy if kept else None)
        return {}

    def _policy_document(self, queue: Queue) -> dict:
        text = queue.attributes.get("Policy")
        if text:
            policy = json.loads(text)
            statements = policy.get("Statement")
            policy["Statement"] = [statements] if isinstance(statements, dict) else list(statements or [])
            return policy
        return {"Version": "2008-10-17", "Id": f"{queue.arn}/SQSDefaultPolicy", "Statement": []}

    def _set_policy(self, queue: Queue, policy: dict | None) -> None:
        values = dict(queue.attributes)
        if policy is None:
            values.pop("Policy", None)
        else:
            values["Policy"] = json.dumps(policy, separators=(",", ":"))
        self._save(queue, dict(queue.record, attributes=values, modified=int(time.time())))

    def resource_policy(self, resource_arn: str) -> str | None:
        """The queue's Policy attribute, for IAM's evaluation of cross-account access."""
        queue = self.by_arn.get(resource_arn)
        return queue.attributes.get("Policy") if queue is not None else None

    # -- dead-letter sources ------------------------------------------------------------

    def list_dead_letter_source_queues(self, context: RequestContext, params: dict) -> dict:
        queue = self.queue_for(context, params["QueueUrl"])
        limit = params.get("MaxResults")
        if limit is not None and not 1 <= limit <= 1000:
            raise errors.invalid_value(
                limit, "MaxResults", "MaxResults must be an integer between 1 and 1000."
            )
        sources = sorted(
            (q for q in self.queues.values() if q.redrive is not None and q.redrive[0] == queue.arn),
            key=lambda q: (q.account, q.region, q.name),
        )
        output = paginate_list(
            self.store, "sqs", "ListDeadLetterSourceQueues", params, sources,
            bad_token=lambda: errors.invalid_parameter("Invalid NextToken value."),
            default_limit=1000, render=lambda q: self.url_of(context, q), bind=queue.arn,
        )  # fmt: skip
        if limit is None:
            output.pop("NextToken", None)
        return output
