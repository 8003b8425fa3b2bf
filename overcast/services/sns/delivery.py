"""HTTP/S delivery: a small asyncio HTTP/1.1 client, and the retry schedule of SNS's delivery
policies (https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html).

A delivery attempt succeeds when the endpoint answers with a status below 500 (AWS counts
2xx-4xx as delivered); a 5xx, a timeout or a refused connection is retried on the policy's
schedule: the no-delay retries, then those at minDelayTarget, then the backoff phase from
minDelayTarget to maxDelayTarget, then those at maxDelayTarget.

OVERCAST_SNS_RETRY_DELAY_SCALE (default 1) multiplies every wait of that schedule, so a test
can run a 20-second policy in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from urllib.parse import urlsplit

from overcast.common import jsontext
from overcast.config import tuning
from overcast.services.sns.models import invalid

TIMEOUT = 15.0
USER_AGENT = "Amazon Simple Notification Service Agent"

DEFAULT_RETRY_POLICY = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}
DEFAULT_TOPIC_POLICY = {
    "http": {
        "defaultHealthyRetryPolicy": DEFAULT_RETRY_POLICY,
        "disableSubscriptionOverrides": False,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
    }
}
_BACKOFF_FUNCTIONS = ("arithmetic", "exponential", "geometric", "linear")
_CONTENT_TYPES = (
    "application/json", "application/xml", "text/plain", "text/xml", "text/html",
    "application/json; charset=UTF-8", "application/xml; charset=UTF-8", "text/plain; charset=UTF-8",
    "text/xml; charset=UTF-8", "text/html; charset=UTF-8",
)  # fmt: skip


def delay_scale() -> float:
    try:
        return tuning("OVERCAST_SNS_RETRY_DELAY_SCALE")
    except ValueError:
        return 1.0


# -- delivery policies -----------------------------------------------------------------------


def _policy_error(prefix: str, reason: str):
    return invalid(f"{prefix}DeliveryPolicy: {reason}")


def parse_policy_json(text: str, prefix: str) -> dict:
    try:
        policy = jsontext.loads(text)
    except ValueError:
        raise _policy_error(prefix, "failed to parse JSON.") from None
    if not isinstance(policy, dict):
        raise _policy_error(prefix, "must be a JSON object")
    return policy


def check_retry_policy(policy: object, name: str, prefix: str) -> None:
    if not isinstance(policy, dict):
        raise _policy_error(prefix, f"{name} must be an object")
    for key, value in policy.items():
        if key not in DEFAULT_RETRY_POLICY:
            raise _policy_error(prefix, f"{name}.{key} is not a valid attribute")
        if key == "backoffFunction":
            if value not in _BACKOFF_FUNCTIONS:
                raise _policy_error(
                    prefix, f"{name}.backoffFunction must be one of {list(_BACKOFF_FUNCTIONS)}"
                )
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _policy_error(prefix, f"{name}.{key} must be a non-negative integer")
    merged = {**DEFAULT_RETRY_POLICY, **policy}
    if merged["numRetries"] > 100:
        raise _policy_error(prefix, f"{name}.numRetries must be no more than 100")
    if not 1 <= merged["minDelayTarget"] <= merged["maxDelayTarget"]:
        raise _policy_error(prefix, f"{name}.minDelayTarget must be between 1 and maxDelayTarget")
    if merged["maxDelayTarget"] > 3600:
        raise _policy_error(prefix, f"{name}.maxDelayTarget must be no more than 3600")
    phases = merged["numNoDelayRetries"] + merged["numMinDelayRetries"] + merged["numMaxDelayRetries"]
    if phases > merged["numRetries"]:
        raise _policy_error(
            prefix,
            f"{name}.numRetries must be at least numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries",
        )


def _check_request_policy(policy: object, name: str, prefix: str) -> None:
    if not isinstance(policy, dict) or set(policy) - {"headerContentType"}:
        raise _policy_error(prefix, f"{name} must be an object with headerContentType")
    if "headerContentType" in policy and policy["headerContentType"] not in _CONTENT_TYPES:
        raise _policy_error(prefix, f"{name}.headerContentType is not a supported content type")


def _check_throttle_policy(policy: object, name: str, prefix: str) -> None:
    if not isinstance(policy, dict) or set(policy) - {"maxReceivesPerSecond"}:
        raise _policy_error(prefix, f"{name} must be an object with maxReceivesPerSecond")
    value = policy.get("maxReceivesPerSecond", 1)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _policy_error(prefix, f"{name}.maxReceivesPerSecond must be a positive integer")


def check_subscription_policy(text: str, prefix: str) -> dict:
    policy = parse_policy_json(text, prefix)
    for key, value in policy.items():
        if key == "healthyRetryPolicy":
            check_retry_policy(value, key, prefix)
        elif key == "throttlePolicy":
            _check_throttle_policy(value, key, prefix)
        elif key == "requestPolicy":
            _check_request_policy(value, key, prefix)
        elif key not in ("sicklyRetryPolicy", "guaranteed"):
            raise _policy_error(prefix, f"{key} is not a valid attribute")
    return policy


def check_topic_policy(text: str, prefix: str) -> dict:
    policy = parse_policy_json(text, prefix)
    for protocol, settings in policy.items():
        if not isinstance(settings, dict):
            raise _policy_error(prefix, f"{protocol} must be an object")
        for key, value in settings.items():
            if key == "defaultHealthyRetryPolicy":
                check_retry_policy(value, f"{protocol}.{key}", prefix)
            elif key == "defaultThrottlePolicy":
                _check_throttle_policy(value, f"{protocol}.{key}", prefix)
            elif key == "defaultRequestPolicy":
                _check_request_policy(value, f"{protocol}.{key}", prefix)
            elif key == "disableSubscriptionOverrides":
                if not isinstance(value, bool):
                    raise _policy_error(prefix, f"{protocol}.{key} must be true or false")
            elif key != "defaultSicklyRetryPolicy":
                raise _policy_error(prefix, f"{protocol}.{key} is not a valid attribute")
    return policy


def effective_topic_policy(topic_policy: str | None) -> dict:
    effective = json.loads(json.dumps(DEFAULT_TOPIC_POLICY))
    if topic_policy:
        http = json.loads(topic_policy).get("http") or {}
        settings = effective["http"]
        settings["defaultHealthyRetryPolicy"] = {
            **DEFAULT_RETRY_POLICY, **(http.get("defaultHealthyRetryPolicy") or {})
        }  # fmt: skip
        for key in ("disableSubscriptionOverrides", "defaultRequestPolicy", "defaultThrottlePolicy"):
            if key in http:
                settings[key] = http[key]
    return effective


def effective_subscription_policy(topic_policy: str | None, subscription_policy: str | None) -> dict:
    """What governs an HTTP/S subscription's deliveries: its own policy over the topic's
    defaults, unless the topic disables subscription overrides."""
    http = effective_topic_policy(topic_policy)["http"]
    retry = dict(http["defaultHealthyRetryPolicy"])
    throttle = http.get("defaultThrottlePolicy")
    request = http.get("defaultRequestPolicy")
    if subscription_policy and not http.get("disableSubscriptionOverrides"):
        own = json.loads(subscription_policy)
        retry.update(own.get("healthyRetryPolicy") or {})
        throttle = own.get("throttlePolicy") or throttle
        request = own.get("requestPolicy") or request
    effective = {
        "healthyRetryPolicy": retry,
        "sicklyRetryPolicy": None,
        "throttlePolicy": throttle,
        "guaranteed": False,
    }
    if request:
        effective["requestPolicy"] = request
    return effective


def retry_delays(retry: dict) -> list[float]:
    """The wait before each retry (not counting the first attempt), in seconds."""
    total = retry["numRetries"]
    no_delay, at_min, at_max = (
        retry["numNoDelayRetries"],
        retry["numMinDelayRetries"],
        retry["numMaxDelayRetries"],
    )
    low, high = float(retry["minDelayTarget"]), float(retry["maxDelayTarget"])
    backoff = max(0, total - no_delay - at_min - at_max)
    curve = []
    for step in range(1, backoff + 1):
        share = step / backoff
        function = retry.get("backoffFunction", "linear")
        if function == "arithmetic":
            share = share * share
        elif function == "geometric":
            share = share**3
        elif function == "exponential":
            share = (2 ** (share * 8) - 1) / 255
        curve.append(low + (high - low) * share)
    return [0.0] * no_delay + [low] * at_min + curve + [high] * at_max


# -- the HTTP client -------------------------------------------------------------------------

_INSECURE = ssl.create_default_context()
# Local endpoints present self-signed certificates; AWS's trust store does not apply here.
_INSECURE.check_hostname = False
_INSECURE.verify_mode = ssl.CERT_NONE


#: The name Overcast's own URLs use (function URLs, queue URLs): public DNS resolves it and every
#: name under it to 127.0.0.1, and so does SNS here, without asking DNS (which may be offline).
_LOOPBACK_DOMAIN = "localhost.localstack.cloud"


def _address_of(host: str) -> str:
    name = host.lower().rstrip(".")
    if name == _LOOPBACK_DOMAIN or name.endswith("." + _LOOPBACK_DOMAIN):
        return "127.0.0.1"
    return host


async def post(url: str, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT) -> int:
    """POST and return the status; OSError (or TimeoutError) when there is no answer."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # SNS says it takes a compressed answer, as AWS's deliveries do (the status line is all it reads).
    head = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc.rpartition('@')[2]}",
            f"Content-Length: {len(body)}", "Accept-Encoding: gzip,deflate", "Connection: close"]  # fmt: skip
    head.extend(f"{name}: {value}" for name, value in headers.items())
    payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace") + body

    async def exchange() -> int:
        reader, writer = await asyncio.open_connection(
            _address_of(host),
            port,
            ssl=_INSECURE if secure else None,
            server_hostname=host if secure else None,
        )
        try:
            writer.write(payload)
            await writer.drain()
            status_line = await reader.readline()
            fields = status_line.split()
            if len(fields) < 2 or not fields[1].isdigit():
                raise ConnectionError(f"not an HTTP response: {status_line[:80]!r}")
            return int(fields[1])
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass

    return await asyncio.wait_for(exchange(), timeout)
