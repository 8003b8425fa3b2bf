"""Key encoding keeps DynamoDB's order; numbers normalise as DynamoDB's do; item sizes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overcast.errors import ServiceError
from overcast.services.dynamodb import values as V

decimals = st.decimals(
    min_value=Decimal("-1e20"), max_value=Decimal("1e20"), allow_nan=False, allow_infinity=False, places=6
) | st.sampled_from(
    [
        Decimal("-0.12"),
        Decimal("-0.123"),
        Decimal("0.12"),
        Decimal("0.123"),
        Decimal("-1E+125"),
        Decimal("1E-130"),
        Decimal("-1E-130"),
        Decimal("0"),
    ]
)


@settings(max_examples=300, derandomize=True)
@given(st.lists(decimals, min_size=2, max_size=20))
def test_number_encoding_preserves_order(numbers):
    texts = [V.normalize_number(str(n)) for n in numbers]
    by_encoding = sorted(texts, key=lambda t: V.encode_number(t))
    assert [Decimal(t) for t in by_encoding] == sorted(Decimal(t) for t in texts)


@settings(max_examples=300, derandomize=True)
@given(st.lists(st.text(min_size=1, max_size=6), min_size=2, max_size=20))
def test_string_encoding_preserves_order_and_prefixes(strings):
    encoded = sorted(strings, key=lambda s: V.encode_key_value({"S": s}))
    assert [s.encode() for s in encoded] == sorted(s.encode() for s in strings)
    first = strings[0]
    for other in strings:
        starts = V.encode_key_value({"S": other}).startswith(V.encode_prefix({"S": first}))
        assert starts == other.startswith(first)


@settings(max_examples=200, derandomize=True)
@given(st.lists(st.binary(min_size=1, max_size=6), min_size=2, max_size=20))
def test_binary_encoding_preserves_order(blobs):
    assert sorted(blobs, key=lambda b: V.encode_key_value({"B": b})) == sorted(blobs)


def test_encodings_are_prefix_free():
    samples = [
        {"S": "a"},
        {"S": "a\x00"},
        {"S": "ab"},
        {"N": "1"},
        {"N": "10"},
        {"N": "-1"},
        {"N": "-10"},
        {"B": b"a"},
    ]
    for one in samples:
        for other in samples:
            if one is not other and next(iter(one)) == next(iter(other)):
                assert not V.encode_key_value(other).startswith(V.encode_key_value(one))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1.50", "1.5"),
        ("-0", "0"),
        ("0.000", "0"),
        ("1e3", "1000"),
        ("-1.0E-2", "-0.01"),
        ("+5", "5"),
        ("00012", "12"),
    ],
)
def test_normalisation(text, expected):
    assert V.normalize_number(text) == expected


@pytest.mark.parametrize("text", ["", " 1", "1 ", "1e", "--1", "Infinity", "0x10"])
def test_not_numbers(text):
    with pytest.raises(ServiceError) as info:
        V.normalize_number(text)
    assert info.value.message == "A value provided cannot be converted into a number"


def test_item_size():
    assert V.item_size({"a": {"S": "abc"}}) == 4
    assert V.item_size({"é": {"S": "é"}}) == 4
    assert V.item_size({"n": {"N": "123"}}) == 1 + 3
    assert V.item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 4
    assert V.item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert V.item_size({"l": {"L": [{"S": "v"}, {"N": "1"}]}}) == 1 + 3 + (1 + 1) + (2 + 1)
    assert V.item_size({"s": {"SS": ["ab", "c"]}}) == 1 + 3
