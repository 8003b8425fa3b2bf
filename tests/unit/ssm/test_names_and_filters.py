"""Parameter names, selectors, filters and policies: the rules AWS applies, case by case."""

from __future__ import annotations

import json

import pytest

from overcast.errors import ServiceError
from overcast.services.ssm import filters, names, policies


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("plain", names.Selector("plain")),
        ("/a/b:3", names.Selector("/a/b", version=3)),
        ("/a/b:prod", names.Selector("/a/b", label="prod")),
        ("arn:aws:ssm:us-east-1:000000000000:parameter/a/b:2", names.Selector("/a/b", version=2)),
        ("arn:aws:ssm:us-east-1:000000000000:parameter/top", names.Selector("top")),
    ],
)
def test_selectors(given, expected):
    assert names.parse_selector(given) == expected


def test_more_than_one_selector_is_refused():
    with pytest.raises(ServiceError) as error:
        names.parse_selector("/a:1:2")
    assert error.value.code == "ValidationException"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("/aws/x", "AccessDeniedException"),
        ("/aws_test/path/x", "AccessDeniedException"),
        ("aws-x", "ValidationException"),
        ("SSM-x", "ValidationException"),
        ("/ssm/x", "ValidationException"),
        ("a/b", "ValidationException"),
        ("/a//b", "ValidationException"),
        ("/a b", "ValidationException"),
        ("/" + "/".join(["l"] * 16), "HierarchyLevelLimitExceededException"),
    ],
)
def test_names_refused(name, code):
    with pytest.raises(ServiceError) as error:
        names.check_new(name)
    assert error.value.code == code


def test_names_accepted_and_their_keys():
    for name in ("x", "/x", "/a/b.c-d_e", "/" + "/".join(["l"] * 15)):
        names.check_new(name)
    assert names.key("/x") == names.key("x") == "x"
    assert names.key("/a/b") == "/a/b"
    assert names.arn_resource("/a/b") == names.arn_resource("a/b") == "parameter/a/b"


RECORD = {"Name": "/app/db/url", "Type": "SecureString", "KeyId": "alias/aws/ssm", "Tier": "Standard",
          "DataType": "text", "labels": {"prod": 2}, "tags": {"team": "red"}}  # fmt: skip


@pytest.mark.parametrize(
    ("given", "matches"),
    [
        ({"Key": "Path", "Values": ["/app"]}, False),
        ({"Key": "Path", "Values": ["/app/db"]}, True),
        ({"Key": "Path", "Option": "Recursive", "Values": ["/app"]}, True),
        ({"Key": "Path", "Option": "Recursive", "Values": ["/"]}, True),
        ({"Key": "Name", "Values": ["app/db/url"]}, True),
        ({"Key": "Name", "Option": "Contains", "Values": ["db/u"]}, True),
        ({"Key": "Type", "Option": "BeginsWith", "Values": ["Secure"]}, True),
        ({"Key": "tag:team", "Values": ["blue"]}, False),
        ({"Key": "tag:team", "Option": "BeginsWith", "Values": ["r"]}, True),
        ({"Key": "tag:owner"}, False),
    ],
)
def test_filters(given, matches):
    assert filters.matches(RECORD, filters.check([given], by_path=False)) is matches


def test_labels_filter_reads_by_path_only():
    assert filters.matches(RECORD, filters.check([{"Key": "Label", "Values": ["prod", "dev"]}], by_path=True))
    assert not filters.matches(RECORD, filters.check([{"Key": "Label", "Values": ["dev"]}], by_path=True))
    for by_path, key in ((False, "Label"), (True, "Name"), (True, "tag:team"), (True, "Path")):
        with pytest.raises(ServiceError) as error:
            filters.check([{"Key": key, "Values": ["x"]}], by_path=by_path)
        assert error.value.code == "InvalidFilterKey"


@pytest.mark.parametrize(
    ("given", "code", "words"),
    [
        ([{"Key": "key"}], "ValidationException", "tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType"),
        ([{"Key": "key"}, {"Key": "other"}], "ValidationException", "2 validation errors detected"),
        (
            [{"Key": "Path", "Option": "Equals", "Values": ["/x"]}],
            "InvalidFilterOption",
            "[Recursive, OneLevel]",
        ),
        (
            [{"Key": "Name", "Option": "Nope", "Values": ["x"]}],
            "InvalidFilterOption",
            "[BeginsWith, Equals].",
        ),
        ([{"Key": "Path", "Values": ["/###"]}], "ValidationException", "parameter name requirements"),
        ([{"Key": "Path", "Values": ["test"]}], "ValidationException", "parameter name requirements"),
        ([{"Key": "Path", "Values": ["/ssm"]}], "ValidationException", "Filters for common parameters"),
        ([{"Key": "Name"}], "InvalidFilterValue", "null for filter key Name"),
    ],
)
def test_filter_refusals(given, code, words):
    with pytest.raises(ServiceError) as error:
        filters.check(given, by_path=False)
    assert error.value.code == code and words in error.value.message


def test_one_level_names_sit_under_the_root():
    assert filters.matches({"Name": "top"}, [("Path", "OneLevel", ["/"])])
    assert not filters.matches({"Name": "/a/b"}, [("Path", "OneLevel", ["/"])])


def test_policies_parse_to_the_models_shape():
    text = json.dumps(
        [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2030-01-01T00:00:00Z"}}]
    )
    inline, expires = policies.parse(text)
    assert inline[0]["PolicyType"] == "Expiration" and inline[0]["PolicyStatus"] == "Pending"
    assert json.loads(inline[0]["PolicyText"])["Attributes"]["Timestamp"] == "2030-01-01T00:00:00Z"
    assert expires == 1893456000.0
    with pytest.raises(ServiceError) as error:
        policies.parse(json.dumps([json.loads(text)[0]] * 2))
    assert error.value.code == "IncompatiblePolicyException"
