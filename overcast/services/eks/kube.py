"""A cluster's API endpoint (`http://HOST/_aws/eks/ACCOUNT/REGION/NAME`, what DescribeCluster
gives as `endpoint` and `aws eks update-kubeconfig` writes into the kubeconfig).

It authenticates as EKS does: the bearer token is `k8s-aws-v1.` and the base64url of a presigned
STS GetCallerIdentity URL that signs the `x-k8s-aws-id` header with the cluster's name (what
`aws eks get-token` makes); the signature is verified, the token lives 15 minutes from its
X-Amz-Date, and the caller must be the cluster's creator (CONFIG_MAP mode) or have an access
entry (API modes). An unauthenticated caller gets Kubernetes' 401; an authenticated one is told,
in a Kubernetes Status, that no API server runs behind the cluster — Overcast runs none."""

from __future__ import annotations

import base64
import binascii
import calendar
import json
import re
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Request, Response
from overcast.identity import identify
from overcast.services.eks.access import iam_principal
from overcast.signing import verify_request
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from .provider import Provider

KUBE_PATH = re.compile(
    r"^/_aws/eks/(?P<account>\d{12})/(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)/(?P<name>[0-9A-Za-z][A-Za-z0-9_-]*)"
    r"(?P<path>/[^?]*)?$"
)
TOKEN_PREFIX = "k8s-aws-v1."
TOKEN_LIFETIME = 15 * 60
_STS_HOST = re.compile(r"^sts(?:\.[a-z]{2}(?:-[a-z]+)+-\d)?\.amazonaws\.com(?:\.cn)?$")


def status(code: int, reason: str, message: str) -> Response:
    """A Kubernetes Status object, as an API server answers an error."""
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}  # fmt: skip
    return Response(code, {"Content-Type": "application/json"}, json.dumps(body).encode())


def token_request(token: str) -> Request | None:
    """The presigned STS request a token carries, or None if it is not one."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    encoded = token[len(TOKEN_PREFIX) :]
    try:
        url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not _STS_HOST.match(parts.hostname or ""):
        return None
    query = parse_qs(parts.query)
    if query.get("Action") != ["GetCallerIdentity"] or "X-Amz-Signature" not in query:
        return None
    return Request("GET", parts.path or "/", parts.query, {"host": parts.netloc})


class KubeMixin:
    def serve_kube(  # type: ignore[misc]
        self: Provider, request: Request, match: re.Match[str], context: RequestContext
    ) -> Response:
        account, name = match.group("account"), match.group("name")
        cluster = self.clusters.get(store_scope(account, match.group("region")), name)
        if cluster is None or cluster.get("connectorConfig") is not None:
            return status(404, "NotFound", f"No cluster {name} is served here.")
        authorization = request.headers.get("authorization", "")
        token = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
        principal = self.token_principal(token, name, context)
        if principal is None or not self.may_use(cluster, principal):
            return status(401, "Unauthorized", "Unauthorized")
        return status(503, "ServiceUnavailable", f"{principal} is authenticated to cluster {name}, but "
                      "Overcast runs the EKS control plane only: no Kubernetes API server runs behind it.")  # fmt: skip

    def token_principal(self: Provider, token: str, cluster: str, context: RequestContext) -> str | None:  # type: ignore[misc]
        """The IAM ARN of the caller a token identifies for the cluster, or None."""
        signed = token_request(token)
        if signed is None:
            return None
        query = parse_qs(signed.query_string)
        headers = (query.get("X-Amz-SignedHeaders") or [""])[0].split(";")
        if "x-k8s-aws-id" not in headers:
            return None
        signed.headers["x-k8s-aws-id"] = cluster
        try:
            issued = calendar.timegm(time.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ"))
        except (KeyError, ValueError):
            return None
        if not issued - 300 <= time.time() <= issued + TOKEN_LIFETIME:
            return None
        enforcing = bool(getattr(self.runtime.config, "enforce_iam", False))
        try:
            # Checked as of its signing time: the token's own lifetime is the rule above.
            verify_request(signed, self.runtime.secret_for, protocol="query", now=issued + 1,
                           strict=enforcing, service="sts")  # fmt: skip
        except ServiceError:
            return None
        credential = (query.get("X-Amz-Credential") or [""])[0].split("/")
        identify(context, credential[0], self.runtime.resolve_key)
        return iam_principal(context.principal_arn)

    def may_use(self: Provider, cluster: dict, principal: str) -> bool:  # type: ignore[misc]
        """The creator (its admin rights stand in for the aws-auth ConfigMap, which no API server
        holds here) or, in the API modes, a principal with an access entry."""
        mode = cluster["accessConfig"]["authenticationMode"]
        if mode != "API" and iam_principal(cluster["creator"]) == principal:
            return True
        if mode == "CONFIG_MAP":
            return False
        scope = store_scope(cluster["account"], cluster["region"])
        return self.access.get(scope, f"{cluster['name']} {principal}") is not None
