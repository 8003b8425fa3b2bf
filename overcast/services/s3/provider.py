"""S3: buckets, objects, multipart uploads, listings and versions. Bucket and object
configuration (policy, ACLs, CORS, website, lifecycle, tagging, encryption, object lock,
notifications) lives in config.py and is mixed in.

For the configuration half and other services:
    self.bucket(context, name) -> dict     the bucket record (Name, Account, Region,
                                           CreationDate, Versioning, Id); NoSuchBucket if none
    put_object(RequestContext.internal(...), {"Bucket", "Key", "Body": bytes | binary file, ...})
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from overcast.common.arns import build_arn
from overcast.common.pagination import paginate_keys
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider, HostRoute
from overcast.services.s3 import acl as acls
from overcast.services.s3.access import OWNERSHIP_VALUES
from overcast.services.s3.annotations import AnnotationOperations
from overcast.services.s3.config import BucketConfigOperations, creation_tags
from overcast.services.s3.kmskeys import KmsKeys
from overcast.services.s3.layouts import LAYOUTS
from overcast.services.s3.listing import ListingOperations
from overcast.services.s3.multipart import MultipartOperations
from overcast.services.s3.object_extras import ObjectExtraOperations
from overcast.services.s3.object_ops import ObjectOperations, header_text, mail_safe
from overcast.services.s3.objects import ObjectStore, listed
from overcast.services.s3.post import PostObjectOperations
from overcast.services.s3.website import WEBSITE_HOST, WEBSITE_PATH
from overcast.signing import is_presigned, verify_request

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BAD_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
#: LocationConstraint values that name another region than their own.
_LOCATION_ALIASES = {"EU": "eu-west-1"}
#: ListBuckets without MaxBuckets lists every bucket up to the default quota of 10,000.
MAX_BUCKETS_LISTED = 10000


#: The errors of a request body S3 reads only once it has found the bucket.
_BODY_ERRORS = frozenset({"MalformedXML", "MissingRequestBodyError"})


def no_such_bucket(name: str) -> ServiceError:
    return ServiceError("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=name)


def validate_bucket_name(name: str) -> None:
    if (
        not _BUCKET_NAME.match(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or name.startswith(_BAD_PREFIXES)
        or name.endswith(_BAD_SUFFIXES)
        or _is_ip_address(name)
    ):
        raise ServiceError("InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=name)


def _bucket_arn(name: str, region: str) -> str:
    return build_arn("s3", region, "", name, global_service=True)


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


#: A presigned URL's own parameters, never request headers.
_PRESIGN_QUERY = frozenset(
    (
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-signature",
        "x-amz-date",
        "x-amz-signedheaders",
        "x-amz-expires",
        "x-amz-security-token",
    )
)


#: Conditional headers a presigned URL may carry as signed query parameters (SDKs other than
#: boto3 put them there), which S3 applies as the headers.
_QUERY_CONDITIONS = frozenset(("if-match", "if-none-match"))


def _query_headers(context, params: dict) -> None:
    """A presigned URL's x-amz-* query parameters (botocore puts there the x-amz-* headers a
    SigV2 URL signed, the JavaScript SDK those of SigV4 URLs) count as the request's headers,
    as S3 reads them: metadata, ACL, encryption and the like. A header sent as well wins."""
    query = context.request.query
    members = None
    for name, values in query.items():
        lowered = name.lower()
        if (
            not (lowered.startswith("x-amz-") or lowered in _QUERY_CONDITIONS)
            or lowered in _PRESIGN_QUERY
            or lowered in context.request.headers
        ):
            continue
        if lowered.startswith("x-amz-meta-"):
            params.setdefault("Metadata", {}).setdefault(lowered[len("x-amz-meta-") :], mail_safe(values[0]))
            continue
        if members is None:
            shape = context.operation.input_shape
            members = (
                {}
                if shape is None
                else {
                    member.serialization.get("name", member_name).lower(): (member_name, member.type_name)
                    for member_name, member in shape.members.items()
                    if member.serialization.get("location") == "header"
                }
            )
        member = members.get(lowered)
        if member is not None and member[1] == "string":
            params.setdefault(member[0], header_text(values[0]))


def _known_regions() -> frozenset[str]:
    import botocore.session

    regions = set()
    session = botocore.session.get_session()
    for partition_name in session.get_available_partitions():
        regions.update(session.get_available_regions("s3", partition_name))
    return frozenset(regions)


class Provider(
    ObjectOperations,
    MultipartOperations,
    ListingOperations,
    BucketConfigOperations,
    PostObjectOperations,
    AnnotationOperations,
    ObjectExtraOperations,
    KmsKeys,
    BaseProvider,
):
    service = "s3"
    layouts = LAYOUTS
    host_routes = (HostRoute(WEBSITE_HOST, "serve_website"),)
    path_routes = (HostRoute(WEBSITE_PATH, "serve_website_path"),)

    def __init__(self, runtime) -> None:
        super().__init__(runtime)
        self.data = ObjectStore(self.store)
        self._regions: frozenset[str] | None = None

    def state_replaced(self) -> None:
        self.data.forget_cached()
        self.configs.clear_cache()
        self.__dict__.pop("_metric_filters", None)

    def check_request(self, context, params):
        # Presigned URLs are always checked (expiry, tampering), whatever else enforces auth;
        # first, so a bad URL is refused before the bucket's configuration looks at the request.
        self._check_presigned(context, params)
        if params is not None and params.get("ExpectedBucketOwner") is not None:
            self._check_expected_owner(params)
        return self.check_configured(context, params)

    def refused_input(self, context, operation, uri_params, error):
        # S3 looks the bucket up before it reads the body: a body that is missing or not the
        # XML it wants is refused only for a bucket that exists.
        if is_presigned(context.request):
            # A presigned URL is checked before its request's body is read (AWS recorded a
            # malformed aws-chunked body refused for the headers the URL does not sign).
            try:
                verify_request(context.request, self.runtime.secret_for, protocol="rest-xml")
            except ServiceError as denied:
                return denied
        bucket = uri_params.get("Bucket")
        if getattr(operation, "name", operation) == "CreateBucket":
            return error  # its bucket is the one it would create
        if error.code in _BODY_ERRORS and bucket and self.data.bucket(bucket) is None:
            return no_such_bucket(bucket)
        if error.code == "MissingRequestBodyError" and getattr(operation, "name", None) == "PutBucketPolicy":
            # An empty policy is a policy that is no JSON (AWS recorded).
            return ServiceError(
                "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", 400
            )
        return error

    def _check_expected_owner(self, params: dict) -> None:
        """x-amz-expected-bucket-owner, on every operation that takes it: an account id, and
        the bucket's owner (else 403, as if the bucket were someone else's)."""
        expected = params["ExpectedBucketOwner"]
        if not _ACCOUNT_ID.match(expected):
            raise ServiceError(
                "InvalidBucketOwnerAWSAccountID",
                f"The value of the expected bucket owner parameter must be an AWS Account ID... [{expected}]",
                400,
            )
        record = self.data.bucket(params["Bucket"]) if params.get("Bucket") else None
        if record is not None and record["Account"] != expected:
            raise ServiceError("AccessDenied", "Access Denied", 403)

    def _check_presigned(self, context, params) -> None:
        if is_presigned(context.request):
            verify_request(context.request, self.runtime.secret_for, protocol="rest-xml")
            if params is not None and context.operation is not None:
                _query_headers(context, params)

    # -- the bucket record, for every S3 operation and the configuration half ------------------

    def bucket(self, context: RequestContext, name: str) -> dict:
        record = self.data.bucket(name)
        if record is None:
            raise no_such_bucket(name)
        return record

    # -- objects other services write and read (DynamoDB's exports and imports) -------------------
    # They go through S3's own handlers as the account's root: S3's errors (NoSuchBucket, ...)
    # reach the caller as ServiceErrors, and writes have S3's events, versioning and defaults.

    async def write_object(
        self, account: str, region: str, bucket: str, key: str, body: bytes, content_type: str
    ) -> None:
        context = RequestContext.internal("s3", account, region)
        params = {
            "Bucket": bucket,
            "Key": key,
            "Body": body,
            "ContentLength": len(body),
            "ContentType": content_type,
        }
        await self.put_object(context, params)

    def object_keys(self, account: str, region: str, bucket: str, prefix: str = "") -> list[str]:
        """The keys of the bucket's current objects under `prefix`, in key order."""
        record = self.bucket(RequestContext.internal("s3", account, region), bucket)
        return [
            key
            for key, row in self.data.scan_current(record, prefix, None)
            if listed(key, row)[0] is not None
        ]

    def read_object(self, account: str, region: str, bucket: str, key: str) -> bytes:
        body = self.get_object(
            RequestContext.internal("s3", account, region), {"Bucket": bucket, "Key": key}
        )["Body"]
        if hasattr(body, "read"):
            try:
                return body.read()
            finally:
                getattr(body, "close", lambda: None)()
        return bytes(body)

    # -- buckets -------------------------------------------------------------------------------

    def create_bucket(self, context: RequestContext, params: dict) -> dict:
        name = params["Bucket"]
        validate_bucket_name(name)
        region = self._location(context, params)
        if params.get("BucketNamespace") == "account-regional" and not name.endswith(
            f"-{context.account}-{region}-an"
        ):
            # A bucket in an account's regional namespace is named <prefix>-<account>-<region>-an.
            raise ServiceError(
                "InvalidNamespaceHeader",
                f"The x-amz-bucket-namespace header asks for the account-regional namespace, but the bucket "
                f"name does not end with its suffix -{context.account}-{region}-an.",
                400,
            )
        creation_tags(params)  # refused before anything is created
        ownership = params.get("ObjectOwnership")
        if ownership is not None and ownership not in OWNERSHIP_VALUES:
            raise ServiceError(
                "InvalidArgument",
                f"Invalid x-amz-object-ownership header: {ownership}",
                400,
                ArgumentName="x-amz-object-ownership",
            )
        existing = self.data.bucket(name)
        if existing is not None:
            if existing["Account"] != context.account:
                raise ServiceError(
                    "BucketAlreadyExists",
                    "The requested bucket name is not available. The bucket namespace is shared by all users "
                    "of the system. Please select a different name and try again.",
                    409,
                    BucketName=name,
                )
            configuration = params.get("CreateBucketConfiguration") or {}
            if existing["Region"] == "us-east-1" == region and not configuration.get("Tags"):
                # S3's legacy behaviour in us-east-1: re-creating a bucket one owns succeeds
                # and leaves it as it is (objects and configuration kept).
                context.extra["s3_existing_bucket"] = True
                return {"Location": f"/{name}", "BucketArn": _bucket_arn(name, region)}
            raise ServiceError(
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
                409,
                BucketName=name,
            )
        record = {
            "Name": name,
            "Account": context.account,
            "Region": region,
            "CreationDate": datetime.now(UTC).replace(microsecond=0),
            "Versioning": "Enabled" if params.get("ObjectLockEnabledForBucket") else None,
            "Id": self.data.new_bucket_id(),
        }
        constraint = (params.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
        if constraint in _LOCATION_ALIASES:
            record["LocationConstraint"] = constraint  # GetBucketLocation answers "EU" as it was given
        self.data.put_bucket(record)
        location = f"/{name}" if region == "us-east-1" else f"http://{name}.s3.amazonaws.com/"
        return {"Location": location, "BucketArn": _bucket_arn(name, region)}

    def _location(self, context: RequestContext, params: dict) -> str:
        configuration = params.get("CreateBucketConfiguration") or {}
        constraint = configuration.get("LocationConstraint")
        region = context.region
        if constraint is None:
            if region != "us-east-1":
                raise ServiceError(
                    "IllegalLocationConstraintException",
                    "The unspecified location constraint is incompatible for the region specific endpoint "
                    "this request was sent to.",
                    400,
                )
            return region
        target = _LOCATION_ALIASES.get(constraint, constraint)
        if self._regions is None:
            self._regions = _known_regions()
        if region == "us-east-1":
            # The us-east-1 endpoint creates buckets in any other region it is asked for.
            if constraint == "us-east-1" or target not in self._regions:
                raise ServiceError(
                    "InvalidLocationConstraint",
                    "The specified location-constraint is not valid",
                    400,
                    LocationConstraint=constraint,
                )
            return target
        if target != region:
            raise ServiceError(
                "IllegalLocationConstraintException",
                f"The {constraint} location constraint is incompatible for the region specific endpoint this "
                "request was sent to.",
                400,
            )
        return target

    def known_regions(self) -> frozenset[str]:
        if self._regions is None:
            self._regions = _known_regions()
        return self._regions

    def head_bucket(self, context: RequestContext, params: dict) -> dict:
        bucket = self.bucket(context, params["Bucket"])
        self._expected_owner(bucket, params)
        return {
            "BucketArn": _bucket_arn(bucket["Name"], bucket["Region"]),
            "BucketRegion": bucket["Region"],
            "AccessPointAlias": False,
        }

    def get_bucket_location(self, context: RequestContext, params: dict) -> dict:
        bucket = self.bucket(context, params["Bucket"])
        self._expected_owner(bucket, params)
        region = bucket["Region"]
        return {
            "LocationConstraint": bucket.get("LocationConstraint")
            or (None if region == "us-east-1" else region)
        }

    def delete_bucket(self, context: RequestContext, params: dict) -> dict:
        bucket = self.bucket(context, params["Bucket"])
        self._expected_owner(bucket, params)
        if bucket["Account"] != context.account:
            raise ServiceError("AccessDenied", "Access Denied", 403)
        if not self.data.is_empty(bucket):
            message = "The bucket you tried to delete is not empty"
            if bucket.get("Versioning"):
                message += ". You must delete all versions in the bucket."
            raise ServiceError("BucketNotEmpty", message, 409, BucketName=bucket["Name"])
        self.abort_all_uploads(bucket)
        self.data.delete_bucket(bucket)
        return {}

    def list_buckets(self, context: RequestContext, params: dict) -> dict:
        limit = params.get("MaxBuckets")
        if limit is not None and not 1 <= limit <= 10000:
            raise ServiceError(
                "InvalidArgument",
                "Argument max-buckets must be an integer between 1 and 10000",
                400,
                ArgumentName="max-buckets",
                ArgumentValue=str(limit),
            )
        prefix = params.get("Prefix") or ""
        wanted_region = params.get("BucketRegion")
        if wanted_region and wanted_region not in self.known_regions():
            raise ServiceError(
                "InvalidArgument",
                f"Argument value {wanted_region} is not a valid AWS Region",
                400,
                ArgumentName="bucket-region",
            )

        def buckets_after(after: str | None) -> Iterator[tuple[str, dict]]:
            for name, _ in self.data.owned.scan(context.account, prefix=prefix, start_after=after):
                record = self.data.bucket(name)
                if record is not None and (not wanted_region or record["Region"] == wanted_region):
                    yield name, record

        def bad_token() -> ServiceError:
            return ServiceError(
                "InvalidArgument",
                "The continuation token provided is incorrect",
                400,
                ArgumentName="continuation-token",
                ArgumentValue=str(params.get("ContinuationToken")),
            )

        output = paginate_keys(
            self.store, "s3", "ListBuckets", params, buckets_after, bad_token=bad_token,
            default_limit=MAX_BUCKETS_LISTED, bind=f"{prefix}\0{wanted_region}",
            render=lambda name, record: {
                "Name": name, "CreationDate": record["CreationDate"], "BucketRegion": record["Region"],
                "BucketArn": _bucket_arn(name, record["Region"]),
            },
        )  # fmt: skip
        output["Owner"] = acls.owner(context.account)
        if params.get("Prefix") is not None:
            output["Prefix"] = prefix
        return output

    def put_bucket_versioning(self, context: RequestContext, params: dict) -> dict:
        bucket = self.bucket(context, params["Bucket"])
        self._expected_owner(bucket, params)
        configuration = params.get("VersioningConfiguration") or {}
        status = configuration.get("Status")
        if status is None:
            raise ServiceError(
                "IllegalVersioningConfigurationException", "The Versioning element must be specified", 400
            )
        if status not in ("Enabled", "Suspended"):
            raise ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
                400,
            )
        if status == "Suspended" and self.lock_configuration(bucket) is not None:
            raise ServiceError(
                "InvalidBucketState",
                "An Object Lock configuration is present on this bucket, so "
                "the versioning state cannot be changed.",
                409,
            )
        record = {**bucket, "Versioning": status}
        if configuration.get("MFADelete"):
            record["MFADelete"] = configuration["MFADelete"]
        self.data.put_bucket(record)
        return {}

    def get_bucket_versioning(self, context: RequestContext, params: dict) -> dict:
        bucket = self.bucket(context, params["Bucket"])
        self._expected_owner(bucket, params)
        output = {}
        if bucket.get("Versioning"):
            output["Status"] = bucket["Versioning"]
        if bucket.get("MFADelete"):
            output["MFADelete"] = bucket["MFADelete"]
        return output

    @staticmethod
    def _expected_owner(bucket: dict, params: dict) -> None:
        expected = params.get("ExpectedBucketOwner")
        if expected and expected != bucket["Account"]:
            raise ServiceError("AccessDenied", "Access Denied", 403)
