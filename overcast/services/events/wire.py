"""EventBridge on the wire: the name and ARN patterns AWS checks with the model's other
constraints (one validation message for all), and the order its messages list enum values in
(AWS's recorded answers, not the model's order)."""

from __future__ import annotations

from overcast.protocols.wire import Wire

WIRE = Wire(
    checked_patterns=frozenset(
        {
            "RuleName",
            "TargetId",
            "EventBusName",
            "NonPartnerEventBusName",
            "ConnectionName",
            "ApiDestinationName",
            "ArchiveName",
            "ReplayName",
            "EndpointName",
            "ConnectionArn",
            "StatementId",
        }
    ),
    # AWS takes an OAuth method in any case ("put"); connections.py checks it.
    service_checked_enums=frozenset({"ConnectionOAuthHttpMethod"}),
    enum_orders={
        "ConnectionAuthorizationType": ("BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY"),
        "ApiDestinationHttpMethod": ("HEAD", "POST", "PATCH", "DELETE", "PUT", "GET", "OPTIONS"),
    },
)
