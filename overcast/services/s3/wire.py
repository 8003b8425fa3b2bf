"""S3 on the wire: its documents' names, its request id headers and errors, how it routes, and
the answer to a browser form upload (POST Object, which no model describes)."""

from __future__ import annotations

from typing import Any

from overcast.protocols.wire import NoRouteError, ValidationStyle, Wire

#: The headers a form upload answers with: PutObject's own (`services/s3/post.py` passes on
#: what PutObject returned), the object's URL and the status the form asked for.
_POST_OBJECT_HEADERS = {
    "ETag": ("ETag", "ETag"),
    "Location": ("Location", "Location"),
    "VersionId": ("ObjectVersionId", "x-amz-version-id"),
    "ServerSideEncryption": ("ServerSideEncryption", "x-amz-server-side-encryption"),
    "SSEKMSKeyId": ("SSEKMSKeyId", "x-amz-server-side-encryption-aws-kms-key-id"),
    "BucketKeyEnabled": ("BucketKeyEnabled", "x-amz-server-side-encryption-bucket-key-enabled"),
    "ChecksumCRC32": ("ChecksumCRC32", "x-amz-checksum-crc32"),
    "ChecksumCRC32C": ("ChecksumCRC32C", "x-amz-checksum-crc32c"),
    "ChecksumCRC64NVME": ("ChecksumCRC64NVME", "x-amz-checksum-crc64nvme"),
    "ChecksumSHA1": ("ChecksumSHA1", "x-amz-checksum-sha1"),
    "ChecksumSHA256": ("ChecksumSHA256", "x-amz-checksum-sha256"),
    "ChecksumSHA512": ("ChecksumSHA512", "x-amz-checksum-sha512"),
    "ChecksumMD5": ("ChecksumMD5", "x-amz-checksum-md5"),
    "ChecksumXXHASH64": ("ChecksumXXHASH64", "x-amz-checksum-xxhash64"),
    "ChecksumXXHASH3": ("ChecksumXXHASH3", "x-amz-checksum-xxhash3"),
    "ChecksumXXHASH128": ("ChecksumXXHASH128", "x-amz-checksum-xxhash128"),
    "ChecksumType": ("ChecksumType", "x-amz-checksum-type"),
}

#: POST Object's answer (a browser form upload): headers, the status `success_action_status`
#: or a redirect asked for, and with 201 the `<PostResponse>` document (no namespace, as S3
#: writes it).
POST_OBJECT_SHAPES: dict[str, dict[str, Any]] = {
    "PostObjectOutput": {
        "type": "structure",
        "members": {
            "Status": {"shape": "PostObjectStatus", "location": "statusCode"},
            **{
                member: {"shape": shape, "location": "header", "locationName": header}
                for member, (shape, header) in _POST_OBJECT_HEADERS.items()
            },
            "PostResponse": {"shape": "PostResponse", "xmlNamespace": ""},
        },
        "payload": "PostResponse",
    },
    "PostObjectStatus": {"type": "integer"},
    "PostResponse": {
        "type": "structure",
        "members": {
            "Location": {"shape": "Location"},
            "Bucket": {"shape": "BucketName"},
            "Key": {"shape": "ObjectKey"},
            "ETag": {"shape": "ETag"},
        },
    },
}

#: S3 names its response documents after the API's XML schema, not after the output shape
#: (botocore's model dropped these `xmlName`s; its parser ignores the root's name, other SDKs
#: and hand-written clients may not).
ROOT_ELEMENTS = {
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CreateSession": "CreateSessionResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketAcl": "AccessControlPolicy",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetObjectAcl": "AccessControlPolicy",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "GetObjectTagging": "Tagging",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListParts": "ListPartsResult",
}

WIRE = Wire(
    root_elements=ROOT_ELEMENTS,
    # `<LocationConstraint>eu-west-1</LocationConstraint>`: botocore reads it with a handler.
    root_text={"GetBucketLocation": "LocationConstraint"},
    # AWS's element order (its documented examples): the Owner before the Buckets, a listing's
    # Name and parameters before its Contents. SDKs that stream the XML (Java's) count on it.
    root_member_orders={
        "ListBuckets": ("Owner", "Buckets"),
        "ListObjects": (
            "Name",
            "Prefix",
            "Marker",
            "NextMarker",
            "MaxKeys",
            "Delimiter",
            "EncodingType",
            "IsTruncated",
            "Contents",
            "CommonPrefixes",
        ),
        "ListObjectVersions": (
            "Name",
            "Prefix",
            "KeyMarker",
            "VersionIdMarker",
            "NextKeyMarker",
            "NextVersionIdMarker",
            "MaxKeys",
            "Delimiter",
            "EncodingType",
            "IsTruncated",
            "Versions",
            "DeleteMarkers",
            "CommonPrefixes",
        ),
        "ListObjectsV2": (
            "Name",
            "Prefix",
            "StartAfter",
            "ContinuationToken",
            "NextContinuationToken",
            "KeyCount",
            "MaxKeys",
            "Delimiter",
            "EncodingType",
            "IsTruncated",
            "Contents",
            "CommonPrefixes",
        ),
    },
    host_id=True,
    timestamp_millis=True,
    # POST /bucket/key is CompleteMultipartUpload only with ?uploadId; without it S3 answers
    # 405 rather than a validation error.
    query_routed=True,
    # Served at another endpoint in AWS (S3 Express directory buckets): path style cannot tell
    # it from ListBuckets.
    demoted_operations=frozenset({"ListDirectoryBuckets"}),
    no_route_error=NoRouteError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        fields={"Method": "{method}", "ResourceType": "{resource}"},
        resource_kinds=("SERVICE", "BUCKET", "OBJECT"),
    ),
    # A missing required header or query parameter is an InvalidRequest, a missing body a
    # MissingRequestBodyError, a missing element inside the body MalformedXML. Constraints are
    # the provider's business.
    validation=ValidationStyle(
        "InvalidRequest",
        missing=("InvalidRequest", "Missing required parameter: {name}"),
        constraints=None,
        missing_by_location={
            "header": ("InvalidRequest", "Missing required header for this request: {name}"),
            "body": ("MissingRequestBodyError", "Request Body is empty"),
            "nested": (
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            ),
        },
    ),
    # A `<Tagging/>` without a TagSet is an empty tag set to S3 (PutBucketTagging and
    # PutObjectTagging accept it and remove the tags; AWS recorded), though the model requires it.
    extra_shapes={
        **POST_OBJECT_SHAPES,
        "Tagging": {"type": "structure", "members": {"TagSet": {"shape": "TagSet"}}},
    },
    # A bucket listing tells the client the bucket's region, as HeadBucket does.
    extra_members={
        shape: {
            "BucketRegion": {
                "shape": "BucketRegion",
                "location": "header",
                "locationName": "x-amz-bucket-region",
            }
        }
        for shape in ("ListObjectsOutput", "ListObjectsV2Output")
    },
    unrouted_operations={
        "PostObject": {
            "http": {"method": "POST", "requestUri": "/{Bucket}", "responseCode": 204},
            "output": {"shape": "PostObjectOutput"},
        }
    },
)
