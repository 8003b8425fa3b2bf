"""Which service a request is for, from what the client put on the wire (DESIGN.md §1).

In order of confidence: the X-Amz-Target header or smithy RPC path (they name the service
exactly), the SigV4 credential scope (header or presigned query), the Host header, the query
protocol's Version parameter, REST path prefixes; an unsigned request that matches nothing is
S3's (browsers and presigned-style tools address buckets with no other hint).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from urllib.parse import quote

from overcast.http import Request
from overcast.protocols.catalog import ServiceInfo

#: Signing names several services share, resolved by path prefix (REST) — the rest of the
#: shared names are told apart by target prefix or query Version.
PATH_HINTS: dict[str, tuple[tuple[str, str], ...]] = {
    "s3": (("/v20180820/", "s3control"),),
    "apigateway": (("/v2/", "apigatewayv2"),),
}

#: Signing names that only the endpoint rules know (not a service's model), and the service
#: whose API they sign: S3 Object Lambda's WriteGetObjectResponse, directory buckets' operations.
SIGNING_ALIASES: dict[str, str] = {"s3-object-lambda": "s3", "s3express": "s3"}

#: Unsigned REST requests (function URLs, browser uploads) recognised by their path.
UNSIGNED_PATH_PREFIXES: tuple[tuple[str, str], ...] = (
    ("/2015-03-31/functions", "lambda"),
    ("/2021-10-31/functions", "lambda"),
)

#: Unsigned query links AWS hands out without a Version parameter (SNS's UnsubscribeURL and
#: SubscribeURL, visited by a browser or an HTTP endpoint), recognised by their Action.
UNSIGNED_QUERY_ACTIONS: dict[str, str] = {"Unsubscribe": "sns", "ConfirmSubscription": "sns"}

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")
_S3_VIRTUAL_HOST = re.compile(
    r"^(?P<bucket>.+?)\.s3(?:[.-](?P<region>[a-z]{2}-[a-z-]+-\d))?\."
    r"(?:localhost\.localstack\.cloud|amazonaws\.com)(?::\d+)?$"
)
_ENDPOINT_HOST = re.compile(
    r"^(?P<prefix>[a-z0-9.-]+?)(?:\.(?P<region>[a-z]{2}-[a-z-]+-\d))?\."
    r"(?:localhost\.localstack\.cloud|amazonaws\.com)(?::\d+)?$"
)


_REGISTRY_HOST = re.compile(
    r"^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.(?:amazonaws\.com(?:\.cn)?|localhost\.localstack\.cloud)(?::\d+)?$"
)


def registry_request(request: Request) -> bool:
    """A request of the ECR registry's OCI Distribution API (`docker push`, `docker pull`):
    a `/v2` path on AWS's registry host, or one that is not SigV4-signed (Basic auth, or none
    for the first `/v2/` probe). API Gateway v2's control plane also lives under `/v2/`, but
    its requests are always signed."""
    path = request.raw_path
    if path != "/v2" and not path.startswith("/v2/"):
        return False
    if _REGISTRY_HOST.match(request.headers.get("host", "")):
        return True
    if request.headers.get("authorization", "").startswith("AWS4-"):
        return False
    return "X-Amz-Credential" not in request.query_string


class CredentialScope:
    __slots__ = ("access_key_id", "date", "region", "service")

    def __init__(self, access_key_id: str, date: str, region: str, service: str) -> None:
        self.access_key_id = access_key_id
        self.date = date
        self.region = region
        self.service = service


def credential_scope(request: Request) -> CredentialScope | None:
    """The SigV4 scope from the Authorization header or a presigned URL's X-Amz-Credential."""
    authorization = request.headers.get("authorization")
    if authorization:
        match = _CREDENTIAL.search(authorization)
        if match:
            return CredentialScope(*match.groups())
        # SigV2 ("AWS AKID:signature") still names the key; the scope is unknown.
        if authorization.startswith("AWS "):
            return CredentialScope(authorization[4:].split(":")[0], "", "", "")
        return None
    if "X-Amz-Credential" in request.query_string:
        values = request.query.get("X-Amz-Credential")
        if values:
            parts = values[0].split("/")
            if len(parts) == 5:
                return CredentialScope(*parts[:4])
    elif "AWSAccessKeyId=" in request.query_string:  # SigV2 presigned S3 URL
        return CredentialScope(request.query["AWSAccessKeyId"][0], "", "", "s3")
    return None


def host_region(host: str) -> str:
    """The region an AWS-style host name carries (sqs.eu-west-1.amazonaws.com), or ""."""
    match = _ENDPOINT_HOST.match(host) or _S3_VIRTUAL_HOST.match(host)
    return (match.group("region") or "") if match else ""


def _named_first(key: str) -> Callable[[str], tuple[bool, str]]:
    """Sort key: the name equal to `key` first, then the others by name."""
    return lambda name: (name != key, name)


class ServiceRouter:
    def __init__(self, catalog: list[ServiceInfo]) -> None:
        self.services = {info.name: info for info in catalog}
        self.by_target_prefix: dict[str, str] = {}
        self.by_signing_name: dict[str, list[str]] = defaultdict(list)
        self.by_endpoint_prefix: dict[str, list[str]] = defaultdict(list)
        self.query_by_version: dict[str, list[str]] = defaultdict(list)
        for info in catalog:
            if info.target_prefix:
                self.by_target_prefix.setdefault(info.target_prefix, info.name)
            self.by_signing_name[info.signing_name].append(info.name)
            self.by_endpoint_prefix[info.endpoint_prefix].append(info.name)
            if "query" in info.protocols or "ec2" in info.protocols:
                self.query_by_version[info.api_version].append(info.name)
        for alias, name in SIGNING_ALIASES.items():
            if name in self.services:
                self.by_signing_name.setdefault(alias, [name])
        for table in (self.by_signing_name, self.by_endpoint_prefix, self.query_by_version):
            for key, names in table.items():
                # The service named like its signing name/prefix is the default among equals.
                names.sort(key=_named_first(key))

    def resolve(self, request: Request, scope: CredentialScope | None) -> str | None:
        """The service name, or None when nothing identifies one. May rewrite a virtual-hosted
        S3 request to path style."""
        headers = request.headers
        target = headers.get("x-amz-target")
        if target:
            service = self.by_target_prefix.get(target.rpartition(".")[0])
            if service:
                return service
        if request.raw_path.startswith("/service/") and "smithy-protocol" in headers:
            service = self.by_target_prefix.get(request.raw_path.split("/")[2])
            if service:
                return service

        host = headers.get("host", "")
        virtual = _S3_VIRTUAL_HOST.match(host)
        if virtual and virtual.group("bucket") not in ("s3", "s3-website"):
            request.rewrite_path("/" + quote(virtual.group("bucket"), safe="") + request.raw_path)
            return "s3"

        if scope is not None and scope.service:
            candidates = self.by_signing_name.get(scope.service)
            if not candidates:
                return None  # signed for a service botocore does not know
            return self._choose(candidates, request, scope.service)
        endpoint = _ENDPOINT_HOST.match(host)
        if endpoint:
            candidates = self.by_endpoint_prefix.get(endpoint.group("prefix"))
            if candidates:
                return self._choose(candidates, request, endpoint.group("prefix"))
        if "Action" in request.form:
            version = request.form.get("Version", [""])[0]
            candidates = self.query_by_version.get(version)
            if candidates:
                return candidates[0]
            if not version:
                linked = UNSIGNED_QUERY_ACTIONS.get(request.form["Action"][0])
                if linked:
                    return linked
        for prefix, service in UNSIGNED_PATH_PREFIXES:
            if request.raw_path.startswith(prefix):
                return service
        return "s3"

    def _choose(self, candidates: list[str], request: Request, key: str) -> str:
        if len(candidates) == 1:
            return candidates[0]
        for prefix, service in PATH_HINTS.get(key, ()):
            if request.raw_path.startswith(prefix):
                return service
        if "Action" in request.form:
            version = request.form.get("Version", [""])[0]
            for name in candidates:
                if self.services[name].api_version == version:
                    return name
        return candidates[0]
