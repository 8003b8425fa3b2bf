"""Headers a presigned URL carries in its query string (botocore moves the x-amz-* headers it
signs into a SigV2 URL) and the headers it signed that the caller must send."""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.etree import ElementTree

from botocore.config import Config

from tests.integration.s3.conftest import error_of, raw


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def code(body: bytes) -> str:
    return ElementTree.fromstring(body).findtext("Code")


def test_sigv2_query_headers_are_signed_and_applied(s3, bucket, endpoint):
    url = s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": "meta.txt", "Metadata": {"venue": "123"}, "Tagging": "team=web"},
    )
    assert "AWSAccessKeyId=" in url and "x-amz-meta-venue=123" in url
    status, _, body = raw(endpoint, "PUT", path_of(url), {}, b"filecontent")
    assert status == 200, body
    head = s3.head_object(Bucket=bucket, Key="meta.txt")
    assert head["Metadata"] == {"venue": "123"} and head["ContentLength"] == 11
    assert s3.get_object_tagging(Bucket=bucket, Key="meta.txt")["TagSet"] == [{"Key": "team", "Value": "web"}]
    # The query's headers are covered by the signature: changing one breaks it.
    status, _, body = raw(endpoint, "PUT", path_of(url).replace("venue=123", "venue=999"), {}, b"x")
    assert (status, code(body)) == (403, "SignatureDoesNotMatch")


def test_signed_content_type_must_be_sent(s3, bucket, endpoint):
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "typed", "ContentType": "app/sth"}
    )
    for headers in ({}, {"Content-Type": "application/unknown"}):
        status, _, body = raw(endpoint, "PUT", path_of(url), headers, b"filecontent")
        assert (status, code(body)) == (403, "SignatureDoesNotMatch")
    status, _, _ = raw(endpoint, "PUT", path_of(url), {"Content-Type": "app/sth"}, b"filecontent")
    assert status == 200
    got = s3.get_object(Bucket=bucket, Key="typed")
    assert got["ContentType"] == "app/sth" and got["Metadata"] == {}


def test_sigv4_x_amz_query_parameters_count_as_headers(s3, bucket, endpoint):
    # What the JavaScript SDK does by default: x-amz-* headers as signed query parameters.
    from botocore.auth import S3SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="PUT", url=f"{endpoint}/{bucket}/hoisted?x-amz-meta-color=blue&x-amz-storage-class=STANDARD_IA"
    )
    S3SigV4QueryAuth(Credentials("test", "test"), "s3", "us-east-1", expires=60).add_auth(request)
    status, _, body = raw(endpoint, "PUT", path_of(request.url), {}, b"v4 body")
    assert status == 200, body
    head = s3.head_object(Bucket=bucket, Key="hoisted")
    assert head["Metadata"] == {"color": "blue"} and head["StorageClass"] == "STANDARD_IA"


def test_unicode_metadata_in_a_presigned_url_is_kept_rfc2047_encoded(client, s3, bucket, endpoint):
    from botocore.handlers import validate_ascii_metadata

    v2 = client("s3", config=Config(signature_version="s3"))
    v2.meta.events.unregister(
        "before-parameter-build.s3.PutObject", validate_ascii_metadata
    )  # other SDKs send it
    url = v2.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "uni", "Metadata": {"foo": "non-ascii-%E2%80%94_—_é_"}}
    )
    status, _, _ = raw(endpoint, "PUT", url.split(endpoint, 1)[1], {}, b"")
    assert status == 200
    assert s3.head_object(Bucket=bucket, Key="uni")["Metadata"] == {
        "foo": "=?UTF-8?Q?non-ascii-%E2%80%94=5F=E2=80=94=5F=C3=A9=5F?="
    }  # as AWS answers it


def test_a_response_override_no_header_can_carry_is_refused(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x")
    assert error_of(s3.get_object, Bucket=bucket, Key="o", ResponseCacheControl="non-ascii-—_é_") == (
        "InvalidArgument",
        400,
        "Header value cannot be represented using ISO-8859-1.",
    )
    assert error_of(s3.get_object, Bucket=bucket, Key="o", ResponseContentDisposition="a\r\nX-Evil: 1")[
        :2
    ] == ("InvalidArgument", 400)
    got = s3.get_object(
        Bucket=bucket, Key="o", ResponseContentDisposition='attachment; filename="résumé.pdf"'
    )
    assert got["ContentDisposition"] == 'attachment; filename="résumé.pdf"'  # ISO-8859-1 is fine


def test_conditional_headers_signed_into_the_query_apply(bucket, endpoint):
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    # Other SDKs sign If-None-Match into a presigned URL's query; S3 applies it as the header.
    request = botocore.awsrequest.AWSRequest(
        method="PUT", url=f"{endpoint}/{bucket}/once.txt", data={}, params={"If-None-Match": "*"}, headers={}
    )
    botocore.auth.S3SigV4QueryAuth(
        botocore.credentials.Credentials("test", "test"), "s3", "us-east-1"
    ).add_auth(request)
    url = request.prepare().url
    assert raw(endpoint, "PUT", path_of(url), {}, b"first")[0] == 200
    status, _, body = raw(endpoint, "PUT", path_of(url), {}, b"second")
    assert (status, code(body)) == (412, "PreconditionFailed")


def test_a_presigned_url_is_checked_before_a_malformed_chunked_body(s3, bucket, endpoint):
    # AWS recorded: bogus aws-chunked headers on a (SigV2) presigned PUT are refused for the
    # signature (403), not for the body they announce.
    import boto3

    v2 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(signature_version="s3"),
    )  # fmt: skip
    md5 = "pX8KKuGXS1f2VTcuJpqjkw=="
    url = v2.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": "k", "ContentType": "application/octet-stream", "ContentMD5": md5},
    )
    headers = {
        "Content-MD5": md5,
        "Content-Type": "application/octet-stream",
        "X-Amz-Content-Sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "X-Amz-Date": "20211122T191045Z",
        "X-Amz-Decoded-Content-Length": "test",
    }
    status, _, body = raw(endpoint, "PUT", path_of(url), headers, b"test")
    assert (status, code(body)) == (403, "SignatureDoesNotMatch")
