"""Who may call Overcast's own endpoints (`/_overcast/...`, `/_localstack/...`, `/moto-api/...`).

Health and other harmless reads stay open, as LocalStack's are. An endpoint that reveals state
(an export holds every IAM secret key) or changes it (reset, import) refuses what a web page
could send from another site or through DNS rebinding:

* a Host that is not a loopback name or address, an IP literal, or the configured bind host
  (a rebinding page reaches 127.0.0.1 under its own domain name, which it cannot hide);
* an Origin that is not the server's own (browsers send it on cross-site requests);
* `Sec-Fetch-Site: cross-site` or `same-site` (a browser says where the request came from);
* for a POST or PUT that changes state, a content type a page may send without asking the
  server first (text/plain and the form encodings): such a "simple request" gets no CORS
  preflight, so it would reach the endpoint before any Origin-based refusal could be made.

Under `--enforce-iam` such an endpoint also needs a SigV4-signed request (the Authorization
header) by a key whose secret Overcast knows, made by the default account's root or by a
principal of that account an identity policy allows the endpoint's action (ACTIONS below).
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from overcast.context import DEFAULT_ACCOUNT, DEFAULT_REGION, RequestContext
from overcast.errors import ServiceError
from overcast.http import Request, Response

#: The IAM actions an identity policy allows to call each kind of endpoint under --enforce-iam.
EXPORT, IMPORT, RESET = "overcast:ExportState", "overcast:ImportState", "overcast:ResetState"
READ_SERVICE, CHANGE_SERVICE = "overcast:ReadServiceData", "overcast:ChangeServiceData"
ACTIONS = (EXPORT, IMPORT, RESET, READ_SERVICE, CHANGE_SERVICE)

#: Host names that always mean this machine (LocalStack's name resolves to 127.0.0.1 in public
#: DNS, which no page can change).
_LOOPBACK_NAMES = ("localhost", "localhost.localstack.cloud")
#: The content types of a CORS "simple request": a browser sends them cross-site unasked.
_SIMPLE_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")
_CHANGING_METHODS = ("POST", "PUT", "DELETE", "PATCH")


@dataclass(frozen=True)
class Guard:
    """The IAM action an endpoint needs; `changes` when it changes state (not only reads it)."""

    action: str
    changes: bool


def _refused(status: int, message: str) -> Response:
    body = json.dumps({"error": message}).encode()
    return Response(status, {"Content-Type": "application/json"}, body)


def _host_name(host: str) -> str:
    """The name in a Host header, without its port ("[::1]:4566" → "::1")."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(host: str, bind_host: str) -> bool:
    """Whether a Host header names this server in a way no other site can: an IP literal, a
    loopback name (or a subdomain of one), or the host Overcast was told to bind."""
    name = _host_name(host).rstrip(".")
    if not name:
        return False
    if _is_ip(name) or name == bind_host.strip().lower():
        return True
    return any(name == loopback or name.endswith("." + loopback) for loopback in _LOOPBACK_NAMES)


def cross_site_refusal(request: Request, bind_host: str, changes: bool) -> str | None:
    """Why a request to a state endpoint looks cross-site, or None."""
    host = request.host
    if not host_allowed(host, bind_host):
        return (
            f"Host {host!r} is not a loopback name or address or this server's bind host; "
            "internal endpoints answer only those (DNS rebinding protection)"
        )
    origin = request.headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin.strip().lower())
        if parts.scheme not in ("http", "https") or parts.netloc != host.strip().lower():
            return f"Origin {origin!r} is not this server's; internal endpoints refuse cross-site requests"
    site = request.headers.get("sec-fetch-site", "").strip().lower()
    if site in ("cross-site", "same-site"):
        return f"Sec-Fetch-Site {site!r}: internal endpoints refuse cross-site requests"
    if changes and request.method in _CHANGING_METHODS:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type in _SIMPLE_TYPES:
            return (
                f"Content-Type {content_type!r} is refused on internal endpoints that change state "
                "(a web page may send it cross-site); send application/json or application/octet-stream"
            )
    return None


def check(runtime, request: Request, guard: Guard) -> Response | None:
    """The refusal of a request to a guarded endpoint, or None to let it through."""
    config = runtime.config
    reason = cross_site_refusal(request, config.host, guard.changes)
    if reason is not None:
        return _refused(403, reason)
    if _from_a_function(request):
        return _refused(403, "a Lambda function may not call Overcast's internal endpoints")
    if getattr(config, "enforce_iam", False):
        return _admin_refusal(runtime, request, guard.action)
    return None


def _from_a_function(request: Request) -> bool:
    """Whether the request comes from a Lambda function's sandbox, told by the client's socket:
    under root its owner is a function's own user id; otherwise the process holding it is in
    another PID namespace (a sandbox's; a container's sockets are not in this network's table)."""
    if not request.client_port:
        return False
    row = _socket_row(request.client_ip, request.client_port)
    if row is None:
        return False
    uid, inode = row
    if os.getuid() == 0:
        from overcast.services.lambda_ids import FUNCTION_UIDS

        return uid in FUNCTION_UIDS
    return in_another_pid_namespace(inode)


def in_another_pid_namespace(inode: int) -> bool:
    """Whether a process holding socket `inode` runs in a PID namespace other than this one's
    (read from /proc: a scan, made only for internal endpoints that reveal or change state)."""
    try:
        own = os.readlink("/proc/self/ns/pid")
        entries = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return False
    wanted = f"socket:[{inode}]"
    for pid in entries:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue  # gone, or not ours to read
        for descriptor in descriptors:
            try:
                if os.readlink(f"/proc/{pid}/fd/{descriptor}") == wanted:
                    return os.readlink(f"/proc/{pid}/ns/pid") != own
            except OSError:
                continue
    return False


def socket_owner(ip: str, port: int) -> int | None:
    """The user id owning the local TCP socket bound to (ip, port), from /proc/net/tcp{,6}."""
    row = _socket_row(ip, port)
    return None if row is None else row[0]


def _socket_row(ip: str, port: int) -> tuple[int, int] | None:
    """(owner's user id, inode) of the local TCP socket bound to (ip, port)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if address.version == 4:
        wanted = [(f"{int.from_bytes(address.packed, 'little'):08X}:{port:04X}", "/proc/net/tcp")]
        mapped = ipaddress.IPv6Address(f"::ffff:{ip}").packed  # a v4 client of a v6 socket
        wanted.append((_proc_ipv6(mapped) + f":{port:04X}", "/proc/net/tcp6"))
    else:
        wanted = [(_proc_ipv6(address.packed) + f":{port:04X}", "/proc/net/tcp6")]
    for local, table in wanted:
        try:
            with open(table) as rows:
                next(rows, None)
                for row in rows:
                    fields = row.split()
                    # Inode 0: a socket no process holds any more (TIME_WAIT) on a reused port.
                    if len(fields) > 9 and fields[1] == local and fields[9] != "0":
                        return int(fields[7]), int(fields[9])
        except OSError:
            continue
    return None


def _proc_ipv6(packed: bytes) -> str:
    """An IPv6 address as /proc/net/tcp6 writes it: four 32-bit words, each little-endian."""
    return "".join(f"{int.from_bytes(packed[i : i + 4], 'little'):08X}" for i in range(0, 16, 4))


def _admin_refusal(runtime, request: Request, action: str) -> Response | None:
    from overcast.identity import identify
    from overcast.routing import credential_scope
    from overcast.signing import ALGORITHM, is_presigned, verify_request

    scope = credential_scope(request)
    signed = request.headers.get("authorization", "").startswith(ALGORITHM)
    if scope is None or not signed or is_presigned(request):
        return _refused(
            403, f"IAM enforcement is on: sign the request (SigV4) as a principal allowed {action}"
        )
    if runtime.secret_for(scope.access_key_id) is None:
        return _refused(403, f"the access key {scope.access_key_id} has no secret Overcast can check")
    try:
        verify_request(request, runtime.secret_for)
    except ServiceError as error:
        return _refused(403, error.message)
    context = RequestContext(request=request, request_id="", region=scope.region or DEFAULT_REGION)
    identify(context, scope.access_key_id, runtime.resolve_key)
    identity = context.extra.get("identity")
    if identity is not None and identity.get("Status", "Active") != "Active":
        return _refused(403, "The security token included in the request is invalid.")
    if context.account != DEFAULT_ACCOUNT:
        return _refused(
            403,
            f"User: {context.principal_arn} is not authorized to perform: {action}: internal endpoints "
            f"serve principals of account {DEFAULT_ACCOUNT} only",
        )
    if identity is None or identity.get("Kind") == "root":
        return None  # the default account's root
    return _policy_refusal(runtime, context, identity, action)


def _policy_refusal(runtime, context: RequestContext, identity: dict, action: str) -> Response | None:
    from overcast import policy

    if identity.get("Kind") == "session":
        token = context.request.headers.get("x-amz-security-token")
        if token != identity.get("SessionToken"):
            return _refused(403, "The security token included in the request is invalid.")
        expiration = identity.get("Expiration")
        if expiration is not None and expiration <= datetime.now(UTC):
            return _refused(403, "The security token included in the request is expired")
    iam = runtime.provider("iam")
    principal = iam.principal_for(identity, context.account, context.region)
    identity_policies, boundaries, sessions = iam.policies_for(identity, context.account)
    resource = f"arn:aws:overcast::{context.account}:state"
    values = {"aws:SourceIp": context.request.client_ip}
    request = policy.AuthorizationRequest(
        principal, action, resource, context.account, values, context.region
    )
    decision = policy.evaluate(request, identity_policies, None, boundaries, sessions)
    if decision.allowed:
        return None
    return _refused(
        403, f"User: {principal.arn} is not authorized to perform: {action} on resource: {resource}"
    )
