"""ACM's CloudFormation resource type: AWS::CertificateManager::Certificate. As CloudFormation
does, a DNS-validated certificate whose DomainValidationOptions name a HostedZoneId gets its
validation records written into that zone, and the resource is complete once the certificate
is ISSUED (a certificate that nothing validates keeps the stack waiting, as on AWS)."""

from __future__ import annotations

import asyncio
from typing import Any

from overcast.services.cloudformation.handlers import (
    ResourceFailed,
    ResourceGone,
    ResourceHandler,
    ResourceRequest,
)

#: Seconds between looks at a certificate waiting to be issued.
POLL_SECONDS = 0.5


class Certificate(ResourceHandler):
    identifier = "Id"
    attributes = frozenset({"Id"})
    replace_on = frozenset(
        {
            "DomainName", "SubjectAlternativeNames", "ValidationMethod", "DomainValidationOptions",
            "CertificateAuthorityArn", "KeyAlgorithm",
        }
    )  # fmt: skip
    required = ("DomainName",)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        properties = request.properties
        params: dict[str, Any] = {"DomainName": properties["DomainName"]}
        if properties.get("SubjectAlternativeNames"):
            params["SubjectAlternativeNames"] = list(properties["SubjectAlternativeNames"])
        for key in ("ValidationMethod", "CertificateAuthorityArn", "KeyAlgorithm"):
            if properties.get(key):
                params[key] = properties[key]
        options = properties.get("DomainValidationOptions") or []
        validation_domains = [
            {"DomainName": o["DomainName"], "ValidationDomain": o["ValidationDomain"]}
            for o in options
            if o.get("ValidationDomain")
        ]
        if validation_domains:
            params["DomainValidationOptions"] = validation_domains
        if properties.get("CertificateTransparencyLoggingPreference"):
            params["Options"] = {
                "CertificateTransparencyLoggingPreference": properties[
                    "CertificateTransparencyLoggingPreference"
                ]
            }
        tags = request.user_tags(properties.get("Tags"))
        if tags:
            params["Tags"] = tags
        arn = (await request.call("acm", "RequestCertificate", params))["CertificateArn"]
        zones = {o["DomainName"]: o["HostedZoneId"] for o in options if o.get("HostedZoneId")}
        if zones and params.get("ValidationMethod") == "DNS":
            await self._write_validation_records(request, arn, zones)
        await self._wait_issued(request, arn)
        return arn, {"Id": arn}

    @staticmethod
    async def _write_validation_records(request: ResourceRequest, arn: str, zones: dict[str, str]) -> None:
        detail = (await request.call("acm", "DescribeCertificate", {"CertificateArn": arn}))["Certificate"]
        by_zone: dict[str, dict[str, dict[str, Any]]] = {}
        for option in detail.get("DomainValidationOptions") or []:
            zone = zones.get(option["DomainName"])
            record = option.get("ResourceRecord")
            if zone and record:
                by_zone.setdefault(zone.rsplit("/", 1)[-1], {})[record["Name"]] = {
                    "Name": record["Name"],
                    "Type": record["Type"],
                    "TTL": 300,
                    "ResourceRecords": [{"Value": record["Value"]}],
                }
        for zone_id, records in by_zone.items():
            await request.call(
                "route53",
                "ChangeResourceRecordSets",
                {
                    "HostedZoneId": zone_id,
                    "ChangeBatch": {
                        "Changes": [{"Action": "UPSERT", "ResourceRecordSet": r} for r in records.values()]
                    },
                },
            )

    @staticmethod
    async def _wait_issued(request: ResourceRequest, arn: str) -> None:
        while True:
            detail = (await request.call("acm", "DescribeCertificate", {"CertificateArn": arn}))[
                "Certificate"
            ]
            status = detail["Status"]
            if status == "ISSUED":
                return
            if status not in ("PENDING_VALIDATION",):
                raise ResourceFailed(
                    f"Certificate {arn} is {status}: {detail.get('FailureReason', '')}".rstrip(": ")
                )
            request.runtime.provider("acm").records_changed()
            await asyncio.sleep(POLL_SECONDS)

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        arn = request.physical_id
        new_tags = {t["Key"]: str(t["Value"]) for t in request.properties.get("Tags") or []}
        old_tags = {t["Key"]: str(t["Value"]) for t in request.old_properties.get("Tags") or []}
        removed = [{"Key": k} for k in old_tags if k not in new_tags]
        if removed:
            await request.call("acm", "RemoveTagsFromCertificate", {"CertificateArn": arn, "Tags": removed})
        if new_tags:
            await request.call(
                "acm",
                "AddTagsToCertificate",
                {"CertificateArn": arn, "Tags": [{"Key": k, "Value": v} for k, v in new_tags.items()]},
            )
        preference = request.properties.get("CertificateTransparencyLoggingPreference")
        if preference and preference != request.old_properties.get(
            "CertificateTransparencyLoggingPreference"
        ):
            await request.call(
                "acm",
                "UpdateCertificateOptions",
                {"CertificateArn": arn, "Options": {"CertificateTransparencyLoggingPreference": preference}},
            )
        return {"Id": arn}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        try:
            found = await request.call("acm", "DescribeCertificate", {"CertificateArn": request.physical_id})
        except ResourceFailed as error:
            if error.code == "ResourceNotFoundException":
                raise ResourceGone(request.physical_id) from None
            raise
        return {"DomainName": found["Certificate"]["DomainName"]}

    async def adopt(self, request: ResourceRequest) -> dict[str, Any]:
        await request.call("acm", "DescribeCertificate", {"CertificateArn": request.physical_id})
        return {"Id": request.physical_id}

    async def delete(self, request: ResourceRequest) -> None:
        try:
            await request.call("acm", "DeleteCertificate", {"CertificateArn": request.physical_id})
        except ResourceFailed as error:
            if error.code != "ResourceNotFoundException":
                raise


class Account(ResourceHandler):
    """The account's ACM settings (when expiry events start); its physical id is the account id.
    Deleting it puts ACM's default (45 days) back."""

    required = ("ExpiryEventsConfiguration",)
    attributes = frozenset({"AccountId"})

    async def _put(self, request: ResourceRequest, days: Any) -> None:
        import uuid

        params: dict[str, Any] = {"IdempotencyToken": uuid.uuid4().hex[:32]}
        if days is not None:
            params["ExpiryEvents"] = {"DaysBeforeExpiry": int(days)}
        await request.call("acm", "PutAccountConfiguration", params)

    async def create(self, request: ResourceRequest) -> tuple[str, dict[str, Any]]:
        config = request.properties.get("ExpiryEventsConfiguration") or {}
        await self._put(request, config.get("DaysBeforeExpiry"))
        return request.account, {"AccountId": request.account}

    async def update(self, request: ResourceRequest) -> dict[str, Any]:
        config = request.properties.get("ExpiryEventsConfiguration") or {}
        await self._put(request, config.get("DaysBeforeExpiry", 45))
        return {"AccountId": request.account}

    async def read(self, request: ResourceRequest) -> dict[str, Any] | None:
        found = await request.call("acm", "GetAccountConfiguration", {})
        return {"ExpiryEventsConfiguration": {"DaysBeforeExpiry": found["ExpiryEvents"]["DaysBeforeExpiry"]}}

    async def delete(self, request: ResourceRequest) -> None:
        await self._put(request, 45)


HANDLERS = {
    "AWS::CertificateManager::Certificate": Certificate,
    "AWS::CertificateManager::Account": Account,
}
