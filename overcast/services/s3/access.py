"""Who may do what to a bucket: bucket policy, ownership controls, ACLs and the public access
block, and the check that applies them to unsigned (anonymous) requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from overcast.common.arns import partition
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.s3 import acl as acls
from overcast.services.s3 import policy as policies
from overcast.services.s3.configstore import malformed_xml, s3_error

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

ENFORCED = "BucketOwnerEnforced"
OWNERSHIP_VALUES = ("BucketOwnerPreferred", "ObjectWriter", ENFORCED)
PAB_FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
_NO_OWNERSHIP: dict[str, list] = {"Rules": []}

#: Authorizes one item of a batch (action, bucket, key, params): its AccessDenied, or None.
ItemAuthorizer = Callable[[str, dict, str, dict], ServiceError | None]


def access_denied() -> Exception:
    return s3_error("AccessDenied", "Access Denied", 403)


def acls_not_supported() -> Exception:
    return s3_error("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)


class AccessOperations:
    # -- policy -------------------------------------------------------------------------------

    def put_bucket_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        text = params.get("Policy") or ""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if not text.strip():
            raise s3_error("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'")
        document = policies.parse_policy(text, bucket["Name"], partition(bucket["Region"]))
        if self.public_access_block(bucket).get("BlockPublicPolicy") and policies.is_public(document):
            raise s3_error(
                "AccessDenied",
                f"User: {context.principal_arn} is not authorized to perform: s3:PutBucketPolicy on resource: "
                f'"arn:{partition(bucket["Region"])}:s3:::{bucket["Name"]}" because public policies are '
                "blocked by the BlockPublicPolicy block public access setting.",
                403,
            )
        self.configs.put(bucket, "policy", {"text": text, "document": document})
        context.status = 204  # what S3 answers, though its model says 200
        return {}

    def get_bucket_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        stored = self.configs.get(bucket, "policy")
        if stored is None:
            raise s3_error(
                "NoSuchBucketPolicy", "The bucket policy does not exist", 404, BucketName=bucket["Name"]
            )
        return {"Policy": stored["text"]}

    def delete_bucket_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        self.configs.delete(bucket, "policy")
        return {}

    def get_bucket_policy_status(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        stored = self.configs.get(bucket, "policy")
        if stored is None:
            raise s3_error(
                "NoSuchBucketPolicy", "The bucket policy does not exist", 404, BucketName=bucket["Name"]
            )
        return {"PolicyStatus": {"IsPublic": policies.is_public(stored["document"])}}

    def resource_policy(self: Provider, resource_arn: str) -> str | None:  # type: ignore[misc]
        """The bucket policy (JSON text) governing a bucket or object ARN, for IAM's checks."""
        parts = resource_arn.split(":", 5)
        if len(parts) < 6 or parts[2] != "s3" or not parts[5]:
            return None
        name = parts[5].split("/", 1)[0]
        bucket = self.find_bucket(name)
        if bucket is None:
            return None
        stored = self.configs.get(bucket, "policy")
        return None if stored is None else stored["text"]

    # -- ownership controls -----------------------------------------------------------------

    def ownership(self: Provider, bucket: dict) -> str | None:  # type: ignore[misc]
        """The bucket's ObjectOwnership, or None when its controls were deleted (ACLs work as
        ObjectWriter)."""
        rules = self.configs.get(bucket, "ownership", {"Rules": [{"ObjectOwnership": ENFORCED}]})["Rules"]
        return rules[0]["ObjectOwnership"] if rules else None

    def put_bucket_ownership_controls(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        rules = (params.get("OwnershipControls") or {}).get("Rules") or []
        if len(rules) != 1 or rules[0].get("ObjectOwnership") not in OWNERSHIP_VALUES:
            raise malformed_xml()
        value = rules[0]["ObjectOwnership"]
        if value == ENFORCED:
            grants = self.configs.get(bucket, "acl")
            if grants is not None and not acls.owner_only(grants, bucket["Account"]):
                raise s3_error(
                    "InvalidBucketAclWithObjectOwnership",
                    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                )
        self.configs.put(bucket, "ownership", {"Rules": [{"ObjectOwnership": value}]})
        return {}

    def get_bucket_ownership_controls(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        value = self.ownership(bucket)
        if value is None:
            raise s3_error(
                "OwnershipControlsNotFoundError",
                "The bucket ownership controls were not found",
                404,
                BucketName=bucket["Name"],
            )
        return {"OwnershipControls": {"Rules": [{"ObjectOwnership": value}]}}

    def delete_bucket_ownership_controls(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        self.configs.put(bucket, "ownership", _NO_OWNERSHIP)
        return {}

    # -- ACLs ---------------------------------------------------------------------------------

    def _check_acl_write(self: Provider, bucket: dict, grants: list[dict], account: str) -> None:  # type: ignore[misc]
        if self.ownership(bucket) == ENFORCED and not acls.owner_only(grants, account):
            raise acls_not_supported()
        if self.public_access_block(bucket).get("BlockPublicAcls") and acls.is_public(grants):
            raise access_denied()

    def bucket_grants(self: Provider, bucket: dict) -> list[dict]:  # type: ignore[misc]
        return self.configs.get(bucket, "acl") or acls.canned("private", bucket["Account"])

    def get_bucket_acl(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        return {"Owner": acls.owner(bucket["Account"]), "Grants": self.bucket_grants(bucket)}

    def put_bucket_acl(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        grants = acls.grants_from_request(params, bucket["Account"], acls.BUCKET_CANNED)
        if grants is None:
            raise s3_error(
                "MissingSecurityHeader",
                "Your request was missing a required header",
                400,
                MissingHeaderName="x-amz-acl",
            )
        self._check_acl_write(bucket, grants, bucket["Account"])
        self.configs.put(bucket, "acl", grants)
        return {}

    def object_grants(self: Provider, bucket: dict, obj: dict) -> list[dict]:  # type: ignore[misc]
        stored = self.configs.get_object(bucket, "acl", obj["Key"], obj.get("VersionId"))
        return stored or acls.canned("private", bucket["Account"])

    async def get_object_acl(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        obj = await self.config_object(context, bucket, params)
        return {"Owner": acls.owner(bucket["Account"]), "Grants": self.object_grants(bucket, obj)}

    async def put_object_acl(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        grants = acls.grants_from_request(params, bucket["Account"], acls.OBJECT_CANNED, bucket["Account"])
        if grants is None:
            raise s3_error(
                "MissingSecurityHeader",
                "Your request was missing a required header",
                400,
                MissingHeaderName="x-amz-acl",
            )
        self._check_acl_write(bucket, grants, bucket["Account"])
        obj = await self.config_object(context, bucket, params)
        with self.store.transaction():  # the event commits with the change it announces
            self.configs.put_object(bucket, "acl", obj["Key"], obj.get("VersionId"), grants)
            self.object_event(context, bucket, "ObjectAcl:Put", obj)
        return {}

    # -- public access block ----------------------------------------------------------------

    def public_access_block(self: Provider, bucket: dict) -> dict:  # type: ignore[misc]
        return self.configs.get(bucket, "public_access_block") or {}

    def put_public_access_block(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        given = params.get("PublicAccessBlockConfiguration")
        if given is None:
            raise malformed_xml()
        if not any(given.get(name) is not None for name in PAB_FIELDS):
            raise s3_error("InvalidRequest", "Must specify at least one configuration.", 400)
        self.configs.put(
            bucket, "public_access_block", {name: bool(given.get(name, False)) for name in PAB_FIELDS}
        )
        return {}

    def get_public_access_block(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        stored = self.configs.get(bucket, "public_access_block")
        if stored is None:
            raise s3_error(
                "NoSuchPublicAccessBlockConfiguration",
                "The public access block configuration was not found",
                404,
                BucketName=bucket["Name"],
            )
        return {"PublicAccessBlockConfiguration": stored}

    def delete_public_access_block(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        self.configs.delete(bucket, "public_access_block")
        return {}

    # -- enforcement --------------------------------------------------------------------------

    async def anonymous_allowed(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, action: str, key: str | None
    ) -> bool:
        """Whether the bucket's policy or public ACLs let an unsigned caller do `action`, as
        AWS decides it: an explicit Deny wins; the public access block's RestrictPublicBuckets
        and IgnorePublicAcls take public grants away."""
        arn = f"arn:{partition(bucket['Region'])}:s3:::{bucket['Name']}"
        if key is not None:
            arn += "/" + key
        block = self.public_access_block(bucket)
        stored = self.configs.get(bucket, "policy")
        if stored is not None:
            decision = policies.decide_anonymous(
                stored["text"],
                action,
                arn,
                bucket["Account"],
                bucket["Region"],
                self._condition_keys(context, key),
            )
            if decision == policies.DENY:
                return False
            if decision == policies.ALLOW and not (
                block.get("RestrictPublicBuckets") and policies.is_public(stored["document"])
            ):
                return True
        if self.ownership(bucket) == ENFORCED or block.get("IgnorePublicAcls"):
            return False
        if action in ("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"):
            return acls.allows(self.bucket_grants(bucket), "READ", False)
        if action in ("s3:PutObject", "s3:DeleteObject"):
            return acls.allows(self.bucket_grants(bucket), "WRITE", False)
        if action in ("s3:GetObject", "s3:GetObjectVersion") and key is not None:
            obj = await self.find_object(context, bucket, key, None)
            return obj is not None and acls.allows(self.object_grants(bucket, obj), "READ", False)
        if action == "s3:GetBucketAcl":
            return acls.allows(self.bucket_grants(bucket), "READ_ACP", False)
        return False

    def acl_allows(self: Provider, action: str, resource_arn: str, account: str) -> bool:  # type: ignore[misc]
        """For IAM's cross-account check: whether the ACL of the bucket or object an ARN names
        grants `account` (by its canonical id, or as an authenticated or any user) the
        permission `action` needs. ACLs count for nothing once ownership is BucketOwnerEnforced."""
        parts = resource_arn.split(":", 5)
        if len(parts) < 6 or parts[2] != "s3" or not parts[5]:
            return False
        name, _, key = parts[5].partition("/")
        bucket = self.find_bucket(name)
        needed = acls.PERMISSION_FOR_ACTION.get(action)
        if bucket is None or needed is None or self.ownership(bucket) == ENFORCED:
            return False
        on_object, permission = needed
        if on_object:
            if not key:
                return False
            stored = self.configs.get_object(bucket, "acl", key, None)
            grants = stored or acls.canned("private", bucket["Account"])
        else:
            grants = self.bucket_grants(bucket)
        if self.public_access_block(bucket).get("IgnorePublicAcls"):
            grants = [grant for grant in grants if grant["Grantee"].get("URI") not in acls.PUBLIC_GROUPS]
        return acls.grants_account(grants, permission, account)

    def item_authorizer(self: Provider, context: RequestContext) -> ItemAuthorizer | None:  # type: ignore[misc]
        """With IAM enforcement on, a callable (action, bucket, key, params) -> the AccessDenied
        error for one item of a batch S3 authorizes item by item (DeleteObjects), or None if
        allowed; None itself when nothing is enforced for this caller."""
        if (
            not self.runtime.config.enforce_iam
            or context.access_key_id is None
            or context.extra.get("internal")
        ):
            return None
        iam = self.runtime.provider("iam")

        def denial(action: str, bucket: dict, key: str, params: dict) -> ServiceError | None:
            resource = f"arn:{partition(bucket['Region'])}:s3:::{bucket['Name']}/{key}"
            try:
                iam.authorize(context, params, [(action, resource)])
            except ServiceError as error:
                return error
            return None

        return denial

    @staticmethod
    def _condition_keys(context: RequestContext, key: str | None) -> dict:
        request = context.request
        keys = {
            "aws:SecureTransport": "true" if request.scheme == "https" else "false",
            "aws:SourceIp": request.client_ip,
            "aws:Referer": request.headers.get("referer"),
            "aws:UserAgent": request.headers.get("user-agent"),
        }
        prefix = request.query.get("prefix")
        if prefix:
            keys["s3:prefix"] = prefix[0]
        return {name: value for name, value in keys.items() if value is not None}

    async def check_anonymous(self: Provider, context: RequestContext, params: dict) -> None:  # type: ignore[misc]
        """A request check: refuse an unsigned S3 request its bucket's policy and ACLs do not
        allow, with S3's AccessDenied."""
        if context.service != "s3" or context.access_key_id is not None or context.extra.get("internal"):
            return
        operation = context.operation_name
        name = params.get("Bucket") if params else None
        if not name:
            raise access_denied()  # ListBuckets and the like: an anonymous caller has no buckets
        bucket = self.bucket(context, name)
        key = params.get("Key")
        if not await self.anonymous_allowed(context, bucket, policies.action_for(operation), key):
            raise access_denied()
