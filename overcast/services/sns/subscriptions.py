"""Subscriptions: Subscribe (with the confirmation handshake for HTTP/S and email), confirm,
unsubscribe, list, and their attributes (filter policies, raw delivery, redrive and delivery
policies)."""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from overcast.common import jsontext
from overcast.context import RequestContext
from overcast.services.sns import delivery
from overcast.services.sns.filters import compile_policy, json_failure
from overcast.services.sns.models import (
    CONFIRMED_BY_OWNER,
    PHONE_NUMBER,
    PROTOCOLS,
    RAW_CAPABLE,
    Subscription,
    Topic,
    bad_token,
    invalid,
    not_found,
    parse_arn,
)
from overcast.store import scope

from .pages import paginate_keys

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.sns.provider import Provider

PAGE_SIZE = 100
SUBSCRIPTION_ATTRIBUTES = frozenset(
    {"DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy",
     "SubscriptionRoleArn", "ReplayPolicy"}
)  # fmt: skip
#: What a confirmation token looks like (SNS hands out long hex strings).
_TOKEN = re.compile(r"[0-9a-f]{16,}")
_SMS_SEPARATORS = "/.- "
_SMS_ENDPOINT = re.compile(r"\+?\d+(?:[/.\- ]\d+)*")
_SUBSCRIBE_PREFIX = "Invalid parameter: Attributes Reason: "
_SET_PREFIX = "Invalid parameter: "


def _arn_service(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[2] if len(parts) == 6 and parts[0] == "arn" else ""


_DEFAULTS = {"RawMessageDelivery": "false", "FilterPolicyScope": "MessageAttributes"}


def _same_attribute(name: str, current: str | None, requested: str) -> bool:
    """Whether a repeated Subscribe asks for what the subscription already has (JSON
    attributes compare by content, absent ones by their default)."""
    if current is None:
        current = _DEFAULTS.get(name, "")
    if current == requested:
        return True
    if name in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy", "ReplayPolicy"):
        try:
            return jsontext.loads(current or "null") == json.loads(requested or "null")
        except ValueError:
            return False
    return False


class SubscriptionOperations:
    topics: dict
    subscriptions: dict
    tokens: dict

    # -- keeping the in-memory view in step -----------------------------------------------

    @staticmethod
    def refresh(subscription: Subscription) -> None:
        """Derive the compiled filter, raw flag and dead-letter target from the attributes."""
        attributes = subscription.attributes
        text = attributes.get("FilterPolicy")
        subscription.policy = (
            compile_policy(text, attributes.get("FilterPolicyScope") or "MessageAttributes") if text else None
        )
        subscription.raw = attributes.get("RawMessageDelivery") == "true"
        redrive = attributes.get("RedrivePolicy")
        subscription.dead_letter_arn = json.loads(redrive).get("deadLetterTargetArn") if redrive else None

    def _index(self, topic: Topic, subscription: Subscription) -> None:
        topic.subscriptions[subscription.arn] = subscription
        self.subscriptions[subscription.arn] = subscription
        if subscription.token:
            self.tokens[subscription.token] = subscription

    def save_subscription(self: Provider, subscription: Subscription) -> None:  # type: ignore[misc]
        topic = self.topics[subscription.topic_arn]
        self.t_subscriptions.put(scope(topic.account, topic.region), subscription.key, subscription.record())

    # -- attributes ---------------------------------------------------------------------------

    def _check_attribute(self, name: str, value: str, subscription_like: dict, prefix: str) -> str:
        """The value to store for one subscription attribute, or AWS's InvalidParameter.
        `subscription_like` holds protocol, endpoint, topic and the other attributes."""
        if name not in SUBSCRIPTION_ATTRIBUTES:
            raise invalid(f"{prefix}AttributeName")
        protocol = subscription_like["protocol"]
        if name == "RawMessageDelivery":
            if value.lower() not in ("true", "false"):
                raise invalid(f"{prefix}RawMessageDelivery: Invalid value [{value}]. Must be true or false.")
            if protocol not in RAW_CAPABLE and value.lower() == "true":
                raise invalid(
                    f"{prefix}Delivery protocol [{protocol}] does not support raw message delivery."
                )
            return value.lower()
        if name == "FilterPolicyScope":
            if value not in ("MessageAttributes", "MessageBody"):
                raise invalid(
                    f"{prefix}FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or"
                    " MessageAttributes"
                )
            policy = subscription_like["attributes"].get("FilterPolicy")
            if policy:
                compile_policy(policy, value, prefix)
            return value
        if name == "FilterPolicy":
            if value:
                scope_name = subscription_like["attributes"].get("FilterPolicyScope") or "MessageAttributes"
                compile_policy(value, scope_name, prefix)
            return value
        if name == "RedrivePolicy":
            if not value:
                return value
            try:
                redrive = jsontext.loads(value)
            except json.JSONDecodeError as error:
                raise invalid(
                    f"{prefix}RedrivePolicy: failed to parse JSON. {json_failure(value, error)}"
                ) from None
            target = redrive.get("deadLetterTargetArn") if isinstance(redrive, dict) else None
            if not isinstance(target, str) or _arn_service(target) != "sqs":
                raise invalid(f"{prefix}RedrivePolicy: deadLetterTargetArn is an invalid arn")
            # Only a FIFO queue's subscription needs a FIFO DLQ: a FIFO topic may fan out to
            # standard queues too, and their dead letters go to standard queues.
            fifo_queue = protocol == "sqs" and subscription_like["endpoint"].endswith(".fifo")
            if subscription_like["fifo"] and fifo_queue and not target.endswith(".fifo"):
                raise invalid(
                    f"{prefix}RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
                )
            return value
        if name == "DeliveryPolicy":
            if value:
                delivery.check_subscription_policy(value, prefix)
            return value
        if name == "SubscriptionRoleArn":
            if value and _arn_service(value) != "iam":
                raise invalid(f"{prefix}SubscriptionRoleArn")
            return value
        if name == "ReplayPolicy" and value:
            try:
                jsontext.loads(value)
            except json.JSONDecodeError as error:
                raise invalid(
                    f"{prefix}ReplayPolicy: failed to parse JSON. {json_failure(value, error)}"
                ) from None
        return value

    # -- operations ---------------------------------------------------------------------------

    def subscribe(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        topic = self.topic_for(context, params["TopicArn"])
        protocol = params["Protocol"]
        endpoint = params.get("Endpoint") or ""
        if protocol not in PROTOCOLS:
            raise invalid(f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}")
        endpoint = self._check_endpoint(topic, protocol, endpoint)
        candidate = {"protocol": protocol, "endpoint": endpoint, "fifo": topic.fifo, "attributes": {}}
        attributes: dict[str, str] = {}
        requested = params.get("Attributes") or {}
        # FilterPolicyScope first: the policy is validated against the scope it will have.
        for name in sorted(requested, key=lambda n: n != "FilterPolicyScope"):
            attributes[name] = self._check_attribute(name, requested[name], candidate, _SUBSCRIBE_PREFIX)
            candidate["attributes"] = attributes
        if protocol == "firehose" and not attributes.get("SubscriptionRoleArn"):
            raise invalid(f"{_SUBSCRIBE_PREFIX}SubscriptionRoleArn is required for firehose subscriptions")

        for existing in topic.subscriptions.values():
            if existing.protocol == protocol and existing.endpoint == endpoint:
                if any(not _same_attribute(k, existing.attributes.get(k), v) for k, v in attributes.items()):
                    raise invalid(f"{_SUBSCRIBE_PREFIX}Subscription already exists with different attributes")
                pending = existing.pending and not params.get("ReturnSubscriptionArn")
                return {"SubscriptionArn": "pending confirmation" if pending else existing.arn}

        if attributes.get("FilterPolicy"):
            attributes.setdefault("FilterPolicyScope", "MessageAttributes")
        subscription_id = str(uuid.uuid4())
        # A queue of another account than the subscriber's is confirmed by its owner, who finds
        # the SubscriptionConfirmation in the queue.
        pending = protocol in CONFIRMED_BY_OWNER or (
            protocol == "sqs" and endpoint.split(":")[4] != context.account
        )
        subscription = Subscription(
            arn=f"{topic.arn}:{subscription_id}", topic_arn=topic.arn, protocol=protocol, endpoint=endpoint,
            owner=context.account, key=f"{topic.name}:{subscription_id}", attributes=attributes,
            pending=pending, authenticated=not pending, principal=context.principal_arn,
        )  # fmt: skip
        if subscription.pending:
            subscription.token = secrets.token_hex(64)
        self.refresh(subscription)
        with self.store.transaction():  # the confirmation's delivery commits with the subscription
            self.save_subscription(subscription)
            if subscription.pending:
                self.send_confirmation(context, topic, subscription, "SubscriptionConfirmation")
        self._index(topic, subscription)
        pending = subscription.pending and not params.get("ReturnSubscriptionArn")
        return {"SubscriptionArn": "pending confirmation" if pending else subscription.arn}

    def _check_endpoint(self: Provider, topic: Topic, protocol: str, endpoint: str) -> str:  # type: ignore[misc]
        if protocol in ("http", "https"):
            if not endpoint.startswith(f"{protocol}://"):
                raise invalid("Invalid parameter: Endpoint must match the specified protocol")
        elif protocol in ("email", "email-json"):
            local, at, domain = endpoint.partition("@")
            if not (local and at and domain) or " " in endpoint:
                raise invalid("Invalid parameter: Email address")
        elif protocol == "sms":
            # Digits may be grouped by single separators ("+12/34-567.890"), as AWS accepts;
            # a leading, trailing or doubled separator is refused.
            number = "".join(ch for ch in endpoint if ch not in _SMS_SEPARATORS)
            if not _SMS_ENDPOINT.fullmatch(endpoint) or not PHONE_NUMBER.fullmatch(number):
                raise invalid(f"Invalid SMS endpoint: {endpoint}")
            endpoint = number if number.startswith("+") else f"+{number}"
        elif protocol == "sqs":
            if _arn_service(endpoint) != "sqs":
                raise invalid("Invalid parameter: SQS endpoint ARN")
            if endpoint.endswith(".fifo") and not topic.fifo:
                raise invalid(
                    "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed"
                    " to standard SNS topics"
                )
        elif protocol == "lambda":
            if _arn_service(endpoint) != "lambda":
                raise invalid("Invalid parameter: Lambda endpoint ARN")
        elif protocol == "firehose":
            if _arn_service(endpoint) != "firehose":
                raise invalid("Invalid parameter: Firehose endpoint ARN")
        elif protocol == "application":
            if _arn_service(endpoint) != "sns" or ":endpoint/" not in endpoint:
                raise invalid("Invalid parameter: Application endpoint ARN")
            if self.platform_endpoint(endpoint, "Endpoint") is None:
                raise not_found("Endpoint does not exist")
        if topic.fifo and protocol != "sqs":
            raise invalid(
                f"Invalid parameter: Endpoint Reason: FIFO topics support only SQS subscriptions, not {protocol}"
            )
        return endpoint

    def confirm_subscription(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        topic_arn = params["TopicArn"]
        parts = parse_arn(topic_arn, "TopicArn")
        if parts[3] != context.region and not context.extra.get("internal"):
            raise invalid("Invalid parameter: TopicArn")
        token = params["Token"]
        if not _TOKEN.fullmatch(token):
            raise invalid("Invalid token")
        # An unknown token, or one of another (or no) topic: AWS answers the same.
        subscription = self.tokens.get(token)
        if subscription is None or subscription.topic_arn != topic_arn:
            raise invalid("Invalid parameter: Token")
        if subscription.arn not in self.subscriptions:
            # The token of an UnsubscribeConfirmation: the subscription comes back as it was.
            topic = self.topics.get(topic_arn)
            if topic is None:
                raise invalid("Invalid parameter: Token")
            subscription.pending = False
            self.save_subscription(subscription)
            self._index(topic, subscription)
        elif subscription.pending:
            subscription.pending = False
            subscription.authenticated = str(params.get("AuthenticateOnUnsubscribe", "")).lower() == "true"
            self.save_subscription(subscription)
        return {"SubscriptionArn": subscription.arn}

    def _subscription_for(self, arn: str | None) -> Subscription:
        parts = parse_arn(arn, "SubscriptionArn")
        subscription = self.subscriptions.get(arn)
        if subscription is None:
            if ":" not in parts[5]:
                raise invalid("Invalid parameter: SubscriptionId")
            raise not_found("Subscription does not exist")
        return subscription

    def unsubscribe(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = params["SubscriptionArn"]
        parts = parse_arn(arn, "SubscriptionArn")
        subscription = self.subscriptions.get(arn)
        if subscription is None:
            if ":" not in parts[5]:
                raise invalid("Invalid parameter: SubscriptionId")
            return {}  # already gone: AWS answers success
        topic = self.topics[subscription.topic_arn]
        self.tokens.pop(subscription.token, None)
        restorable = subscription.protocol in ("http", "https")
        if restorable:
            # The UnsubscribeConfirmation carries a token of its own: confirming it restores the
            # subscription (AWS's message says so; its recorded messages carry a new token).
            subscription.token = secrets.token_hex(64)
        with self.store.transaction():
            self.t_subscriptions.delete(scope(topic.account, topic.region), subscription.key)
            if restorable:
                self.send_confirmation(context, topic, subscription, "UnsubscribeConfirmation")
        topic.subscriptions.pop(arn, None)
        self.subscriptions.pop(arn, None)
        if restorable:
            self.tokens[subscription.token] = subscription
        return {}

    @staticmethod
    def _listed(subscription: Subscription) -> dict:
        return {
            "SubscriptionArn": "PendingConfirmation" if subscription.pending else subscription.arn,
            "Owner": subscription.owner,
            "Protocol": subscription.protocol,
            "Endpoint": subscription.endpoint,
            "TopicArn": subscription.topic_arn,
        }

    def _page(self: Provider, operation: str, params: dict, sc: str, prefix: str) -> dict:  # type: ignore[misc]
        def subscriptions_after(after: str | None) -> Iterator[tuple[str, Subscription]]:
            for key, record in self.t_subscriptions.scan(sc, prefix=prefix, start_after=after):
                subscription = self.subscriptions.get(record["arn"])
                if subscription is not None:
                    yield key, subscription

        return paginate_keys(
            self.store, "sns", operation, params, subscriptions_after, bad_token=bad_token,
            default_limit=PAGE_SIZE, render=lambda _, subscription: self._listed(subscription), bind=prefix,
        )  # fmt: skip

    def list_subscriptions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return self._page("ListSubscriptions", params, scope(context.account, context.region), "")

    def list_subscriptions_by_topic(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        topic = self.topic_for(context, params["TopicArn"])
        return self._page(
            "ListSubscriptionsByTopic", params, scope(topic.account, topic.region), f"{topic.name}:"
        )

    def get_subscription_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        subscription = self._subscription_for(params["SubscriptionArn"])
        topic = self.topics[subscription.topic_arn]
        attributes = {
            "SubscriptionArn": subscription.arn,
            "TopicArn": subscription.topic_arn,
            "Protocol": subscription.protocol,
            "Endpoint": subscription.endpoint,
            "Owner": subscription.owner,
            "PendingConfirmation": "true" if subscription.pending else "false",
            "ConfirmationWasAuthenticated": "true" if subscription.authenticated else "false",
            "RawMessageDelivery": "false",
            "SubscriptionPrincipal": subscription.principal
            or f"arn:{parse_arn(topic.arn, 'TopicArn')[1]}:iam::{subscription.owner}:root",
        }
        if subscription.protocol in ("http", "https"):
            attributes["EffectiveDeliveryPolicy"] = json.dumps(
                delivery.effective_subscription_policy(
                    topic.attributes.get("DeliveryPolicy"), subscription.attributes.get("DeliveryPolicy")
                ),
                separators=(",", ":"),
            )
        attributes.update({k: v for k, v in subscription.attributes.items() if v != ""})
        if "FilterPolicy" not in attributes:
            attributes.pop("FilterPolicyScope", None)
        return {"Attributes": attributes}

    def set_subscription_attributes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        subscription = self._subscription_for(params["SubscriptionArn"])
        topic = self.topics[subscription.topic_arn]
        name = params["AttributeName"]
        candidate = {
            "protocol": subscription.protocol, "endpoint": subscription.endpoint, "fifo": topic.fifo,
            "attributes": subscription.attributes,
        }  # fmt: skip
        value = self._check_attribute(name, params.get("AttributeValue") or "", candidate, _SET_PREFIX)
        attributes = dict(subscription.attributes)
        if value == "" and name in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy", "ReplayPolicy"):
            attributes.pop(name, None)
        else:
            attributes[name] = value
        if name == "FilterPolicy" and value:
            attributes.setdefault("FilterPolicyScope", "MessageAttributes")
        subscription.attributes = attributes
        self.refresh(subscription)
        self.save_subscription(subscription)
        return {}
