"""ListSecrets and BatchGetSecretValue filters, matched as AWS documents each key: a prefix
match (case-sensitive except for description), `!` negates, `all` matches any word anywhere."""

from __future__ import annotations

from collections.abc import Callable


def _words(record: dict) -> list[str]:
    tags = record.get("Tags") or []
    return [
        record["Name"],
        record.get("Description") or "",
        *(tag["Key"] for tag in tags),
        *(tag["Value"] for tag in tags),
        record.get("Primary") or record.get("Region") or "",
        record.get("OwningService") or "",
    ]


#: filter key → (the record's values it looks at, whether the match ignores case)
FIELDS: dict[str, tuple[Callable[[dict], list[str]], bool]] = {
    "name": (lambda r: [r["Name"]], False),
    "description": (lambda r: [r.get("Description") or ""], True),
    "tag-key": (lambda r: [tag["Key"] for tag in r.get("Tags") or []], False),
    "tag-value": (lambda r: [tag["Value"] for tag in r.get("Tags") or []], False),
    "primary-region": (lambda r: [r.get("Primary") or r.get("Region") or ""], False),
    "owning-service": (lambda r: [r.get("OwningService") or ""], False),
    "all": (_words, True),
}


def _value_matches(values: list[str], wanted: str, ignore_case: bool, all_words: bool) -> bool:
    if ignore_case:
        values, wanted = [v.lower() for v in values], wanted.lower()
    if all_words:
        return any(
            word.startswith(term) for term in wanted.split() for v in values for word in [v, *v.split()]
        )
    return any(v.startswith(wanted) for v in values)


def matches_filters(record: dict, filters: list[dict]) -> bool:
    """Every filter must match; within a filter, any of its values (negated values: none)."""
    for item in filters:
        key = item.get("Key") or ""
        if key not in FIELDS:
            continue
        read, ignore_case = FIELDS[key]
        values = read(record)
        positive = [v for v in item.get("Values") or [] if not v.startswith("!")]
        negative = [v[1:] for v in item.get("Values") or [] if v.startswith("!")]
        if positive and not any(_value_matches(values, v, ignore_case, key == "all") for v in positive):
            return False
        if any(_value_matches(values, v, ignore_case, key == "all") for v in negative):
            return False
    return True
