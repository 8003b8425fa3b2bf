"""SearchCertificates: a filter statement (And / Or / Not over filters on a certificate's X.509
attributes and ACM's metadata) evaluated against each certificate, sorted and paged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from overcast.errors import ServiceError

_METADATA_FIELDS = {
    "Status": lambda row: row["Status"],
    "RenewalStatus": lambda row: (row.get("RenewalSummary") or {}).get("RenewalStatus"),
    "Type": lambda row: row["Type"],
    "InUse": lambda row: bool(row.get("InUseBy")),
    "Exported": lambda row: bool(row.get("Exported")),
    "ExportOption": lambda row: (row.get("Options") or {}).get("Export", "DISABLED"),
    "ManagedBy": lambda row: row.get("ManagedBy"),
    "ValidationMethod": lambda row: row.get("ValidationMethod") if row["Type"] != "IMPORTED" else None,
    "CertificateKeyPairOrigin": lambda row: (
        "CUSTOMER_PROVIDED" if row["Type"] == "IMPORTED" else "AWS_MANAGED"
    ),
    "AcmeEndpointArn": lambda row: None,
    "AcmeAccountId": lambda row: None,
    "RootHierarchyType": lambda row: None,
}
_SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "CREATED_AT": lambda r: r.get("CreatedAt"),
    "NOT_AFTER": lambda r: r.get("NotAfter"),
    "NOT_BEFORE": lambda r: r.get("NotBefore"),
    "STATUS": lambda r: r["Status"],
    "RENEWAL_STATUS": lambda r: (r.get("RenewalSummary") or {}).get("RenewalStatus"),
    "EXPORTED": lambda r: bool(r.get("Exported")),
    "IN_USE": lambda r: bool(r.get("InUseBy")),
    "KEY_ALGORITHM": lambda r: r["KeyAlgorithm"],
    "TYPE": lambda r: r["Type"],
    "CERTIFICATE_ARN": lambda r: r["CertificateArn"],
    "COMMON_NAME": lambda r: r["DomainName"],
    "REVOKED_AT": lambda r: r.get("RevokedAt"),
    "RENEWAL_ELIGIBILITY": lambda r: r.get("RenewalEligibility"),
    "ISSUED_AT": lambda r: r.get("IssuedAt"),
    "MANAGED_BY": lambda r: r.get("ManagedBy"),
    "EXPORT_OPTION": lambda r: (r.get("Options") or {}).get("Export", "DISABLED"),
    "VALIDATION_METHOD": lambda r: r.get("ValidationMethod"),
    "IMPORTED_AT": lambda r: r.get("ImportedAt"),
}


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def _text(value: str, condition: dict[str, Any]) -> bool:
    wanted = condition.get("Value") or ""
    if condition.get("ComparisonOperator", "EQUALS") == "CONTAINS":
        return wanted.lower() in value.lower()
    return value.lower() == wanted.lower()


def _in_range(moment: datetime | None, bounds: dict[str, Any]) -> bool:
    if moment is None:
        return False
    start, end = bounds.get("Start"), bounds.get("End")
    return (start is None or moment >= start) and (end is None or moment <= end)


def _x509(row: dict[str, Any], given: dict[str, Any]) -> bool:
    if not row.get("Certificate"):
        return False
    checks: list[bool] = []
    if "Subject" in given:
        common = (given["Subject"] or {}).get("CommonName")
        checks.append(common is None or _text(row["DomainName"], common))
    if "SubjectAlternativeName" in given:
        name = (given["SubjectAlternativeName"] or {}).get("DnsName")
        checks.append(name is None or any(_text(s, name) for s in row["SubjectAlternativeNames"]))
    if "ExtendedKeyUsage" in given:
        usages = {e["Name"] for e in row.get("ExtendedKeyUsages") or []}
        checks.append((given["ExtendedKeyUsage"] == "ANY" and bool(usages)) or given["ExtendedKeyUsage"] in usages
                      or (given["ExtendedKeyUsage"] == "NONE" and not usages))  # fmt: skip
    if "KeyUsage" in given:
        usages = set(row.get("KeyUsages") or [])
        checks.append((given["KeyUsage"] == "ANY" and bool(usages)) or given["KeyUsage"] in usages)
    if "KeyAlgorithm" in given:
        checks.append(row["KeyAlgorithm"] == given["KeyAlgorithm"])
    if "SerialNumber" in given:
        checks.append(
            row.get("Serial", "").replace(":", "").lower() == given["SerialNumber"].replace(":", "").lower()
        )
    if "NotAfter" in given:
        checks.append(_in_range(row.get("NotAfter"), given["NotAfter"]))
    if "NotBefore" in given:
        checks.append(_in_range(row.get("NotBefore"), given["NotBefore"]))
    if not checks:
        raise _invalid("An X509AttributeFilter must name one attribute.")
    return all(checks)


def _metadata(row: dict[str, Any], given: dict[str, Any]) -> bool:
    if not given:
        raise _invalid("An AcmCertificateMetadataFilter must name one attribute.")
    return all(_METADATA_FIELDS[key](row) == value for key, value in given.items() if key in _METADATA_FIELDS)


def matches(row: dict[str, Any], statement: dict[str, Any] | None) -> bool:
    """Whether the certificate satisfies a CertificateFilterStatement (None: every one does)."""
    if not statement:
        return True
    given = [key for key in ("And", "Or", "Not", "Filter") if statement.get(key) is not None]
    if len(given) != 1:
        raise _invalid("A filter statement must have exactly one of And, Or, Not or Filter.")
    kind = given[0]
    if kind == "And":
        return all(matches(row, s) for s in statement["And"])
    if kind == "Or":
        return any(matches(row, s) for s in statement["Or"])
    if kind == "Not":
        return not matches(row, statement["Not"])
    one = statement["Filter"]
    if one.get("CertificateArn") is not None:
        return bool(row["CertificateArn"] == one["CertificateArn"])
    if one.get("X509AttributeFilter") is not None:
        return _x509(row, one["X509AttributeFilter"])
    if one.get("AcmCertificateMetadataFilter") is not None:
        return _metadata(row, one["AcmCertificateMetadataFilter"])
    raise _invalid(
        "A filter must name a CertificateArn, an X509AttributeFilter or an AcmCertificateMetadataFilter."
    )


def sort(rows: list[dict[str, Any]], by: str | None, order: str | None) -> list[dict[str, Any]]:
    key = _SORT_KEYS.get(by or "CREATED_AT", _SORT_KEYS["CREATED_AT"])
    present = [r for r in rows if key(r) is not None]
    absent = [r for r in rows if key(r) is None]
    return sorted(present, key=key, reverse=order == "DESCENDING") + absent


def _name(common: str) -> dict[str, Any]:
    return {"CommonName": common} if common else {}


def result(row: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "CreatedAt": row["CreatedAt"],
        "Exported": bool(row.get("Exported")),
        "InUse": bool(row.get("InUseBy")),
        "RenewalEligibility": row.get("RenewalEligibility", "INELIGIBLE"),
        "Status": row["Status"],
        "Type": row["Type"],
        "ExportOption": (row.get("Options") or {}).get("Export", "DISABLED"),
        "CertificateKeyPairOrigin": "CUSTOMER_PROVIDED" if row["Type"] == "IMPORTED" else "AWS_MANAGED",
    }
    for key in ("ImportedAt", "IssuedAt", "RevokedAt", "ManagedBy"):
        if row.get(key) is not None:
            metadata[key] = row[key]
    if row["Type"] != "IMPORTED" and row.get("ValidationMethod"):
        metadata["ValidationMethod"] = row["ValidationMethod"]
    if (row.get("RenewalSummary") or {}).get("RenewalStatus"):
        metadata["RenewalStatus"] = row["RenewalSummary"]["RenewalStatus"]
    out: dict[str, Any] = {
        "CertificateArn": row["CertificateArn"],
        "CertificateMetadata": {"AcmCertificateMetadata": metadata},
    }
    if row.get("Certificate"):
        attributes: dict[str, Any] = {
            "Subject": _name(row["DomainName"]),
            "Issuer": _name(row.get("Issuer") or ""),
            "SubjectAlternativeNames": [{"DnsName": name} for name in row["SubjectAlternativeNames"]],
            "KeyAlgorithm": row["KeyAlgorithm"],
            "KeyUsages": list(row.get("KeyUsages") or []),
            "ExtendedKeyUsages": [e["Name"] for e in row.get("ExtendedKeyUsages") or []],
            "SerialNumber": row.get("Serial", ""),
        }
        for key in ("NotAfter", "NotBefore"):
            if row.get(key) is not None:
                attributes[key] = row[key]
        out["X509Attributes"] = attributes
    return out
