"""The CLI's requests to a running Overcast's own endpoints (`overcast status`, `overcast state`).

Requests are SigV4-signed with the credentials boto3 would use (environment, shared files,
profile) when there are any, so that they pass a server started with --enforce-iam, which
answers its state endpoints to a signed admin only (gatekeeper.py); without credentials they
go unsigned, which a server without enforcement accepts."""

from __future__ import annotations

#: The SigV4 scope the CLI signs for (the server checks the signature, not the scope's names).
SIGNING_SERVICE = "overcast"
SIGNING_REGION = "us-east-1"


def _signed_headers(url: str, method: str, data: bytes | None, headers: dict[str, str]) -> dict[str, str]:
    try:
        import botocore.session
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
    except ImportError:  # botocore is a dependency; without it the request goes unsigned
        return headers
    session = botocore.session.Session()
    resolver = session.get_component("credential_provider")
    for remote in ("container-role", "iam-role"):  # no network lookups from a local tool
        resolver.remove(remote)
    credentials = session.get_credentials()
    if credentials is None:
        return headers
    request = AWSRequest(method=method, url=url, data=data or b"", headers=headers)
    SigV4Auth(credentials.get_frozen_credentials(), SIGNING_SERVICE, SIGNING_REGION).add_auth(request)
    return dict(request.headers.items())


def request(
    url: str,
    data: bytes | None = None,
    method: str = "GET",
    timeout: float = 300,
    content_type: str = "application/octet-stream",
) -> bytes:
    """The body of a successful answer; raises urllib.error.HTTPError for an error status."""
    import urllib.request  # not imported with the CLI: `overcast start` never needs it

    headers = {"Content-Type": content_type} if data is not None else {}
    headers = _signed_headers(url, method, data, headers)
    prepared = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(prepared, timeout=timeout) as response:
        body: bytes = response.read()
        return body
