"""Data protection: the sensitive data a policy's Deidentify statement names, masked with
asterisks as events are ingested (the original kept for readers who ask to unmask).

Managed data identifiers are matched by the patterns below; a policy may name others AWS
manages (they are stored and returned, and mask nothing here), and its own custom identifiers
(Configuration.CustomDataIdentifier: Name and Regex)."""

from __future__ import annotations

import re
from collections.abc import Callable

from overcast.common import jsontext

_MANAGED = {
    "EmailAddress": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "IpAddress": r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b",
    "CreditCardNumber": r"\b(?:\d[ -]?){13,18}\d\b",
    "AwsSecretKey": r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
    "Ssn-US": r"\b\d{3}-\d{2}-\d{4}\b",
    "PhoneNumber-US": r"(?<!\d)(?:\+1[ -]?)?\(?\d{3}\)?[ -.]?\d{3}[ -.]?\d{4}(?!\d)",
    "LatLong": r"[-+]?(?:[1-8]?\d(?:\.\d+)|90(?:\.0+)?),\s*[-+]?(?:180(?:\.0+)|(?:1[0-7]\d|[1-9]?\d)(?:\.\d+))",
}
_IDENTIFIER_ARN = "arn:aws:dataprotection::aws:data-identifier/"

Masker = Callable[[str], str]


def masker(document_text: str) -> Masker | None:
    """The masking a data protection policy applies, or None when it masks nothing."""
    try:
        document = jsontext.loads(document_text)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    custom = {
        entry.get("Name"): entry.get("Regex")
        for entry in (document.get("Configuration") or {}).get("CustomDataIdentifier") or []
        if isinstance(entry, dict)
    }
    patterns: list[str] = []
    for statement in document.get("Statement") or []:
        if not isinstance(statement, dict) or "Deidentify" not in (statement.get("Operation") or {}):
            continue
        for identifier in statement.get("DataIdentifier") or []:
            name = (
                identifier.split(":data-identifier/", 1)[-1] if identifier.startswith("arn:") else identifier
            )
            regex = _MANAGED.get(name) if identifier.startswith(_IDENTIFIER_ARN) else custom.get(name)
            if regex:
                patterns.append(regex)
    if not patterns:
        return None
    try:
        combined = re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error:
        return None
    return lambda message: combined.sub(lambda found: "*" * len(found.group()), message)
