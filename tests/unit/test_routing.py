"""The service router against real requests: each built, signed and captured from a botocore
client exactly as it would go on the wire."""

from __future__ import annotations

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from overcast.http import Request
from overcast.protocols.catalog import load
from overcast.routing import ServiceRouter, credential_scope, host_region
from tests.clients import client_speaking
from tests.conformance.services import SERVICES

ENDPOINT = "http://localhost:4566"

#: One cheap operation per service, with the parameters it needs.
CALLS = {
    "sts": ("get_caller_identity", {}),
    "iam": ("list_users", {}),
    "s3": ("list_buckets", {}),
    "sqs": ("list_queues", {}),
    "sns": ("list_topics", {}),
    "dynamodb": ("list_tables", {}),
    "dynamodbstreams": ("list_streams", {}),
    "lambda": ("list_functions", {}),
    "ec2": ("describe_instances", {}),
    "rds": ("describe_db_instances", {}),
    "elasticache": ("describe_cache_clusters", {}),
    "events": ("list_event_buses", {}),
    "scheduler": ("list_schedules", {}),
    "ecr": ("describe_repositories", {}),
    "ecs": ("list_clusters", {}),
    "eks": ("list_clusters", {}),
    "cloudwatch": ("list_metrics", {}),
    "logs": ("describe_log_groups", {}),
    "cloudtrail": ("describe_trails", {}),
    "xray": ("get_sampling_rules", {}),
    "cloudformation": ("list_stacks", {}),
    "secretsmanager": ("list_secrets", {}),
    "ssm": ("describe_parameters", {}),
    "kms": ("list_keys", {}),
    "route53": ("list_hosted_zones", {}),
    "cloudfront": ("list_distributions", {}),
    "apigateway": ("get_rest_apis", {}),
    "apigatewayv2": ("get_apis", {}),
    "elbv2": ("describe_load_balancers", {}),
    "kinesis": ("list_streams", {}),
    "s3control": ("list_access_points", {"AccountId": "000000000000"}),
    "elb": ("describe_load_balancers", {}),
}


@pytest.fixture(scope="module")
def router() -> ServiceRouter:
    return ServiceRouter(load())


def capture(service: str, operation: str, params: dict, region: str = "us-east-1", **client_args) -> Request:
    """The request a boto3 client sends, as Overcast's server would receive it."""
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=region
    )
    return send_captured(session.client(service, endpoint_url=ENDPOINT, **client_args), operation, params)


def send_captured(client, operation: str, params: dict) -> Request:
    captured = []

    def intercept(request, **kwargs):
        captured.append(request)
        return AWSResponse(request.url, 599, {}, None)

    client.meta.events.register("before-send", intercept)
    try:
        getattr(client, operation)(**params)
    except Exception:
        pass  # the fake 599 answer is not meant to parse
    sent = captured[0]
    url = sent.url.split("://", 1)[1]
    host, _, rest = url.partition("/")
    path, _, query = ("/" + rest).partition("?")
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in sent.headers.items()}
    headers.setdefault("host", host)
    body = sent.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    return Request(method=sent.method, raw_path=path, query_string=query, headers=headers, body=body)


@pytest.mark.parametrize("service", sorted(set(SERVICES) | {"s3control", "elb"}))
def test_every_service_routes_to_itself(router, service):
    operation, params = CALLS[service]
    request = capture(service, operation, params)
    assert router.resolve(request, credential_scope(request)) == service


@pytest.mark.parametrize("protocol", ["smithy-rpc-v2-cbor", "json", "query"])
def test_cloudwatch_in_each_of_its_protocols(router, protocol):
    # botocore picks the first protocol it supports; force the others through the model.
    request = capture_with_protocol("cloudwatch", "list_metrics", protocol)
    assert router.resolve(request, credential_scope(request)) == "cloudwatch"


def capture_with_protocol(service: str, operation: str, protocol: str) -> Request:
    return send_captured(client_speaking(service, protocol, ENDPOINT), operation, {})


def test_credential_scope_names_key_region_and_service():
    request = capture("sqs", "list_queues", {}, region="eu-west-2")
    scope = credential_scope(request)
    assert (scope.access_key_id, scope.region, scope.service) == ("test", "eu-west-2", "sqs")


@pytest.mark.parametrize("signature_version,region", [("s3v4", "us-west-1"), ("s3", "")])
def test_presigned_url_scope(signature_version, region):
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-west-1"
    )
    s3 = session.client("s3", endpoint_url=ENDPOINT, config=Config(signature_version=signature_version))
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    path, _, query = url.split("4566", 1)[1].partition("?")
    request = Request("GET", path, query, {"host": "localhost:4566"})
    scope = credential_scope(request)
    assert (scope.access_key_id, scope.region, scope.service) == ("test", region, "s3")


def test_virtual_hosted_s3_is_rewritten_to_path_style(router):
    request = Request("GET", "/some/key", "", {"host": "my-bucket.s3.localhost.localstack.cloud:4566"})
    assert router.resolve(request, None) == "s3"
    assert request.raw_path == "/my-bucket/some/key"
    request = Request("PUT", "/k", "", {"host": "b.s3.us-west-2.amazonaws.com"})
    assert router.resolve(request, None) == "s3"
    assert request.raw_path == "/b/k"


def test_unsigned_requests(router):
    # Host names the service.
    assert (
        router.resolve(
            Request("POST", "/", "", {"host": "sqs.us-east-1.localhost.localstack.cloud:4566"}), None
        )
        == "sqs"
    )
    # The query protocol's Version names it.
    form = Request(
        "POST",
        "/",
        "",
        {"host": "localhost:4566", "content-type": "application/x-www-form-urlencoded"},
        b"Action=GetCallerIdentity&Version=2011-06-15",
    )
    assert router.resolve(form, None) == "sts"
    # SNS's UnsubscribeURL and SubscribeURL, which carry no Version, as AWS hands them out.
    for query in ("Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:1:t:s",
                  "Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=x"):  # fmt: skip
        assert router.resolve(Request("GET", "/", query, {"host": "localhost:4566"}), None) == "sns"
    # Nothing else: a bucket request.
    assert router.resolve(Request("GET", "/bucket/key", "", {"host": "localhost:4566"}), None) == "s3"


def test_signed_for_an_unknown_service(router):
    signed = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/no-such-service/aws4_request, SignedHeaders=host, Signature=0"
    request = Request("GET", "/", "", {"host": "localhost:4566", "authorization": signed})
    assert router.resolve(request, credential_scope(request)) is None


def test_region_from_host():
    assert host_region("sqs.eu-west-1.amazonaws.com") == "eu-west-1"
    assert host_region("sqs.ap-southeast-2.localhost.localstack.cloud:4566") == "ap-southeast-2"
    assert host_region("bucket.s3.us-west-2.amazonaws.com") == "us-west-2"
    assert host_region("localhost:4566") == host_region("sts.amazonaws.com") == ""


@pytest.mark.parametrize(
    ("operation", "params", "signing_name"),
    [
        ("write_get_object_response", {"RequestRoute": "r", "RequestToken": "t"}, "s3-object-lambda"),
        ("list_directory_buckets", {}, "s3express"),
    ],
)
def test_s3_operations_signed_under_other_names_are_s3s(router, operation, params, signing_name):
    # The endpoint rules, not S3's model, give these operations their signing names.
    from botocore.config import Config

    config = Config(inject_host_prefix=False, s3={"addressing_style": "path"})
    request = capture("s3", operation, params, config=config)
    scope = credential_scope(request)
    assert scope.service == signing_name
    assert router.resolve(request, scope) == "s3"
