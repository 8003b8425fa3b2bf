"""Enforcement (--enforce-iam) without holes, each found by probing a running server: the root
of another account reaches a resource only through its policy (or S3 ACL); every signature is
verified with the secret of the key that made it (SigV4 header and query, S3's SigV2 header and
query); a key no one issued is refused; unsigned requests are refused except where AWS serves
them anonymously."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.integration.iam.conftest import unique

OTHER = "222222222222"  # the root of account B, signing with the root secret `test`


@pytest.fixture(scope="module")
def make(enforced):
    def client(service, key="test", secret="test", token=None, **kwargs):
        session = boto3.session.Session(
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            region_name="us-east-1",
        )
        return session.client(service, endpoint_url=enforced.endpoint, **kwargs)

    return client


def error_of(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as error:
        call()
    response = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def raw(endpoint: str, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    request = urllib.request.Request(endpoint + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def grant(principal: str, action: str, resource: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, "Resource": resource}
            ],
        }
    )


# -- the root of another account --------------------------------------------------------------


def test_another_accounts_root_cannot_read_or_write_a_bucket_without_a_grant(make):
    bucket = unique("holes-s3")
    make("s3").create_bucket(Bucket=bucket)
    make("s3").put_object(Bucket=bucket, Key="k", Body=b"secret")
    other = make("s3", OTHER)
    assert error_of(lambda: other.get_object(Bucket=bucket, Key="k")) == ("AccessDenied", 403)
    assert error_of(lambda: other.put_object(Bucket=bucket, Key="b", Body=b"x")) == ("AccessDenied", 403)
    everyone = grant("*", "s3:GetObject", f"arn:aws:s3:::{bucket}/*")
    assert error_of(lambda: other.put_bucket_policy(Bucket=bucket, Policy=everyone)) == ("AccessDenied", 403)
    assert make("s3").get_object(Bucket=bucket, Key="k")["Body"].read() == b"secret"


def test_a_bucket_policy_or_an_acl_grants_another_account(make):
    bucket = unique("holes-s3-grant")
    owner = make("s3")
    owner.create_bucket(Bucket=bucket)
    owner.put_object(Bucket=bucket, Key="shared", Body=b"by policy")
    owner.put_object(Bucket=bucket, Key="acl", Body=b"by acl")
    other = make("s3", OTHER)
    owner.put_bucket_policy(
        Bucket=bucket,
        Policy=grant(f"arn:aws:iam::{OTHER}:root", "s3:GetObject", f"arn:aws:s3:::{bucket}/shared"),
    )
    assert other.get_object(Bucket=bucket, Key="shared")["Body"].read() == b"by policy"
    assert error_of(lambda: other.get_object(Bucket=bucket, Key="acl")) == ("AccessDenied", 403)
    owner.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    canonical = make("s3", OTHER).list_buckets()["Owner"]["ID"]
    owner.put_object_acl(Bucket=bucket, Key="acl", GrantRead=f'id="{canonical}"')
    assert other.get_object(Bucket=bucket, Key="acl")["Body"].read() == b"by acl"


def test_another_accounts_root_reaches_a_queue_only_through_its_policy(make):
    queue = make("sqs").create_queue(QueueName=unique("holes-q"))["QueueUrl"]
    make("sqs").send_message(QueueUrl=queue, MessageBody="mine")
    other = make("sqs", OTHER)
    assert error_of(lambda: other.send_message(QueueUrl=queue, MessageBody="b"))[0] == "AccessDenied"
    assert error_of(lambda: other.receive_message(QueueUrl=queue))[0] == "AccessDenied"
    arn = make("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    make("sqs").set_queue_attributes(
        QueueUrl=queue, Attributes={"Policy": grant(OTHER, "sqs:SendMessage", arn)}
    )
    assert other.send_message(QueueUrl=queue, MessageBody="granted")["MessageId"]
    assert error_of(lambda: other.receive_message(QueueUrl=queue))[0] == "AccessDenied"


def test_another_accounts_root_reaches_a_topic_only_through_its_policy(make):
    topic = make("sns").create_topic(Name=unique("holes-t"))["TopicArn"]
    other = make("sns", OTHER)
    assert error_of(lambda: other.publish(TopicArn=topic, Message="b")) == ("AuthorizationError", 403)
    endpoint = f"arn:aws:sqs:us-east-1:{OTHER}:inbox"
    assert error_of(lambda: other.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint))[0] == (
        "AuthorizationError"
    )
    make("sns").set_topic_attributes(
        TopicArn=topic, AttributeName="Policy", AttributeValue=grant(OTHER, "sns:Publish", topic)
    )
    assert other.publish(TopicArn=topic, Message="granted")["MessageId"]


def test_another_accounts_root_uses_a_kms_key_only_through_its_key_policy(make):
    kms = make("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    other = make("kms", OTHER)
    assert error_of(lambda: other.encrypt(KeyId=key, Plaintext=b"x"))[0] == "AccessDeniedException"
    document = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    document["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
            "Action": "kms:Encrypt",
            "Resource": "*",
        }
    )
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(document))
    assert other.encrypt(KeyId=key, Plaintext=b"x")["KeyId"] == key


# -- which keys, and every signature verified ---------------------------------------------------


@pytest.mark.parametrize(
    ("service", "call", "expected"),
    [
        ("sts", lambda c: c.get_caller_identity(), ("InvalidClientTokenId", 403)),
        ("s3", lambda c: c.list_buckets(), ("InvalidAccessKeyId", 403)),
        ("sqs", lambda c: c.list_queues(), ("UnrecognizedClientException", 400)),
        ("dynamodb", lambda c: c.list_tables(), ("UnrecognizedClientException", 400)),
    ],
)
def test_a_key_no_one_issued_is_refused(make, service, call, expected):
    assert error_of(lambda: call(make(service, "AKIDEXAMPLE", "anything"))) == expected


def test_a_root_key_signs_with_the_root_secret(make):
    assert make("sts", OTHER).get_caller_identity()["Arn"] == f"arn:aws:iam::{OTHER}:root"
    assert error_of(lambda: make("sts", OTHER, "not-the-secret").get_caller_identity()) == (
        "SignatureDoesNotMatch",
        403,
    )
    assert (
        error_of(lambda: make("sqs", "000000000000", "wrong").list_queues())[0] == "InvalidSignatureException"
    )


def test_presigned_urls_of_unknown_keys_are_refused_and_good_ones_work(make, enforced):
    bucket = unique("holes-presign")
    make("s3").create_bucket(Bucket=bucket)
    make("s3").put_object(Bucket=bucket, Key="k", Body=b"body")
    for version in ("s3v4", "s3"):
        signer = make("s3", "AKIDEXAMPLE", "x", config=Config(signature_version=version))
        url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
        status, body = raw("", "GET", url)
        assert status == 403 and b"<Code>InvalidAccessKeyId</Code>" in body, (version, body)
        good = make("s3", config=Config(signature_version=version)).generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "k"}
        )
        assert raw("", "GET", good) == (200, b"body")


def test_s3_sigv2_header_signatures_are_verified(make, enforced):
    bucket = unique("holes-v2")
    make("s3").create_bucket(Bucket=bucket)
    make("s3").put_object(Bucket=bucket, Key="k", Body=b"v2")
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
    status, body = raw(
        enforced.endpoint, "GET", f"/{bucket}/k", {"Authorization": "AWS test:Z2FyYmFnZQ==", "Date": date}
    )
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    status, body = raw(
        enforced.endpoint, "GET", "/", {"Authorization": "AWS AKIDEXAMPLE:Z2FyYmFnZQ==", "Date": date}
    )
    assert status == 403 and b"<Code>InvalidAccessKeyId</Code>" in body
    v2 = make("s3", config=Config(signature_version="s3"))  # botocore's HmacV1 header signer
    v2.put_object(Bucket=bucket, Key="v2/with space?", Body=b"signed", ACL="private", Metadata={"a": "b"})
    assert v2.get_object(Bucket=bucket, Key="v2/with space?")["Body"].read() == b"signed"
    assert v2.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    stale = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() - 3600))
    status, body = raw(
        enforced.endpoint, "GET", "/", {"Authorization": "AWS test:Z2FyYmFnZQ==", "Date": stale}
    )
    assert status == 403 and b"<Code>RequestTimeTooSkewed</Code>" in body


def test_sigv2_and_other_schemes_are_refused_outside_s3(enforced):
    status, body = raw(
        enforced.endpoint,
        "POST",
        "/",
        {
            "Authorization": "AWS4-ECDSA-P256-SHA256 Credential=test/20250101/sts/aws4_request, "
            "SignedHeaders=host, Signature=00",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        b"Action=GetCallerIdentity&Version=2011-06-15",
    )
    assert status in (400, 403) and b"GetCallerIdentityResult" not in body


def test_a_body_cannot_be_swapped_under_unsigned_payload(enforced):
    name = unique("holes-swap")
    request = AWSRequest(
        method="POST",
        url=enforced.endpoint + "/",
        data=b"Action=ListQueues&Version=2012-11-05",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD",
        },
    )
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(request)
    swapped = f"Action=CreateQueue&QueueName={name}&Version=2012-11-05".encode()
    status, body = raw(enforced.endpoint, "POST", "/", dict(request.headers.items()), swapped)
    assert status == 403 and b"SignatureDoesNotMatch" in body


def test_s3_refuses_x_amz_headers_the_signature_does_not_cover(make, enforced):
    bucket = unique("holes-unsigned-header")
    make("s3").create_bucket(Bucket=bucket)
    url = make("s3", config=Config(signature_version="s3v4")).generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "k"}
    )
    status, body = raw("", "PUT", url, {"x-amz-acl": "public-read"}, b"x")
    assert status == 403 and b"There were headers present in the request which were not signed" in body
    assert raw("", "PUT", url, {}, b"x")[0] == 200


# -- unsigned requests --------------------------------------------------------------------------


def test_unsigned_requests_are_refused_except_anonymous_operations(enforced):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, body = raw(enforced.endpoint, "POST", "/", form, b"Action=GetCallerIdentity&Version=2011-06-15")
    assert status == 403 and b"<Code>MissingAuthenticationToken</Code>" in body
    status, body = raw(
        enforced.endpoint,
        "POST",
        "/",
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"},
        b"{}",
    )
    assert status == 400 and b"MissingAuthenticationTokenException" in body
    # AssumeRoleWithWebIdentity needs no signature: it reaches STS, which judges the token.
    status, body = raw(
        enforced.endpoint,
        "POST",
        "/",
        form,
        b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::000000000000:role/none"
        b"&RoleSessionName=web&WebIdentityToken=not-a-jwt",
    )
    assert b"MissingAuthenticationToken" not in body and status == 400, body


def test_another_account_subscribes_to_a_logs_destination_only_through_its_access_policy(make):
    owner = make("logs")
    name = unique("holes-dest")
    destination = owner.put_destination(
        destinationName=name,
        targetArn=f"arn:aws:kinesis:us-east-1:000000000000:stream/{name}",
        roleArn="arn:aws:iam::000000000000:role/logs-to-kinesis",
    )["destination"]["arn"]
    sender = make("logs", OTHER)
    group = unique("holes-group")
    sender.create_log_group(logGroupName=group)

    def subscribe():
        sender.put_subscription_filter(
            logGroupName=group, filterName="f", filterPattern="", destinationArn=destination
        )

    assert error_of(subscribe) == ("AccessDeniedException", 400)
    owner.put_destination_policy(
        destinationName=name, accessPolicy=grant(OTHER, "logs:PutSubscriptionFilter", destination)
    )
    subscribe()
    assert sender.describe_subscription_filters(logGroupName=group)["subscriptionFilters"][0][
        "destinationArn"
    ] == (destination)


@pytest.mark.parametrize(
    ("service", "call", "expected"),
    [
        ("sqs", lambda c: c.list_queues(), ("UnrecognizedClientException", 400)),
        ("sts", lambda c: c.get_caller_identity(), ("InvalidClientTokenId", 403)),
        ("s3", lambda c: c.list_buckets(), ("InvalidToken", 400)),
    ],
)
def test_a_long_term_key_with_a_session_token_is_refused(make, service, call, expected):
    assert error_of(lambda: call(make(service, token="forged-session-token"))) == expected


def test_s3_refuses_a_credential_scoped_to_another_region_than_the_buckets(make, enforced):
    bucket = unique("holes-region")
    make("s3").create_bucket(Bucket=bucket)
    make("s3").put_object(Bucket=bucket, Key="k", Body=b"x")
    iam = make("iam")
    name = unique("holes-eu-only")
    iam.create_user(UserName=name)
    only_in_eu = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    iam.put_user_policy(
        UserName=name,
        PolicyName="eu",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": only_in_eu}
                ],
            }
        ),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    from botocore.auth import S3SigV4Auth

    request = AWSRequest(method="GET", url=f"{enforced.endpoint}/{bucket}/k")
    S3SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "s3", "eu-west-1").add_auth(request)
    status, body = raw(enforced.endpoint, "GET", f"/{bucket}/k", dict(request.headers.items()))
    assert status == 400 and b"<Code>AuthorizationHeaderMalformed</Code>" in body
    assert b"<Region>us-east-1</Region>" in body
    # boto3 follows the Region S3 names, and the policy then denies the request.
    session = boto3.session.Session(key["AccessKeyId"], key["SecretAccessKey"], region_name="eu-west-1")
    user = session.client("s3", endpoint_url=enforced.endpoint)
    assert error_of(lambda: user.get_object(Bucket=bucket, Key="k")) == ("AccessDenied", 403)
    assert make("s3", region_name="eu-west-1").get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_another_accounts_root_reaches_a_secret_only_through_its_resource_policy(make):
    kms = make("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    document = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    document["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(document))
    owner = make("secretsmanager")
    arn = owner.create_secret(Name=unique("holes-secret"), SecretString="s", KmsKeyId=key)["ARN"]
    other = make("secretsmanager", OTHER)
    denied_to_other = ("AccessDeniedException", 400)
    assert error_of(lambda: other.get_secret_value(SecretId=arn)) == denied_to_other
    assert error_of(lambda: other.batch_get_secret_value(SecretIdList=[arn])) == denied_to_other
    assert error_of(lambda: other.put_secret_value(SecretId=arn, SecretString="x")) == denied_to_other
    assert error_of(lambda: other.delete_secret(SecretId=arn)) == denied_to_other
    owner.put_resource_policy(SecretId=arn, ResourcePolicy=grant(OTHER, "secretsmanager:GetSecretValue", "*"))
    assert other.get_secret_value(SecretId=arn)["SecretString"] == "s"
    assert error_of(lambda: other.delete_secret(SecretId=arn)) == denied_to_other
    assert owner.get_secret_value(SecretId=arn)["SecretString"] == "s"


def test_what_only_the_owners_account_may_do_no_policy_grants_another(make):
    queue = make("sqs").create_queue(QueueName=unique("holes-owner-q"))["QueueUrl"]
    arn = make("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    make("sqs").set_queue_attributes(QueueUrl=queue, Attributes={"Policy": grant(OTHER, "sqs:*", arn)})
    other = make("sqs", OTHER)
    assert other.send_message(QueueUrl=queue, MessageBody="granted")["MessageId"]
    everyone = grant("*", "sqs:*", arn)
    assert error_of(lambda: other.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": everyone}))[
        0
    ] == ("AccessDenied")
    assert error_of(lambda: other.delete_queue(QueueUrl=queue))[0] == "AccessDenied"
    assert error_of(lambda: other.tag_queue(QueueUrl=queue, Tags={"a": "b"}))[0] == "AccessDenied"

    bucket = unique("holes-owner-b")
    make("s3").create_bucket(Bucket=bucket)
    make("s3").put_bucket_policy(
        Bucket=bucket, Policy=grant(OTHER, "s3:*", [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"])
    )
    s3 = make("s3", OTHER)
    s3.put_object(Bucket=bucket, Key="k", Body=b"granted")
    assert error_of(lambda: s3.get_bucket_policy(Bucket=bucket)) == ("AccessDenied", 403)
    assert error_of(lambda: s3.delete_bucket_policy(Bucket=bucket)) == ("AccessDenied", 403)


def test_a_topic_delivers_to_another_accounts_queue_only_through_the_queues_policy(make):
    owner = make("sqs", OTHER)
    sns = make("sns")
    topic = sns.create_topic(Name=unique("holes-fanout"))["TopicArn"]

    def queue(policy: bool) -> tuple[str, str]:
        url = owner.create_queue(QueueName=unique("holes-inbox"))["QueueUrl"]
        arn = owner.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        if policy:
            statement = {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
            }
            document = {"Version": "2012-10-17", "Statement": [statement]}
            owner.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(document)})
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        return url, arn

    def received(url: str) -> list[dict]:
        messages = owner.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        for message in messages:
            owner.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [json.loads(message["Body"]) for message in messages]

    closed, _ = queue(policy=False)
    opened, _ = queue(policy=True)
    assert received(closed) == []  # its owner never let SNS in: not even the confirmation lands
    confirmation = received(opened)
    assert [body["Type"] for body in confirmation] == ["SubscriptionConfirmation"]
    sns.confirm_subscription(TopicArn=topic, Token=confirmation[0]["Token"])
    sns.publish(TopicArn=topic, Message="invited")
    assert [body["Message"] for body in received(opened)] == ["invited"]
    assert received(closed) == []
    owner.set_queue_attributes(QueueUrl=opened, Attributes={"Policy": ""})  # consent withdrawn
    sns.publish(TopicArn=topic, Message="after")
    assert received(opened) == []


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
        "AWS test:AAAA",
    ],
)
def test_a_presigned_url_with_an_authorization_header_is_refused(make, enforced, authorization):
    """The header names the caller, the query carries the signature: mixed, a URL a user with no
    permissions presigned would act as the root key the header names."""
    bucket = unique("holes-mixed")
    make("s3").create_bucket(Bucket=bucket)
    make("s3").put_object(Bucket=bucket, Key="k", Body=b"root only")
    iam = make("iam")
    name = unique("holes-nobody")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    signer = make("s3", key["AccessKeyId"], key["SecretAccessKey"], config=Config(signature_version="s3v4"))
    url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    assert raw("", "GET", url)[0] == 403  # the user may not read it
    status, body = raw("", "GET", url, {"Authorization": authorization})
    assert status == 400 and b"Only one auth mechanism allowed" in body


def test_a_second_credential_smuggled_into_signed_headers_does_not_name_the_caller(make, enforced):
    """Routing found the caller by searching the header for a well-formed Credential=; the
    signature was checked with the first one. A user's signature must not act as the key named
    by a second, smuggled one."""
    from overcast.signing import signature, string_to_sign

    bucket = unique("holes-smuggle")
    make("s3").create_bucket(Bucket=bucket)
    make("s3").put_object(Bucket=bucket, Key="k", Body=b"root only")
    iam = make("iam")
    name = unique("holes-nobody")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    amz_date, date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), "2025"
    smuggled = "Credential=test/20250101/us-east-1/s3/aws4_request"
    signed = f"host;x-amz-content-sha256;x-amz-date;{smuggled}"
    host = enforced.endpoint.split("//", 1)[1]
    headers = (
        f"host:{host}\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:{amz_date}\n{smuggled.lower()}:\n"
    )
    canonical = "\n".join(("GET", f"/{bucket}/k", "", headers, signed.lower(), "UNSIGNED-PAYLOAD"))
    to_sign = string_to_sign(amz_date, date, "us-east-1", "s3", canonical)
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={key['AccessKeyId']}/{date}/us-east-1/s3/aws4_request, "
        f"SignedHeaders={signed}, Signature={signature(key['SecretAccessKey'], date, 'us-east-1', 's3', to_sign)}"
    )
    request_headers = {
        "Authorization": authorization,
        "x-amz-date": amz_date,
        "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
    }
    status, body = raw(enforced.endpoint, "GET", f"/{bucket}/k", request_headers)
    assert status == 400 and b"<Code>AuthorizationHeaderMalformed</Code>" in body


def test_a_bucket_notifies_another_accounts_queue_only_through_the_queues_policy(make):
    owner = make("sqs", OTHER)
    inbox = owner.create_queue(QueueName=unique("holes-events"))["QueueUrl"]
    queue_arn = owner.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3 = make("s3")
    bucket = unique("holes-notifying")
    s3.create_bucket(Bucket=bucket)
    configuration = {"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]}

    def configure():
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration)

    with pytest.raises(ClientError) as refused:
        configure()
    assert refused.value.response["Error"]["Code"] == "InvalidArgument"
    assert (
        refused.value.response["Error"]["Message"]
        == "Unable to validate the following destination configurations"
    )
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}},
    }
    owner.set_queue_attributes(
        QueueUrl=inbox, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}
    )
    configure()
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    bodies = []
    for _ in range(5):
        messages = owner.receive_message(QueueUrl=inbox, WaitTimeSeconds=1).get("Messages", [])
        bodies += [json.loads(message["Body"]) for message in messages]
        if any("Records" in body for body in bodies):
            break
    assert any(body.get("Records", [{}])[0].get("eventName") == "ObjectCreated:Put" for body in bodies)
