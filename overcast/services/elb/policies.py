"""Classic load balancer policies: the policy types ELB offers, the predefined SSL negotiation
policies, and a load balancer's own policies (stickiness, proxy protocol, SSL negotiation,
back-end authentication)."""

from __future__ import annotations

from typing import Any


def _attribute(
    name: str, kind: str, cardinality: str, description: str = "", default: str | None = None
) -> dict:
    out = {
        "AttributeName": name,
        "AttributeType": kind,
        "Cardinality": cardinality,
        "Description": description,
    }
    if default is not None:
        out["DefaultValue"] = default
    return out


_SSL_OPTIONS = [
    "Protocol-SSLv3",
    "Protocol-TLSv1",
    "Protocol-TLSv1.1",
    "Protocol-TLSv1.2",
    "Server-Defined-Cipher-Order",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "AES128-GCM-SHA256",
    "AES128-SHA256",
    "AES128-SHA",
    "AES256-GCM-SHA384",
    "AES256-SHA256",
    "AES256-SHA",
]

POLICY_TYPES: dict[str, dict[str, Any]] = {
    "ProxyProtocolPolicyType": {
        "Description": "Policy that controls whether to include the IP address and port of the originating request "
        "for TCP messages. This policy operates on TCP listeners only.",
        "PolicyAttributeTypeDescriptions": [_attribute("ProxyProtocol", "Boolean", "ONE")],
    },
    "SSLNegotiationPolicyType": {
        "Description": "Listener policy that defines the ciphers and protocols that will be accepted by the load balancer.",
        "PolicyAttributeTypeDescriptions": [_attribute("Reference-Security-Policy", "String", "ZERO_OR_ONE")]
        + [_attribute(name, "Boolean", "ZERO_OR_ONE", default="false") for name in _SSL_OPTIONS],
    },
    "BackendServerAuthenticationPolicyType": {
        "Description": "Policy that controls authentication to back-end server(s) and contains one or more policies, "
        "such as an instance of a PublicKeyPolicyType.",
        "PolicyAttributeTypeDescriptions": [_attribute("PublicKeyPolicyName", "PolicyName", "ONE_OR_MORE")],
    },
    "PublicKeyPolicyType": {
        "Description": "Policy containing a list of public keys to accept when authenticating the back-end server(s).",
        "PolicyAttributeTypeDescriptions": [_attribute("PublicKey", "String", "ONE")],
    },
    "AppCookieStickinessPolicyType": {
        "Description": "Stickiness policy with session lifetimes controlled by the lifetime of the application-generated cookie.",
        "PolicyAttributeTypeDescriptions": [_attribute("CookieName", "String", "ONE")],
    },
    "LBCookieStickinessPolicyType": {
        "Description": "Stickiness policy with session lifetimes controlled by the browser (user-agent) or a specified "
        "expiration period.",
        "PolicyAttributeTypeDescriptions": [_attribute("CookieExpirationPeriod", "Long", "ZERO_OR_ONE")],
    },
}

#: The predefined SSL negotiation policies, by name: the options each enables.
_PREDEFINED = {
    "ELBSecurityPolicy-2016-08": [
        "Protocol-TLSv1",
        "Protocol-TLSv1.1",
        "Protocol-TLSv1.2",
        "Server-Defined-Cipher-Order",
        *_SSL_OPTIONS[5:],
    ],
    "ELBSecurityPolicy-TLS-1-2-2017-01": ["Protocol-TLSv1.2", "Server-Defined-Cipher-Order"]
    + [c for c in _SSL_OPTIONS[5:] if not c.endswith("-SHA")],
    "ELBSecurityPolicy-TLS-1-1-2017-01": [
        "Protocol-TLSv1.1",
        "Protocol-TLSv1.2",
        "Server-Defined-Cipher-Order",
        *_SSL_OPTIONS[5:],
    ],
    "ELBSecurityPolicy-2015-05": [
        "Protocol-TLSv1",
        "Protocol-TLSv1.1",
        "Protocol-TLSv1.2",
        "Server-Defined-Cipher-Order",
        *_SSL_OPTIONS[5:],
    ],
    "ELBSample-ELBDefaultNegotiationPolicy": [
        "Protocol-TLSv1",
        "Protocol-TLSv1.1",
        "Protocol-TLSv1.2",
        *_SSL_OPTIONS[5:],
    ],
}


def predefined() -> list[dict[str, Any]]:
    return [
        {
            "PolicyName": name,
            "PolicyTypeName": "SSLNegotiationPolicyType",
            "PolicyAttributeDescriptions": [
                {"AttributeName": option, "AttributeValue": "true" if option in enabled else "false"}
                for option in _SSL_OPTIONS
            ],
        }
        for name, enabled in _PREDEFINED.items()
    ]


def expand_reference(attributes: list[dict[str, str]]) -> list[dict[str, str]] | None:
    """An SSL negotiation policy's attributes with a Reference-Security-Policy expanded (None
    when the referenced policy does not exist)."""
    reference = next((a for a in attributes if a.get("AttributeName") == "Reference-Security-Policy"), None)
    if reference is None:
        return attributes
    enabled = _PREDEFINED.get(reference.get("AttributeValue") or "")
    if enabled is None:
        return None
    return [dict(reference)] + [
        {"AttributeName": option, "AttributeValue": "true" if option in enabled else "false"}
        for option in _SSL_OPTIONS
    ]
