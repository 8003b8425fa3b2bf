"""Bucket policy (and its enforcement on unsigned requests), ownership controls, ACLs and the
public access block."""

from __future__ import annotations

import json

from tests.integration.s3_config.conftest import error_code, raw


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


def test_policy_put_get_delete_and_status(s3, bucket, aws):
    assert error_code(s3.get_bucket_policy, Bucket=bucket)[:2] == ("NoSuchBucketPolicy", 404)
    # A new bucket blocks public policies, as on AWS: the block goes first.
    refused = aws(
        "s3api", "put-bucket-policy", "--bucket", bucket, "--policy", public_read(bucket), check=False
    )
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr
    aws("s3api", "delete-public-access-block", "--bucket", bucket)
    aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", public_read(bucket))
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(public_read(bucket))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"] == {"IsPublic": True}
    s3.delete_bucket_policy(Bucket=bucket)
    assert error_code(s3.get_bucket_policy, Bucket=bucket)[:2] == ("NoSuchBucketPolicy", 404)
    assert error_code(s3.get_bucket_policy, Bucket="no-such-bucket-cfg")[:2] == ("NoSuchBucket", 404)


def test_malformed_policies(s3, bucket):
    assert error_code(s3.put_bucket_policy, Bucket=bucket, Policy="nope") == (
        "MalformedPolicy",
        400,
        "Policies must be valid JSON and the first byte must be '{'",
    )
    wrong_resource = public_read(bucket).replace(bucket, "someone-elses-bucket")
    assert error_code(s3.put_bucket_policy, Bucket=bucket, Policy=wrong_resource) == (
        "MalformedPolicy",
        400,
        "Policy has invalid resource",
    )
    no_principal = json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    )
    assert error_code(s3.put_bucket_policy, Bucket=bucket, Policy=no_principal) == (
        "MalformedPolicy",
        400,
        "Missing required field Principal",
    )


def test_anonymous_get_needs_a_public_policy(s3, bucket, endpoint):
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>hi</h1>", ContentType="text/html")
    status, _, body = raw(endpoint, "GET", f"/{bucket}/index.html")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    status, _headers, body = raw(endpoint, "GET", f"/{bucket}/index.html")
    assert (status, body) == (200, b"<h1>hi</h1>")
    # The policy grants GetObject only: listing and writing stay closed to anonymous callers.
    assert raw(endpoint, "GET", f"/{bucket}")[0] == 403
    assert raw(endpoint, "PUT", f"/{bucket}/new.txt", body=b"x")[0] == 403
    # Virtual-hosted addressing is decided the same way.
    status, _, body = raw(
        endpoint, "GET", "/index.html", {"Host": f"{bucket}.s3.localhost.localstack.cloud:4566"}
    )
    assert (status, body) == (200, b"<h1>hi</h1>")


def test_restrict_public_buckets_overrides_a_public_policy(s3, bucket, endpoint):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    assert raw(endpoint, "GET", f"/{bucket}/k")[0] == 200
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    assert raw(endpoint, "GET", f"/{bucket}/k")[0] == 403
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True,
    }
    s3.delete_public_access_block(Bucket=bucket)
    assert error_code(s3.get_public_access_block, Bucket=bucket)[:2] == (
        "NoSuchPublicAccessBlockConfiguration",
        404,
    )
    assert raw(endpoint, "GET", f"/{bucket}/k")[0] == 200


def test_block_public_policy_refuses_public_policies(s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    code, status, message = error_code(s3.put_bucket_policy, Bucket=bucket, Policy=public_read(bucket))
    assert (code, status) == ("AccessDenied", 403) and "BlockPublicPolicy" in message


def test_explicit_deny_wins_for_anonymous_callers(s3, bucket, endpoint):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    document = json.loads(public_read(bucket))
    document["Statement"].append(
        {
            "Sid": "DenyNonHTTPS",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
    assert raw(endpoint, "GET", f"/{bucket}/k")[0] == 403


def test_ownership_controls_default_to_bucket_owner_enforced(s3, bucket):
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }
    assert error_code(s3.put_bucket_acl, Bucket=bucket, ACL="public-read") == (
        "AccessControlListNotSupported",
        400,
        "The bucket does not allow ACLs",
    )
    assert error_code(s3.put_object, Bucket=bucket, Key="k", Body=b"v", ACL="public-read")[:2] == (
        "AccessControlListNotSupported",
        400,
    )
    s3.put_object(Bucket=bucket, Key="k", Body=b"v", ACL="bucket-owner-full-control")
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]


def test_acls_once_enabled(s3, bucket, endpoint):
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    # BlockPublicAcls (on for a new bucket) refuses public ACLs until the block is lifted.
    assert error_code(s3.put_bucket_acl, Bucket=bucket, ACL="public-read")[:2] == ("AccessDenied", 403)
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert {
        "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
        "Permission": "READ",
    } in grants
    assert raw(endpoint, "GET", f"/{bucket}")[0] == 200  # public-read bucket: anyone may list
    s3.put_object(Bucket=bucket, Key="pub", Body=b"p", ACL="public-read")
    s3.put_object(Bucket=bucket, Key="priv", Body=b"q")
    assert raw(endpoint, "GET", f"/{bucket}/pub")[:1] == (200,)
    assert raw(endpoint, "GET", f"/{bucket}/priv")[0] == 403
    s3.put_object_acl(
        Bucket=bucket, Key="priv", GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"'
    )
    assert raw(endpoint, "GET", f"/{bucket}/priv")[0] == 200
    acl = s3.get_object_acl(Bucket=bucket, Key="priv")
    assert acl["Owner"]["ID"] and len(acl["Grants"]) == 1
    assert error_code(s3.get_object_acl, Bucket=bucket, Key="missing")[:2] == ("NoSuchKey", 404)
    # Ignoring public ACLs closes them again.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert raw(endpoint, "GET", f"/{bucket}/pub")[0] == 403
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    assert error_code(s3.put_object_acl, Bucket=bucket, Key="priv", ACL="public-read")[:2] == (
        "AccessDenied",
        403,
    )
    # Back to enforced is refused while the bucket ACL grants others.
    assert (
        error_code(
            s3.put_bucket_ownership_controls,
            Bucket=bucket,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        )[0]
        == "InvalidBucketAclWithObjectOwnership"
    )


def test_create_bucket_with_public_acl_under_enforced_ownership(s3):
    assert error_code(s3.create_bucket, Bucket="cfg-acl-refused", ACL="public-read")[:2] == (
        "InvalidBucketAclWithObjectOwnership",
        400,
    )
    # ACLs enabled, but a new bucket blocks public access: a public ACL is refused at creation.
    assert error_code(
        s3.create_bucket, Bucket="cfg-acl-writer", ACL="public-read", ObjectOwnership="ObjectWriter"
    ) == (
        "InvalidBucketAclWithBlockPublicAccessError",
        400,
        "Bucket cannot have public ACLs set with BlockPublicAccess enabled",
    )
    assert error_code(s3.head_bucket, Bucket="cfg-acl-writer")[:2] == ("404", 404)
    s3.create_bucket(Bucket="cfg-acl-writer", ACL="private", ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket="cfg-acl-writer")
    s3.put_bucket_acl(Bucket="cfg-acl-writer", ACL="public-read")
    assert len(s3.get_bucket_acl(Bucket="cfg-acl-writer")["Grants"]) == 2
