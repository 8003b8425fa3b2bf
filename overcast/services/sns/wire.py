"""SNS on the wire: how it words a missing required parameter.

A missing top-level string parameter is SNS's own InvalidParameter ("Invalid parameter:
SubscriptionArn Reason: no value for required parameter"); a missing map or list, or a member
inside a structure, keeps the protocol's Coral message ("Value null at 'attributes' ...",
"Value null at 'messageAttributes.attr1.member.dataType' ..."): AWS's recorded answers."""

from __future__ import annotations

from botocore.loaders import create_loader

from overcast.protocols.wire import Wire


def _missing_messages() -> dict[tuple[str, str], tuple[str, str]]:
    model = create_loader().load_service_model("sns", "service-2")
    messages = {}
    for name, operation in model["operations"].items():
        shape = model["shapes"][operation["input"]["shape"]] if "input" in operation else {}
        for member in shape.get("required", ()):
            if model["shapes"][shape["members"][member]["shape"]]["type"] != "string":
                continue
            messages[(name, member)] = (
                "InvalidParameter",
                f"Invalid parameter: {member} Reason: no value for required parameter",
            )
    return messages


WIRE = Wire(
    missing_messages=_missing_messages(),
    # AWS reads the application's ARN before it notices an empty Attributes map (recorded:
    # "An ARN must have at least 6 elements, not 1" for `invalid-arn` with `Attributes={}`).
    provider_checked_missing=frozenset({("SetPlatformApplicationAttributes", "Attributes")}),
)
