"""AWS Signature Version 4 verification, for header-signed and presigned (query) requests.

    verify_request(request, runtime.secret_for)     # None, or raises ServiceError

The canonical request is rebuilt from what the client put on the wire, the way botocore's
signers (botocore.auth.SigV4Auth, S3SigV4Auth, SigV4QueryAuth) build it before signing;
botocore's own path normalisation is reused so the two cannot drift apart. A key whose secret
Overcast does not know cannot be checked, so its requests are accepted.

A signed streaming body (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`, aws-chunked framing)
is checked chunk by chunk: each chunk's signature chains from the previous one, starting at the
seed signature (the request's own), and a signed trailer ends the chain. A body already in
memory is checked here; a body still arriving gets a ChunkSigner that its consumer (S3's
aws-chunked decoder) feeds as it decodes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from calendar import timegm
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from botocore.utils import normalize_url_path

from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.http import Request

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
SIGNED_STREAMING = frozenset({STREAMING_PAYLOAD, STREAMING_TRAILER})
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
#: The longest a presigned URL may live (seven days), and the clock skew AWS tolerates.
MAX_PRESIGN_EXPIRES = 604800
MAX_SKEW_SECONDS = 15 * 60

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
#: Protocols whose services name a bad signature InvalidSignatureException (JSON APIs); the
#: query and XML services say SignatureDoesNotMatch.
_JSON_PROTOCOLS = frozenset({"json", "rest-json", "smithy-rpc-v2-cbor"})

_S3_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)


def is_presigned(request: Request) -> bool:
    """A SigV4 (or SigV2) query-authenticated request: a presigned URL."""
    text = request.query_string
    return (
        "X-Amz-Signature=" in text
        or "X-Amz-Credential=" in text
        or ("Signature=" in text and "AWSAccessKeyId=" in text)
    )


def signer_key(request: Request) -> str | None:
    """The access key id whose signature verify_request checks, read as it reads it: the
    caller must be the same key (the credential scope routing reads is found by a looser search)."""
    if is_presigned(request):
        query = request.query
        if "X-Amz-Credential" in query:
            return str(query["X-Amz-Credential"][0].split("/")[0])
        return str(query["AWSAccessKeyId"][0]) if "AWSAccessKeyId" in query else None
    authorization = request.headers.get("authorization") or ""
    if authorization.startswith(ALGORITHM):
        match = _AUTHORIZATION.match(authorization)
        return match.group("credential").split("/")[0] if match else None
    if authorization.startswith("AWS "):
        return authorization[4:].strip().partition(":")[0]
    return None


def verify_request(
    request: Request,
    secret_for: Callable[[str], str | None],
    *,
    protocol: str | None = None,
    now: float | None = None,
    strict: bool = False,
    service: str | None = None,
) -> None:
    """Raise the service's error if the request's SigV4 signature is wrong or has expired.

    Unsigned requests, and requests signed with a key `secret_for` does not know, pass.
    `protocol` picks the error code non-S3 services answer with. `strict` (--enforce-iam)
    verifies every signature of a signed request: a key `secret_for` does not know, an S3
    SigV2 header signature and any other Authorization scheme are checked or refused
    (`service` tells S3, whose SigV2 is verified, from the others)."""
    now = time.time() if now is None else now
    if strict:
        secret_for = _known(secret_for, service, protocol)
        if "authorization" in request.headers and is_presigned(request):
            # The caller is named by the header, the signature checked in the query: one
            # request must not mix them (else a URL anyone presigned would act as the header's key).
            raise _two_mechanisms(service)
    if is_presigned(request):
        _verify_presigned(request, secret_for, protocol, now, strict)
        return
    authorization = request.headers.get("authorization")
    if not authorization or not authorization.startswith(ALGORITHM):
        if strict and authorization:
            _verify_other_scheme(request, authorization, secret_for, service, protocol, now)
        return  # unsigned, or SigV2 (checked only when strict)
    match = _AUTHORIZATION.match(authorization)
    if match is None:
        raise _malformed_header(request, authorization, protocol)
    credential = match.group("credential").split("/")
    if len(credential) != 5 or credential[4] != "aws4_request":
        raise _malformed_header(request, authorization, protocol)
    access_key, date, region, service, _ = credential
    if strict and not (len(date) == 8 and date.isdigit()):
        raise _malformed_header(request, authorization, protocol)
    secret = secret_for(access_key)
    if secret is None:
        return
    timestamp = request.headers.get("x-amz-date") or request.headers.get("date", "")
    moment = _parse_amz_date(timestamp)
    if moment is None:
        moment = _parse_http_date(timestamp)
    if moment is None:
        if service == "s3":
            raise ServiceError(
                "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403
            )
        raise ServiceError(
            "IncompleteSignature",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            400,
        )
    if abs(now - moment) > MAX_SKEW_SECONDS:
        raise _skewed(service, timestamp, now, protocol)
    signed_headers = match.group("signed").lower()
    payload = _payload_hash(request, service, presigned=False)
    if strict:
        _check_signed_headers(request, signed_headers, service, protocol)
        payload = _body_payload(request, service, payload)
    amz_date = request.headers.get("x-amz-date") or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(moment))
    canonical = canonical_request(request, service, signed_headers, payload, drop_query=())
    expected = signature(
        secret, date, region, service, string_to_sign(amz_date, date, region, service, canonical)
    )
    if not matches(expected, match.group("signature").lower()):
        raise _mismatch(
            request,
            service,
            access_key,
            amz_date,
            date,
            region,
            canonical,
            match.group("signature"),
            protocol,
        )
    if payload in SIGNED_STREAMING:
        signer = ChunkSigner(
            signing_key(secret, date, region, service),
            amz_date,
            f"{date}/{region}/{service}/aws4_request",
            expected,
            access_key,
            trailer=payload == STREAMING_TRAILER,
        )
        body = request.body
        if isinstance(body, (bytes, bytearray)):
            signer.verify_framed(bytes(body))
        elif hasattr(body, "chunk_signer"):
            body.chunk_signer = signer
        return
    _check_payload_hash(request, payload, service)


def _verify_presigned(request: Request, secret_for, protocol: str | None, now: float, strict: bool) -> None:
    query = request.query
    if "AWSAccessKeyId" in query and "X-Amz-Credential" not in query:
        _verify_presigned_v2(request, query, secret_for, now)
        return
    missing = [name for name in _PRESIGN_PARAMS if name not in query]
    values = {name: query[name][0] for name in _PRESIGN_PARAMS if name in query}
    credential = values.get("X-Amz-Credential", "").split("/")
    service = credential[3] if len(credential) == 5 else "s3"
    if missing:
        raise ServiceError(
            "AuthorizationQueryParametersError",
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
            400,
        )
    if values["X-Amz-Algorithm"] != ALGORITHM:
        raise ServiceError(
            "AuthorizationQueryParametersError", 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"', 400
        )
    if len(credential) != 5 or credential[4] != "aws4_request":
        raise ServiceError(
            "AuthorizationQueryParametersError",
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
            400,
        )
    try:
        expires = int(values["X-Amz-Expires"])
    except ValueError:
        raise ServiceError(
            "AuthorizationQueryParametersError", "X-Amz-Expires should be a number", 400
        ) from None
    if expires < 0:
        raise ServiceError("AuthorizationQueryParametersError", "X-Amz-Expires must be non-negative", 400)
    if expires > MAX_PRESIGN_EXPIRES:
        raise ServiceError(
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires "
            "must be less than 604800 seconds",
            400,
        )
    amz_date = values["X-Amz-Date"]
    signed_at = _parse_amz_date(amz_date)
    if signed_at is None:
        raise ServiceError(
            "AuthorizationQueryParametersError",
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
            400,
        )
    access_key, date, region, service, _ = credential
    secret = secret_for(access_key)
    if secret is not None:
        signed_headers = values["X-Amz-SignedHeaders"].lower()
        payload = _payload_hash(request, service, presigned=True)
        if strict:
            _check_signed_headers(request, signed_headers, service, protocol)
            payload = _body_payload(request, service, payload)
        canonical = canonical_request(
            request, service, signed_headers, payload, drop_query=("X-Amz-Signature",)
        )
        expected = signature(
            secret, date, region, service, string_to_sign(amz_date, date, region, service, canonical)
        )
        if not matches(expected, values["X-Amz-Signature"].lower()):
            raise _mismatch(
                request,
                service,
                access_key,
                amz_date,
                date,
                region,
                canonical,
                values["X-Amz-Signature"],
                protocol,
            )
    if now > signed_at + expires:
        raise _expired(
            service,
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(signed_at + expires)),
            now,
            expires=str(expires),
        )
    if signed_at > now + MAX_SKEW_SECONDS:
        raise ServiceError("AccessDenied", "Request is not valid yet", 403)


def _verify_presigned_v2(request: Request, query: dict, secret_for, now: float) -> None:
    """A SigV2 presigned S3 URL (what boto3's generate_presigned_url makes by default):
    HMAC-SHA1 over botocore's HmacV1 canonical string, and its Expires."""
    expires_text = query.get("Expires", [""])[0]
    provided = query.get("Signature", [""])[0]
    access_key = query["AWSAccessKeyId"][0]
    secret = secret_for(access_key)
    if secret is not None:
        amz = {}
        for name, values in query.items():
            # botocore moves the x-amz-* headers it signed (x-amz-meta-*, x-amz-acl...) into a
            # V2 presigned URL's query string; S3 reads them there as headers.
            if name[:6].lower() == "x-amz-":
                amz[name.lower()] = values[0]
        to_sign = _v2_string_to_sign(request, expires_text, amz)
        _check_v2(secret, to_sign, access_key, provided)
    try:
        expires = int(expires_text)
    except ValueError:
        raise ServiceError(
            "AccessDenied",
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
            403,
        ) from None
    if now > expires:
        raise _expired("s3", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)), now)


# -- SigV2 (S3's HMAC-SHA1 signatures) and the schemes strict mode refuses -----------------------


def _v2_string_to_sign(request: Request, date_line: str, extra_amz: dict[str, str] | None = None) -> str:
    """S3's SigV2 StringToSign (botocore.auth.HmacV1Auth.canonical_string, from the wire): the
    method, Content-MD5, Content-Type, the date (a presigned URL's Expires), the x-amz-*
    headers, and the resource with the sub-resources S3 signs."""
    from botocore.auth import HmacV1Auth

    headers = request.headers
    lines = [
        request.method.upper(),
        headers.get("content-md5", ""),
        headers.get("content-type", ""),
        date_line,
    ]
    amz = {name: value.strip() for name, value in headers.items() if name.startswith("x-amz-")}
    for name, value in (extra_amz or {}).items():
        amz.setdefault(name, value.strip())
    lines.extend(f"{name}:{value}" for name, value in sorted(amz.items()))
    resource = request.raw_path  # path style: for a virtual host, the rewritten /bucket/key
    interesting = []
    for pair in request.query_string.split("&"):
        name, equals, value = pair.partition("=")
        if name in HmacV1Auth.QSAOfInterest:
            interesting.append((name, f"{name}={unquote(value)}" if equals else name))
    if interesting:
        interesting.sort(key=lambda item: item[0])
        resource += "?" + "&".join(text for _, text in interesting)
    lines.append(resource)
    return "\n".join(lines)


def _v2_signature(secret: str, to_sign: str) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), to_sign.encode("utf-8"), hashlib.sha1).digest()
    ).decode()


def _check_v2(secret: str, to_sign: str, access_key: str, provided: str) -> None:
    if not matches(_v2_signature(secret, to_sign), provided):
        raise ServiceError(
            "SignatureDoesNotMatch",
            _S3_MISMATCH,
            403,
            AWSAccessKeyId=access_key,
            StringToSign=to_sign,
            SignatureProvided=provided,
        )


def _verify_other_scheme(
    request: Request, authorization: str, secret_for, service: str | None, protocol: str | None, now: float
) -> None:
    """Strict mode: an Authorization header that is not SigV4. S3 verifies its SigV2 form
    (`AWS <key id>:<signature>`); every other service, and every other scheme, is refused."""
    if not authorization.startswith("AWS ") or service != "s3":
        if service == "s3":
            raise ServiceError(
                "InvalidArgument", "Unsupported Authorization Type", 400, ArgumentName="Authorization",
                ArgumentValue=authorization.split(" ", 1)[0],
            )  # fmt: skip
        raise _malformed_header(request, authorization, protocol)
    access_key, colon, provided = authorization[4:].strip().partition(":")
    if not colon or not access_key or not provided:
        raise ServiceError(
            "InvalidArgument", "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            400, ArgumentName="Authorization", ArgumentValue=authorization,
        )  # fmt: skip
    secret = secret_for(access_key)
    assert secret is not None  # strict: an unknown key was refused by _known
    headers = request.headers
    timestamp = headers.get("x-amz-date") or headers.get("date", "")
    moment = _parse_http_date(timestamp)
    if moment is None:
        moment = _parse_amz_date(timestamp)
    if moment is None:
        raise ServiceError(
            "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403
        )
    if abs(now - moment) > MAX_SKEW_SECONDS:
        raise _skewed("s3", timestamp, now, protocol)
    # With x-amz-date sent, the Date line may be empty (S3's rule) or the Date header's value.
    date_lines = ["", headers.get("date", "")] if "x-amz-date" in headers else [headers.get("date", "")]
    for date_line in date_lines:
        to_sign = _v2_string_to_sign(request, date_line)
        if matches(_v2_signature(secret, to_sign), provided):
            return
    _check_v2(secret, _v2_string_to_sign(request, date_lines[-1]), access_key, provided)


def _check_signed_headers(request: Request, signed_headers: str, service: str, protocol: str | None) -> None:
    """Strict mode: the Host must be signed (else the request could be replayed to another
    endpoint), and for S3 every x-amz-* header sent (else one could be added: x-amz-acl)."""
    signed = set(signed_headers.split(";"))
    if "host" not in signed:
        if service == "s3":
            raise ServiceError(
                "AccessDenied",
                "There were headers present in the request which were not signed",
                403,
                HeadersNotSigned="host",
            )
        raise ServiceError(
            "IncompleteSignature" if protocol not in _JSON_PROTOCOLS else "InvalidSignatureException",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            400 if protocol not in _JSON_PROTOCOLS else 403,
        )
    if service == "s3":
        unsigned = sorted(
            name for name in request.headers if name.startswith("x-amz-") and name not in signed
        )
        if unsigned:
            raise ServiceError(
                "AccessDenied", "There were headers present in the request which were not signed", 403,
                HeadersNotSigned=", ".join(unsigned),
            )  # fmt: skip


def _body_payload(request: Request, service: str, declared: str) -> str:
    """Strict mode: outside S3 (the one service whose clients may leave a payload unsigned or
    stream it with chunk signatures), the signature covers the body as received, whatever
    x-amz-content-sha256 claims: a body cannot be swapped under UNSIGNED-PAYLOAD."""
    body = request.body
    if service == "s3" or not isinstance(body, (bytes, bytearray)):
        return declared
    return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256


def _two_mechanisms(service: str | None) -> ServiceError:
    message = (
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query "
        "string parameter or the Authorization header should be specified"
    )
    if service == "s3":
        return ServiceError("InvalidArgument", message, 400, ArgumentName="Authorization", ArgumentValue="")
    return ServiceError("IncompleteSignature", message, 400)


def _known(secret_for, service: str | None, protocol: str | None) -> Callable[[str], str]:
    """secret_for, refusing a key it does not know (strict mode) in the service's words."""

    def lookup(access_key: str) -> str:
        secret = secret_for(access_key)
        if secret is None:
            raise unknown_key(access_key, service, protocol)
        return secret

    return lookup


def unknown_key(access_key: str, service: str | None, protocol: str | None) -> ServiceError:
    """An access key id no one issued, in the service's words."""
    if service == "s3":
        return ServiceError(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            403,
            AWSAccessKeyId=access_key,
        )
    if protocol in _JSON_PROTOCOLS:
        return ServiceError(
            "UnrecognizedClientException", "The security token included in the request is invalid.", 400
        )
    return ServiceError("InvalidClientTokenId", "The security token included in the request is invalid.", 403)


# -- the canonical request (botocore.auth.SigV4Auth.canonical_request, from the wire) -------------


def canonical_request(
    request: Request, service: str, signed_headers: str, payload: str, drop_query: tuple[str, ...]
) -> str:
    path = getattr(request, "wire_path", None) or request.raw_path
    if service != "s3":
        # Other services sign the normalised path, percent-encoded once more (botocore does
        # quote(normalize_url_path(path)) on the already-encoded path).
        path = quote(normalize_url_path(path), safe="/~")
    elif not path:
        path = "/"
    headers = request.headers
    lines = []
    for name in signed_headers.split(";"):
        value = headers.get(name, "")
        lines.append(f"{name}:{' '.join(value.split())}")
    return "\n".join(
        (
            request.method.upper(),
            path,
            canonical_query(request.query_string, drop_query),
            "\n".join(lines) + "\n",
            signed_headers,
            payload,
        )
    )


def canonical_query(query_string: str, drop: tuple[str, ...] = ()) -> str:
    """Each name and value percent-encoded as SigV4 wants (unreserved characters kept), sorted."""
    pairs = []
    for pair in query_string.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        name = unquote(name)
        if name in drop:
            continue
        pairs.append((quote(name, safe="-_.~"), quote(unquote(value), safe="-_.~")))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def string_to_sign(amz_date: str, date: str, region: str, service: str, canonical: str) -> str:
    return "\n".join(
        (
            ALGORITHM,
            amz_date,
            f"{date}/{region}/{service}/aws4_request",
            hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        )
    )


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def matches(expected: str, provided: str) -> bool:
    """Whether a signature a client sent is the one computed, in constant time. The client's
    text may hold any character (compare_digest refuses non-ASCII str), so bytes are compared."""
    return hmac.compare_digest(expected.encode(), provided.encode("utf-8", "surrogatepass"))


def signature(secret: str, date: str, region: str, service: str, to_sign: str) -> str:
    key = signing_key(secret, date, region, service)
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


# -- signed streaming payloads (aws-chunked with chunk signatures) ------------------------------


class ChunkSigner:
    """Checks the chain of chunk signatures of one signed streaming body: feed each chunk's
    data (`update`), then `end_chunk` with the signature its header line gave; for the
    -TRAILER variant, `verify_trailer` with the trailing headers last."""

    __slots__ = ("_access_key", "_hasher", "_key", "_prefix", "_previous", "trailer")

    def __init__(
        self,
        key: bytes,
        amz_date: str,
        scope: str,
        seed_signature: str,
        access_key: str = "",
        trailer: bool = False,
    ) -> None:
        #: Whether signed trailing headers end the body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER).
        self.trailer = trailer
        self._key = key
        self._prefix = f"{amz_date}\n{scope}\n"
        self._previous = seed_signature
        self._access_key = access_key
        self._hasher = hashlib.sha256()

    def update(self, data) -> None:
        self._hasher.update(data)

    def end_chunk(self, provided: str | None) -> None:
        to_sign = (
            f"AWS4-HMAC-SHA256-PAYLOAD\n{self._prefix}{self._previous}\n{EMPTY_SHA256}\n"
            f"{self._hasher.hexdigest()}"
        )
        self._hasher = hashlib.sha256()
        self._check(to_sign, provided)

    def verify_trailer(self, trailers: list[tuple[str, str]]) -> None:
        """`trailers` as (lower-case name, value) in the order sent, the signature's included."""
        provided = None
        canonical = []
        for name, value in trailers:
            if name == "x-amz-trailer-signature":
                provided = value
            else:
                canonical.append(f"{name}:{value}\n")
        digest = hashlib.sha256("".join(canonical).encode("latin-1")).hexdigest()
        self._check(f"AWS4-HMAC-SHA256-TRAILER\n{self._prefix}{self._previous}\n{digest}", provided)

    def _check(self, to_sign: str, provided: str | None) -> None:
        expected = hmac.new(self._key, to_sign.encode(), hashlib.sha256).hexdigest()
        if provided is None or not matches(expected, provided.strip().lower()):
            raise ServiceError(
                "SignatureDoesNotMatch",
                _S3_MISMATCH,
                403,
                AWSAccessKeyId=self._access_key,
                StringToSign=to_sign,
                SignatureProvided=provided or "",
            )
        self._previous = expected

    def verify_framed(self, body: bytes) -> None:
        """Check a whole aws-chunked body already in memory (framing errors are left to the
        decoder that reads it afterwards)."""
        position = 0
        while True:
            line_end = body.find(b"\r\n", position)
            if line_end < 0:
                return
            size, provided = chunk_header(body[position:line_end])
            if size is None:
                return
            position = line_end + 2
            self.update(body[position : position + size])
            self.end_chunk(provided)
            if size == 0:
                break
            position += size + 2
        if self.trailer:
            self.verify_trailer(trailer_lines(body[position:]))


def chunk_header(line: bytes) -> tuple[int | None, str | None]:
    """(size, chunk-signature) of an aws-chunked size line; size None when it is not one."""
    size_text, _, extension = line.partition(b";")
    try:
        size = int(size_text.strip(), 16)
    except ValueError:
        return None, None
    provided = None
    name, equals, value = extension.partition(b"=")
    if equals and name.strip() == b"chunk-signature":
        provided = value.strip().decode("latin-1")
    return size, provided


def trailer_lines(text: bytes) -> list[tuple[str, str]]:
    pairs = []
    for line in text.split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if colon:
            pairs.append((name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")))
    return pairs


def _payload_hash(request: Request, service: str, presigned: bool) -> str:
    declared = request.headers.get("x-amz-content-sha256")
    if declared:
        return declared  # a hex digest, UNSIGNED-PAYLOAD or a STREAMING-* marker, signed as sent
    if presigned and service == "s3":
        return UNSIGNED_PAYLOAD
    body = request.body
    if isinstance(body, (bytes, bytearray)):
        return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    return UNSIGNED_PAYLOAD  # a body still streaming in: cannot be hashed up front


def _check_payload_hash(request: Request, payload: str, service: str) -> None:
    """A declared x-amz-content-sha256 digest must match the body (checked here when the body
    is already in memory; a streamed body is checked as it is stored)."""
    body = request.body
    if "x-amz-content-sha256" not in request.headers or not _HEX64.match(payload):
        return
    if isinstance(body, (bytes, bytearray)) and hashlib.sha256(body).hexdigest() != payload:
        raise content_sha256_mismatch(payload, hashlib.sha256(body).hexdigest())


def content_sha256_mismatch(client: str, computed: str) -> ServiceError:
    return ServiceError(
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        400,
        ClientComputedContentSHA256=client,
        S3ComputedContentSHA256=computed,
    )


# -- dates and errors ---------------------------------------------------------------------------


def _parse_amz_date(text: str) -> float | None:
    try:
        return float(timegm(time.strptime(text, "%Y%m%dT%H%M%SZ")))
    except (ValueError, TypeError):
        return None


def _parse_http_date(text: str) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _mismatch(request, service, access_key, amz_date, date, region, canonical, provided, protocol):
    to_sign = string_to_sign(amz_date, date, region, service, canonical)
    if service == "s3":
        return ServiceError(
            "SignatureDoesNotMatch",
            _S3_MISMATCH,
            403,
            AWSAccessKeyId=access_key,
            StringToSign=to_sign,
            SignatureProvided=provided,
            StringToSignBytes=" ".join(f"{b:02x}" for b in to_sign.encode()),
            CanonicalRequest=canonical,
            CanonicalRequestBytes=" ".join(f"{b:02x}" for b in canonical.encode()),
        )
    code = "InvalidSignatureException" if protocol in _JSON_PROTOCOLS else "SignatureDoesNotMatch"
    return ServiceError(code, _MISMATCH, 403)


def _expired(service: str, expires_at: str, now: float, **fields) -> ServiceError:
    server_time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    if service == "s3":
        extra = {"X-Amz-Expires": fields["expires"]} if "expires" in fields else {}
        return ServiceError(
            "AccessDenied", "Request has expired", 403, **extra, Expires=expires_at, ServerTime=server_time
        )
    return ServiceError("AccessDenied", "Request has expired", 403)


def _skewed(service: str, timestamp: str, now: float, protocol: str | None) -> ServiceError:
    server_time = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    if service == "s3":
        return ServiceError(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            403,
            RequestTime=timestamp,
            ServerTime=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            MaxAllowedSkewMilliseconds="900000",
        )
    code = "InvalidSignatureException" if protocol in _JSON_PROTOCOLS else "SignatureDoesNotMatch"
    return ServiceError(
        code,
        f"Signature expired: {timestamp} is now earlier than "
        f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(now - MAX_SKEW_SECONDS))} "
        f"({server_time} - 15 min.)",
        403,
    )


def _malformed_header(request, authorization: str, protocol: str | None) -> ServiceError:
    if "/s3/" in authorization:
        return ServiceError(
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; the authorization header requires three "
            "components: Credential, SignedHeaders, and Signature.",
            400,
        )
    code = "IncompleteSignature"
    return ServiceError(
        code,
        f"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. "
        f"Authorization={authorization}",
        400 if protocol not in _JSON_PROTOCOLS else 403,
    )
