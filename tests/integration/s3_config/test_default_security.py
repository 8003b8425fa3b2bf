"""New buckets as AWS makes them since April 2023: S3 Block Public Access fully on and ACLs
disabled (BucketOwnerEnforced), and what that refuses until the owner relaxes it."""

from __future__ import annotations

import json
import uuid

from tests.integration.s3_config.conftest import error_code, raw

ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def public_read(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicReadGetObject",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def test_new_bucket_blocks_public_access_and_disables_acls(s3, bucket, aws):
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == ALL_BLOCKED
    assert (
        aws("s3api", "get-public-access-block", "--bucket", bucket)["PublicAccessBlockConfiguration"]
        == ALL_BLOCKED
    )
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]


def test_public_policy_refused_until_the_block_is_deleted(s3, bucket, aws, endpoint):
    code, status, message = error_code(s3.put_bucket_policy, Bucket=bucket, Policy=public_read(bucket))
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: arn:aws:iam::000000000000:root is not authorized to perform: s3:PutBucketPolicy on resource: "
        f'"arn:aws:s3:::{bucket}" because public policies are blocked by the BlockPublicPolicy block public '
        "access setting."
    )
    assert error_code(s3.get_bucket_policy, Bucket=bucket)[:2] == ("NoSuchBucketPolicy", 404)
    # A policy that is not public (a named account) is not blocked.
    private = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=private)
    # The guide's static-site flow, as one must run it on AWS: lift the block, then the policy.
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>site</h1>", ContentType="text/html")
    aws("s3api", "delete-public-access-block", "--bucket", bucket)
    aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", public_read(bucket))
    assert raw(endpoint, "GET", f"/{bucket}/index.html")[::2] == (200, b"<h1>site</h1>")


def test_restrict_public_buckets_blocks_anonymous_reads_through_a_public_policy(s3, bucket, endpoint):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={**ALL_BLOCKED, "BlockPublicPolicy": False}
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))  # accepted: only restricted
    assert raw(endpoint, "GET", f"/{bucket}/k")[0] == 403
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            **ALL_BLOCKED,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    assert raw(endpoint, "GET", f"/{bucket}/k")[::2] == (200, b"v")
    # Turning BlockPublicPolicy back on keeps the stored policy, but a new public one is refused.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=ALL_BLOCKED)
    assert (
        json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Sid"]
        == "PublicReadGetObject"
    )
    assert error_code(s3.put_bucket_policy, Bucket=bucket, Policy=public_read(bucket))[:2] == (
        "AccessDenied",
        403,
    )
    assert raw(endpoint, "GET", f"/{bucket}/k")[0] == 403


def test_public_acls_refused_while_block_public_acls(s3, bucket):
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    assert error_code(s3.put_bucket_acl, Bucket=bucket, ACL="public-read") == (
        "AccessDenied",
        403,
        "Access Denied",
    )
    assert error_code(s3.put_object, Bucket=bucket, Key="k", Body=b"v", ACL="public-read")[:2] == (
        "AccessDenied",
        403,
    )
    s3.put_object(Bucket=bucket, Key="k", Body=b"v", ACL="private")
    assert error_code(s3.put_object_acl, Bucket=bucket, Key="k", ACL="public-read")[:2] == (
        "AccessDenied",
        403,
    )


def test_create_bucket_acl_headers_under_the_defaults(s3, aws):
    name = f"cfg-{uuid.uuid4().hex[:16]}"
    # ACLs disabled by default: only a private ACL goes with BucketOwnerEnforced.
    assert error_code(s3.create_bucket, Bucket=name, ACL="public-read") == (
        "InvalidBucketAclWithObjectOwnership",
        400,
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    )
    result = aws("s3api", "create-bucket", "--bucket", name, "--acl", "public-read-write", check=False)
    assert result.returncode != 0 and "InvalidBucketAclWithObjectOwnership" in result.stderr
    # ACLs enabled, but public access still blocked.
    assert error_code(
        s3.create_bucket, Bucket=name, ACL="public-read", ObjectOwnership="BucketOwnerPreferred"
    ) == (
        "InvalidBucketAclWithBlockPublicAccessError",
        400,
        "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
    )
    assert error_code(s3.head_bucket, Bucket=name)[:2] == ("404", 404)
    s3.create_bucket(Bucket=name, ACL="private", ObjectOwnership="ObjectWriter")
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}
    ]
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == ALL_BLOCKED
