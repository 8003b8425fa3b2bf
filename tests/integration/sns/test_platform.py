"""Mobile push: platform applications and endpoints, direct publishes to an endpoint and
"application" subscriptions, recorded for inspection."""

from __future__ import annotations

import json

from tests.integration.sns.conftest import unique
from tests.integration.sns.test_topics import error_of


def test_applications_and_endpoints(sns, recorded):
    name = unique("app")
    app = sns.create_platform_application(Name=name, Platform="GCM",
                                          Attributes={"PlatformCredential": "api-key"})["PlatformApplicationArn"]  # fmt: skip
    assert app == f"arn:aws:sns:us-east-1:000000000000:app/GCM/{name}"
    assert sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"] == {
        "Enabled": "true"
    }
    listed = [a["PlatformApplicationArn"] for a in sns.list_platform_applications()["PlatformApplications"]]
    assert app in listed

    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1",
                                            CustomUserData="alice")["EndpointArn"]  # fmt: skip
    assert endpoint.startswith(f"arn:aws:sns:us-east-1:000000000000:endpoint/GCM/{name}/")
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1",
                                        CustomUserData="alice")["EndpointArn"] == endpoint  # fmt: skip
    assert error_of(sns.create_platform_endpoint, PlatformApplicationArn=app, Token="device-1",
                    CustomUserData="bob")[1] == (
        f"Invalid parameter: Token Reason: Endpoint {endpoint} already exists with the same Token, but different"
        " attributes."
    )  # fmt: skip
    assert sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"] == {
        "Enabled": "true",
        "Token": "device-1",
        "CustomUserData": "alice",
    }
    listed = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
    assert [e["EndpointArn"] for e in listed] == [endpoint]

    message = json.dumps({"default": "plain", "GCM": json.dumps({"notification": {"title": "hi"}})})
    message_id = sns.publish(TargetArn=endpoint, Message=message, MessageStructure="json")["MessageId"]
    (pushed,) = [m for m in recorded() if m.get("TargetArn") == endpoint]
    assert pushed["MessageId"] == message_id and json.loads(pushed["Message"]) == {
        "notification": {"title": "hi"}
    }

    topic = sns.create_topic(Name=unique())["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=endpoint)
    sns.publish(TopicArn=topic, Message="to every device")
    assert [m["Message"] for m in recorded(topic_arn=topic)] == ["to every device"]

    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    assert error_of(sns.publish, TargetArn=endpoint, Message="x")[:2] == (
        "EndpointDisabled",
        "Endpoint is disabled",
    )
    # The disabled endpoint is reported before the message itself is looked at.
    assert error_of(sns.publish, TargetArn=endpoint, Message="not json", MessageStructure="json")[:2] == (
        "EndpointDisabled",
        "Endpoint is disabled",
    )
    sns.delete_platform_application(PlatformApplicationArn=app)
    assert error_of(sns.get_endpoint_attributes, EndpointArn=endpoint) == (
        "NotFound",
        "Endpoint does not exist",
        404,
    )
    assert error_of(sns.get_platform_application_attributes, PlatformApplicationArn=app)[:2] == (
        "NotFound",
        "PlatformApplication does not exist",
    )
    assert error_of(sns.publish, TargetArn=endpoint, Message="x")[1] == (
        "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified"
    )


def test_platform_validation(sns, topic):
    assert error_of(sns.create_platform_application, Name="x", Platform="NOKIA",
                    Attributes={"PlatformCredential": "k"})[1] == "Invalid parameter: Platform Reason: NOKIA is not supported"  # fmt: skip
    assert error_of(sns.create_platform_application, Name="a b", Platform="GCM",
                    Attributes={"PlatformCredential": "k"})[0] == "InvalidParameter"  # fmt: skip
    assert error_of(sns.create_platform_application, Name="x", Platform="GCM", Attributes={"Other": "v"})[
        1
    ] == ("Invalid parameter: Attributes Reason: PlatformCredential attribute required")
    # As AWS words each (recorded from AWS).
    for name, attributes, expected in (
        ("", {"PlatformCredential": "k"}, ("InvalidParameter", "Invalid parameter:  Reason: cannot be empty", 400)),
        ("n" * 257, {"PlatformCredential": "k"},
         ("InvalidParameter", f"Invalid parameter: {'n' * 257} Reason: must be at most 256 characters long", 400)),
        ("@name", {"PlatformCredential": "k"},
         ("InvalidParameter", "Invalid parameter: @name Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9',"
          " '_', '-', and '.'", 400)),
        ("x", {}, ("ValidationError", "1 validation error detected: Value null at 'attributes' failed to satisfy"
                   " constraint: Member must not be null", 400)),
        ("x", {"PlatformPrincipal": "p"},
         ("InvalidParameter", "Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without"
          " PlatformCredential", 400)),
    ):  # fmt: skip
        assert (
            error_of(sns.create_platform_application, Name=name, Platform="ADM", Attributes=attributes)
            == expected
        )
    assert error_of(sns.create_platform_application, Name="x", Platform="ADM", Attributes={"PlatformCredential": "c"}) == (
        "InvalidParameter", "Invalid parameter: Attributes Reason: PlatformCredential attribute provided without"
        " PlatformPrincipal", 400,
    )  # fmt: skip
    missing = "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/none/00000000-0000-0000-0000-000000000000"
    assert error_of(sns.subscribe, TopicArn=topic, Protocol="application", Endpoint=missing)[:2] == (
        "NotFound",
        "Endpoint does not exist",
    )


def test_set_platform_application_attributes_checks_the_arn_first(sns):
    # Recorded from AWS: the ARN is read before the empty map, the empty map before existence.
    assert error_of(sns.set_platform_application_attributes, PlatformApplicationArn="invalid-arn", Attributes={}) == (
        "InvalidParameter", "Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 elements,"
        " not 1", 400,
    )  # fmt: skip
    missing = "arn:aws:sns:us-east-1:000000000000:app/ADM/NonExistingApp"
    assert error_of(sns.set_platform_application_attributes, PlatformApplicationArn=missing, Attributes={}) == (
        "ValidationError", "1 validation error detected: Value null at 'attributes' failed to satisfy constraint:"
        " Member must not be null", 400,
    )  # fmt: skip
    assert error_of(sns.set_platform_application_attributes, PlatformApplicationArn=missing,
                    Attributes={"PlatformPrincipal": "dummy"}) == ("NotFound", "PlatformApplication does not exist", 404)  # fmt: skip
    app = sns.create_platform_application(Name=unique("app"), Platform="GCM",
                                          Attributes={"PlatformCredential": "k"})["PlatformApplicationArn"]  # fmt: skip
    sns.set_platform_application_attributes(
        PlatformApplicationArn=app, Attributes={"SuccessFeedbackSampleRate": "50"}
    )
    assert sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"] == {
        "Enabled": "true", "SuccessFeedbackSampleRate": "50",
    }  # fmt: skip
