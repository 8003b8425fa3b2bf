"""CloudFront-managed certificates of distribution tenants, and the DNS check of a tenant's
domains.

A tenant created or updated with a ManagedCertificateRequest gets an ACM certificate (in
us-east-1, managed by CloudFront, HTTP validation) for its domains. With the `cloudfront` token
host, CloudFront serves the validation token itself, so a domain validates once its DNS points
at the tenant's connection group (its routing endpoint); with `self-hosted` the owner serves it
and the certificate waits. Whether a domain points there is read from Overcast's Route 53 DNS:
a CNAME to the routing endpoint, or an alias record naming it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.services.cloudfront import common
from overcast.services.cloudfront.common import error

if TYPE_CHECKING:
    from overcast.services.cloudfront.provider import Provider

#: Where CloudFront-managed certificates live.
CERTIFICATE_REGION = "us-east-1"
_STATUSES = {
    "PENDING_VALIDATION": "pending-validation",
    "ISSUED": "issued",
    "INACTIVE": "inactive",
    "EXPIRED": "expired",
    "VALIDATION_TIMED_OUT": "validation-timed-out",
    "REVOKED": "revoked",
    "FAILED": "failed",
}


class ManagedCertificates:
    def request_managed_certificate(  # type: ignore[misc]
        self: Provider, account: str, domains: list[str], request: dict[str, Any]
    ) -> dict[str, Any]:
        """An ACM certificate for a tenant's domains, managed by CloudFront: its record."""
        primary = (request.get("PrimaryDomainName") or domains[0]).lower().rstrip(".")
        if primary not in domains:
            raise common.invalid(f"The primary domain name {primary} is not one of the tenant's domains.")
        preference = (request.get("CertificateTransparencyLoggingPreference") or "enabled").upper()
        acm = self.runtime.provider("acm")
        context = RequestContext.internal("acm", account, CERTIFICATE_REGION)
        arn = acm.request_certificate(
            context,
            {
                "DomainName": primary,
                "SubjectAlternativeNames": [d for d in domains if d != primary],
                "ValidationMethod": "HTTP",
                "ManagedBy": "CLOUDFRONT",
                "Options": {"CertificateTransparencyLoggingPreference": preference},
            },
        )["CertificateArn"]
        return {"CertificateArn": arn, "ValidationTokenHost": request["ValidationTokenHost"]}

    def _routing_endpoint(self: Provider, account: str, row: dict[str, Any]) -> str:  # type: ignore[misc]
        return str(self._group_row(account, row["ConnectionGroupId"])["RoutingEndpoint"])

    def _dns_status(self: Provider, domain: str, endpoint: str) -> dict[str, str]:  # type: ignore[misc]
        route53 = self.runtime.provider("route53") if "route53" in self.runtime.providers else None
        targets = route53.targets_of(domain) if route53 is not None else None
        if targets is None:
            return {
                "Domain": domain,
                "Status": "unknown-configuration",
                "Reason": "No hosted zone answers for the domain, so its DNS records cannot be read.",
            }
        if endpoint in targets:
            return {"Domain": domain, "Status": "valid-configuration"}
        reason = (
            f"The domain's DNS record points to {', '.join(targets)}, not to the routing endpoint {endpoint}."
            if targets
            else f"The domain has no CNAME or alias record pointing to the routing endpoint {endpoint}."
        )
        return {"Domain": domain, "Status": "invalid-configuration", "Reason": reason}

    def verify_dns_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        row = self._tenant_row(context.account, params["Identifier"])
        endpoint = self._routing_endpoint(context.account, row)
        domains = [item["Domain"] for item in row["Domains"]]
        if params.get("Domain"):
            wanted = params["Domain"].lower().rstrip(".")
            if wanted not in domains:
                raise common.invalid(f"The domain {wanted} is not associated with the distribution tenant.")
            domains = [wanted]
        return {"DnsConfigurationList": [self._dns_status(domain, endpoint) for domain in domains]}

    def get_managed_certificate_details(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account = context.account
        row = self._tenant_row(account, params["Identifier"])
        managed = row.get("ManagedCertificate")
        if not managed:
            raise error(
                "EntityNotFound", "The distribution tenant has no CloudFront managed certificate.", 404
            )
        acm = self.runtime.provider("acm")
        arn = managed["CertificateArn"]
        if managed["ValidationTokenHost"] == "cloudfront":
            # CloudFront answers the token for every domain whose DNS already points at it.
            endpoint = self._routing_endpoint(account, row)
            served = {
                item["Domain"]
                for item in row["Domains"]
                if self._dns_status(item["Domain"], endpoint)["Status"] == "valid-configuration"
            }
            status = acm.confirm_http_validation(account, CERTIFICATE_REGION, arn, served)
        else:
            status = acm.certificate_status(account, CERTIFICATE_REGION, arn)
        if status is None:
            raise error("EntityNotFound", "The CloudFront managed certificate does not exist.", 404)
        certificate = acm.describe_certificate(
            RequestContext.internal("acm", account, CERTIFICATE_REGION), {"CertificateArn": arn}
        )["Certificate"]
        details = [
            {"Domain": option["DomainName"], **(option.get("HttpRedirect") or {})}
            for option in certificate.get("DomainValidationOptions") or []
            if status == "PENDING_VALIDATION" and option.get("ValidationStatus") != "SUCCESS"
        ]
        out: dict[str, Any] = {
            "CertificateArn": arn,
            "CertificateStatus": _STATUSES.get(status, "failed"),
            "ValidationTokenHost": managed["ValidationTokenHost"],
        }
        if details:
            out["ValidationTokenDetails"] = details
        return {"ManagedCertificateDetails": out}
