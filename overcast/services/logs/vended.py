"""The log sources AWS services vend through CloudWatch Logs deliveries, as data: which service
and log type a delivery source may name, where its logs may go, in what formats, with which
fields. DescribeConfigurationTemplates lists these, and PutDeliverySource, CreateDelivery and
UpdateDeliveryConfiguration check against them.

One entry per (service, log type). `outputs` maps each delivery destination type the source
delivers to onto the output formats it allows there. `fields` are the record fields in their
default order; `extra_fields` are allowed but not delivered unless asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

#: CloudFront standard logging (v2): the fields delivered by default, in their order.
_CLOUDFRONT_FIELDS = (
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)",
    "cs-uri-stem", "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)",
    "x-edge-result-type", "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes",
    "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher", "x-edge-response-result-type",
    "cs-protocol-version", "fle-status", "fle-encrypted-fields", "c-port", "time-to-first-byte",
    "x-edge-detailed-result-type", "sc-content-type", "sc-content-len", "sc-range-start",
    "sc-range-end",
)  # fmt: skip
_CLOUDFRONT_EXTRA_FIELDS = (
    "timestamp(ms)", "origin-fbl", "origin-lbl", "asn", "c-country", "cache-behavior-path-pattern",
    "DistributionId",
)  # fmt: skip
_DELIMITERS = ("\t", " ", ",", "|")
_JSON_ONLY: dict[str, tuple[str, ...]] = {"S3": ("json",), "CWL": ("json",), "FH": ("json",)}


@dataclass(frozen=True)
class VendedLogs:
    service: str
    log_type: str
    resource_type: str
    outputs: dict[str, tuple[str, ...]]
    #: The folder under the bucket an S3 delivery writes to unless told otherwise.
    suffix_path: str
    fields: tuple[str, ...] = ()
    extra_fields: tuple[str, ...] = ()
    delimiters: tuple[str, ...] = ()
    suffix_fields: tuple[str, ...] = ()


def _json_source(service: str, log_type: str, resource_type: str, label: str) -> VendedLogs:
    return VendedLogs(service, log_type, resource_type, _JSON_ONLY, f"AWSLogs/{{account-id}}/{label}/")


SOURCES: tuple[VendedLogs, ...] = (
    VendedLogs(
        "cloudfront",
        "ACCESS_LOGS",
        "distribution",
        {
            "S3": ("w3c", "json", "plain", "parquet"),
            "CWL": ("w3c", "json", "plain"),
            "FH": ("w3c", "json", "plain", "raw"),
        },
        "AWSLogs/{account-id}/CloudFront/",
        _CLOUDFRONT_FIELDS,
        _CLOUDFRONT_EXTRA_FIELDS,
        _DELIMITERS,
        ("DistributionId", "yyyy", "MM", "dd", "HH", "accountid"),
    ),
    _json_source("bedrock", "APPLICATION_LOGS", "knowledge-base", "Bedrock"),
    _json_source("codewhisperer", "EVENT_LOGS", "profile", "CodeWhisperer"),
    _json_source("qdeveloper", "EVENT_LOGS", "profile", "QDeveloper"),
    _json_source("mediapackage", "EGRESS_ACCESS_LOGS", "channel", "MediaPackage"),
    _json_source("mediapackage", "INGRESS_ACCESS_LOGS", "channel", "MediaPackage"),
    _json_source("mediatailor", "AD_DECISION_SERVER_LOGS", "playbackConfiguration", "MediaTailor"),
    _json_source("mediatailor", "MANIFEST_SERVICE_LOGS", "playbackConfiguration", "MediaTailor"),
    _json_source("mediatailor", "TRANSCODE_LOGS", "playbackConfiguration", "MediaTailor"),
    _json_source("sso", "ERROR_LOGS", "instance", "IdentityCenter"),
    _json_source("ses", "APPLICATION_LOG", "mailmanager-ingress-point", "SES"),
    _json_source("workmail", "ACCESS_CONTROL_LOGS", "organization", "WorkMail"),
    _json_source("workmail", "AUTHENTICATION_LOGS", "organization", "WorkMail"),
    _json_source("workmail", "WORKMAIL_AVAILABILITY_PROVIDER_LOGS", "organization", "WorkMail"),
    _json_source("workmail", "WORKMAIL_MAILBOX_ACCESS_LOGS", "organization", "WorkMail"),
    _json_source("workmail", "WORKMAIL_PERSONAL_ACCESS_TOKEN_LOGS", "organization", "WorkMail"),
)

BY_SERVICE: dict[str, dict[str, VendedLogs]] = {}
for _source in SOURCES:
    BY_SERVICE.setdefault(_source.service, {})[_source.log_type] = _source


def default_s3_configuration(source: VendedLogs) -> dict:
    return {"suffixPath": source.suffix_path, "enableHiveCompatiblePath": False}


def templates() -> list[dict]:
    """Every configuration template, one per source and destination type, in a stable order."""
    out = []
    for source in SOURCES:
        for destination, formats in source.outputs.items():
            defaults: dict = {}
            if source.fields:
                defaults["recordFields"] = list(source.fields)
                defaults["fieldDelimiter"] = ""
            if destination == "S3":
                defaults["s3DeliveryConfiguration"] = default_s3_configuration(source)
            template: dict = {
                "service": source.service,
                "logType": source.log_type,
                "resourceType": source.resource_type,
                "deliveryDestinationType": destination,
                "defaultDeliveryConfigValues": defaults,
                "allowedOutputFormats": list(formats),
                "allowedActionForAllowVendedLogsDeliveryForResource": (
                    f"{source.service}:AllowVendedLogDeliveryForResource"
                ),
            }
            if source.fields:
                template["allowedFields"] = [
                    {"name": name, "mandatory": False} for name in source.fields + source.extra_fields
                ]
            if source.delimiters:
                template["allowedFieldDelimiters"] = list(source.delimiters)
            if destination == "S3" and source.suffix_fields:
                template["allowedSuffixPathFields"] = list(source.suffix_fields)
            out.append(template)
    return out
