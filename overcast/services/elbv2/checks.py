"""What ELB accepts as a rule's conditions and a listener's or rule's actions, checked and put
in the shape it answers with."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from overcast.services.elbv2 import common as c

CONDITION_FIELDS = (
    "host-header",
    "path-pattern",
    "http-header",
    "http-request-method",
    "query-string",
    "source-ip",
)
#: The conditions a rule may hold once; http-header and query-string may repeat.
ONCE = ("host-header", "path-pattern", "http-request-method", "source-ip")
CONFIG_OF = {
    "host-header": "HostHeaderConfig",
    "path-pattern": "PathPatternConfig",
    "http-header": "HttpHeaderConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "query-string": "QueryStringConfig",
    "source-ip": "SourceIpConfig",
}
MAX_CONDITION_VALUES = 5
TERMINAL = ("forward", "redirect", "fixed-response")
AUTHENTICATE = ("authenticate-oidc", "authenticate-cognito", "jwt-validation")
CONTENT_TYPES = ("text/plain", "text/css", "text/html", "application/javascript", "application/json")
_METHOD = re.compile(r"^[A-Z_-]{1,40}$")
_STATUS = re.compile(r"^[245]\d\d$")
_HOST_VALUE = re.compile(r"^[A-Za-z0-9\-_.;*?]{1,128}$")
_PATH_VALUE = re.compile(r"^[A-Za-z0-9_\-.$/~\"'@:+&()!,;=*?%]{1,128}$")


def check_conditions(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    total = 0
    for condition in conditions:
        field = condition.get("Field") or ""
        if field not in CONDITION_FIELDS:
            raise c.invalid(f"Condition field '{field}' must be one of [{', '.join(CONDITION_FIELDS)}]")
        if field in ONCE and field in seen:
            raise c.invalid(f"A rule can only have one '{field}' condition")
        seen.add(field)
        config_key = CONFIG_OF[field]
        config = condition.get(config_key)
        legacy = condition.get("Values")
        if legacy and field not in ("host-header", "path-pattern"):
            raise c.invalid(f"'Values' is not supported for condition field '{field}': use '{config_key}'")
        if legacy and config:
            raise c.invalid(
                f"You cannot specify both 'Values' and '{config_key}' for condition field '{field}'"
            )
        entry: dict[str, Any] = {"Field": field}
        if field in ("host-header", "path-pattern"):
            values = legacy or (config or {}).get("Values") or []
            regexes = (config or {}).get("RegexValues") or condition.get("RegexValues") or []
            if not values and not regexes:
                raise c.invalid("A condition value must be specified")
            pattern = _HOST_VALUE if field == "host-header" else _PATH_VALUE
            for value in values:
                if len(value) > 128:
                    raise c.invalid(f"The '{field}' value is too long; the limit is '128'")
                if not pattern.match(value):
                    raise c.invalid(f"Condition value '{value}' contains a character that is not valid")
            for regex in regexes:
                _regex(regex)
            total += len(values) + len(regexes)
            if legacy:
                entry["Values"] = list(values)
            entry[config_key] = {"Values": list(values)}
            if regexes:
                entry[config_key]["RegexValues"] = list(regexes)
        elif field == "http-header":
            config = config or {}
            name = config.get("HttpHeaderName") or ""
            if len(name) > 40:
                raise c.invalid("The 'HttpHeaderName' value is too long; the limit is '40'")
            if not re.match(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,40}$", name):
                raise c.invalid(f"HTTP header name '{name}' is not valid")
            values, regexes = config.get("Values") or [], config.get("RegexValues") or []
            if not config:
                raise c.invalid("A 'HttpHeaderConfig' must be specified with 'http-header'")
            if not values and not regexes:
                raise c.invalid("A condition value must be specified")
            if any(len(v) > 128 for v in values):
                raise c.invalid("The 'http-header' value is too long; the limit is '128'")
            for regex in regexes:
                _regex(regex)
            total += len(values) + len(regexes)
            entry[config_key] = {"HttpHeaderName": name, "Values": list(values)}
            if regexes:
                entry[config_key]["RegexValues"] = list(regexes)
        elif field == "http-request-method":
            if not config:
                raise c.invalid("A 'HttpRequestMethodConfig' must be specified with 'http-request-method'")
            values = config.get("Values") or []
            if not values:
                raise c.invalid("A condition value must be specified")
            for value in values:
                if len(value) > 40:
                    raise c.invalid("The 'http-request-method' value is too long; the limit is '40'")
                if not _METHOD.match(value):
                    raise c.invalid(f"HTTP request method '{value}' is not valid")
            total += len(values)
            entry[config_key] = {"Values": list(values)}
        elif field == "query-string":
            if not config:
                raise c.invalid("A 'QueryStringConfig' must be specified with 'query-string'")
            pairs = config.get("Values") or []
            if not pairs:
                raise c.invalid("A condition value must be specified")
            for pair in pairs:
                if not pair.get("Value"):
                    raise c.invalid("A 'Value' must be specified in 'QueryStringKeyValuePair'")
                if len(pair.get("Key") or "") > 128:
                    raise c.invalid("The 'Key' value is too long; the limit is '128'")
                if len(pair["Value"]) > 128:
                    raise c.invalid("The 'Value' value is too long; the limit is '128'")
            total += len(pairs)
            entry[config_key] = {"Values": [{k: v for k, v in p.items() if v is not None} for p in pairs]}
        else:
            if not config:
                raise c.invalid("A 'SourceIpConfig' must be specified with 'source-ip'")
            values = config.get("Values") or []
            if not values:
                raise c.invalid("A 'source-ip' value must be specified")
            for value in values:
                try:
                    ipaddress.ip_network(value, strict=False)
                except ValueError:
                    raise c.invalid(f"'{value}' is not a valid CIDR block") from None
            total += len(values)
            entry[config_key] = {"Values": list(values)}
        out.append(entry)
    if total > MAX_CONDITION_VALUES:
        raise c.error(
            "TooManyConditionValues", f"A rule can only have '{MAX_CONDITION_VALUES}' condition values"
        )
    return out


def _regex(text: str) -> None:
    try:
        re.compile(text)
    except re.error:
        raise c.invalid(f"Regular expression '{text}' is not valid") from None


def check_actions(actions: list[dict[str, Any]], protocol: str | None, tg_check: Any) -> list[dict[str, Any]]:
    """The actions, checked and ordered; `tg_check(arn)` refuses a target group the listener's
    load balancer cannot forward to."""
    if not actions:
        raise c.invalid("At least one action must be specified")
    out: list[tuple[int, dict[str, Any]]] = []
    orders: set[int] = set()
    for position, action in enumerate(actions, start=1):
        kind = action.get("Type") or ""
        order = action.get("Order")
        if order is not None and not 1 <= order <= 50000:
            raise c.invalid("Action order must be between 1 and 50000")
        order = order if order is not None else position
        if order in orders:
            raise c.invalid("Action orders must be unique")
        orders.add(order)
        entry: dict[str, Any] = {"Type": kind}
        if action.get("Order") is not None:
            entry["Order"] = order
        if kind == "forward":
            entry.update(_forward(action, tg_check))
        elif kind == "redirect":
            config = action.get("RedirectConfig")
            if not config or not config.get("StatusCode"):
                raise c.invalid("A redirect action must have a status code")
            if config["StatusCode"] not in ("HTTP_301", "HTTP_302"):
                raise c.invalid("Redirect status code must be 'HTTP_301' or 'HTTP_302'")
            if config.get("Protocol") not in (None, "HTTP", "HTTPS", "#{protocol}"):
                raise c.invalid("Redirect protocol must be 'HTTP', 'HTTPS' or '#{protocol}'")
            if config.get("Path") is not None and not config["Path"].startswith("/"):
                raise c.invalid("Redirect path must begin with a '/' character")
            entry["RedirectConfig"] = {
                "Protocol": config.get("Protocol") or "#{protocol}",
                "Port": config.get("Port") or "#{port}",
                "Host": config.get("Host") or "#{host}",
                "Path": config.get("Path") or "/#{path}",
                "Query": config.get("Query") if config.get("Query") is not None else "#{query}",
                "StatusCode": config["StatusCode"],
            }
        elif kind == "fixed-response":
            config = action.get("FixedResponseConfig")
            if not config or not config.get("StatusCode"):
                raise c.invalid("A fixed-response action must have a status code")
            if not _STATUS.match(config["StatusCode"]):
                raise c.invalid(
                    f"Fixed response status code '{config['StatusCode']}' must be a 2XX, 4XX or 5XX code"
                )
            if config.get("ContentType") is not None and config["ContentType"] not in CONTENT_TYPES:
                raise c.invalid(f"Content type must be one of [{', '.join(CONTENT_TYPES)}]")
            if len(config.get("MessageBody") or "") > 1024:
                raise c.invalid("A fixed response message body can be at most 1024 characters")
            entry["FixedResponseConfig"] = {k: v for k, v in config.items() if v is not None}
        elif kind in AUTHENTICATE:
            if protocol != "HTTPS":
                raise c.invalid("Authenticate actions can only be used on HTTPS listeners")
            entry.update(_authenticate(kind, action))
        else:
            raise c.invalid(f"Action type '{kind}' must be one of [{', '.join(TERMINAL + AUTHENTICATE)}]")
        out.append((order, entry))
    out.sort(key=lambda pair: pair[0])
    ordered = [entry for _, entry in out]
    terminal = [a for a in ordered if a["Type"] in TERMINAL]
    if len(terminal) != 1 or ordered[-1]["Type"] not in TERMINAL:
        raise c.invalid(
            "Exactly one forward, redirect or fixed-response action must be specified, and it must be last"
        )
    return ordered


def _forward(action: dict[str, Any], tg_check: Any) -> dict[str, Any]:
    single = action.get("TargetGroupArn")
    config = action.get("ForwardConfig")
    groups = list((config or {}).get("TargetGroups") or [])
    if single and groups:
        if len(groups) != 1 or groups[0].get("TargetGroupArn") != single:
            raise c.invalid(
                "You cannot specify both a target group ARN and a forward config with other target groups"
            )
    if not single and not groups:
        raise c.invalid("A forward action must have a target group")
    if not groups:
        groups = [{"TargetGroupArn": single}]
    if len(groups) > 5:
        raise c.error("TooManyTargetGroups", "A forward action can have at most 5 target groups")
    seen: set[str] = set()
    shaped = []
    for group in groups:
        arn = group.get("TargetGroupArn") or ""
        if arn in seen:
            raise c.invalid(f"Target group '{arn}' is specified more than once")
        seen.add(arn)
        weight = group.get("Weight", 1)
        if not 0 <= weight <= 999:
            raise c.invalid("Target group weight must be between 0 and 999")
        tg_check(arn)
        shaped.append({"TargetGroupArn": arn, "Weight": weight})
    stickiness = dict((config or {}).get("TargetGroupStickinessConfig") or {"Enabled": False})
    if stickiness.get("Enabled"):
        duration = stickiness.get("DurationSeconds")
        if duration is None or not 1 <= duration <= 604800:
            raise c.invalid("Target group stickiness duration must be between 1 and 604800 seconds")
    entry: dict[str, Any] = {
        "ForwardConfig": {"TargetGroups": shaped, "TargetGroupStickinessConfig": stickiness}
    }
    if len(shaped) == 1:
        entry["TargetGroupArn"] = shaped[0]["TargetGroupArn"]
    return entry


_AUTH_REQUIRED = {
    "authenticate-oidc": (
        "AuthenticateOidcConfig",
        ("Issuer", "AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint", "ClientId"),
    ),
    "authenticate-cognito": (
        "AuthenticateCognitoConfig",
        ("UserPoolArn", "UserPoolClientId", "UserPoolDomain"),
    ),
    "jwt-validation": ("JwtValidationConfig", ("JwksEndpoint", "Issuer")),
}


def _authenticate(kind: str, action: dict[str, Any]) -> dict[str, Any]:
    key, required = _AUTH_REQUIRED[kind]
    config = dict(action.get(key) or {})
    for name in required:
        if not config.get(name):
            raise c.invalid(f"'{name}' must be specified for '{kind}' actions")
    if (
        kind == "authenticate-oidc"
        and not config.get("ClientSecret")
        and not config.get("UseExistingClientSecret")
    ):
        raise c.invalid("'ClientSecret' must be specified for 'authenticate-oidc' actions")
    if kind != "jwt-validation":
        config.setdefault("SessionCookieName", "AWSELBAuthSessionCookie")
        config.setdefault("Scope", "openid")
        config.setdefault("SessionTimeout", 604800)
        config.setdefault("OnUnauthenticatedRequest", "authenticate")
        if config["OnUnauthenticatedRequest"] not in ("deny", "allow", "authenticate"):
            raise c.invalid("OnUnauthenticatedRequest must be 'deny', 'allow' or 'authenticate'")
    return {key: config}


def shown_actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Actions as ELB answers them: an OIDC client secret is never shown."""
    out = []
    for action in actions:
        if "AuthenticateOidcConfig" in action:
            config = {k: v for k, v in action["AuthenticateOidcConfig"].items() if k != "ClientSecret"}
            action = {**action, "AuthenticateOidcConfig": config}
        out.append(action)
    return out
