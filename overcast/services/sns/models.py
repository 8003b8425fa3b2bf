"""SNS records as the provider keeps them in memory (rebuilt from the store on start), and the
errors and ARN rules the operations share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from overcast.errors import ServiceError
from overcast.services.sns.filters import FilterPolicy

#: Protocols Subscribe accepts.
PROTOCOLS = frozenset(
    {"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"}
)
#: Protocols whose subscriptions wait for the endpoint's owner to confirm.
CONFIRMED_BY_OWNER = frozenset({"http", "https", "email", "email-json"})
#: Protocols that can take the message without the JSON envelope.
RAW_CAPABLE = frozenset({"http", "https", "sqs", "firehose"})

TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
FIFO_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,251}\.fifo")
PHONE_NUMBER = re.compile(r"\+?[1-9]\d{1,14}")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameter", message, 400)


def bad_token() -> ServiceError:
    return invalid("Invalid parameter: NextToken")


def invalid_value(message: str) -> ServiceError:
    return ServiceError("ParameterValueInvalid", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFound", message, 404)


def topic_not_found() -> ServiceError:
    return not_found("Topic does not exist")


def parse_arn(arn: str | None, name: str) -> list[str]:
    """The six ARN fields, or AWS's InvalidParameter for the named parameter."""
    arn = arn or ""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        raise invalid(
            f"Invalid parameter: {name} Reason: An ARN must have at least 6 elements, not {len(parts)}"
        )
    return parts


@dataclass(eq=False)
class Subscription:
    arn: str
    topic_arn: str
    protocol: str
    endpoint: str
    owner: str
    key: str  # the store key: "<topic name>:<id>"
    attributes: dict = field(default_factory=dict)
    pending: bool = False
    authenticated: bool = False
    token: str = ""
    #: The ARN of the principal that subscribed (its SubscriptionPrincipal); "" in rows
    #: written before it was kept, which read as the owner's root.
    principal: str = ""
    #: Derived from attributes (kept in step by refresh()).
    policy: FilterPolicy | None = None
    raw: bool = False
    dead_letter_arn: str | None = None

    def record(self) -> dict:
        return {
            "arn": self.arn, "topic_arn": self.topic_arn, "protocol": self.protocol,
            "endpoint": self.endpoint, "owner": self.owner, "attributes": self.attributes,
            "pending": self.pending, "authenticated": self.authenticated, "token": self.token,
            "principal": self.principal,
        }  # fmt: skip


@dataclass(eq=False)
class Topic:
    arn: str
    name: str
    account: str
    region: str
    fifo: bool
    attributes: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)
    data_protection_policy: str = ""
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    #: FIFO deduplication: id → (expires at, message id, sequence number); in memory only.
    dedup: dict = field(default_factory=dict)

    @property
    def signature_version(self) -> str:
        return self.attributes.get("SignatureVersion") or "1"

    @property
    def content_based_dedup(self) -> bool:
        return self.attributes.get("ContentBasedDeduplication") == "true"

    def record(self) -> dict:
        return {
            "arn": self.arn, "name": self.name, "fifo": self.fifo, "attributes": self.attributes,
            "tags": self.tags, "data_protection_policy": self.data_protection_policy,
        }  # fmt: skip
