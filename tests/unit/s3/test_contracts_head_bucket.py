"""What SSM's resource data syncs and Logs' exports rely on of S3: head_bucket, called with an
internal context, answers for a bucket that exists and refuses one that does not."""

from __future__ import annotations

import pytest

from overcast.context import RequestContext
from overcast.errors import ServiceError

ACCOUNT, REGION = "123456789012", "us-east-1"


def test_head_bucket_tells_an_existing_bucket_from_a_missing_one(provider):
    context = RequestContext.internal("s3", ACCOUNT, REGION)
    provider.create_bucket(context, {"Bucket": "sync-target"})
    assert provider.head_bucket(context, {"Bucket": "sync-target"})["BucketRegion"] == REGION
    with pytest.raises(ServiceError) as info:
        provider.head_bucket(context, {"Bucket": "no-such-bucket"})
    assert info.value.status == 404
