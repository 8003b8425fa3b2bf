"""IAM database authentication for PostgreSQL engines.

On RDS a user granted `rds_iam` logs in with a token from `generate-db-auth-token`: a SigV4
presigned URL (service rds-db, Action=connect, DBUser=<user>) that lives 15 minutes. Here
PostgreSQL itself asks for it: the instance's pg_hba.conf sends members of rds_iam to LDAP
simple-bind authentication against a small LDAP responder Overcast runs on a loopback port
(`TokenFront`), with the bind name `<user>@<resource id>` and the token as the password. The
responder answers one question — is this token valid for this user on this database — and
nothing else: the engine keeps its own connection, so no proxy sits in the data path, and
every other user authenticates with its password as before.

A token is valid when its signature verifies with the signing key's secret (overcast/signing),
it has not expired, it names the user, and — under --enforce-iam — the key's principal is
allowed `rds-db:connect` on `arn:aws:rds-db:<region>:<account>:dbuser:<resource id>/<user>`."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from overcast.common.arns import partition

log = logging.getLogger(__name__)

#: LDAP result codes (RFC 4511).
SUCCESS, PROTOCOL_ERROR, INVALID_CREDENTIALS = 0, 2, 49


class BerError(ValueError):
    pass


def _read_tlv(data: bytes, at: int) -> tuple[int, bytes, int]:
    """One BER element at `at`: its tag, contents and the offset after it."""
    if at + 2 > len(data):
        raise BerError("short element")
    tag, first = data[at], data[at + 1]
    at += 2
    if first & 0x80:
        count = first & 0x7F
        if count == 0 or count > 4 or at + count > len(data):
            raise BerError("bad length")
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    else:
        length = first
    if at + length > len(data):
        raise BerError("short contents")
    return tag, data[at : at + length], at + length


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, contents: bytes) -> bytes:
    return bytes([tag]) + _length(len(contents)) + contents


def parse_bind(message: bytes) -> tuple[int, int, str, bytes] | None:
    """An LDAPMessage: (message id, operation tag, bind name, simple password); None when it is
    not a message at all."""
    tag, body, _ = _read_tlv(message, 0)
    if tag != 0x30:
        return None
    id_tag, raw_id, at = _read_tlv(body, 0)
    if id_tag != 0x02:
        return None
    message_id = int.from_bytes(raw_id, "big")
    op_tag, op, _ = _read_tlv(body, at)
    if op_tag != 0x60:  # not a BindRequest (an UnbindRequest is 0x42)
        return message_id, op_tag, "", b""
    _, _version, at = _read_tlv(op, 0)
    _, name, at = _read_tlv(op, at)
    auth_tag, password, _ = _read_tlv(op, at)
    if auth_tag != 0x80:  # only simple authentication
        return message_id, -1, name.decode("utf-8", "replace"), b""
    return message_id, op_tag, name.decode("utf-8", "replace"), password


def bind_response(message_id: int, code: int, text: str = "") -> bytes:
    raw_id = message_id.to_bytes(max(1, (message_id.bit_length() + 8) // 8), "big")
    result = _tlv(0x0A, bytes([code])) + _tlv(0x04, b"") + _tlv(0x04, text.encode())
    return _tlv(0x30, _tlv(0x02, raw_id) + _tlv(0x61, result))


def token_parts(token: str) -> tuple[str, str, dict[str, list[str]]] | None:
    """host:port, the query string and its parameters of a token, or None if it is not one."""
    host, sep, query = token.partition("/?")
    if not sep or not host or not query:
        return None
    return host, query, parse_qs(query, keep_blank_values=True)


class TokenFront:
    """The LDAP responder PostgreSQL asks. `check(user, resource_id, token)` returns None for
    a valid token, else why it is refused (logged, and in the engine's log as a failed login)."""

    def __init__(self, check: Callable[[str, str, str], str | None], port: int = 0) -> None:
        self.check = check
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind(("127.0.0.1", port))
        except OSError:
            self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port: int = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, name="rds iam auth", daemon=True).start()

    def close(self) -> None:
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), name="rds iam bind", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        buffer = b""
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                while buffer:
                    try:
                        _, _, end = _read_tlv(buffer, 0)
                    except BerError:
                        if len(buffer) > 1 << 16:
                            return
                        break  # wait for the rest
                    message, buffer = buffer[:end], buffer[end:]
                    parsed = parse_bind(message)
                    if parsed is None:
                        return
                    message_id, op, name, password = parsed
                    if op == 0x42:  # UnbindRequest
                        return
                    if op != 0x60:
                        conn.sendall(bind_response(message_id, PROTOCOL_ERROR, "only simple bind is served"))
                        continue
                    user, _, resource_id = name.rpartition("@")
                    why = self.check(user, resource_id, password.decode("utf-8", "replace"))
                    if why is None:
                        conn.sendall(bind_response(message_id, SUCCESS))
                    else:
                        log.info("IAM database authentication of %s refused: %s", user, why)
                        conn.sendall(bind_response(message_id, INVALID_CREDENTIALS, why))
        except (OSError, BerError):
            return
        finally:
            conn.close()


class IAMAuthMixin:
    """The provider's side: the token front (started when an IAM-enabled PostgreSQL engine
    first needs it, on the same port across restarts where it is free) and the check."""

    runtime: Any
    settings: Any
    instances: Any
    clusters: Any
    instance_by_key: dict[str, tuple[str, str]]
    token_front: TokenFront | None = None
    _front_lock = threading.Lock()

    def token_front_port(self) -> int:
        with self._front_lock:
            if self.token_front is None:
                from overcast.store import scope as store_scope

                global_scope = store_scope("000000000000")
                stored = self.settings.get(global_scope, "iam-auth-port") or 0
                self.token_front = TokenFront(self.check_token, int(stored))
                if self.token_front.port != stored:
                    self.settings.put(global_scope, "iam-auth-port", self.token_front.port)
            return self.token_front.port

    def close_token_front(self) -> None:
        with self._front_lock:
            if self.token_front is not None:
                self.token_front.close()
                self.token_front = None

    def iam_auth_of(self, row: dict[str, Any]) -> tuple[bool, str]:
        """Whether the instance takes IAM tokens, and the resource id they are for: a cluster
        member's are its cluster's."""
        desc = row["desc"]
        cluster_id = desc.get("DBClusterIdentifier")
        found = self.instance_by_key.get(row.get("key") or "")
        if cluster_id and found is not None:
            cluster = self.clusters.get(found[0], cluster_id)
            if cluster is not None:
                cdesc = cluster["desc"]
                return bool(cdesc.get("IAMDatabaseAuthenticationEnabled")), cdesc["DbClusterResourceId"]
        return bool(desc.get("IAMDatabaseAuthenticationEnabled")), desc.get("DbiResourceId", "")

    def _resource(self, resource_id: str) -> tuple[str, bool] | None:
        """The scope of the instance or cluster with this resource id and whether it has IAM
        database authentication enabled."""
        for scope in self.clusters.scopes():
            for _, row in self.clusters.scan(scope):
                if row["desc"].get("DbClusterResourceId") == resource_id:
                    return scope, bool(row["desc"].get("IAMDatabaseAuthenticationEnabled"))
        for scope in self.instances.scopes():
            for _, row in self.instances.scan(scope):
                if row["desc"].get("DbiResourceId") == resource_id:
                    return scope, bool(row["desc"].get("IAMDatabaseAuthenticationEnabled"))
        return None

    def check_token(self, user: str, resource_id: str, token: str) -> str | None:
        from overcast import signing
        from overcast.context import RequestContext
        from overcast.errors import ServiceError
        from overcast.http import Request
        from overcast.identity import identify

        found = self._resource(resource_id)
        if found is None:
            return "no such database"
        scope, enabled = found
        if not enabled:
            return "IAM database authentication is not enabled"
        parts = token_parts(token)
        if parts is None:
            return "not an IAM authentication token"
        host, query, values = parts
        if values.get("Action") != ["connect"] or values.get("DBUser") != [user]:
            return "the token is not for this user"
        credential = (values.get("X-Amz-Credential") or [""])[0].split("/")
        if len(credential) != 5 or credential[3] != "rds-db" or "X-Amz-Signature" not in values:
            return "the token is not signed for rds-db"
        request = Request("GET", "/", query, {"host": host})
        strict = bool(getattr(self.runtime.config, "enforce_iam", False))
        try:
            signing.verify_request(request, self.runtime.secret_for, strict=strict, service="rds-db")
        except ServiceError as error:
            return error.message
        account, _, region = scope.partition("/")
        if credential[2] != region:
            return "the token is signed for another region"
        context = RequestContext.internal("rds-db", account, credential[2])
        context.protocol = "query"
        identify(context, credential[0], self.runtime.resolve_key)
        if context.account != account:
            return "the token was signed by another account"
        if strict:
            target = (
                f"arn:{partition(credential[2])}:rds-db:{credential[2]}:{account}:dbuser:{resource_id}/{user}"
            )
            try:
                self.runtime.provider("iam").authorize(context, {}, [("rds-db:connect", target)])
            except ServiceError as error:
                return error.message
        return None
