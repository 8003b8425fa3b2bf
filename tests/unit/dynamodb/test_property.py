"""Property: Query and Scan (any key condition, filter, direction and page size) return exactly
what a brute-force filter over the same items returns, in the same order."""

from __future__ import annotations

import itertools
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overcast.config import Config
from overcast.context import RequestContext
from overcast.runtime import Runtime

_names = itertools.count()

numbers = st.decimals(
    min_value=Decimal("-1e6"), max_value=Decimal("1e6"), places=3, allow_nan=False, allow_infinity=False
).map(lambda d: d.normalize())
texts = st.text(
    alphabet=st.sampled_from(["a", "b", "é", "\x00", "z", "\U0001f600", "A"]), min_size=1, max_size=4
)
attribute = st.one_of(st.none(), st.integers(-5, 5), st.sampled_from(["x", "y"]))


@pytest.fixture(scope="module")
def provider():
    runtime = Runtime(Config(data_dir=None))
    yield runtime.provider("dynamodb")
    runtime.close()


CONTEXT = RequestContext.internal("dynamodb", "000000000000", "us-east-1")


def wire(value):
    """The attribute value DynamoDB answers with: numbers in plain notation, no trailing zeros."""
    if isinstance(value, str):
        return {"S": value}
    if value == 0:
        return {"N": "0"}
    return {"N": format(Decimal(value).normalize(), "f")}


def create(provider, sort_type: str) -> str:
    name = f"prop-{next(_names)}"
    provider.create_table(
        CONTEXT,
        {
            "TableName": name,
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": sort_type},
            ],
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    return name


# A filter: ("cmp", attr, op, value) | ("and"/"or", f, f) | ("not", f) | ("exists", attr)
def filters():
    leaf = st.one_of(
        st.tuples(
            st.just("cmp"),
            st.sampled_from(["a", "b"]),
            st.sampled_from(["=", "<>", "<", "<=", ">", ">="]),
            st.one_of(st.integers(-5, 5), st.sampled_from(["x", "y"])),
        ),
        st.tuples(st.just("exists"), st.sampled_from(["a", "b", "c"])),
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(["and", "or"]), inner, inner), st.tuples(st.just("not"), inner)
        ),
        max_leaves=4,
    )


def render(spec, values: dict) -> str:
    kind = spec[0]
    if kind == "cmp":
        placeholder = f":f{len(values)}"
        values[placeholder] = wire(spec[3])
        return f"{spec[1]} {spec[2]} {placeholder}"
    if kind == "exists":
        return f"attribute_exists({spec[1]})"
    if kind == "not":
        return f"NOT ({render(spec[1], values)})"
    return f"({render(spec[1], values)}) {kind.upper()} ({render(spec[2], values)})"


def oracle(spec, item: dict) -> bool:
    kind = spec[0]
    if kind == "exists":
        return item.get(spec[1]) is not None
    if kind == "not":
        return not oracle(spec[1], item)
    if kind in ("and", "or"):
        left, right = oracle(spec[1], item), oracle(spec[2], item)
        return (left and right) if kind == "and" else (left or right)
    _, name, op, value = spec
    actual = item.get(name)
    same_type = actual is not None and isinstance(actual, str) == isinstance(value, str)
    if op == "=":
        return same_type and actual == value
    if op == "<>":
        return not (same_type and actual == value)
    if not same_type:
        return False
    if isinstance(value, str):
        actual, value = actual.encode(), value.encode()
    return {"<": actual < value, "<=": actual <= value, ">": actual > value, ">=": actual >= value}[op]


def key_condition(kind: str, bounds: list, values: dict):
    values[":lo"] = wire(bounds[0])
    if kind == "between":
        low, high = sorted(bounds[:2], key=lambda v: v.encode() if isinstance(v, str) else v)
        values[":lo"], values[":hi"] = wire(low), wire(high)
        return "sk BETWEEN :lo AND :hi", lambda v: _key(low) <= _key(v) <= _key(high)
    if kind == "begins":
        return "begins_with(sk, :lo)", lambda v: v.startswith(bounds[0])
    if kind == "none":
        values.pop(":lo")
        return None, lambda v: True
    pivot = bounds[0]
    return f"sk {kind} :lo", {
        "=": lambda v: _key(v) == _key(pivot),
        "<": lambda v: _key(v) < _key(pivot),
        "<=": lambda v: _key(v) <= _key(pivot),
        ">": lambda v: _key(v) > _key(pivot),
        ">=": lambda v: _key(v) >= _key(pivot),
    }[kind]


def _key(value):
    return value.encode() if isinstance(value, str) else value


def run_pages(call, params: dict) -> list:
    items, start = [], None
    while True:
        page = call(CONTEXT, {**params, **({"ExclusiveStartKey": start} if start else {})})
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


@settings(
    max_examples=int(os.environ.get("OVERCAST_PROPERTY_EXAMPLES", "80")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sort_type=st.sampled_from(["N", "S"]),
    data=st.data(),
    spec=filters(),
    kind=st.sampled_from(["none", "=", "<", "<=", ">", ">=", "between", "begins"]),
    forward=st.booleans(),
    limit=st.one_of(st.none(), st.integers(1, 7)),
)
def test_query_and_scan_match_brute_force(provider, sort_type, data, spec, kind, forward, limit):
    keys = numbers if sort_type == "N" else texts
    if kind == "begins" and sort_type == "N":
        kind = ">="
    rows = data.draw(
        st.lists(
            st.tuples(st.sampled_from(["p", "q"]), keys, attribute, attribute),
            max_size=25,
            unique_by=lambda r: (r[0], _key(r[1])),
        )
    )
    bounds = data.draw(st.lists(keys, min_size=2, max_size=2))
    table = create(provider, sort_type)
    stored = []
    for pk, sk, a, b in rows:
        item = {"pk": {"S": pk}, "sk": wire(sk)}
        plain = {"pk": pk, "sk": sk}
        for name, value in (("a", a), ("b", b)):
            if value is not None:
                item[name] = wire(value)
                plain[name] = value
        provider.put_item(CONTEXT, {"TableName": table, "Item": item})
        stored.append(plain)

    values: dict = {":p": {"S": "p"}}
    sort_condition, sort_ok = key_condition(kind, bounds, values)
    filter_text = render(spec, values)
    query = {
        "TableName": table,
        "KeyConditionExpression": "pk = :p" + (f" AND {sort_condition}" if sort_condition else ""),
        "FilterExpression": filter_text,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": forward,
    }
    if limit:
        query["Limit"] = limit
    got = [(i["pk"]["S"], i["sk"]) for i in run_pages(provider.query, query)]
    expected = sorted(
        (r for r in stored if r["pk"] == "p" and sort_ok(r["sk"]) and oracle(spec, r)),
        key=lambda r: _key(r["sk"]),
        reverse=not forward,
    )
    assert got == [(r["pk"], wire(r["sk"])) for r in expected]

    scan_values = {k: v for k, v in values.items() if k.startswith(":f")}
    scan = {"TableName": table, "FilterExpression": filter_text}
    if scan_values:
        scan["ExpressionAttributeValues"] = scan_values
    if limit:
        scan["Limit"] = limit
    scanned = sorted(
        (i["pk"]["S"], _key(Decimal(i["sk"]["N"]) if "N" in i["sk"] else i["sk"]["S"]))
        for i in run_pages(provider.scan, scan)
    )
    assert scanned == sorted((r["pk"], _key(r["sk"])) for r in stored if oracle(spec, r))


def run_segments(provider, params: dict, total: int) -> list:
    found = []
    for segment in range(total):
        found += run_pages(provider.scan, {**params, "Segment": segment, "TotalSegments": total})
    return found


@settings(
    max_examples=int(os.environ.get("OVERCAST_PROPERTY_EXAMPLES", "80")) // 2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(
        st.tuples(texts, st.integers(0, 3), attribute), max_size=30, unique_by=lambda r: (r[0], r[1])
    ),
    spec=filters(),
    total=st.integers(1, 9),
    limit=st.one_of(st.none(), st.integers(1, 5)),
)
def test_parallel_scan_segments_cover_the_table_once(provider, rows, spec, total, limit):
    """Every item lands in exactly one segment, whatever the page size and filter; each
    partition's items stay in one segment."""
    table = create(provider, "N")
    stored = []
    for pk, sk, a in rows:
        item = {"pk": {"S": pk}, "sk": wire(sk)}
        plain = {"pk": pk, "sk": sk}
        if a is not None:
            item["a"] = wire(a)
            plain["a"] = a
        provider.put_item(CONTEXT, {"TableName": table, "Item": item})
        stored.append(plain)
    values: dict = {}
    scan = {"TableName": table, "FilterExpression": render(spec, values)}
    if values:
        scan["ExpressionAttributeValues"] = values
    if limit:
        scan["Limit"] = limit
    owner: dict = {}
    got = []
    for segment in range(total):
        for item in run_pages(provider.scan, {**scan, "Segment": segment, "TotalSegments": total}):
            assert owner.setdefault(item["pk"]["S"], segment) == segment
            got.append((item["pk"]["S"], Decimal(item["sk"]["N"])))
    assert sorted(got) == sorted((r["pk"], Decimal(r["sk"])) for r in stored if oracle(spec, r))
    assert len(got) == len(set(got))
