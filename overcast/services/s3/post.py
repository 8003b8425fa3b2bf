"""Browser-based uploads: POST Object, a multipart/form-data POST to the bucket's URL with the
object's key, headers and body as form fields, authorized by a signed policy document (what
boto3's generate_presigned_post makes) or by the bucket's own permissions.

It is no API operation in the model (the SDKs never send it), so the provider answers it from
the raw request; the upload itself is PutObject's."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode, urlsplit, urlunsplit
from xml.etree import ElementTree

from overcast.common import jsontext
from overcast.context import RequestContext
from overcast.errors import ServiceError, internal_error
from overcast.http import Request, Response
from overcast.identity import identify
from overcast.services.s3.configstore import invalid_argument, malformed_xml, s3_error
from overcast.services.s3.object_ops import header_text, mail_safe
from overcast.signing import ALGORITHM, matches, signature, unknown_key

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

log = logging.getLogger(__name__)
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
#: Fields no policy condition has to name (AWS: the signature, the file, the policy itself and
#: x-ignore-* fields; with SigV2 the access key id too).
_EXEMPT = {"x-amz-signature", "signature", "file", "policy", "awsaccesskeyid"}
_V4_FIELDS = ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
_V4_NAMES = {
    "x-amz-algorithm": "X-Amz-Algorithm",
    "x-amz-credential": "X-Amz-Credential",
    "x-amz-date": "X-Amz-Date",
    "x-amz-signature": "X-Amz-Signature",
}
#: Form fields that are not object headers.
_CONTROL = {
    "key",
    "policy",
    "success_action_redirect",
    "redirect",
    "success_action_status",
    "tagging",
    "acl",
    "file",
    "bucket",
    "awsaccesskeyid",
    "signature",
    "x-amz-security-token",
    *_V4_FIELDS,
}
_DISPOSITION_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))')
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_MAX_FIELDS_BYTES = 20 * 1024  # AWS caps the form's fields (not the file) at 20 KB


def _field_missing(name: str) -> ServiceError:
    return s3_error(
        "InvalidArgument",
        f"Bucket POST must contain a field named '{name}'.  If it is specified, "
        "please check the order of the fields.",
        400,
        ArgumentName=name,
        ArgumentValue=None,
    )


def _policy_failed(condition) -> ServiceError:
    return s3_error(
        "AccessDenied",
        "Invalid according to Policy: Policy Condition failed: "
        + json.dumps(condition, separators=(", ", ": ")),
        403,
    )


def _signature_mismatch(access_key: str, policy: str, provided: str) -> ServiceError:
    return s3_error(
        "SignatureDoesNotMatch",
        _MISMATCH,
        403,
        AWSAccessKeyId=access_key,
        StringToSign=policy,
        SignatureProvided=provided,
        StringToSignBytes=" ".join(f"{b:02x}" for b in policy.encode()),
    )


def _invalid_policy(message: str) -> ServiceError:
    return s3_error("InvalidPolicyDocument", f"Invalid Policy: {message}", 400)


def parse_form(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], bytes | None, str | None]:
    """The form's fields before the file (in order), the file's bytes and its filename. Fields
    after the file are ignored, as S3 ignores them."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise s3_error(
            "MalformedPOSTRequest",
            "The body of your POST request is not well-formed multipart/form-data.",
            400,
        )
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: list[tuple[str, str]] = []
    parts = body.split(delimiter)
    if len(parts) < 3:
        raise s3_error(
            "MalformedPOSTRequest",
            "The body of your POST request is not well-formed multipart/form-data.",
            400,
        )
    for part in parts[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, separator, content = part.partition(b"\r\n\r\n")
        if not separator:
            raise s3_error(
                "MalformedPOSTRequest",
                "The body of your POST request is not well-formed multipart/form-data.",
                400,
            )
        if content.endswith(b"\r\n"):
            content = content[:-2]
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                disposition = value
        params = {
            m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3).strip())
            for m in _DISPOSITION_PARAM.finditer(disposition)
        }
        field = params.get("name")
        if field is None:
            continue
        if field.lower() == "file":
            return fields, content, params.get("filename")
        fields.append((field, content.decode("utf-8", "replace")))
    return fields, None, None


@lru_cache(maxsize=1)
def _header_members() -> dict[str, tuple[str, str]]:
    """PutObject's header members by lower-cased header name: (member, shape type)."""
    from overcast.protocols import service_model

    shape = service_model("s3").operation_model("PutObject").input_shape
    members = {}
    for name, member in shape.members.items():
        if member.serialization.get("location") == "header":
            members[member.serialization.get("name", name).lower()] = (name, member.type_name)
    return members


def _tagging(text: str) -> str:
    """The tagging field's XML document as the x-amz-tagging header's query string."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise malformed_xml() from None
    pairs = []
    for tag in root.iter():
        if tag.tag.rsplit("}", 1)[-1] != "Tag":
            continue
        values = {child.tag.rsplit("}", 1)[-1]: child.text or "" for child in tag}
        pairs.append((values.get("Key", ""), values.get("Value", "")))
    return urlencode(pairs)


class PostObjectOperations:
    async def form_post(self: Provider, request: Request, context: RequestContext) -> Response | None:  # type: ignore[misc]
        """Answer a POST to a bucket's URL (no query): a browser-based upload."""
        from overcast.services.s3.cors import _bucket_and_key

        name, key = _bucket_and_key(request.raw_path)
        if not name or key is not None or not _BUCKET_NAME.fullmatch(name):
            # Not a bucket's URL (POST /WriteGetObjectResponse is an operation): the API path answers.
            return None
        from overcast import protocols

        model = protocols.service_model("s3")
        context.service_model = model
        context.protocol = "rest-xml"
        context.operation = model.operation_model("PutObject")
        try:
            return await self._form_post(request, context, name)
        except ServiceError as error:
            self._observe_form(context, None, None, error)
            return protocols.serialize_error(model, None, "rest-xml", error, context)
        except Exception:
            log.exception("s3 POST Object failed")
            return protocols.serialize_error(model, None, "rest-xml", internal_error(), context)

    async def _form_post(self: Provider, request: Request, context: RequestContext, name: str) -> Response:  # type: ignore[misc]
        content_type = request.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise s3_error(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                412,
                Condition="Bucket POST must be of the enclosure-type multipart/form-data",
            )
        bucket = self.bucket(context, name)
        body = request.body if isinstance(request.body, (bytes, bytearray)) else await request.body.read()
        fields, content, filename = parse_form(content_type, bytes(body))
        if sum(len(k) + len(v) for k, v in fields) > _MAX_FIELDS_BYTES:
            raise s3_error(
                "MaxPostPreDataLengthExceeded",
                "Your POST request fields preceeding the upload file was too large.",
                400,
                MaxPostPreDataLength=str(_MAX_FIELDS_BYTES),
            )
        form: dict[str, str] = {}
        for field, value in fields:
            form.setdefault(field.lower(), value)
        names = {field.lower(): field for field, _ in fields}
        if "key" not in form:
            raise _field_missing("key")
        if content is None:
            raise s3_error(
                "InvalidArgument",
                "POST requires exactly one file upload per request.",
                400,
                ArgumentName="file",
                ArgumentValue="0",
            )
        key = form["key"]
        if filename and "${filename}" in key:
            key = key.replace("${filename}", filename.replace("\\", "/").rsplit("/", 1)[-1])
        access_key = self._check_form_signature(form)
        if access_key is not None:
            identify(context, access_key, self.runtime.resolve_key)
            context.extra["form_signer"] = access_key  # the key whose policy signature was checked
            token = form.get("x-amz-security-token")
            if token is not None:
                # Temporary credentials sign with their session token in the form: it is the
                # request's, for the checks that look for it in the headers.
                request.headers["x-amz-security-token"] = token
            self._check_form_policy(form, names, bucket, key, len(content))
        else:
            identify(context, None, self.runtime.resolve_key)
        params = self._form_params(form, bucket["Name"], key, content)
        await self.runtime.hooks("s3").check(context, params)
        context.extra["s3_created_event"] = "ObjectCreated:Post"
        output = await self.put_object(context, params)
        # What follows any PutObject (tags, ACL, object lock, the audit record) follows this one.
        self._observe_form(context, params, output, None)
        return self._form_response(request, context, form, bucket, key, output)

    def _observe_form(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        params: dict | None,
        output: dict | None,
        error: Exception | None,
    ) -> None:
        self.runtime.hooks("s3").observe(context, params, output, error)

    def _form_secret(self: Provider, access_key: str) -> str | None:  # type: ignore[misc]
        """The secret of the key that signed a form's policy; under --enforce-iam a key no one
        issued is refused (else its signature could not be checked)."""
        secret = self.runtime.secret_for(access_key)
        if secret is None and self.runtime.config.enforce_iam:
            raise unknown_key(access_key, "s3", "rest-xml")
        return secret

    def _check_form_signature(self: Provider, form: dict[str, str]) -> str | None:  # type: ignore[misc]
        """The access key that signed the policy (None for an unsigned upload); SignatureDoesNotMatch
        if the signature is wrong, InvalidArgument naming a missing field."""
        if any(name in form for name in _V4_FIELDS):
            for name in _V4_FIELDS:
                if name not in form:
                    raise _field_missing(_V4_NAMES[name])
            if "policy" not in form:
                raise _field_missing("Policy")
            if form["x-amz-algorithm"] != ALGORITHM:
                raise invalid_argument(
                    'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
                    "X-Amz-Algorithm",
                    form["x-amz-algorithm"],
                )
            credential = form["x-amz-credential"].split("/")
            if len(credential) != 5 or credential[4] != "aws4_request":
                raise invalid_argument(
                    "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                    'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
                    "X-Amz-Credential",
                    form["x-amz-credential"],
                )
            access_key, date, region, service, _ = credential
            secret = self._form_secret(access_key)
            provided = form["x-amz-signature"]
            if secret is not None and not matches(
                signature(secret, date, region, service, form["policy"]), provided.lower()
            ):
                raise _signature_mismatch(access_key, form["policy"], provided)
            return access_key
        if "awsaccesskeyid" in form or "signature" in form:
            for name, shown in (
                ("awsaccesskeyid", "AWSAccessKeyId"),
                ("signature", "Signature"),
                ("policy", "Policy"),
            ):
                if name not in form:
                    raise _field_missing(shown)
            access_key = form["awsaccesskeyid"]
            secret = self._form_secret(access_key)
            provided = form["signature"]
            if secret is not None:
                expected = base64.b64encode(
                    hmac.new(secret.encode(), form["policy"].encode(), hashlib.sha1).digest()
                )
                if not matches(expected.decode(), provided):
                    raise _signature_mismatch(access_key, form["policy"], provided)
            return access_key
        return None

    @staticmethod
    def _check_form_policy(
        form: dict[str, str], names: dict[str, str], bucket: dict, key: str, size: int
    ) -> None:
        try:
            document = jsontext.loads(base64.b64decode(form["policy"], validate=True))
        except (binascii.Error, ValueError):
            raise _invalid_policy("Invalid JSON.") from None
        if not isinstance(document, dict):
            raise _invalid_policy("Invalid JSON.")
        expiration = document.get("expiration")
        if not isinstance(expiration, str):
            raise _invalid_policy("Policy missing expiration.")
        try:
            expires = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        except ValueError:
            raise _invalid_policy(f"Invalid 'expiration' value: '{expiration}'") from None
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if expires < datetime.now(UTC):
            raise s3_error("AccessDenied", "Invalid according to Policy: Policy expired.", 403)
        conditions = document.get("conditions")
        if not isinstance(conditions, list):
            raise _invalid_policy("Policy missing conditions.")
        values = {**form, "bucket": bucket["Name"], "key": key}
        covered = set()
        for condition in conditions:
            if isinstance(condition, dict):
                if len(condition) != 1:
                    raise _invalid_policy(
                        "Invalid Simple-Condition: Simple-Conditions must have exactly one "
                        "property specified."
                    )
                ((field, wanted),) = condition.items()
                covered.add(field.lower())
                if values.get(field.lower()) != wanted:
                    raise _policy_failed(["eq", f"${field}", wanted])
                continue
            if not isinstance(condition, list) or len(condition) != 3:
                raise _invalid_policy(
                    "Invalid Condition: condition must be a JSON object or a three-element list."
                )
            operator = str(condition[0]).lower()
            if operator == "content-length-range":
                try:
                    low, high = int(condition[1]), int(condition[2])
                except (TypeError, ValueError):
                    raise _policy_failed(condition) from None
                if size > high:
                    raise s3_error(
                        "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed size",
                        400,
                        ProposedSize=str(size),
                        MaxSizeAllowed=str(high),
                    )
                if size < low:
                    raise s3_error(
                        "EntityTooSmall",
                        "Your proposed upload is smaller than the minimum allowed size",
                        400,
                        ProposedSize=str(size),
                        MinSizeAllowed=str(low),
                    )
                continue
            if operator not in ("eq", "starts-with"):
                raise _invalid_policy(f"Invalid Condition: unknown operation '{condition[0]}'.")
            target, wanted = condition[1], condition[2]
            if not isinstance(target, str) or not target.startswith("$"):
                raise _policy_failed(condition)
            field = target[1:].lower()
            covered.add(field)
            value = values.get(field)
            if value is None:
                value = ""
            if operator == "eq" and value != wanted:
                raise _policy_failed(condition)
            if operator == "starts-with" and not value.startswith(str(wanted)):
                raise _policy_failed(condition)
        extra = [
            names[name]
            for name in names
            if name not in covered
            and name not in _EXEMPT
            and name not in ("key", "bucket")
            and not name.startswith("x-ignore-")
        ]
        if "key" not in covered:
            extra.insert(0, names["key"])
        if extra:
            raise s3_error(
                "AccessDenied", "Invalid according to Policy: Extra input fields: " + ", ".join(extra), 403
            )

    @staticmethod
    def _form_params(form: dict[str, str], bucket: str, key: str, content: bytes) -> dict:
        params: dict = {"Bucket": bucket, "Key": key, "Body": content}
        members = _header_members()
        metadata = {}
        for name, value in form.items():
            if name.startswith("x-amz-meta-"):
                metadata[name[len("x-amz-meta-") :]] = mail_safe(value)
                continue
            if name in _CONTROL:
                continue
            member = members.get(name)
            if member is None:
                continue
            member_name, kind = member
            if kind == "timestamp":
                try:
                    params[member_name] = parsedate_to_datetime(value)
                except (TypeError, ValueError):
                    continue
            elif kind == "boolean":
                params[member_name] = value.lower() == "true"
            elif kind in ("integer", "long"):
                continue
            else:
                params[member_name] = header_text(value)
        if metadata:
            params["Metadata"] = metadata
        if not any(name.startswith("Checksum") for name in params):
            params["ChecksumAlgorithm"] = "CRC64NVME"  # what S3 stores for a form upload by default
        if "acl" in form:
            params["ACL"] = form["acl"]
        if form.get("tagging"):
            params["Tagging"] = _tagging(form["tagging"])
        return params

    @staticmethod
    def _form_response(
        request: Request, context: RequestContext, form: dict[str, str], bucket: dict, key: str, output: dict
    ) -> Response:
        """POST Object's answer, serialized from the shape S3's wire overlay declares for it."""
        from overcast import protocols

        operation = protocols.unrouted_operation(context.service_model, "PostObject")
        host = request.headers.get("host", "localhost")
        location = f"{request.scheme}://{host}/{quote(bucket['Name'])}/{quote(key)}"
        # PutObject's own answer (encryption, checksums: CRC64NVME by default) goes on as headers.
        answer = {name: value for name, value in output.items() if name in operation.output_shape.members}
        answer["Location"] = location
        redirect = form.get("success_action_redirect") or form.get("redirect")
        parts = urlsplit(redirect) if redirect else None
        if parts is not None and parts.scheme and parts.netloc:
            extra = urlencode({"bucket": bucket["Name"], "key": key, "etag": output["ETag"]})
            query = f"{parts.query}&{extra}" if parts.query else extra
            answer["Location"] = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
            answer["Status"] = 303
        elif form.get("success_action_status") == "200":
            answer["Status"] = 200
        elif form.get("success_action_status") == "201":
            answer["Status"] = 201
            answer["PostResponse"] = {
                "Location": location,
                "Bucket": bucket["Name"],
                "Key": key,
                "ETag": output["ETag"],
            }
        return protocols.serialize_response(operation, "rest-xml", answer, context)
