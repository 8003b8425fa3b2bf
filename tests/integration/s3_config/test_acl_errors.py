"""The errors S3 gives for invalid ACLs: grant headers and AccessControlPolicy documents are
validated (MalformedACLError, InvalidArgument) before the bucket's ownership is considered."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

MALFORMED = (
    "MalformedACLError",
    400,
    "The XML you provided was not well-formed or did not validate against our published schema",
)
FAKE_GROUP = "http://acs.amazonaws.com/groups/s3/FakeGroup"


def failure(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return {**response["Error"], "Status": response["ResponseMetadata"]["HTTPStatusCode"]}


def triple(error: dict) -> tuple:
    return error["Code"], error["Status"], error["Message"]


@pytest.mark.parametrize("target", ["bucket", "object"])
def test_invalid_acls(s3, bucket, target):
    owner = s3.list_buckets()["Owner"]
    if target == "bucket":
        put, where = s3.put_bucket_acl, {"Bucket": bucket}
    else:
        s3.put_object(Bucket=bucket, Key="k", Body=b"")
        put, where = s3.put_object_acl, {"Bucket": bucket, "Key": "k"}

    error = failure(put, **where, GrantWrite='fakekey="1234"')
    assert (error["Code"], error["Message"], error["ArgumentName"], error["ArgumentValue"]) == (
        "InvalidArgument",
        "Argument format not recognized",
        "x-amz-grant-write",
        'fakekey="1234"',
    )
    error = failure(put, **where, GrantRead='id="wrong-id"')
    assert (error["Code"], error["Message"], error["ArgumentName"], error["ArgumentValue"]) == (
        "InvalidArgument",
        "Invalid id",
        "id",
        "wrong-id",
    )
    error = failure(put, **where, GrantRead="id=AllUsers")
    assert (error["Code"], error["ArgumentValue"]) == ("InvalidArgument", "AllUsers")

    grant = {
        "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
        "Permission": "WRITE",
    }
    assert triple(failure(put, **where, AccessControlPolicy={"Grants": [grant]})) == MALFORMED
    wrong_permission = {**grant, "Permission": "WRONG-PERMISSION"}
    assert (
        triple(failure(put, **where, AccessControlPolicy={"Grants": [wrong_permission], "Owner": owner}))
        == MALFORMED
    )
    error = failure(put, **where, AccessControlPolicy={"Grants": [grant], "Owner": {"ID": "wrong-id"}})
    assert (error["Code"], error["Message"], error["ArgumentName"], error["ArgumentValue"]) == (
        "InvalidArgument",
        "Invalid id",
        "CanonicalUser/ID",
        "wrong-id",
    )
    fake_group = {"Grantee": {"Type": "Group", "URI": FAKE_GROUP}, "Permission": "READ"}
    error = failure(put, **where, AccessControlPolicy={"Grants": [fake_group], "Owner": owner})
    assert (error["Code"], error["Message"], error["ArgumentName"]) == (
        "InvalidArgument",
        "Invalid group uri",
        "Group/URI",
    )
    bad_user = {"Grantee": {"Type": "CanonicalUser", "ID": "wrong-id"}, "Permission": "READ"}
    error = failure(put, **where, AccessControlPolicy={"Grants": [bad_user], "Owner": owner})
    assert (error["Code"], error["ArgumentName"], error["ArgumentValue"]) == (
        "InvalidArgument",
        "CanonicalUser/ID",
        "wrong-id",
    )
    assert triple(failure(put, **where, AccessControlPolicy={})) == MALFORMED

    # A valid owner-only ACL is what a bucket with ACLs disabled accepts; a wider one it refuses.
    own = {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"}
    put(**where, AccessControlPolicy={"Grants": [own], "Owner": owner})
    public = {
        "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
        "Permission": "READ",
    }
    assert (
        failure(put, **where, AccessControlPolicy={"Grants": [own, public], "Owner": owner})["Code"]
        == "AccessControlListNotSupported"
    )


def test_public_access_block_needs_a_setting(s3, bucket):
    # A new bucket has all four settings on (AWS's default since April 2023).
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    error = failure(s3.put_public_access_block, Bucket=bucket, PublicAccessBlockConfiguration={})
    assert triple(error) == ("InvalidRequest", 400, "Must specify at least one configuration.")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": False})
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }
