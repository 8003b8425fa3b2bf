"""Browser-based uploads (POST Object): the form boto3's generate_presigned_post makes, its
policy conditions and signatures, and the answers S3 gives (204, 201, 303 redirects)."""

from __future__ import annotations

import base64
import json
import uuid
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from botocore.config import Config

from tests.integration.s3.conftest import raw


def form_body(
    fields: dict, file: bytes | None, filename: str | None = "upload.txt", after: dict | None = None
):
    """A multipart/form-data body: the fields, then the file (then fields S3 must ignore)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + str(value).encode()
            + b"\r\n"
        )
    if file is not None:
        disposition = 'form-data; name="file"' + (f'; filename="{filename}"' if filename else "")
        parts.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + file
            + b"\r\n"
        )
    for name, value in (after or {}).items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + str(value).encode()
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post(endpoint, url: str, fields: dict, file: bytes | None, **options):
    body, content_type = form_body(fields, file, **options)
    path = urlsplit(url).path or "/"
    return raw(endpoint, "POST", path, {"Content-Type": content_type}, body)


def error(body: bytes) -> dict:
    return {child.tag: child.text for child in ElementTree.fromstring(body)}


@pytest.fixture(scope="module", params=["s3v4", "s3"])
def signer(request, client):
    return client("s3", config=Config(signature_version=request.param))


def test_presigned_post_uploads_with_fields_and_conditions(s3, signer, bucket, endpoint):
    form = signer.generate_presigned_post(
        bucket,
        "docs/${filename}",
        Fields={"Content-Type": "text/plain", "x-amz-meta-owner": "ann", "success_action_status": "201"},
        Conditions=[
            {"Content-Type": "text/plain"},
            ["starts-with", "$x-amz-meta-owner", ""],
            {"success_action_status": "201"},
            ["content-length-range", 1, 100],
        ],
        ExpiresIn=300,
    )
    status, headers, body = post(endpoint, form["url"], form["fields"], b"hello post", filename="note.txt")
    assert status == 201
    answer = error(body)
    assert answer["Bucket"] == bucket and answer["Key"] == "docs/note.txt"
    assert answer["ETag"] == headers["etag"] == s3.head_object(Bucket=bucket, Key="docs/note.txt")["ETag"]
    assert answer["Location"] == headers["location"] and headers["location"].endswith(
        f"/{bucket}/docs/note.txt"
    )
    got = s3.get_object(Bucket=bucket, Key="docs/note.txt")
    assert got["Body"].read() == b"hello post"
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"owner": "ann"}


def test_default_answer_is_204_and_redirect_is_303(s3, bucket, endpoint):
    form = s3.generate_presigned_post(bucket, "plain.bin")
    status, headers, body = post(endpoint, form["url"], form["fields"], b"abc")
    assert (status, body) == (204, b"")
    assert headers["etag"] == '"900150983cd24fb0d6963f7d28e17f72"'
    assert headers["location"].endswith(f"/{bucket}/plain.bin")
    head = s3.head_object(Bucket=bucket, Key="plain.bin", ChecksumMode="ENABLED")
    assert headers["x-amz-checksum-crc64nvme"] == head["ChecksumCRC64NVME"]
    assert headers["x-amz-checksum-type"] == "FULL_OBJECT"
    assert s3.get_object(Bucket=bucket, Key="plain.bin")["ContentType"] == "binary/octet-stream"

    done = "http://localhost/done?x=1"
    form = s3.generate_presigned_post(
        bucket,
        "redirected.txt",
        Fields={"success_action_redirect": done},
        Conditions=[{"success_action_redirect": done}],
    )
    status, headers, _ = post(endpoint, form["url"], form["fields"], b"redirect me")
    assert status == 303
    target = urlsplit(headers["location"])
    assert headers["location"].startswith("http://localhost/done?")
    query = parse_qs(target.query)
    assert query["x"] == ["1"] and query["bucket"] == [bucket] and query["key"] == ["redirected.txt"]
    assert s3.get_object(Bucket=bucket, Key="redirected.txt")["Body"].read() == b"redirect me"


def test_fields_after_the_file_are_ignored_and_key_needs_no_filename(s3, bucket, endpoint):
    form = s3.generate_presigned_post(bucket, "raw-${filename}")
    status, _, _ = post(
        endpoint,
        form["url"],
        form["fields"],
        b"as a field",
        filename=None,
        after={"x-amz-meta-late": "ignored"},
    )
    assert status == 204
    got = s3.get_object(Bucket=bucket, Key="raw-${filename}")
    assert got["Body"].read() == b"as a field" and got["Metadata"] == {}


def test_policy_conditions_are_enforced(s3, bucket, endpoint):
    form = s3.generate_presigned_post(bucket, "limited.txt", Conditions=[["content-length-range", 5, 10]])
    status, _, body = post(endpoint, form["url"], form["fields"], b"x" * 12)
    assert status == 400 and error(body)["Code"] == "EntityTooLarge"
    assert (error(body)["ProposedSize"], error(body)["MaxSizeAllowed"]) == ("12", "10")
    status, _, body = post(endpoint, form["url"], form["fields"], b"x")
    assert status == 400 and error(body)["Code"] == "EntityTooSmall" and error(body)["MinSizeAllowed"] == "5"

    # A field the policy does not name is refused, and so is a changed key.
    status, _, body = post(endpoint, form["url"], {**form["fields"], "Content-Type": "text/html"}, b"123456")
    assert status == 403 and error(body) | {"RequestId": None, "HostId": None} == {
        "Code": "AccessDenied",
        "Message": "Invalid according to Policy: Extra input fields: Content-Type",
        "RequestId": None,
        "HostId": None,
    }
    status, _, body = post(endpoint, form["url"], {**form["fields"], "key": "other.txt"}, b"123456")
    assert status == 403
    assert (
        error(body)["Message"]
        == 'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "limited.txt"]'
    )

    form = s3.generate_presigned_post(
        bucket,
        "prefixed.txt",
        Fields={"success_action_redirect": "ftp://x"},
        Conditions=[["starts-with", "$success_action_redirect", "http://"]],
    )
    status, _, body = post(endpoint, form["url"], form["fields"], b"abc")
    assert status == 403 and error(body)["Message"] == (
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$success_action_redirect", "http://"]'
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_signature_and_expiry_are_checked(s3, signer, bucket, endpoint):
    form = signer.generate_presigned_post(bucket, "signed.txt")
    fields = dict(form["fields"])
    policy = json.loads(base64.b64decode(fields["policy"]))
    policy["conditions"].append(["content-length-range", 0, 10**9])
    tampered = {**fields, "policy": base64.b64encode(json.dumps(policy).encode()).decode()}
    status, _, body = post(endpoint, form["url"], tampered, b"abc")
    assert status == 403 and error(body)["Code"] == "SignatureDoesNotMatch"
    assert error(body)["StringToSign"] == tampered["policy"]

    signature_field = "x-amz-signature" if "x-amz-signature" in fields else "signature"
    missing = {k: v for k, v in fields.items() if k != signature_field}
    status, _, body = post(endpoint, form["url"], missing, b"abc")
    expected = "X-Amz-Signature" if signature_field == "x-amz-signature" else "Signature"
    assert status == 400 and error(body)["Code"] == "InvalidArgument"
    assert error(body)["Message"] == (
        f"Bucket POST must contain a field named '{expected}'.  If it is specified, "
        "please check the order of the fields."
    )

    expired = signer.generate_presigned_post(bucket, "late.txt", ExpiresIn=-10)
    status, _, body = post(endpoint, expired["url"], expired["fields"], b"abc")
    assert (status, error(body)["Code"], error(body)["Message"]) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
    )


def test_unsigned_form_needs_a_bucket_that_allows_it(s3, bucket, endpoint):
    status, _, body = post(endpoint, f"/{bucket}", {"key": "anon.txt"}, b"abc")
    assert status == 403 and error(body)["Code"] == "AccessDenied"
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:PutObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    }
                ]
            }
        ),
    )
    status, _, _ = post(endpoint, f"/{bucket}", {"key": "anon.txt"}, b"abc")
    assert status == 204
    assert s3.get_object(Bucket=bucket, Key="anon.txt")["Body"].read() == b"abc"


def test_malformed_forms(s3, bucket, endpoint):
    form = s3.generate_presigned_post(bucket, "x.txt")
    status, _, body = post(
        endpoint, form["url"], {k: v for k, v in form["fields"].items() if k != "key"}, b"a"
    )
    assert status == 400 and (error(body)["Code"], error(body)["ArgumentName"]) == ("InvalidArgument", "key")
    status, _, body = post(endpoint, form["url"], form["fields"], None)
    assert status == 400 and error(body)["Message"] == "POST requires exactly one file upload per request."
    status, _, body = raw(endpoint, "POST", f"/{bucket}", {"Content-Type": "text/plain"}, b"key=x")
    assert status == 412 and error(body)["Code"] == "PreconditionFailed"
    assert error(body)["Condition"] == "Bucket POST must be of the enclosure-type multipart/form-data"
    status, _, body = post(endpoint, "/no-such-bucket-post", form["fields"], b"a")
    assert status == 404 and error(body)["Code"] == "NoSuchBucket"


def test_acl_field_follows_object_ownership(s3, bucket, endpoint):
    form = s3.generate_presigned_post(
        bucket, "acl.txt", Fields={"acl": "public-read"}, Conditions=[{"acl": "public-read"}]
    )
    status, _, body = post(endpoint, form["url"], form["fields"], b"abc")
    assert status == 400 and error(body)["Code"] == "AccessControlListNotSupported"
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.delete_public_access_block(Bucket=bucket)
    status, _, _ = post(endpoint, form["url"], form["fields"], b"abc")
    assert status == 204
    grants = s3.get_object_acl(Bucket=bucket, Key="acl.txt")["Grants"]
    assert {
        "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
        "Permission": "READ",
    } in grants


def test_virtual_hosted_form_post_with_cors(s3, bucket, endpoint):
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": ["https://app.example"],
                    "AllowedMethods": ["POST"],
                    "ExposeHeaders": ["ETag"],
                }
            ]
        },
    )
    form = s3.generate_presigned_post(bucket, "vh.txt")
    body, content_type = form_body(form["fields"], b"virtual")
    port = urlsplit(endpoint).port
    status, headers, _ = raw(
        endpoint,
        "POST",
        "/",
        {
            "Content-Type": content_type,
            "Host": f"{bucket}.s3.localhost.localstack.cloud:{port}",
            "Origin": "https://app.example",
        },
        body,
    )
    assert status == 204
    assert headers["access-control-allow-origin"] == "https://app.example"
    assert s3.get_object(Bucket=bucket, Key="vh.txt")["Body"].read() == b"virtual"


def test_a_post_to_an_operation_path_is_no_form_upload(endpoint):
    from tests.integration.s3.conftest import signed_raw

    host = urlsplit(endpoint).netloc
    status, _, body = signed_raw(
        endpoint,
        "POST",
        host,
        "/WriteGetObjectResponse",
        {"x-amz-request-route": "r", "x-amz-request-token": "t"},
        b"x",
    )
    # WriteGetObjectResponse's answer (no Object Lambda request is in flight), not a form upload's.
    assert (status, error(body)["Code"]) == (400, "InvalidRequest")


def test_a_signature_with_any_characters_is_a_mismatch_not_a_failure(signer, bucket, endpoint):
    form = signer.generate_presigned_post(bucket, "sig.txt")
    fields = dict(form["fields"])
    name = "x-amz-signature" if "x-amz-signature" in fields else "signature"
    fields[name] = "\u00e9t\u00e9"
    status, _, body = post(endpoint, form["url"], fields, b"abc")
    assert (status, error(body)["Code"]) == (403, "SignatureDoesNotMatch")


def test_unicode_fields_are_kept_as_s3_keeps_them(s3, bucket, endpoint):
    # S3 answers metadata that came as Unicode RFC 2047-encoded, and a system header's characters
    # that ISO-8859-1 lacks as spaces (values recorded from AWS).
    fields = {
        "x-amz-meta-nonascii": "ÄMÄZÕÑ S3",
        "x-amz-meta-utf-8": "\x00\x01\x02\x03\x04",
        "x-amz-meta-plain": "ascii only",
        "Content-Disposition": 'filename="test_—_file%E2%80%94_é_2-.pdf"',
    }
    form = s3.generate_presigned_post(
        bucket,
        "unicode.txt",
        Fields=fields,
        Conditions=[["eq", f"${name}", value] for name, value in fields.items()],
    )
    status, _, _ = post(endpoint, form["url"], form["fields"], b"data")
    assert status == 204
    head = s3.head_object(Bucket=bucket, Key="unicode.txt")
    assert head["Metadata"] == {
        "nonascii": "=?UTF-8?Q?=C3=84M=C3=84Z=C3=95=C3=91_S3?=",
        "utf-8": "=?UTF-8?B?AAECAwQ=?=",
        "plain": "ascii only",
    }
    assert head["ContentDisposition"] == 'filename="test_ _file%E2%80%94_é_2-.pdf"'
