"""SigV4 verification against requests botocore's own signers signed."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from overcast.errors import ServiceError
from overcast.http import Request
from overcast.signing import verify_request

SECRETS = {"AKIDEXAMPLE": "secret-example", "test": "test"}.get


def wire(aws_request: AWSRequest, body: bytes = b"") -> Request:
    prepared = aws_request.prepare()
    parts = urlsplit(prepared.url)
    headers = {
        name.lower(): value.decode() if isinstance(value, bytes) else value
        for name, value in prepared.headers.items()
    }
    headers.setdefault("host", parts.netloc)
    return Request(prepared.method, parts.path or "/", parts.query, headers, body)


def signed(
    signer_class,
    method="GET",
    url="http://localhost:4566/bucket/key",
    body=b"",
    headers=None,
    service="s3",
    key="AKIDEXAMPLE",
    secret="secret-example",
    **signer_args,
) -> Request:
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    request.context["timestamp"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    signer_class(Credentials(key, secret), service, "us-east-1", **signer_args).add_auth(request)
    return wire(request, body)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:4566/bucket/key",
        "http://localhost:4566/bucket/a%20b/%2E%2E/c%2Bd/%E2%82%AC?list-type=2&prefix=a%2Fb&acl",
        "http://localhost:4566/bucket//double//slash",
    ],
)
def test_s3_header_signed_requests_verify(url):
    verify_request(signed(S3SigV4Auth, "PUT", url, b"hello"), SECRETS)


def test_other_service_header_signed_request_verifies():
    request = signed(
        SigV4Auth,
        "POST",
        "http://localhost:4566/",
        b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        service="sts",
    )
    verify_request(request, SECRETS)


def test_wrong_secret_is_signature_does_not_match():
    request = signed(S3SigV4Auth, "PUT", body=b"x", secret="other")
    with pytest.raises(ServiceError) as caught:
        verify_request(request, SECRETS)
    assert caught.value.code == "SignatureDoesNotMatch" and caught.value.status == 403
    assert "CanonicalRequest" in caught.value.fields


def test_json_protocol_error_code():
    request = signed(SigV4Auth, "POST", "http://localhost:4566/", b"{}", service="dynamodb", secret="bad")
    with pytest.raises(ServiceError) as caught:
        verify_request(request, SECRETS, protocol="json")
    assert caught.value.code == "InvalidSignatureException"


def test_unknown_key_is_accepted():
    verify_request(signed(S3SigV4Auth, key="AKIDUNKNOWN", secret="whatever"), SECRETS)


def test_tampered_body_hash():
    request = signed(S3SigV4Auth, "PUT", body=b"hello")
    request.body = b"HELLO"
    with pytest.raises(ServiceError) as caught:
        verify_request(request, SECRETS)
    assert caught.value.code == "XAmzContentSHA256Mismatch"


def test_presigned_url_verifies_and_tampering_fails():
    request = signed(S3SigV4QueryAuth, url="http://localhost:4566/bucket/some%20key", expires=60)
    verify_request(request, SECRETS)
    request.raw_path = "/bucket/other"
    with pytest.raises(ServiceError) as caught:
        verify_request(request, SECRETS)
    assert caught.value.code == "SignatureDoesNotMatch"


def test_presigned_url_expires():
    request = signed(S3SigV4QueryAuth, expires=10)
    verify_request(request, SECRETS, now=time.time() + 5)
    with pytest.raises(ServiceError) as caught:
        verify_request(request, SECRETS, now=time.time() + 60)
    assert (caught.value.code, caught.value.message, caught.value.status) == (
        "AccessDenied",
        "Request has expired",
        403,
    )


def test_presigned_non_s3_verifies():
    request = signed(
        SigV4QueryAuth,
        url="http://localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15",
        service="sts",
        expires=60,
    )
    verify_request(request, SECRETS)


def test_virtual_host_rewrite_keeps_the_signed_path():
    request = signed(S3SigV4Auth, url="http://b.s3.localhost.localstack.cloud:4566/key")
    request.rewrite_path("/b/key")
    verify_request(request, SECRETS)


def test_skewed_clock():
    request = signed(S3SigV4Auth)
    with pytest.raises(ServiceError) as caught:
        verify_request(request, SECRETS, now=time.time() + 3600)
    assert caught.value.code == "RequestTimeTooSkewed"


@pytest.mark.parametrize(
    "marker", ["STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "UNSIGNED-PAYLOAD"]
)
def test_payload_markers_are_signed_as_sent(marker):
    body = b"5\r\nhello\r\n0\r\n\r\n"
    aws_request = AWSRequest(method="PUT", url="http://localhost:4566/bucket/key", data=body)
    aws_request.context["timestamp"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    signer = S3SigV4Auth(Credentials("AKIDEXAMPLE", "secret-example"), "s3", "us-east-1")
    signer.payload = lambda _request: marker
    signer.add_auth(aws_request)
    request = wire(aws_request, body)
    assert request.headers["x-amz-content-sha256"] == marker
    if marker == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD":
        # The seed signature is right, but a signed stream's chunks must carry signatures too
        # (tests/unit/s3/test_chunk_signatures.py).
        with pytest.raises(ServiceError) as caught:
            verify_request(request, SECRETS)
        assert caught.value.code == "SignatureDoesNotMatch"
        assert caught.value.fields["StringToSign"].startswith("AWS4-HMAC-SHA256-PAYLOAD\n")
    else:
        verify_request(request, SECRETS)
    request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD" if marker != "UNSIGNED-PAYLOAD" else "x"
    with pytest.raises(ServiceError):
        verify_request(request, SECRETS)


# -- strict mode (--enforce-iam): every signature verified, or refused ---------------------------


def _code(call) -> str:
    with pytest.raises(ServiceError) as error:
        call()
    return error.value.code


@pytest.mark.parametrize(
    ("service", "protocol", "code"),
    [
        ("s3", "rest-xml", "InvalidAccessKeyId"),
        ("sts", "query", "InvalidClientTokenId"),
        ("dynamodb", "json", "UnrecognizedClientException"),
    ],
)
def test_strict_refuses_an_unknown_key(service, protocol, code):
    request = signed(SigV4Auth, "POST", "http://localhost:4566/", b"{}", service=service, key="AKIDUNKNOWN")
    verify_request(request, SECRETS, protocol=protocol)  # lenient: cannot be checked, passes
    assert (
        _code(lambda: verify_request(request, SECRETS, protocol=protocol, strict=True, service=service))
        == code
    )


def _sigv2(method="GET", url="http://localhost:4566/bucket/key?acl", headers=None, secret="secret-example"):
    from botocore.auth import HmacV1Auth

    request = AWSRequest(method=method, url=url, headers=headers or {})
    HmacV1Auth(Credentials("AKIDEXAMPLE", secret)).add_auth(request)
    return wire(request)


def test_strict_verifies_s3_sigv2_header_signatures():
    good = _sigv2(headers={"x-amz-meta-a": "b", "Content-Type": "text/plain"})
    verify_request(good, SECRETS, protocol="rest-xml", strict=True, service="s3")
    bad = _sigv2(secret="wrong")
    verify_request(bad, SECRETS, protocol="rest-xml")  # lenient: SigV2 headers are not checked
    assert _code(lambda: verify_request(bad, SECRETS, protocol="rest-xml", strict=True, service="s3")) == (
        "SignatureDoesNotMatch"
    )


def test_strict_refuses_sigv2_outside_s3_and_unknown_schemes():
    request = _sigv2(url="http://localhost:4566/")
    assert _code(lambda: verify_request(request, SECRETS, protocol="query", strict=True, service="sqs")) == (
        "IncompleteSignature"
    )
    request.headers["authorization"] = "Bearer abc"
    assert _code(
        lambda: verify_request(request, SECRETS, protocol="rest-xml", strict=True, service="s3")
    ) == ("InvalidArgument")


def test_strict_needs_the_host_signed_and_s3s_amz_headers_signed():
    request = signed(SigV4Auth, "POST", "http://localhost:4566/", b"Action=ListQueues", service="sqs")
    request.headers["authorization"] = request.headers["authorization"].replace(
        "SignedHeaders=host;", "SignedHeaders="
    )
    assert _code(lambda: verify_request(request, SECRETS, protocol="query", strict=True, service="sqs")) == (
        "IncompleteSignature"
    )
    s3 = signed(S3SigV4Auth, "PUT", body=b"x")
    s3.headers["x-amz-acl"] = "public-read"  # added after signing
    assert _code(lambda: verify_request(s3, SECRETS, protocol="rest-xml", strict=True, service="s3")) == (
        "AccessDenied"
    )


def test_strict_signs_the_body_outside_s3_whatever_the_payload_header_says():
    request = AWSRequest(
        method="POST",
        url="http://localhost:4566/",
        data=b"Action=ListQueues",
        headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
    )
    request.context["timestamp"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret-example"), "sqs", "us-east-1").add_auth(request)
    swapped = wire(request, b"Action=DeleteQueue")
    swapped.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    verify_request(swapped, SECRETS, protocol="query")  # lenient: the signed marker is trusted
    assert _code(lambda: verify_request(swapped, SECRETS, protocol="query", strict=True, service="sqs")) == (
        "SignatureDoesNotMatch"
    )


def test_signer_key_is_the_key_verification_checks():
    from overcast.signing import signer_key

    assert (
        signer_key(signed(SigV4Auth, "POST", "http://localhost:4566/", b"x", service="sqs")) == "AKIDEXAMPLE"
    )
    assert signer_key(_sigv2()) == "AKIDEXAMPLE"
    presigned = signed(S3SigV4QueryAuth, expires=60)
    assert signer_key(presigned) == "AKIDEXAMPLE"
    assert signer_key(Request("GET", "/", "", {}, b"")) is None
