"""The Describe filter engine, its indexes and pagination (core.py)."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.services.ec2 import core, instances  # noqa: F401 - registers the instance filters


def _instance(ident: str, state: str, tags: dict[str, str]) -> dict:
    return {
        "_kind": "i",
        "_id": ident,
        "InstanceId": ident,
        "State": {"Name": state, "Code": 16},
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }


def test_wildcards_tags_and_booleans():
    core.FILTERS.setdefault("_test", {"flag": lambda r: r["Flag"], "name": lambda r: r["Name"]})
    record = {"Flag": True, "Name": "al2023-ami-2023.6", "Tags": [{"Key": "env", "Value": "prod"}]}
    matches = lambda filters: all(f(record) for f in core.compile_filters("_test", filters))  # noqa: E731
    assert matches([{"Name": "name", "Values": ["al2023-ami-*"]}])
    assert matches([{"Name": "name", "Values": ["al2023-ami-2023.?"]}])
    assert not matches([{"Name": "name", "Values": ["al2023-ami-2023.??"]}])
    assert matches([{"Name": "flag", "Values": ["true"]}]) and not matches(
        [{"Name": "flag", "Values": ["false"]}]
    )
    assert matches([{"Name": "tag:env", "Values": ["dev", "prod"]}, {"Name": "tag-key", "Values": ["e*"]}])
    assert not matches([{"Name": "tag:env", "Values": ["dev"]}])
    with pytest.raises(ServiceError) as error:
        core.compile_filters("_test", [{"Name": "nope", "Values": ["x"]}])
    assert error.value.code == "InvalidParameterValue"


def test_indexes_narrow_by_exact_tag_and_state_and_follow_changes():
    state = core.ScopeState()
    for n in range(100):
        state.index(
            f"i-{n:08x}", _instance(f"i-{n:08x}", "running" if n % 2 else "stopped", {"app": f"a{n % 10}"})
        )
    narrowed = core.candidates(state, "i", core.compile_filters("i", [{"Name": "tag:app", "Values": ["a3"]}]))
    assert narrowed is not None and len(narrowed) == 10
    both = core.compile_filters(
        "i", [{"Name": "tag:app", "Values": ["a3"]}, {"Name": "instance-state-name", "Values": ["running"]}]
    )
    assert len(core.candidates(state, "i", both) or ()) == 10
    assert (
        core.candidates(state, "i", core.compile_filters("i", [{"Name": "tag:app", "Values": ["a*"]}]))
        is None
    )
    record = state.kind("i")["i-00000003"]
    record["Tags"] = [{"Key": "app", "Value": "moved"}]
    record["State"] = {"Name": "stopped", "Code": 80}
    state.index("i-00000003", record)
    assert "i-00000003" not in state.by_tag["i"][("app", "a3")]
    assert state.by_tag["i"][("app", "moved")] == {"i-00000003"}
    assert "i-00000003" in state.by_state["stopped"] and "i-00000003" not in state.by_state["running"]
    state.unindex("i-00000003", record)
    assert ("app", "moved") not in state.by_tag["i"] or not state.by_tag["i"][("app", "moved")]


def test_pages_and_tokens():
    items = list(range(12))
    first, token = core.page(items, {"MaxResults": 5}, "x")
    assert first == [0, 1, 2, 3, 4] and token
    second, token = core.page(items, {"MaxResults": 5, "NextToken": token}, "x")
    third, last = core.page(items, {"MaxResults": 5, "NextToken": token}, "x")
    assert second == [5, 6, 7, 8, 9] and third == [10, 11] and last is None
    assert core.page(items, {}, "x") == (items, None)
    with pytest.raises(ServiceError):
        core.page(items, {"NextToken": "garbage"}, "x")
    with pytest.raises(ServiceError):
        core.page(items, {"MaxResults": 2}, "x")
