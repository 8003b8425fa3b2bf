"""ListSecrets and BatchGetSecretValue filters, matched as AWS documents each key: every word of
a value starts a word of the field (case-sensitive except for description and all), `!` negates."""

from __future__ import annotations

import re
from collections.abc import Callable

from overcast.services.secretsmanager.errors import invalid_parameter


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


#: characters that separate the words the ``all`` filter searches
_SEPARATORS = re.compile(r"[\s/_+=.@-]+")
#: inside a piece, a new word starts at a capital followed by a lower-case letter
_CAPITALISED = re.compile(r"(?=[A-Z][a-z])")


def split_words(text: str) -> list[str]:
    """The words AWS indexes a value by for the ``all`` filter: split at the separators
    (``/ _ + = . @ -`` and spaces), then before each capitalised word, so ``DescTwo`` is
    ``Desc`` and ``Two`` and ``COMPANYthings`` is ``COMPAN`` and ``Ythings``."""
    words: list[str] = []
    for piece in _SEPARATORS.split(text):
        words.extend(word for word in _CAPITALISED.split(piece) if word)
    return words


def _all_matches(values: list[str], wanted: str) -> bool:
    """Every word of the filter value starts (ignoring case) a word of one of the values;
    a value with no words (a lone ``+``) matches nothing."""
    terms = [term.lower() for term in split_words(wanted)]
    if not terms:
        return False
    return any(
        all(any(word.startswith(term) for word in words) for term in terms)
        for words in ([w.lower() for w in split_words(value)] for value in values)
    )


def _value_matches(values: list[str], wanted: str, ignore_case: bool, key: str = "") -> bool:
    """Every word of the filter value starts some word of one of the values."""
    if key == "all":
        return _all_matches(values, wanted)
    if ignore_case:
        values, wanted = [v.lower() for v in values], wanted.lower()
    terms = wanted.split() or [wanted]
    return any(
        all(any(word.startswith(term) for word in value.split() or [value]) for term in terms)
        for value in values
    )


def check_filters(filters: list[dict]) -> None:
    """Refuse a filter without a key or without values, as AWS does (the model's enum has
    already refused an unknown key)."""
    for item in filters:
        if not item.get("Key"):
            raise invalid_parameter("Invalid filter key")
        if not item.get("Values"):
            raise invalid_parameter(f"Invalid filter values for key: {item['Key']}")


def matches_filters(record: dict, filters: list[dict]) -> bool:
    """Every filter must match; within a filter, any of its values (negated values: none)."""
    for item in filters:
        key = item.get("Key") or ""
        if key not in FIELDS:
            continue  # check_filters refused it before
        read, ignore_case = FIELDS[key]
        values = read(record)
        positive = [v for v in item.get("Values") or [] if not v.startswith("!")]
        negative = [v[1:] for v in item.get("Values") or [] if v.startswith("!")]
        if positive and not any(_value_matches(values, v, ignore_case, key) for v in positive):
            return False
        if any(_value_matches(values, v, ignore_case, key) for v in negative):
            return False
    return True
