"""AWS Certificate Manager: certificates requested for domains and really issued by Overcast's
local certificate authority (certs.py) once validated, imported certificates parsed as X.509,
private certificates exported with a passphrase-encrypted key, renewals, revocation, tags and
the account's expiry-event configuration.

DNS validation: each domain gets the CNAME record ACM asks for (the same for a domain in one
account, as ACM's are). A certificate becomes ISSUED when Overcast's Route 53 answers every
one of its records, checked when Route 53's records change and on the scheduler every few
seconds while any certificate waits; after 72 hours it times out. EMAIL validation waits for
an approval no mailbox can give: it stays PENDING_VALIDATION."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509

from overcast.common import pagination
from overcast.common.arns import build_arn, parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Response
from overcast.services.acm import certs, search
from overcast.services.acm.acme import AcmeMixin
from overcast.services.acm.organization import OrganizationMixin
from overcast.services.base import BaseProvider
from overcast.store import scope as store_scope

#: Seconds (scheduler clock) between checks of a certificate's DNS validation records.
CHECK_SECONDS = 5.0
VALIDATION_HOURS = 72
IDEMPOTENCY_SECONDS = 3600
MAX_DOMAINS = 100
_DOMAIN = re.compile(
    r"^(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])$"
)
DEFAULT_KEY_TYPES = ("RSA_2048",)
AUTHORITY_SCOPE = "overcast"


def _error(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, 400)


def _validation(message: str) -> ServiceError:
    return _error("ValidationException", message)


def _key_algorithm(name: str) -> str:
    """A key algorithm as DescribeCertificate and ListCertificates spell it (`RSA-2048`,
    `EC-prime256v1`); requests and filters spell it with an underscore."""
    return name.replace("_", "-", 1)


#: The signature algorithm a certificate of each key algorithm is signed with.
_SIGNATURES = {
    "EC_prime256v1": "SHA256WITHECDSA",
    "EC_secp384r1": "SHA384WITHECDSA",
    "EC_secp521r1": "SHA512WITHECDSA",
}


def _base_domain(domain: str) -> str:
    return domain[2:] if domain.startswith("*.") else domain


class Provider(AcmeMixin, OrganizationMixin, BaseProvider):
    service = "acm"
    #: ACME endpoints' protocol, on 4566 by path.
    path_routes = AcmeMixin.acme_routes

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.certificates = self.store.table("acm", "certificates")
        self.settings = self.store.table("acm", "settings")
        self.authority = self.store.table("acm", "authority")
        #: (scope, certificate id) of the certificates waiting for DNS validation
        self.pending: set[tuple[str, str]] = set()
        self.init_acme()

    def start(self) -> None:
        self.state_replaced()

    def state_replaced(self) -> None:
        self.pending = {
            (scope, key)
            for scope in self.certificates.scopes()
            for key, row in self.certificates.scan(scope)
            if row["Status"] == "PENDING_VALIDATION" and row.get("ValidationMethod") == "DNS"
        }
        if self.pending or self.check_prevalidations():
            self._schedule()

    def internal_request(self, request: Any, subpath: str) -> Response | None:
        if subpath.rstrip("/") == "ca.pem" and request.method == "GET":
            authority = self._authority()
            return Response(200, {"Content-Type": "application/x-pem-file"}, authority["root"].encode())
        return None

    # -- the authority and validation -----------------------------------------------------------

    def _authority(self) -> dict[str, str]:
        found = self.authority.get(AUTHORITY_SCOPE, "ca")
        if found is None:
            with self.store.transaction():
                found = self.authority.get(AUTHORITY_SCOPE, "ca")
                if found is None:
                    found = certs.new_authority()
                    self.authority.put(AUTHORITY_SCOPE, "ca", found)
        return found

    def _validation_record(self, account: str, domain: str) -> dict[str, str]:
        base = _base_domain(domain).lower().rstrip(".")
        secret = self._authority()["root"].encode()
        digest = hmac.new(secret, f"{account}/{base}".encode(), hashlib.sha256).hexdigest()
        return {
            "Name": f"_{digest[:32]}.{base}.",
            "Type": "CNAME",
            "Value": f"_{digest[32:64]}.xlfgrmvvlj.acm-validations.aws.",
        }

    def _http_redirect(self, account: str, domain: str) -> dict[str, str]:
        """Where ACM fetches a domain's HTTP validation token, and where that must redirect."""
        record = self._validation_record(account, domain)
        token = record["Name"].split(".", 1)[0].lstrip("_")
        path = f"/.well-known/pki-validation/{token}.txt"
        return {
            "RedirectFrom": f"http://{_base_domain(domain).lower()}{path}",
            "RedirectTo": f"http://validation.us-east-1.acm-validations.aws/{account}{path}",
        }

    def confirm_http_validation(self, account: str, region: str, arn: str, domains: set[str]) -> str | None:
        """CloudFront serves the HTTP validation token of these domains (their DNS points at
        it), so ACM's check of them passes: the certificate is issued once every domain has.
        Returns the certificate's status (None: no such certificate)."""
        scope = store_scope(account, region)
        cert_id = arn.rsplit("/", 1)[-1]
        with self.store.transaction():
            row = self.certificates.get(scope, cert_id)
            if row is None:
                return None
            row = self._settled(row)
            if row["Status"] != "PENDING_VALIDATION" or row.get("ValidationMethod") != "HTTP":
                return str(row["Status"])
            changed = False
            for option in row["DomainValidationOptions"]:
                if option["ValidationStatus"] != "SUCCESS" and option["DomainName"].lower() in domains:
                    option["ValidationStatus"] = "SUCCESS"
                    changed = True
            if all(o["ValidationStatus"] == "SUCCESS" for o in row["DomainValidationOptions"]):
                self._issue(row)
                changed = True
            if changed:
                self.certificates.put(scope, cert_id, row)
            return str(row["Status"])

    def certificate_status(self, account: str, region: str, arn: str) -> str | None:
        row = self.certificates.get(store_scope(account, region), arn.rsplit("/", 1)[-1])
        return None if row is None else str(self._settled(row)["Status"])

    def _schedule(self) -> None:
        scheduler = self.runtime.scheduler
        if scheduler.pending("acm:validation") is None:
            scheduler.at("acm:validation", scheduler.now() + CHECK_SECONDS, self._tick)

    def _tick(self, key: str, due: float) -> None:
        self.records_changed()
        if self.pending or self.check_prevalidations():
            self._schedule()

    def records_changed(self) -> None:
        """Route 53's records changed (or a check is due): issue what is now validated."""
        self.check_prevalidations()
        # Route 53 is asked only once it is running (it is whenever a hosted zone exists).
        route53 = self.runtime.provider("route53") if "route53" in self.runtime.providers else None
        now = datetime.now(UTC)
        for scope, cert_id in list(self.pending):
            row = self.certificates.get(scope, cert_id)
            if row is None or row["Status"] != "PENDING_VALIDATION":
                self.pending.discard((scope, cert_id))
                continue
            if now - row["CreatedAt"] > timedelta(hours=VALIDATION_HOURS):
                row["Status"] = "VALIDATION_TIMED_OUT"
                self.certificates.put(scope, cert_id, row)
                self.pending.discard((scope, cert_id))
                continue
            if route53 is None:
                continue
            changed = False
            for option in row["DomainValidationOptions"]:
                record = option["ResourceRecord"]
                if option["ValidationStatus"] == "SUCCESS":
                    continue
                answers = [v.lower().rstrip(".") + "." for v in route53.lookup(record["Name"], "CNAME")]
                if record["Value"].lower() in answers:
                    option["ValidationStatus"] = "SUCCESS"
                    changed = True
            if all(o["ValidationStatus"] == "SUCCESS" for o in row["DomainValidationOptions"]):
                self._issue(row)
                self.pending.discard((scope, cert_id))
                changed = True
            if changed:
                self.certificates.put(scope, cert_id, row)

    def _issue(self, row: dict[str, Any]) -> None:
        issued = certs.issue(self._authority(), row["Domains"], row["KeyAlgorithm"])
        cert = x509.load_pem_x509_certificate(issued["certificate"].encode())
        parsed = certs.parse(cert)
        row.update(
            Status="ISSUED",
            IssuedAt=datetime.now(UTC),
            Serial=parsed.serial,
            Subject=parsed.subject,
            Issuer="Overcast",
            NotBefore=parsed.not_before,
            NotAfter=parsed.not_after,
            SignatureAlgorithm=parsed.signature_algorithm,
            KeyUsages=parsed.key_usages,
            ExtendedKeyUsages=parsed.extended_key_usages,
            Certificate=issued["certificate"],
            CertificateChain=issued["chain"],
            PrivateKey=issued["key"],
            RenewalEligibility="ELIGIBLE",
        )

    # -- helpers --------------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def _row(self, context: RequestContext, arn: str) -> dict[str, Any]:
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "acm" or not parsed.resource.startswith("certificate/"):
            raise _error("InvalidArnException", f"The ARN {arn} is not valid.")
        if parsed.account != context.account or parsed.region != context.region:
            raise _error("ResourceNotFoundException", f"Certificate with arn {arn} not found.")
        row = self.certificates.get(self.scope_of(context), parsed.resource.split("/", 1)[1])
        if row is None:
            raise _error("ResourceNotFoundException", f"Could not find certificate {arn}.")
        return self._settled(row)

    def certificate_exists(self, arn: str) -> bool:
        """Whether the certificate an ARN names exists (load balancer listeners use it)."""
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "acm" or not parsed.resource.startswith("certificate/"):
            return False
        scope = store_scope(parsed.account, parsed.region)
        return self.certificates.get(scope, parsed.resource.split("/", 1)[1]) is not None

    @staticmethod
    def _settled(row: dict[str, Any]) -> dict[str, Any]:
        """The certificate as it stands now: an issued one past its NotAfter has EXPIRED."""
        if (
            row["Status"] == "ISSUED"
            and row.get("NotAfter") is not None
            and row["NotAfter"] < datetime.now(UTC)
        ):
            row["Status"] = "EXPIRED"
        return row

    def _put(self, context: RequestContext, row: dict[str, Any]) -> None:
        self.certificates.put(self.scope_of(context), row["CertificateArn"].rsplit("/", 1)[1], row)

    @staticmethod
    def _tags(
        given: list[dict[str, Any]] | None, existing: dict[str, str | None] | None = None
    ) -> dict[str, str | None]:
        tags: dict[str, str | None] = dict(existing or {})
        for tag in given or []:
            key = tag["Key"]
            if key.lower().startswith("aws:"):
                raise _error("InvalidTagException", "Tags beginning with aws: are reserved.")
            tags[key] = tag.get("Value")  # a key-only tag stays without a value
        if len(tags) > 50:
            raise _error("TooManyTagsException", "the TagSet: too many tags (at most 50)")
        return tags

    def _detail(self, row: dict[str, Any]) -> dict[str, Any]:
        keys = (
            "CertificateArn",
            "DomainName",
            "SubjectAlternativeNames",
            "Serial",
            "Subject",
            "Issuer",
            "CreatedAt",
            "IssuedAt",
            "ImportedAt",
            "Status",
            "RevokedAt",
            "RevocationReason",
            "NotBefore",
            "NotAfter",
            "KeyAlgorithm",
            "SignatureAlgorithm",
            "FailureReason",
            "Type",
            "RenewalSummary",
            "KeyUsages",
            "ExtendedKeyUsages",
            "CertificateAuthorityArn",
            "RenewalEligibility",
            "Options",
        )
        out = {key: row[key] for key in keys if row.get(key) is not None}
        out["KeyAlgorithm"] = _key_algorithm(row["KeyAlgorithm"])
        out["Options"] = {"Export": "DISABLED", **(row.get("Options") or {})}
        out.setdefault("KeyUsages", [])
        out.setdefault("ExtendedKeyUsages", [])
        out.setdefault("SignatureAlgorithm", _SIGNATURES.get(row["KeyAlgorithm"], "SHA256WITHRSA"))
        out["InUseBy"] = list(row.get("InUseBy") or [])
        if "KeyUsages" in out:
            out["KeyUsages"] = [{"Name": usage} for usage in out["KeyUsages"]]
        if row["Type"] != "IMPORTED":
            out["DomainValidationOptions"] = [self._option_output(o) for o in row["DomainValidationOptions"]]
        if row["Type"] == "AMAZON_ISSUED":
            # ACM names itself the issuer of the certificates it issues, and the subject before
            # one is issued.
            out["Issuer"] = "Amazon"
            out.setdefault("Subject", f"CN={row['DomainName']}")
        if row.get("ManagedBy"):
            out["ManagedBy"] = row["ManagedBy"]
        return out

    @staticmethod
    def _option_output(option: dict[str, Any]) -> dict[str, Any]:
        out = {
            k: option[k] for k in ("DomainName", "ValidationDomain", "ValidationStatus", "ValidationMethod")
        }
        if option["ValidationMethod"] == "DNS":
            out["ResourceRecord"] = option["ResourceRecord"]
        elif option["ValidationMethod"] == "HTTP":
            out["HttpRedirect"] = option["HttpRedirect"]
        else:
            out["ValidationEmails"] = option["ValidationEmails"]
        return out

    # -- requesting, importing ------------------------------------------------------------------

    def request_certificate(self, context: RequestContext, params: dict) -> dict:
        domain = params["DomainName"].rstrip(".")
        sans = [d.rstrip(".") for d in params.get("SubjectAlternativeNames") or []]
        domains = [domain] + [d for d in dict.fromkeys(sans) if d != domain]
        if len(domains) > MAX_DOMAINS:
            raise _error(
                "LimitExceededException", f"Cannot issue a certificate with more than {MAX_DOMAINS} domains."
            )
        for name in domains:
            if len(name) > 253 or not _DOMAIN.match(name):
                raise _validation(
                    f"1 validation error detected: Value '{name}' at 'domainName' failed to satisfy constraint: "
                    "Member must satisfy regular expression pattern: ^(\\*\\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])$"
                )
        authority_arn = params.get("CertificateAuthorityArn")
        method = params.get("ValidationMethod") or "EMAIL"
        if authority_arn:
            parsed = parse_arn(authority_arn)
            if parsed is None or parsed.service != "acm-pca":
                raise _error(
                    "InvalidArnException", f"The certificate authority ARN {authority_arn} is not valid."
                )
        if method == "HTTP" and params.get("ManagedBy") != "CLOUDFRONT":
            raise _validation("HTTP validation is only available for certificates managed by CloudFront.")
        algorithm = params.get("KeyAlgorithm") or "RSA_2048"
        if algorithm == "RSA_1024":
            raise _validation("RSA_1024 is not supported for requested certificates.")
        validation_domains = {
            o["DomainName"]: o["ValidationDomain"] for o in params.get("DomainValidationOptions") or []
        }
        for name, validation_domain in validation_domains.items():
            if name not in domains:
                raise _error(
                    "InvalidDomainValidationOptionsException",
                    f"DomainValidationOptions domain {name} is not in the certificate's domains.",
                )
            if not (
                _base_domain(name) == validation_domain
                or _base_domain(name).endswith("." + validation_domain)
            ):
                raise _error(
                    "InvalidDomainValidationOptionsException",
                    f"The validation domain {validation_domain} is not a superdomain of {name}.",
                )
        scope = self.scope_of(context)
        token = params.get("IdempotencyToken")
        now = datetime.now(UTC)
        if token:
            for _, other in self.certificates.scan(scope):
                if (
                    other.get("IdempotencyToken") == token
                    and (now - other["CreatedAt"]).total_seconds() < IDEMPOTENCY_SECONDS
                    and other["Domains"] == domains
                ):
                    return {"CertificateArn": other["CertificateArn"]}
        cert_id = str(uuid.uuid4())
        arn = build_arn("acm", context.region, context.account, f"certificate/{cert_id}")
        options = []
        for name in domains:
            validation_domain = validation_domains.get(name, _base_domain(name))
            option: dict[str, Any] = {
                "DomainName": name,
                "ValidationDomain": validation_domain,
                "ValidationMethod": method,
            }
            if authority_arn:
                option["ValidationStatus"] = "SUCCESS"
            else:
                option["ValidationStatus"] = "PENDING_VALIDATION"
            if method == "DNS":
                option["ResourceRecord"] = self._validation_record(context.account, name)
            elif method == "HTTP":
                option["HttpRedirect"] = self._http_redirect(context.account, name)
            else:
                option["ValidationEmails"] = [
                    f"{box}@{validation_domain}"
                    for box in ("admin", "administrator", "hostmaster", "postmaster", "webmaster")
                ]
            options.append(option)
        row: dict[str, Any] = {
            "CertificateArn": arn,
            "DomainName": domain,
            "SubjectAlternativeNames": domains,
            "Domains": domains,
            "CreatedAt": now,
            "Status": "PENDING_VALIDATION",
            "Type": "PRIVATE" if authority_arn else "AMAZON_ISSUED",
            "KeyAlgorithm": algorithm,
            "ValidationMethod": method,
            "DomainValidationOptions": options,
            "Options": {
                "CertificateTransparencyLoggingPreference": "ENABLED",
                **(params.get("Options") or {}),
            },
            "RenewalEligibility": "INELIGIBLE",
            "IdempotencyToken": token,
            "Tags": self._tags(params.get("Tags")),
            "InUseBy": [],
        }
        if params.get("ManagedBy"):
            row["ManagedBy"] = params["ManagedBy"]
        if authority_arn:
            row["CertificateAuthorityArn"] = authority_arn
            self._issue(row)
        with self.store.transaction():
            self.certificates.put(scope, cert_id, row)
        if row["Status"] == "PENDING_VALIDATION" and method == "DNS":
            self.pending.add((scope, cert_id))
            self.records_changed()
            self._schedule()
        return {"CertificateArn": arn}

    def import_certificate(self, context: RequestContext, params: dict) -> dict:
        try:
            cert, key, chain = certs.load_import(
                params["Certificate"], params["PrivateKey"], params.get("CertificateChain")
            )
            parsed = certs.parse(cert)
        except certs.CertificateProblem as problem:
            raise _validation(str(problem)) from None
        now = datetime.now(UTC)
        existing = None
        if params.get("CertificateArn"):
            existing = self._row(context, params["CertificateArn"])
            if existing["Type"] != "IMPORTED":
                raise _validation("Cannot reimport a certificate that was not imported.")
            if params.get("Tags"):
                raise _validation("Tags cannot be specified when reimporting a certificate.")
        cert_id = existing["CertificateArn"].rsplit("/", 1)[1] if existing else str(uuid.uuid4())
        arn = build_arn("acm", context.region, context.account, f"certificate/{cert_id}")
        row: dict[str, Any] = {
            **(existing or {"CreatedAt": now, "Tags": self._tags(params.get("Tags")), "InUseBy": []}),
            "CertificateArn": arn,
            "DomainName": parsed.domain,
            "SubjectAlternativeNames": parsed.sans,
            "Domains": parsed.sans,
            "ImportedAt": now,
            "Status": "EXPIRED" if parsed.not_after < now else "ISSUED",
            "Type": "IMPORTED",
            "Serial": parsed.serial,
            "Subject": parsed.subject,
            "Issuer": parsed.issuer,
            "NotBefore": parsed.not_before,
            "NotAfter": parsed.not_after,
            "KeyAlgorithm": parsed.key_algorithm,
            "SignatureAlgorithm": parsed.signature_algorithm,
            "KeyUsages": parsed.key_usages,
            "ExtendedKeyUsages": parsed.extended_key_usages,
            "Certificate": certs.cert_pem(cert),
            "CertificateChain": chain,
            "PrivateKey": key,
            "DomainValidationOptions": [],
            "RenewalEligibility": "INELIGIBLE",
            "Options": {"CertificateTransparencyLoggingPreference": "DISABLED"},
        }
        self.certificates.put(self.scope_of(context), cert_id, row)
        return {"CertificateArn": arn}

    # -- reading --------------------------------------------------------------------------------

    def describe_certificate(self, context: RequestContext, params: dict) -> dict:
        return {"Certificate": self._detail(self._row(context, params["CertificateArn"]))}

    def get_certificate(self, context: RequestContext, params: dict) -> dict:
        row = self._row(context, params["CertificateArn"])
        if row["Status"] == "PENDING_VALIDATION":
            raise _error(
                "RequestInProgressException",
                f"Certificate {row['CertificateArn']} is still pending validation.",
            )
        if not row.get("Certificate"):
            raise _error(
                "InvalidStateException", f"Certificate {row['CertificateArn']} is in state {row['Status']}."
            )
        out = {"Certificate": row["Certificate"]}
        if row.get("CertificateChain"):
            out["CertificateChain"] = row["CertificateChain"]
        return out

    def export_certificate(self, context: RequestContext, params: dict) -> dict:
        row = self._row(context, params["CertificateArn"])
        exportable = row["Type"] == "PRIVATE" or (row.get("Options") or {}).get("Export") == "ENABLED"
        if not exportable:
            raise _validation(f"Certificate ARN: {row['CertificateArn']} is not a private certificate")
        if row["Status"] != "ISSUED":
            raise _error(
                "RequestInProgressException", f"Certificate {row['CertificateArn']} is not yet issued."
            )
        passphrase = params["Passphrase"]
        if len(passphrase) < 4:
            raise _validation("The passphrase must be at least 4 characters long.")
        row["Exported"] = True
        self._put(context, row)
        return {
            "Certificate": row["Certificate"],
            "CertificateChain": row["CertificateChain"],
            "PrivateKey": certs.encrypted_key_pem(row["PrivateKey"], passphrase),
        }

    def _summary(self, row: dict[str, Any]) -> dict[str, Any]:
        sans = row["SubjectAlternativeNames"]
        out = {
            "CertificateArn": row["CertificateArn"],
            "DomainName": row["DomainName"],
            "SubjectAlternativeNameSummaries": sans[:100],
            "HasAdditionalSubjectAlternativeNames": len(sans) > 100,
            "Status": row["Status"],
            "Type": row["Type"],
            "KeyAlgorithm": _key_algorithm(row["KeyAlgorithm"]),
            "KeyUsages": row.get("KeyUsages") or [],
            "ExtendedKeyUsages": [e["Name"] for e in row.get("ExtendedKeyUsages") or []],
            "InUse": bool(row.get("InUseBy")),
            "Exported": bool(row.get("Exported")),
            "RenewalEligibility": row.get("RenewalEligibility", "INELIGIBLE"),
            "CreatedAt": row["CreatedAt"],
            "ExportOption": (row.get("Options") or {}).get("Export", "DISABLED"),
        }
        for key in ("NotBefore", "NotAfter", "IssuedAt", "ImportedAt", "RevokedAt", "ManagedBy"):
            if row.get(key) is not None:
                out[key] = row[key]
        return out

    def list_certificates(self, context: RequestContext, params: dict) -> dict:
        statuses = set(params.get("CertificateStatuses") or [])
        includes = params.get("Includes") or {}
        key_types = set(includes.get("keyTypes") or DEFAULT_KEY_TYPES)
        key_usages = set(includes.get("keyUsage") or [])
        extended = set(includes.get("extendedKeyUsage") or [])
        managed_by = includes.get("managedBy")
        export_option = includes.get("exportOption")
        rows = []
        for _, found in self.certificates.scan(self.scope_of(context)):
            row = self._settled(found)
            if statuses and row["Status"] not in statuses:
                continue
            if row["KeyAlgorithm"] not in key_types:
                continue
            if key_usages and not key_usages & set(row.get("KeyUsages") or []) and "ANY" not in key_usages:
                continue
            if (
                extended
                and not extended & {e["Name"] for e in row.get("ExtendedKeyUsages") or []}
                and "ANY" not in extended
            ):
                continue
            if managed_by and row.get("ManagedBy") != managed_by:
                continue
            if export_option and (row.get("Options") or {}).get("Export", "DISABLED") != export_option:
                continue
            rows.append(row)
        if params.get("SortBy") == "CREATED_AT":
            rows.sort(key=lambda r: r["CreatedAt"], reverse=params.get("SortOrder") == "DESCENDING")
        return pagination.paginate_list(
            self.store,
            "acm",
            "ListCertificates",
            params,
            rows,
            bad_token=lambda: _error("InvalidArgsException", "The NextToken is not valid."),
            default_limit=1000,
            render=self._summary,
        )

    def list_certificate_domain_validations(self, context: RequestContext, params: dict) -> dict:
        row = self._row(context, params["CertificateArn"])
        options = [self._option_output(o) for o in row.get("DomainValidationOptions") or []]
        limit = int(params.get("MaxItems") or 1000)
        start = int(params["NextToken"]) if str(params.get("NextToken") or "").isdigit() else 0
        out: dict[str, Any] = {"DomainValidationSummaryList": options[start : start + limit]}
        if start + limit < len(options):
            out["NextToken"] = str(start + limit)
        return out

    def search_certificates(self, context: RequestContext, params: dict) -> dict:
        statement = params.get("FilterStatement")
        rows = [
            row for _, row in self.certificates.scan(self.scope_of(context)) if search.matches(row, statement)
        ]
        rows = search.sort(rows, params.get("SortBy"), params.get("SortOrder"))
        limit = int(params.get("MaxResults") or 100)
        token = params.get("NextToken")
        if token is not None and not str(token).isdigit():
            raise _error("InvalidArgsException", "The NextToken is not valid.")
        start = int(token or 0)
        out: dict[str, Any] = {"Results": [search.result(r) for r in rows[start : start + limit]]}
        if start + limit < len(rows):
            out["NextToken"] = str(start + limit)
        return out

    # -- changing -------------------------------------------------------------------------------

    def delete_certificate(self, context: RequestContext, params: dict) -> dict:
        row = self._row(context, params["CertificateArn"])
        if row.get("InUseBy"):
            raise _error("ResourceInUseException", f"Certificate {row['CertificateArn']} is in use.")
        cert_id = row["CertificateArn"].rsplit("/", 1)[1]
        self.certificates.delete(self.scope_of(context), cert_id)
        self.pending.discard((self.scope_of(context), cert_id))
        return {}

    def renew_certificate(self, context: RequestContext, params: dict) -> dict:
        row = self._row(context, params["CertificateArn"])
        if row["Type"] != "PRIVATE":
            raise _validation(f"Certificate ARN: {row['CertificateArn']} is not a private certificate")
        if row["Status"] != "ISSUED":
            raise _error(
                "InvalidStateException", f"Certificate {row['CertificateArn']} is in state {row['Status']}."
            )
        self._issue(row)
        row["RenewalSummary"] = {
            "RenewalStatus": "SUCCESS",
            "DomainValidationOptions": [self._option_output(o) for o in row["DomainValidationOptions"]],
            "UpdatedAt": datetime.now(UTC),
        }
        self._put(context, row)
        return {}

    def revoke_certificate(self, context: RequestContext, params: dict) -> dict:
        row = self._row(context, params["CertificateArn"])
        if row["Status"] == "REVOKED":
            raise _error(
                "ResourceNotFoundException", f"Certificate {row['CertificateArn']} is already revoked."
            )
        if row["Status"] != "ISSUED" or row["Type"] == "IMPORTED":
            raise _error(
                "InvalidStateException",
                f"Certificate {row['CertificateArn']} cannot be revoked in state {row['Status']}.",
            )
        row.update(Status="REVOKED", RevokedAt=datetime.now(UTC), RevocationReason=params["RevocationReason"])
        self._put(context, row)
        return {"CertificateArn": row["CertificateArn"]}

    def resend_validation_email(self, context: RequestContext, params: dict) -> dict:
        row = self._row(context, params["CertificateArn"])
        if row["Status"] != "PENDING_VALIDATION" or row.get("ValidationMethod") != "EMAIL":
            raise _error(
                "InvalidStateException",
                f"Certificate {row['CertificateArn']} is not pending email validation (status {row['Status']}).",
            )
        domain, validation_domain = params["Domain"], params["ValidationDomain"]
        option = next((o for o in row["DomainValidationOptions"] if o["DomainName"] == domain), None)
        if option is None:
            raise _error(
                "InvalidDomainValidationOptionsException", f"The domain {domain} is not in the certificate."
            )
        base = _base_domain(domain)
        if not (base == validation_domain or base.endswith("." + validation_domain)):
            raise _error(
                "InvalidDomainValidationOptionsException",
                f"The validation domain {validation_domain} is not a superdomain of {domain}.",
            )
        option["ValidationDomain"] = validation_domain
        option["ValidationEmails"] = [
            f"{box}@{validation_domain}"
            for box in ("admin", "administrator", "hostmaster", "postmaster", "webmaster")
        ]
        self._put(context, row)
        return {}

    def update_certificate_options(self, context: RequestContext, params: dict) -> dict:
        row = self._row(context, params["CertificateArn"])
        row["Options"] = {**(row.get("Options") or {}), **params["Options"]}
        self._put(context, row)
        return {}

    # -- tags -----------------------------------------------------------------------------------

    def add_tags_to_certificate(self, context: RequestContext, params: dict) -> dict:
        row = self._row(context, params["CertificateArn"])
        row["Tags"] = self._tags(params["Tags"], row.get("Tags"))
        self._put(context, row)
        return {}

    def remove_tags_from_certificate(self, context: RequestContext, params: dict) -> dict:
        row = self._row(context, params["CertificateArn"])
        tags = dict(row.get("Tags") or {})
        for tag in params["Tags"]:
            if tag["Key"] in tags and (tag.get("Value") is None or tags[tag["Key"]] == tag["Value"]):
                del tags[tag["Key"]]
        row["Tags"] = tags
        self._put(context, row)
        return {}

    def list_tags_for_certificate(self, context: RequestContext, params: dict) -> dict:
        row = self._row(context, params["CertificateArn"])
        return {
            "Tags": [
                {"Key": k} if v is None else {"Key": k, "Value": v}
                for k, v in (row.get("Tags") or {}).items()
            ]
        }

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        return self.add_tags_to_certificate(
            context, {"CertificateArn": params["ResourceArn"], "Tags": params["Tags"]}
        )

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        return self.remove_tags_from_certificate(
            context,
            {"CertificateArn": params["ResourceArn"], "Tags": [{"Key": k} for k in params["TagKeys"]]},
        )

    def list_tags_for_resource(self, context: RequestContext, params: dict) -> dict:
        return self.list_tags_for_certificate(context, {"CertificateArn": params["ResourceArn"]})

    # -- account configuration ------------------------------------------------------------------

    def get_account_configuration(self, context: RequestContext, params: dict) -> dict:
        found = self.settings.get(store_scope(context.account), "account") or {}
        return {"ExpiryEvents": {"DaysBeforeExpiry": found.get("DaysBeforeExpiry", 45)}}

    def put_account_configuration(self, context: RequestContext, params: dict) -> dict:
        scope = store_scope(context.account)
        found = self.settings.get(scope, "account") or {}
        token = params["IdempotencyToken"]
        days = (params.get("ExpiryEvents") or {}).get("DaysBeforeExpiry")
        now = datetime.now(UTC).timestamp()
        if found.get("token") == token and now - float(found.get("tokenAt") or 0) < IDEMPOTENCY_SECONDS:
            # The same request again while its token is fresh: ACM returns the original result.
            return {}
        if days is not None:
            if not 1 <= int(days) <= 45:
                raise _validation("DaysBeforeExpiry must be between 1 and 45.")
            found["DaysBeforeExpiry"] = int(days)
        found["token"] = token
        found["tokenAt"] = now
        self.settings.put(scope, "account", found)
        return {}
