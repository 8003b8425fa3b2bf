"""S3: buckets, objects, multipart uploads, listings and versions. Bucket and object
configuration (policy, ACLs, CORS, website, lifecycle, tagging, encryption, object lock,
notifications) lives in config.py and is mixed in."""

from __future__ import annotations

from overcast.services.base import BaseProvider
from overcast.services.s3.config import BucketConfigOperations


class Provider(BucketConfigOperations, BaseProvider):
    service = "s3"
