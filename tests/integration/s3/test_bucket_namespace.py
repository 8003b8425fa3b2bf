"""Buckets in an account's regional namespace: named <prefix>-<account>-<region>-an."""

from __future__ import annotations

import uuid

from tests.integration.s3.conftest import error_of


def test_account_regional_names_carry_the_suffix(s3, client):
    prefix = f"ns-{uuid.uuid4().hex[:10]}"
    good = f"{prefix}-000000000000-us-east-1-an"
    created = s3.create_bucket(Bucket=good, BucketNamespace="account-regional")
    assert created["BucketArn"] == f"arn:aws:s3:::{good}"
    west = client("s3", region_name="us-west-2")
    west_name = f"{prefix}-000000000000-us-west-2-an"
    west.create_bucket(
        Bucket=west_name,
        BucketNamespace="account-regional",
        CreateBucketConfiguration={"LocationConstraint": "us-west-2"},
    )
    # No suffix, another account's, another region's.
    for name in (
        f"{prefix}-plain",
        f"{prefix}-111111111111-us-east-1-an",
        f"{prefix}x-000000000000-us-west-2-an",
    ):
        code, status, _ = error_of(s3.create_bucket, Bucket=name, BucketNamespace="account-regional")
        assert (code, status) == ("InvalidNamespaceHeader", 400)
    s3.delete_bucket(Bucket=good)
    west.delete_bucket(Bucket=west_name)
