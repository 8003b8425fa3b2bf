"""ACM's ACME endpoints: managed ACME servers (RFC 8555) that issue ACM certificates to ACME
clients. The control plane keeps endpoints, external account bindings (the KeyId and MAC key a
client binds its account with), pre-approved domain validations (a DNS record Route 53 answers,
written into the named hosted zone) and the accounts clients register. The data plane answers
on port 4566 at the endpoint's URL, `/_aws/acme/{account}/{region}/{endpoint id}/directory`:
accounts (with external account binding), orders for pre-approved identifiers (their
authorizations are valid at once, AuthorizationBehavior PRE_APPROVED), finalization of a CSR
into a certificate from Overcast's CA, and its download."""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509

from overcast.common.arns import build_arn, parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Request, Response
from overcast.services.acm import certs, jws
from overcast.services.base import HostRoute
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.acm.provider import Provider

ACME_PATH = re.compile(
    r"^/_aws/acme/(?P<account>\d{12})/(?P<region>[a-z0-9-]+)/(?P<endpoint>[0-9a-f-]{36})(?P<rest>/.*)?$"
)
SETTLE_SECONDS = 1.0
MAX_NONCES = 10_000
_EXPIRY_UNITS = {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400}


def _not_found(what: str, arn: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"{what} {arn} not found.", 400)


def _page(rows: list[Any], params: dict[str, Any]) -> tuple[list[Any], str | None]:
    limit = int(params.get("MaxResults") or 100)
    token = params.get("NextToken")
    if token is not None and not str(token).isdigit():
        raise ServiceError("ValidationException", "The NextToken is not valid.", 400)
    start = int(token or 0)
    return rows[start : start + limit], (str(start + limit) if start + limit < len(rows) else None)


class AcmeProblem(Exception):
    def __init__(self, kind: str, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.kind, self.detail, self.status = kind, detail, status


class AcmeMixin:
    acme_routes = (HostRoute(ACME_PATH, "serve_acme"),)

    def init_acme(self: Provider) -> None:  # type: ignore[misc]
        table = self.store.table
        self.acme_endpoints = table("acm", "acme_endpoints")
        self.acme_bindings = table("acm", "acme_bindings")
        self.acme_validations = table("acm", "acme_validations")
        self.acme_accounts = table("acm", "acme_accounts")
        self.acme_orders = table("acm", "acme_orders")
        self.nonces: OrderedDict[str, None] = OrderedDict()

    # -- control plane: endpoints ---------------------------------------------------------------

    def _endpoint(self: Provider, context: RequestContext, arn: str) -> dict[str, Any]:  # type: ignore[misc]
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "acm" or not parsed.resource.startswith("acme-endpoint/"):
            raise ServiceError("ValidationException", f"The ARN {arn} is not an ACME endpoint ARN.", 400)
        row = self.acme_endpoints.get(self.scope_of(context), parsed.resource.split("/")[1])
        if row is None:
            raise _not_found("ACME endpoint", arn)
        return row

    def _endpoint_output(self: Provider, row: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        status = row["Status"]
        if status == "CREATING" and self.runtime.scheduler.now() - row["since"] >= SETTLE_SECONDS:
            status = "ACTIVE"
        keys = (
            "AcmeEndpointArn",
            "EndpointUrl",
            "AuthorizationBehavior",
            "Contact",
            "CertificateAuthority",
            "CreatedAt",
            "UpdatedAt",
        )
        out = {k: row[k] for k in keys if row.get(k) is not None}
        out["Status"] = status
        out["CertificateTags"] = row.get("CertificateTags") or []
        return out

    def create_acme_endpoint(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        token = params.get("IdempotencyToken")
        if token:
            for _, other in self.acme_endpoints.scan(scope):
                if other.get("IdempotencyToken") == token:
                    return {"AcmeEndpointArn": other["AcmeEndpointArn"]}
        endpoint_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        port = self.runtime.config.port
        row = {
            "AcmeEndpointArn": build_arn(
                "acm", context.region, context.account, f"acme-endpoint/{endpoint_id}"
            ),
            "EndpointUrl": f"http://127.0.0.1:{port}/_aws/acme/{context.account}/{context.region}/{endpoint_id}/directory",
            "Status": "CREATING",
            "since": self.runtime.scheduler.now(),
            "AuthorizationBehavior": params["AuthorizationBehavior"],
            "Contact": params.get("Contact") or "NOT_REQUIRED",
            "CertificateAuthority": params["CertificateAuthority"],
            "CertificateTags": params.get("CertificateTags") or [],
            "Tags": self._tags(params.get("Tags")),
            "IdempotencyToken": token,
            "CreatedAt": now,
            "UpdatedAt": now,
        }
        self.acme_endpoints.put(scope, endpoint_id, row)
        return {"AcmeEndpointArn": row["AcmeEndpointArn"]}

    def describe_acme_endpoint(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"AcmeEndpoint": self._endpoint_output(self._endpoint(context, params["AcmeEndpointArn"]))}

    def list_acme_endpoints(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows = [self._endpoint_output(r) for _, r in self.acme_endpoints.scan(self.scope_of(context))]
        page, following = _page(rows, params)
        out: dict[str, Any] = {"AcmeEndpoints": page}
        if following:
            out["NextToken"] = following
        return out

    def update_acme_endpoint(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._endpoint(context, params["AcmeEndpointArn"])
        for key in ("AuthorizationBehavior", "Contact", "CertificateAuthority"):
            if params.get(key) is not None:
                row[key] = params[key]
        row["UpdatedAt"] = datetime.now(UTC)
        self.acme_endpoints.put(self.scope_of(context), row["AcmeEndpointArn"].split("/")[1], row)
        return {}

    def delete_acme_endpoint(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        row = self._endpoint(context, params["AcmeEndpointArn"])
        endpoint_id = row["AcmeEndpointArn"].split("/")[1]
        with self.store.transaction():
            for table in (self.acme_bindings, self.acme_validations, self.acme_accounts, self.acme_orders):
                for key, _ in list(table.scan(scope, endpoint_id + "|")):
                    table.delete(scope, key)
            self.acme_endpoints.delete(scope, endpoint_id)
        return {}

    # -- control plane: external account bindings -----------------------------------------------

    def _binding(self: Provider, context: RequestContext, arn: str) -> tuple[str, dict[str, Any]]:  # type: ignore[misc]
        parsed = parse_arn(arn)
        parts = (parsed.resource if parsed is not None else "").split("/")
        if len(parts) != 4 or parts[0] != "acme-endpoint" or parts[2] != "external-account-binding":
            raise ServiceError(
                "ValidationException", f"The ARN {arn} is not an external account binding ARN.", 400
            )
        key = f"{parts[1]}|{parts[3]}"
        row = self.acme_bindings.get(self.scope_of(context), key)
        if row is None:
            raise _not_found("External account binding", arn)
        return key, row

    @staticmethod
    def _binding_output(row: dict[str, Any]) -> dict[str, Any]:
        keys = (
            "AcmeExternalAccountBindingArn",
            "AcmeEndpointArn",
            "RoleArn",
            "ExpiresAt",
            "RevokedAt",
            "LastUsedAt",
            "CreatedAt",
            "UpdatedAt",
        )
        return {k: row[k] for k in keys if row.get(k) is not None}

    def create_acme_external_account_binding(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        endpoint = self._endpoint(context, params["AcmeEndpointArn"])
        endpoint_id = endpoint["AcmeEndpointArn"].split("/")[1]
        binding_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        row: dict[str, Any] = {
            "AcmeExternalAccountBindingArn": f"{endpoint['AcmeEndpointArn']}/external-account-binding/{binding_id}",
            "AcmeEndpointArn": endpoint["AcmeEndpointArn"],
            "RoleArn": params["RoleArn"],
            "KeyId": binding_id,
            "MacKey": jws.b64encode(secrets.token_bytes(32)),
            "CreatedAt": now,
            "UpdatedAt": now,
            "Tags": self._tags(params.get("Tags")),
        }
        expiration = params.get("Expiration")
        if expiration:
            row["ExpiresAt"] = now + timedelta(
                seconds=int(expiration["Value"]) * _EXPIRY_UNITS[expiration["Type"]]
            )
        self.acme_bindings.put(self.scope_of(context), f"{endpoint_id}|{binding_id}", row)
        return {"ExternalAccountBinding": self._binding_output(row)}

    def describe_acme_external_account_binding(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, row = self._binding(context, params["AcmeExternalAccountBindingArn"])
        return {"ExternalAccountBinding": self._binding_output(row)}

    def get_acme_external_account_binding_credentials(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        params: dict,
    ) -> dict:
        _, row = self._binding(context, params["AcmeExternalAccountBindingArn"])
        return {"KeyId": row["KeyId"], "MacKey": row["MacKey"]}

    def list_acme_external_account_bindings(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        endpoint = self._endpoint(context, params["AcmeEndpointArn"])
        prefix = endpoint["AcmeEndpointArn"].split("/")[1] + "|"
        rows = [self._binding_output(r) for _, r in self.acme_bindings.scan(self.scope_of(context), prefix)]
        page, following = _page(rows, params)
        out: dict[str, Any] = {"ExternalAccountBindings": page}
        if following:
            out["NextToken"] = following
        return out

    def revoke_acme_external_account_binding(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key, row = self._binding(context, params["AcmeExternalAccountBindingArn"])
        row["RevokedAt"] = row["UpdatedAt"] = datetime.now(UTC)
        self.acme_bindings.put(self.scope_of(context), key, row)
        return {}

    def delete_acme_external_account_binding(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key, _ = self._binding(context, params["AcmeExternalAccountBindingArn"])
        self.acme_bindings.delete(self.scope_of(context), key)
        return {}

    # -- control plane: domain validations ------------------------------------------------------

    def _validation(self: Provider, context: RequestContext, arn: str) -> tuple[str, dict[str, Any]]:  # type: ignore[misc]
        parsed = parse_arn(arn)
        parts = (parsed.resource if parsed is not None else "").split("/")
        if len(parts) != 4 or parts[0] != "acme-endpoint" or parts[2] != "domain-validation":
            raise ServiceError(
                "ValidationException", f"The ARN {arn} is not an ACME domain validation ARN.", 400
            )
        key = f"{parts[1]}|{parts[3]}"
        row = self.acme_validations.get(self.scope_of(context), key)
        if row is None:
            raise _not_found("ACME domain validation", arn)
        return key, row

    @staticmethod
    def _validation_output(row: dict[str, Any]) -> dict[str, Any]:
        keys = (
            "AcmeDomainValidationArn",
            "AcmeEndpointArn",
            "DomainName",
            "PrevalidationType",
            "PrevalidationDetails",
            "Status",
            "FailureDetails",
            "CreatedAt",
            "UpdatedAt",
        )
        return {k: row[k] for k in keys if row.get(k) is not None}

    def _write_prevalidation(self: Provider, context: RequestContext, row: dict[str, Any]) -> None:  # type: ignore[misc]
        """Write the validation record into the hosted zone the validation names, as ACM does."""
        details = row["PrevalidationDetails"]["DnsPrevalidation"]
        zone_id = details.get("HostedZoneId")
        if not zone_id:
            return
        record = details["ResourceRecord"]
        r53_context = RequestContext.internal("route53", context.account)
        try:
            self.runtime.provider("route53").change_resource_record_sets(
                r53_context,
                {
                    "HostedZoneId": zone_id,
                    "ChangeBatch": {
                        "Changes": [
                            {
                                "Action": "UPSERT",
                                "ResourceRecordSet": {
                                    "Name": record["Name"], "Type": record["Type"], "TTL": 300,
                                    "ResourceRecords": [{"Value": record["Value"]}],
                                },
                            }
                        ]
                    },
                },
            )  # fmt: skip
        except ServiceError as problem:
            reason = "HOSTED_ZONE_NOT_FOUND" if problem.code == "NoSuchHostedZone" else "INVALID_CHANGE_BATCH"
            row["Status"] = "INVALID"
            row["FailureDetails"] = {"Reason": reason, "Message": problem.message}

    def create_acme_domain_validation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        endpoint = self._endpoint(context, params["AcmeEndpointArn"])
        endpoint_id = endpoint["AcmeEndpointArn"].split("/")[1]
        domain = params["DomainName"].rstrip(".").lower()
        validation_id = str(uuid.uuid4())
        options = params["PrevalidationOptions"].get("DnsPrevalidation") or {}
        now = datetime.now(UTC)
        details: dict[str, Any] = {
            "DomainScope": options.get("DomainScope")
            or {"ExactDomain": "ENABLED", "Subdomains": "DISABLED", "Wildcards": "DISABLED"},
            "ResourceRecord": self._validation_record(context.account, domain),
        }
        if options.get("HostedZoneId"):
            details["HostedZoneId"] = options["HostedZoneId"].rsplit("/", 1)[-1]
        row: dict[str, Any] = {
            "AcmeDomainValidationArn": f"{endpoint['AcmeEndpointArn']}/domain-validation/{validation_id}",
            "AcmeEndpointArn": endpoint["AcmeEndpointArn"],
            "DomainName": domain,
            "PrevalidationType": "DNS_PREVALIDATION",
            "PrevalidationDetails": {"DnsPrevalidation": details},
            "Status": "VALIDATING",
            "CreatedAt": now,
            "UpdatedAt": now,
            "Tags": self._tags(params.get("Tags")),
        }
        self._write_prevalidation(context, row)
        self.acme_validations.put(self.scope_of(context), f"{endpoint_id}|{validation_id}", row)
        self.check_prevalidations()
        self._schedule()
        return {"AcmeDomainValidationArn": row["AcmeDomainValidationArn"]}

    def check_prevalidations(self: Provider) -> bool:  # type: ignore[misc]
        """Mark VALID the domain validations whose record Route 53 answers; whether any wait."""
        if "route53" not in self.runtime.providers:
            return any(
                r["Status"] == "VALIDATING"
                for s in self.acme_validations.scopes()
                for _, r in self.acme_validations.scan(s)
            )
        route53 = self.runtime.provider("route53")
        waiting = False
        for scope in self.acme_validations.scopes():
            for key, row in list(self.acme_validations.scan(scope)):
                if row["Status"] != "VALIDATING":
                    continue
                record = row["PrevalidationDetails"]["DnsPrevalidation"]["ResourceRecord"]
                answers = [v.lower().rstrip(".") + "." for v in route53.lookup(record["Name"], "CNAME")]
                if record["Value"].lower() in answers:
                    row["Status"] = "VALID"
                    row["UpdatedAt"] = datetime.now(UTC)
                    self.acme_validations.put(scope, key, row)
                else:
                    waiting = True
        return waiting

    def describe_acme_domain_validation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, row = self._validation(context, params["AcmeDomainValidationArn"])
        return {"AcmeDomainValidation": self._validation_output(row)}

    def list_acme_domain_validations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        endpoint = self._endpoint(context, params["AcmeEndpointArn"])
        prefix = endpoint["AcmeEndpointArn"].split("/")[1] + "|"
        rows = [
            self._validation_output(r) for _, r in self.acme_validations.scan(self.scope_of(context), prefix)
        ]
        page, following = _page(rows, params)
        out: dict[str, Any] = {"AcmeDomainValidations": page}
        if following:
            out["NextToken"] = following
        return out

    def update_acme_domain_validation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key, row = self._validation(context, params["AcmeDomainValidationArn"])
        options = (params.get("PrevalidationOptions") or {}).get("DnsPrevalidation") or {}
        details = row["PrevalidationDetails"]["DnsPrevalidation"]
        if options.get("DomainScope"):
            details["DomainScope"] = options["DomainScope"]
        if options.get("HostedZoneId"):
            details["HostedZoneId"] = options["HostedZoneId"].rsplit("/", 1)[-1]
            self._write_prevalidation(context, row)
        row["UpdatedAt"] = datetime.now(UTC)
        self.acme_validations.put(self.scope_of(context), key, row)
        self.check_prevalidations()
        return {}

    def delete_acme_domain_validation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key, _ = self._validation(context, params["AcmeDomainValidationArn"])
        self.acme_validations.delete(self.scope_of(context), key)
        return {}

    # -- control plane: accounts ----------------------------------------------------------------

    @staticmethod
    def _account_output(row: dict[str, Any]) -> dict[str, Any]:
        keys = (
            "AccountUrl",
            "PublicKeyThumbprint",
            "Status",
            "CreatedAt",
            "AcmeExternalAccountBindingArn",
            "Contacts",
        )
        return {k: row[k] for k in keys if row.get(k) is not None}

    def _acme_account(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        endpoint_arn: str,
        url: str,
    ) -> tuple[str, dict[str, Any]]:
        endpoint = self._endpoint(context, endpoint_arn)
        account_id = url.rstrip("/").rsplit("/", 1)[-1]
        key = f"{endpoint['AcmeEndpointArn'].split('/')[1]}|{account_id}"
        row = self.acme_accounts.get(self.scope_of(context), key)
        if row is None or row["AccountUrl"] != url:
            raise _not_found("ACME account", url)
        return key, row

    def list_acme_accounts(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        endpoint = self._endpoint(context, params["AcmeEndpointArn"])
        prefix = endpoint["AcmeEndpointArn"].split("/")[1] + "|"
        rows = [self._account_output(r) for _, r in self.acme_accounts.scan(self.scope_of(context), prefix)]
        page, following = _page(rows, params)
        out: dict[str, Any] = {"AcmeAccounts": page}
        if following:
            out["NextToken"] = following
        return out

    def describe_acme_account(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, row = self._acme_account(context, params["AcmeEndpointArn"], params["AccountUrl"])
        return {"AcmeAccount": self._account_output(row)}

    def revoke_acme_account(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        key, row = self._acme_account(context, params["AcmeEndpointArn"], params["AccountUrl"])
        row["Status"] = "REVOKED"
        self.acme_accounts.put(self.scope_of(context), key, row)
        return {}

    # -- data plane: the ACME protocol ----------------------------------------------------------

    def serve_acme(  # type: ignore[misc]
        self: Provider,
        request: Request,
        match: re.Match[str],
        context: RequestContext,
    ) -> Response:
        scope = store_scope(match.group("account"), match.group("region"))
        endpoint_id = match.group("endpoint")
        base = f"{request.scheme}://{request.headers.get('host', '127.0.0.1')}/_aws/acme/{match.group('account')}/{match.group('region')}/{endpoint_id}"
        try:
            endpoint = self.acme_endpoints.get(scope, endpoint_id)
            if endpoint is None:
                raise AcmeProblem("malformed", "No such ACME endpoint.", 404)
            if self._endpoint_output(endpoint)["Status"] != "ACTIVE":
                raise AcmeProblem("serverInternal", "The ACME endpoint is not active yet.", 503)
            rest = match.group("rest") or "/"
            if rest == "/directory":
                return self._acme_json(200, {
                    "newNonce": f"{base}/new-nonce", "newAccount": f"{base}/new-account", "newOrder": f"{base}/new-order",
                    "revokeCert": f"{base}/revoke-cert", "keyChange": f"{base}/key-change",
                    "meta": {"externalAccountRequired": True},
                })  # fmt: skip
            if rest == "/new-nonce":
                return Response(200 if request.method == "HEAD" else 204, self._acme_headers(), b"")
            if request.method != "POST":
                raise AcmeProblem("malformed", "ACME resources are read with POST-as-GET.", 405)
            body = request.body if isinstance(request.body, bytes) else b""
            protected, payload, message = jws.parse(body)
            nonce = protected.get("nonce")
            if not nonce or nonce not in self.nonces:
                raise AcmeProblem("badNonce", "The nonce is not one this server issued, or it was used.")
            del self.nonces[nonce]
            if protected.get("url") != f"{base}{rest}":
                raise AcmeProblem("unauthorized", "The JWS url does not match the request URL.", 401)
            if rest == "/new-account":
                return self._new_account(scope, endpoint, endpoint_id, base, protected, payload, message)
            account_key, account = self._signer(scope, endpoint_id, protected, message)
            payload_json = json.loads(payload) if payload else None
            if rest == "/new-order":
                return self._new_order(scope, endpoint, endpoint_id, base, account_key, payload_json)
            parts = rest.strip("/").split("/")
            if parts[0] == "acct":
                return self._acme_json(
                    200, self._account_object(account, base), {"Location": account["AccountUrl"]}
                )
            if parts[0] in ("order", "authz", "finalize", "cert") and len(parts) == 2:
                order_key = f"{endpoint_id}|{parts[1]}"
                order = self.acme_orders.get(scope, order_key)
                if order is None or order["account"] != account_key:
                    raise AcmeProblem("malformed", "No such order.", 404)
                if parts[0] == "order":
                    return self._acme_json(
                        200,
                        self._order_object(order, base, parts[1]),
                        {"Location": f"{base}/order/{parts[1]}"},
                    )
                if parts[0] == "authz":
                    return self._acme_json(
                        200, {"status": "valid", "identifier": order["identifiers"][0], "challenges": []}
                    )
                if parts[0] == "finalize":
                    return self._finalize(scope, endpoint, order_key, order, base, payload_json)
                if order.get("certificate") is None:
                    raise AcmeProblem("orderNotReady", "The order has no certificate yet.", 403)
                return Response(
                    200,
                    {**self._acme_headers(), "Content-Type": "application/pem-certificate-chain"},
                    order["certificate"].encode(),
                )
            raise AcmeProblem("malformed", f"No ACME resource at {rest}.", 404)
        except AcmeProblem as problem:
            return self._acme_problem(problem)
        except jws.JwsError as problem:
            return self._acme_problem(AcmeProblem(problem.kind, problem.detail))
        except (ValueError, KeyError, TypeError) as problem:
            return self._acme_problem(AcmeProblem("malformed", f"The request is malformed: {problem}"))

    def _acme_headers(self: Provider) -> dict[str, str]:  # type: ignore[misc]
        nonce = secrets.token_urlsafe(16)
        self.nonces[nonce] = None
        while len(self.nonces) > MAX_NONCES:
            self.nonces.popitem(last=False)
        return {"Replay-Nonce": nonce, "Cache-Control": "no-store"}

    def _acme_json(  # type: ignore[misc]
        self: Provider,
        status: int,
        body: dict[str, Any],
        extra: dict[str, str] | None = None,
    ) -> Response:
        headers = {**self._acme_headers(), "Content-Type": "application/json", **(extra or {})}
        return Response(status, headers, json.dumps(body, default=str).encode())

    def _acme_problem(self: Provider, problem: AcmeProblem) -> Response:  # type: ignore[misc]
        body = {
            "type": f"urn:ietf:params:acme:error:{problem.kind}",
            "detail": problem.detail,
            "status": problem.status,
        }
        headers = {**self._acme_headers(), "Content-Type": "application/problem+json"}
        return Response(problem.status, headers, json.dumps(body).encode())

    def _signer(  # type: ignore[misc]
        self: Provider,
        scope: str,
        endpoint_id: str,
        protected: dict[str, Any],
        message: dict[str, Any],
    ) -> tuple[str, dict[str, Any]]:
        kid = protected.get("kid")
        if not kid or "jwk" in protected:
            raise AcmeProblem("malformed", "Requests after new-account are signed by the account (kid).")
        key = f"{endpoint_id}|{str(kid).rstrip('/').rsplit('/', 1)[-1]}"
        account = self.acme_accounts.get(scope, key)
        if account is None or account["AccountUrl"] != kid:
            raise AcmeProblem("accountDoesNotExist", "No such account.")
        if account["Status"] != "VALID":
            raise AcmeProblem("unauthorized", f"The account is {account['Status']}.", 403)
        jws.verify(message, protected, jws.public_key(account["jwk"]))
        return key, account

    @staticmethod
    def _account_object(account: dict[str, Any], base: str) -> dict[str, Any]:
        return {
            "status": account["Status"].lower(),
            "contact": account.get("Contacts") or [],
            "orders": f"{account['AccountUrl']}/orders",
        }

    def _new_account(  # type: ignore[misc]
        self: Provider, scope: str, endpoint: dict[str, Any], endpoint_id: str, base: str,
        protected: dict[str, Any], payload: bytes, message: dict[str, Any],
    ) -> Response:  # fmt: skip
        jwk = protected.get("jwk")
        if not isinstance(jwk, dict):
            raise AcmeProblem("malformed", "new-account is signed with the account's key (jwk).")
        jws.verify(message, protected, jws.public_key(jwk))
        request = json.loads(payload or b"{}")
        thumbprint = jws.thumbprint(jwk)
        for key, existing in self.acme_accounts.scan(scope, endpoint_id + "|"):
            if existing["PublicKeyThumbprint"] == thumbprint:
                return self._acme_json(
                    200, self._account_object(existing, base), {"Location": existing["AccountUrl"]}
                )
        if request.get("onlyReturnExisting"):
            raise AcmeProblem("accountDoesNotExist", "No account exists for this key.")
        if endpoint.get("Contact") == "REQUIRED" and not request.get("contact"):
            raise AcmeProblem("invalidContact", "The endpoint requires a contact.")
        binding = request.get("externalAccountBinding")
        if not isinstance(binding, dict):
            raise AcmeProblem("externalAccountRequired", "The endpoint requires an external account binding.")
        inner = jws.parse(json.dumps(binding).encode())
        binding_key = f"{endpoint_id}|{inner[0].get('kid')}"
        binding_row = self.acme_bindings.get(scope, binding_key)
        if binding_row is None or binding_row.get("RevokedAt") is not None:
            raise AcmeProblem("unauthorized", "The external account binding is unknown or revoked.", 403)
        if binding_row.get("ExpiresAt") is not None and binding_row["ExpiresAt"] < datetime.now(UTC):
            raise AcmeProblem("unauthorized", "The external account binding has expired.", 403)
        jws.verify_hmac(binding, jws.b64decode(binding_row["MacKey"]))
        if json.loads(inner[1]) != jwk:
            raise AcmeProblem("malformed", "The external account binding does not bind the account's key.")
        account_id = uuid.uuid4().hex
        now = datetime.now(UTC)
        account = {
            "AccountUrl": f"{base}/acct/{account_id}",
            "PublicKeyThumbprint": thumbprint,
            "Status": "VALID",
            "CreatedAt": now,
            "AcmeExternalAccountBindingArn": binding_row["AcmeExternalAccountBindingArn"],
            "Contacts": list(request.get("contact") or []),
            "jwk": jwk,
        }
        binding_row["LastUsedAt"] = now
        with self.store.transaction():
            self.acme_accounts.put(scope, f"{endpoint_id}|{account_id}", account)
            self.acme_bindings.put(scope, binding_key, binding_row)
        return self._acme_json(201, self._account_object(account, base), {"Location": account["AccountUrl"]})

    def _approved(self: Provider, scope: str, endpoint_id: str, name: str) -> bool:  # type: ignore[misc]
        for _, row in self.acme_validations.scan(scope, endpoint_id + "|"):
            if row["Status"] != "VALID":
                continue
            domain = row["DomainName"]
            domain_scope = row["PrevalidationDetails"]["DnsPrevalidation"]["DomainScope"]
            if name == domain and domain_scope.get("ExactDomain") == "ENABLED":
                return True
            if name.startswith("*.") and (name[2:] == domain or name[2:].endswith("." + domain)):
                if domain_scope.get("Wildcards") == "ENABLED":
                    return True
            elif name.endswith("." + domain) and domain_scope.get("Subdomains") == "ENABLED":
                return True
        return False

    def _new_order(  # type: ignore[misc]
        self: Provider,
        scope: str,
        endpoint: dict[str, Any],
        endpoint_id: str,
        base: str,
        account_key: str,
        payload: Any,
    ) -> Response:
        identifiers = (payload or {}).get("identifiers") or []
        if not identifiers or any(i.get("type") != "dns" for i in identifiers):
            raise AcmeProblem("unsupportedIdentifier", "Orders name dns identifiers.")
        names = [str(i["value"]).lower().rstrip(".") for i in identifiers]
        refused = [n for n in names if not self._approved(scope, endpoint_id, n)]
        if refused:
            raise AcmeProblem(
                "rejectedIdentifier",
                f"These identifiers are not pre-approved for the endpoint: {', '.join(refused)}",
            )
        order_id = uuid.uuid4().hex
        order = {
            "account": account_key,
            "identifiers": [{"type": "dns", "value": n} for n in names],
            "status": "ready",
            "expires": (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self.acme_orders.put(scope, f"{endpoint_id}|{order_id}", order)
        return self._acme_json(
            201, self._order_object(order, base, order_id), {"Location": f"{base}/order/{order_id}"}
        )

    @staticmethod
    def _order_object(order: dict[str, Any], base: str, order_id: str) -> dict[str, Any]:
        out = {
            "status": order["status"],
            "expires": order["expires"],
            "identifiers": order["identifiers"],
            "authorizations": [f"{base}/authz/{order_id}"],
            "finalize": f"{base}/finalize/{order_id}",
        }
        if order.get("certificate"):
            out["certificate"] = f"{base}/cert/{order_id}"
        return out

    def _finalize(  # type: ignore[misc]
        self: Provider,
        scope: str,
        endpoint: dict[str, Any],
        order_key: str,
        order: dict[str, Any],
        base: str,
        payload: Any,
    ) -> Response:
        order_id = order_key.split("|")[1]
        if order["status"] != "ready":
            raise AcmeProblem("orderNotReady", f"The order is {order['status']}.", 403)
        try:
            csr = x509.load_der_x509_csr(jws.b64decode((payload or {})["csr"]))
        except (KeyError, ValueError):
            raise AcmeProblem("badCSR", "The CSR is not a DER-encoded PKCS#10 request.") from None
        if not csr.is_signature_valid:
            raise AcmeProblem("badCSR", "The CSR's signature is not valid.")
        try:
            sans = [
                n.lower()
                for n in csr.extensions.get_extension_for_class(
                    x509.SubjectAlternativeName
                ).value.get_values_for_type(x509.DNSName)
            ]
        except x509.ExtensionNotFound:
            sans = []
        wanted = [i["value"] for i in order["identifiers"]]
        if sorted(set(sans)) != sorted(set(wanted)):
            raise AcmeProblem("badCSR", "The CSR's names are not the order's identifiers.")
        try:
            algorithm = certs.key_algorithm(csr.public_key())
        except certs.CertificateProblem:
            raise AcmeProblem("badPublicKey", "The CSR's key algorithm is not supported.") from None
        allowed = (endpoint["CertificateAuthority"].get("PublicCertificateAuthority") or {}).get(
            "AllowedKeyAlgorithms"
        )
        if allowed and algorithm not in allowed:
            raise AcmeProblem("badPublicKey", f"The endpoint does not issue {algorithm} certificates.")
        issued = certs.issue_for_key(self._authority(), wanted, csr.public_key())
        parsed = certs.parse(x509.load_pem_x509_certificate(issued["certificate"].encode()))
        account, region = scope.split("/")
        cert_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        row: dict[str, Any] = {
            "CertificateArn": build_arn("acm", region, account, f"certificate/{cert_id}"),
            "DomainName": wanted[0], "SubjectAlternativeNames": wanted, "Domains": wanted,
            "CreatedAt": now, "IssuedAt": now, "Status": "ISSUED", "Type": "AMAZON_ISSUED",
            "KeyAlgorithm": algorithm, "ValidationMethod": "DNS", "DomainValidationOptions": [],
            "Serial": parsed.serial, "Subject": parsed.subject, "Issuer": "Overcast",
            "NotBefore": parsed.not_before, "NotAfter": parsed.not_after,
            "SignatureAlgorithm": parsed.signature_algorithm, "KeyUsages": parsed.key_usages,
            "ExtendedKeyUsages": parsed.extended_key_usages, "Certificate": issued["certificate"],
            "CertificateChain": issued["chain"], "RenewalEligibility": "INELIGIBLE", "InUseBy": [],
            "Options": {"CertificateTransparencyLoggingPreference": "ENABLED"},
            "Tags": {t["Key"]: t.get("Value", "") for t in endpoint.get("CertificateTags") or []},
        }  # fmt: skip
        order.update(
            status="valid", certificate=issued["certificate"] + issued["chain"], arn=row["CertificateArn"]
        )
        with self.store.transaction():
            self.certificates.put(scope, cert_id, row)
            self.acme_orders.put(scope, order_key, order)
        return self._acme_json(
            200, self._order_object(order, base, order_id), {"Location": f"{base}/order/{order_id}"}
        )
