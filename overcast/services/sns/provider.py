"""Amazon SNS: topics (standard and FIFO), their attributes, tags, policies and data protection
policies. Subscriptions live in subscriptions.py, publishing and delivery in publish.py, mobile
push applications and endpoints in platform.py; all are mixed in.

State: the "topics" and "subscriptions" tables (scoped by account/region; a subscription's
key is "<topic name>:<id>", so a topic's subscriptions are one prefix scan) and "messages"
(email, SMS and mobile push deliveries, which Overcast records instead of sending). Topics
and their subscriptions are also held in memory, keyed by ARN, so Publish reads no rows.

Internal routes, under /_overcast/sns/:
  GET    messages[?topic_arn=&phone_number=]   recorded email/SMS/application deliveries
  DELETE messages[?topic_arn=&phone_number=]   forget them
  GET    SimpleNotificationService-<id>.pem    the certificate messages are signed with
  POST   sms/opt-outs {"phoneNumber", "accountId"?, "region"?}   the recipient answers STOP (sms.py)
"""

from __future__ import annotations

import json
import logging

from overcast.common import jsontext
from overcast.common.arns import build_arn, partition
from overcast.common.tagging import TagProblem, TagRules, add_tags, refusals, remove_tags, tag_list, tag_map
from overcast.context import DEFAULT_ACCOUNT, DEFAULT_REGION, RequestContext
from overcast.errors import ServiceError
from overcast.http import Request, Response
from overcast.services.base import BaseProvider
from overcast.services.sns import delivery
from overcast.services.sns.encryption import MessageCipher
from overcast.services.sns.feedback import StatusLogOperations
from overcast.services.sns.models import (
    FIFO_TOPIC_NAME,
    TOPIC_NAME,
    Subscription,
    Topic,
    bad_token,
    invalid,
    not_found,
    parse_arn,
    topic_not_found,
)
from overcast.services.sns.platform import PlatformOperations
from overcast.services.sns.publish import DEAD_LETTER, PublishOperations
from overcast.services.sns.signing import Signer
from overcast.services.sns.sms import SmsOperations
from overcast.services.sns.subscriptions import SubscriptionOperations
from overcast.store import scope

from .pages import paginate_keys

log = logging.getLogger(__name__)

PAGE_SIZE = 100
TAG_RULES = TagRules(
    refuse=refusals(
        "InvalidParameter",
        {
            TagProblem.TOO_MANY: (
                "TagLimitExceeded",
                "Could not complete request: tag quota of per resource exceeded",
            ),
            TagProblem.DUPLICATE_KEY: "Invalid parameter: Duplicated keys are not allowed.",
        },
    )
)

#: Topic attributes a client may set (FifoTopic only when creating).
_FEEDBACK = tuple(
    f"{protocol}{kind}"
    for protocol in ("HTTP", "Firehose", "Lambda", "SQS", "Application")
    for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
)
SETTABLE_TOPIC_ATTRIBUTES = frozenset(
    {"DeliveryPolicy", "DisplayName", "Policy", "TracingConfig", "KmsMasterKeyId", "SignatureVersion",
     "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope", *_FEEDBACK}
)  # fmt: skip
_FIFO_ONLY = frozenset({"ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope"})
#: What a topic policy statement may grant (AddPermission's ActionName): SNS's own actions.
_POLICY_ACTIONS = frozenset({
    "AddPermission", "DeleteTopic", "GetDataProtectionPolicy", "GetTopicAttributes", "ListSubscriptionsByTopic",
    "ListTagsForResource", "Publish", "PutDataProtectionPolicy", "Receive", "RemovePermission",
    "SetTopicAttributes", "Subscribe", "TagResource", "UntagResource",
})  # fmt: skip


def default_policy(topic_arn: str, account: str) -> str:
    return json.dumps({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                       "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                       "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
        }],
    }, separators=(",", ":"))  # fmt: skip


def _json_object(value: str, name: str, prefix: str) -> dict:
    try:
        document = jsontext.loads(value)
    except ValueError:
        raise invalid(f"{prefix}{name}: failed to parse JSON.") from None
    if not isinstance(document, dict):
        raise invalid(f"{prefix}{name}: must be a JSON object")
    return document


def check_topic_attribute(name: str, value: str, fifo: bool, prefix: str) -> str:
    """The value to store, or AWS's InvalidParameter."""
    if name not in SETTABLE_TOPIC_ATTRIBUTES:
        raise invalid(f"{prefix}AttributeName")
    if name in _FIFO_ONLY and not fifo:
        raise invalid(f"{prefix}{name}: {name} can only be set for FIFO topics")
    if name == "DisplayName" and len(value) > 100:
        raise invalid(f"{prefix}DisplayName")
    if name == "SignatureVersion" and value not in ("1", "2"):
        raise invalid(f"{prefix}SignatureVersion")
    if name == "ContentBasedDeduplication":
        if value.lower() not in ("true", "false"):
            raise invalid(f"{prefix}ContentBasedDeduplication")
        return value.lower()
    if name == "TracingConfig" and value not in ("Active", "PassThrough"):
        raise invalid(f"{prefix}TracingConfig: Invalid value [{value}]. Must be Active or PassThrough.")
    if name == "FifoThroughputScope" and value not in ("Topic", "MessageGroup"):
        raise invalid(f"{prefix}FifoThroughputScope: Invalid value [{value}]. Must be Topic or MessageGroup.")
    if name == "Policy":
        policy = _json_object(value, "Policy", prefix)
        if not isinstance(policy.get("Statement"), (list, dict)):
            raise invalid(f"{prefix}Policy: Policy statement must be present")
    if name == "DeliveryPolicy" and value:
        delivery.check_topic_policy(value, prefix)
    if name == "ArchivePolicy" and value:
        _json_object(value, "ArchivePolicy", prefix)
    if name.endswith("SampleRate") and not (value.isdigit() and 0 <= int(value) <= 100):
        raise invalid(f"{prefix}{name}")
    return value


class Provider(
    SubscriptionOperations,
    PublishOperations,
    StatusLogOperations,
    PlatformOperations,
    SmsOperations,
    BaseProvider,
):
    service = "sns"

    def start(self) -> None:
        store = self.store
        self.t_topics = store.table("sns", "topics")
        self.t_subscriptions = store.table("sns", "subscriptions")
        self.t_messages = store.table("sns", "messages")
        self.signer = Signer(store.table("sns", "keys"))
        self.cipher = MessageCipher(self.runtime)
        self.retry_scale = delivery.delay_scale()
        self.init_publishing()
        self.init_platform()
        self.init_sms()
        self.init_status_logs()
        self._load()
        self.runtime.bus.register_failure_handler(DEAD_LETTER, self.dead_letter)

    def state_replaced(self) -> None:
        self.signer.reload()
        self.cipher.forget()
        self._load()

    def _load(self) -> None:
        self.topics: dict[str, Topic] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.tokens: dict[str, Subscription] = {}
        for sc in self.t_topics.scopes():
            account, _, region = sc.partition("/")
            for name, record in self.t_topics.scan(sc):
                topic = Topic(
                    arn=record["arn"], name=name, account=account, region=region, fifo=record["fifo"],
                    attributes=record["attributes"], tags=record["tags"],
                    data_protection_policy=record.get("data_protection_policy", ""),
                )  # fmt: skip
                self.topics[topic.arn] = topic
        for sc in self.t_subscriptions.scopes():
            for key, record in self.t_subscriptions.scan(sc):
                subscribed_topic = self.topics.get(record["topic_arn"])
                if subscribed_topic is None:
                    continue
                subscription = Subscription(
                    arn=record["arn"], topic_arn=record["topic_arn"], protocol=record["protocol"],
                    endpoint=record["endpoint"], owner=record["owner"], key=key,
                    attributes=record["attributes"], pending=record["pending"],
                    authenticated=record["authenticated"], token=record["token"],
                    principal=record.get("principal", ""),
                )  # fmt: skip
                self.refresh(subscription)
                self._index(subscribed_topic, subscription)

    # -- helpers ------------------------------------------------------------------------------

    def topic_for(self, context: RequestContext, arn: str | None, name: str = "TopicArn") -> Topic:
        parts = parse_arn(arn, name)
        if parts[3] != context.region and not context.extra.get("internal"):
            # A topic lives in its region: another region's endpoint does not know it, even
            # when it exists (AWS answers as for a malformed ARN).
            raise invalid(f"Invalid parameter: {name}")
        topic = self.topics.get(arn or "")
        if topic is None:
            raise topic_not_found()
        return topic

    def save_topic(self, topic: Topic) -> None:
        self.t_topics.put(scope(topic.account, topic.region), topic.name, topic.record())

    # -- topics -------------------------------------------------------------------------------

    def create_topic(self, context: RequestContext, params: dict) -> dict:
        name = params["Name"]
        attributes = dict(params.get("Attributes") or {})
        fifo_flag = attributes.pop("FifoTopic", None)
        if fifo_flag is not None and fifo_flag.lower() not in ("true", "false"):
            raise invalid(
                "Invalid parameter: Attributes Reason: FifoTopic: Invalid value [" + fifo_flag + "]"
            )
        fifo = (fifo_flag or "").lower() == "true"
        if fifo:
            if not name.endswith(".fifo"):  # AWS's recorded answer: as for any bad name
                raise invalid("Invalid parameter: Topic Name")
            if not FIFO_TOPIC_NAME.fullmatch(name):
                raise invalid(
                    "Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase"
                    " and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and"
                    " 256 characters long."
                )
        elif not TOPIC_NAME.fullmatch(name):
            raise invalid("Invalid parameter: Topic Name")
        prefix = "Invalid parameter: Attributes Reason: "
        checked = {key: check_topic_attribute(key, value, fifo, prefix) for key, value in attributes.items()}
        tags = tag_map(params.get("Tags"), TAG_RULES)
        policy = params.get("DataProtectionPolicy")
        if policy:
            _json_object(policy, "DataProtectionPolicy", "Invalid parameter: ")
        arn = build_arn("sns", context.region, context.account, name)
        existing = self.topics.get(arn)
        if existing is not None:
            current = self._visible_attributes(existing)
            if any(current.get(key) != value for key, value in checked.items()) or fifo != existing.fifo:
                raise invalid(
                    "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
                )
            if any(existing.tags.get(key) != value for key, value in tags.items()):
                raise invalid("Invalid parameter: Tags Reason: Topic already exists with different tags")
            return {"TopicArn": arn}
        topic = Topic(arn=arn, name=name, account=context.account, region=context.region, fifo=fifo)
        topic.attributes = {"Policy": default_policy(arn, context.account), "DisplayName": ""}
        if fifo:
            topic.attributes["ContentBasedDeduplication"] = "false"
        topic.attributes.update(checked)
        topic.tags = tags
        topic.data_protection_policy = policy or ""
        self.save_topic(topic)
        self.topics[arn] = topic
        return {"TopicArn": arn}

    def delete_topic(self, context: RequestContext, params: dict) -> dict:
        arn = params["TopicArn"]
        parts = parse_arn(arn, "TopicArn")
        if parts[3] != context.region:
            raise invalid("Invalid parameter: TopicArn")
        topic = self.topics.get(arn)
        if topic is None:
            return {}  # deleting a topic that is not there succeeds, as on AWS
        with self.store.transaction():
            sc = scope(topic.account, topic.region)
            for subscription in topic.subscriptions.values():
                self.t_subscriptions.delete(sc, subscription.key)
            self.t_topics.delete(sc, topic.name)
        for subscription in topic.subscriptions.values():
            self.subscriptions.pop(subscription.arn, None)
            self.tokens.pop(subscription.token, None)
        del self.topics[arn]
        return {}

    def list_topics(self, context: RequestContext, params: dict) -> dict:
        sc = scope(context.account, context.region)
        return paginate_keys(
            self.store, "sns", "ListTopics", params, lambda after: self.t_topics.scan(sc, start_after=after),
            bad_token=bad_token, default_limit=PAGE_SIZE, render=lambda _, record: {"TopicArn": record["arn"]},
        )  # fmt: skip

    def _visible_attributes(self, topic: Topic) -> dict:
        attributes = {
            "Policy": topic.attributes.get("Policy") or default_policy(topic.arn, topic.account),
            "Owner": topic.account,
            "TopicArn": topic.arn,
            "EffectiveDeliveryPolicy": json.dumps(
                delivery.effective_topic_policy(topic.attributes.get("DeliveryPolicy")), separators=(",", ":")
            ),
        }
        confirmed = sum(1 for s in topic.subscriptions.values() if not s.pending)
        attributes["SubscriptionsConfirmed"] = str(confirmed)
        attributes["SubscriptionsPending"] = str(len(topic.subscriptions) - confirmed)
        attributes["SubscriptionsDeleted"] = "0"
        for key, value in topic.attributes.items():
            if value != "" or key == "DisplayName":
                attributes.setdefault(key, value)
        if topic.fifo:
            attributes["FifoTopic"] = "true"
        return attributes

    def get_topic_attributes(self, context: RequestContext, params: dict) -> dict:
        return {"Attributes": self._visible_attributes(self.topic_for(context, params["TopicArn"]))}

    def set_topic_attributes(self, context: RequestContext, params: dict) -> dict:
        topic = self.topic_for(context, params["TopicArn"])
        name = params["AttributeName"]
        value = params.get("AttributeValue") or ""
        value = check_topic_attribute(name, value, topic.fifo, "Invalid parameter: ")
        if value == "" and name != "DisplayName":
            topic.attributes.pop(name, None)
            if name == "Policy":
                topic.attributes["Policy"] = default_policy(topic.arn, topic.account)
        else:
            topic.attributes[name] = value
        self.save_topic(topic)
        return {}

    def add_permission(self, context: RequestContext, params: dict) -> dict:
        topic = self.topic_for(context, params["TopicArn"])
        label = params["Label"]
        policy = json.loads(topic.attributes.get("Policy") or default_policy(topic.arn, topic.account))
        statements = policy.setdefault("Statement", [])
        if any(statement.get("Sid") == label for statement in statements):
            raise invalid("Invalid parameter: Statement already exists")
        if not all(action in _POLICY_ACTIONS for action in params["ActionName"]):
            raise invalid("Invalid parameter: Policy statement action out of service scope!")
        accounts = params["AWSAccountId"]
        principals = [f"arn:{partition(topic.region)}:iam::{account}:root" for account in accounts]
        actions = [f"SNS:{action}" for action in params["ActionName"]]
        statements.append({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": actions[0] if len(actions) == 1 else actions,
            "Resource": topic.arn,
        })  # fmt: skip
        topic.attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
        self.save_topic(topic)
        return {}

    def remove_permission(self, context: RequestContext, params: dict) -> dict:
        topic = self.topic_for(context, params["TopicArn"])
        policy = json.loads(topic.attributes.get("Policy") or default_policy(topic.arn, topic.account))
        statements = policy.get("Statement") or []
        if isinstance(statements, dict):
            statements = [statements]
        policy["Statement"] = [s for s in statements if s.get("Sid") != params["Label"]]
        topic.attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
        self.save_topic(topic)
        return {}

    def resource_policy(self, resource_arn: str) -> str | None:
        """The topic's access policy, for IAM's enforcement of cross-account access."""
        topic = self.topics.get(resource_arn)
        return None if topic is None else topic.attributes.get("Policy")

    # -- data protection and tags -------------------------------------------------------------

    def get_data_protection_policy(self, context: RequestContext, params: dict) -> dict:
        topic = self._tagged_topic(context, params["ResourceArn"])
        return {"DataProtectionPolicy": topic.data_protection_policy} if topic.data_protection_policy else {}

    def put_data_protection_policy(self, context: RequestContext, params: dict) -> dict:
        topic = self._tagged_topic(context, params["ResourceArn"])
        policy = params["DataProtectionPolicy"]
        if policy:
            _json_object(policy, "DataProtectionPolicy", "Invalid parameter: ")
        topic.data_protection_policy = policy
        self.save_topic(topic)
        return {}

    def _tagged_topic(self, context: RequestContext, arn: str) -> Topic:
        parse_arn(arn, "ResourceArn")
        topic = self.topics.get(arn)
        if topic is None:
            raise ServiceError("ResourceNotFound", "Resource does not exist", 404)
        return topic

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        topic = self._tagged_topic(context, params["ResourceArn"])
        topic.tags = add_tags(topic.tags, params["Tags"], TAG_RULES)
        self.save_topic(topic)
        return {}

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        topic = self._tagged_topic(context, params["ResourceArn"])
        topic.tags = remove_tags(topic.tags, params["TagKeys"])
        self.save_topic(topic)
        return {}

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        topic = self._tagged_topic(context, params["ResourceArn"])
        return {"Tags": tag_list(topic.tags)}

    # -- internal routes ----------------------------------------------------------------------

    def internal_request(self, request: Request, subpath: str) -> Response | None:
        if subpath.rstrip("/") == "messages":
            if request.method == "GET":
                return _json_response(200, {"messages": [record for _, _, record in self._recorded(request)]})
            if request.method == "DELETE":
                removed = 0
                for sc, key, _ in list(self._recorded(request)):
                    removed += self.t_messages.delete(sc, key)
                return _json_response(200, {"deleted": removed})
            return None
        if subpath.rstrip("/") == "sms/opt-outs" and request.method == "POST":
            return self._opt_out_request(request)
        if subpath == self.signer.file_name and request.method in ("GET", "HEAD"):
            return Response(200, {"Content-Type": "application/x-pem-file"}, self.signer.certificate_pem)
        return None

    def _opt_out_request(self, request: Request) -> Response:
        try:
            payload = jsontext.loads(
                request.body if isinstance(request.body, bytes) and request.body else b"{}"
            )
            number = payload["phoneNumber"]
            account = payload.get("accountId") or DEFAULT_ACCOUNT
            region = payload.get("region") or DEFAULT_REGION
            if not isinstance(number, str) or not isinstance(account, str) or not isinstance(region, str):
                raise TypeError
            self.opt_out(account, region, number)
        except (ValueError, KeyError, TypeError, AttributeError):
            return _json_response(
                400, {"error": 'expected JSON {"phoneNumber": "+E.164", "accountId"?, "region"?}'}
            )
        except ServiceError as error:
            return _json_response(400, {"error": error.message})
        return _json_response(200, {"phoneNumber": number, "accountId": account, "region": region})

    def _recorded(self, request: Request):
        query = request.query
        topic_arn = (query.get("topic_arn") or [None])[0]
        phone = (query.get("phone_number") or [None])[0]
        if phone and phone.startswith(" "):  # an unencoded "+" in the query string reads as a space
            phone = "+" + phone.lstrip()
        for sc in self.t_messages.scopes():
            for key, record in self.t_messages.scan(sc):
                if topic_arn and record.get("TopicArn") != topic_arn:
                    continue
                if phone and record.get("PhoneNumber") != phone:
                    continue
                yield sc, key, record


def _json_response(status: int, payload: dict) -> Response:
    return Response(status, {"Content-Type": "application/json"}, json.dumps(payload).encode())


__all__ = ["Provider", "not_found"]
