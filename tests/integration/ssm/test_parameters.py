"""Parameter Store against the real server: writes, versions, selectors, labels, reads by path,
history, deletes, and AWS's errors for bad input."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_put_and_get_with_and_without_the_slash(ssm, path):
    name = path[1:]
    first = ssm.put_parameter(Name=name, Value="123", Type="String", Description="d")
    assert (first["Version"], first["Tier"]) == (1, "Standard")
    assert ssm.put_parameter(Name="/" + name, Value="124", Type="String", Overwrite=True)["Version"] == 2
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert got["Value"] == "124" and got["Version"] == 2 and got["DataType"] == "text"
    assert got["ARN"] == f"arn:aws:ssm:us-east-1:000000000000:parameter/{name}"
    # A one-level name is the same parameter with or without its leading slash.
    assert ssm.get_parameter(Name="/" + name)["Parameter"]["Name"] == "/" + name
    for malformed in (f"{path}//b//c", f"{name}/b/c"):
        with pytest.raises(ClientError) as error:
            ssm.get_parameter(Name=malformed)
        assert _code(error) == "ValidationException"
        assert "sub-paths divided by slash symbol" in error.value.response["Error"]["Message"]
    ssm.put_parameter(Name=f"/{name}-slashed", Value="s", Type="String")
    slashed = ssm.get_parameter(Name=f"{name}-slashed")["Parameter"]
    assert slashed["Name"] == f"{name}-slashed"
    assert ssm.get_parameter(Name=slashed["ARN"])["Parameter"]["Name"] == f"/{name}-slashed"
    by_arn = ssm.get_parameter(Name=got["ARN"])["Parameter"]
    assert by_arn["Name"] == name and by_arn["Value"] == "124"


def test_overwrite_keeps_what_the_request_leaves_out(ssm, path):
    name = f"{path}/kept"
    ssm.put_parameter(Name=name, Value="a1", Type="String", Description="first", AllowedPattern="a\\d")
    ssm.put_parameter(Name=name, Value="a2", Overwrite=True)
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert meta["Description"] == "first" and meta["AllowedPattern"] == "a\\d" and meta["Version"] == 2
    with pytest.raises(ClientError) as error:
        ssm.put_parameter(Name=name, Value="b3", Overwrite=True)
    assert _code(error) == "ParameterPatternMismatchException"


def test_errors_for_bad_writes(ssm, path):
    ssm.put_parameter(Name=f"{path}/x", Value="v", Type="String")
    cases = [
        (dict(Name=f"{path}/x", Value="v", Type="String"), "ParameterAlreadyExists"),
        (dict(Name=f"{path}/new", Value="v"), "ValidationException"),
        (dict(Name="/aws/mine", Value="v", Type="String"), "AccessDeniedException"),
        (dict(Name="ssm-mine", Value="v", Type="String"), "ValidationException"),
        (dict(Name=f"{path[1:]}/b/c", Value="v", Type="String"), "ValidationException"),
        (dict(Name=f"{path}//b", Value="v", Type="String"), "ValidationException"),
        (dict(Name=path + "/l" * 15, Value="v", Type="String"), "HierarchyLevelLimitExceededException"),
        (dict(Name=f"{path}/big", Value="x" * 4097, Type="String"), "ValidationException"),
        (dict(Name=f"{path}/huge", Value="x" * 8193, Type="String", Tier="Advanced"), "ValidationException"),
        (
            dict(Name=f"{path}/re", Value="v", Type="String", AllowedPattern="("),
            "InvalidAllowedPatternException",
        ),
        (dict(Name=f"{path}/dt", Value="v", Type="String", DataType="Text"), "ValidationException"),
        (
            dict(Name=f"{path}/img", Value="not-an-ami", Type="String", DataType="aws:ec2:image"),
            "ValidationException",
        ),
        (
            dict(Name=f"{path}/x", Value="v", Overwrite=True, Tags=[{"Key": "k", "Value": "v"}]),
            "ValidationException",
        ),
        (dict(Name=f"{path}/e", Value="", Type="String"), "ValidationException"),
        (dict(Name=f"{path}/t", Value="v", Type="Strung"), "ValidationException"),
    ]
    for request, code in cases:
        with pytest.raises(ClientError) as error:
            ssm.put_parameter(**request)
        assert _code(error) == code, request
    with pytest.raises(ClientError) as error:
        ssm.put_parameter(Name=f"{path}/x", Value="v", Type="String")
    assert "set the overwrite option in the request to true" in error.value.response["Error"]["Message"]


def test_tiers(ssm, path):
    assert (
        ssm.put_parameter(Name=f"{path}/a", Value="x" * 5000, Type="String", Tier="Advanced")["Tier"]
        == "Advanced"
    )
    small = ssm.put_parameter(Name=f"{path}/i", Value="x", Type="String", Tier="Intelligent-Tiering")
    assert small["Tier"] == "Standard"
    large = ssm.put_parameter(Name=f"{path}/j", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering")
    assert large["Tier"] == "Advanced"
    with pytest.raises(ClientError) as error:
        ssm.put_parameter(Name=f"{path}/a", Value="x", Tier="Standard", Overwrite=True)
    assert "can't downgrade" in error.value.response["Error"]["Message"]
    # Without a tier, an advanced parameter stays advanced.
    assert ssm.put_parameter(Name=f"{path}/a", Value="y", Overwrite=True)["Tier"] == "Advanced"


def test_selectors_versions_and_labels(ssm, path):
    name = f"{path}/sel"
    for value in ("v1", "v2", "v3"):
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    assert ssm.get_parameter(Name=f"{name}:2")["Parameter"] | {"LastModifiedDate": 0} == {
        "Name": name, "Type": "String", "Value": "v2", "Version": 2, "Selector": ":2",
        "LastModifiedDate": 0, "ARN": f"arn:aws:ssm:us-east-1:000000000000:parameter{name}", "DataType": "text",
    }  # fmt: skip
    with pytest.raises(ClientError) as error:
        ssm.get_parameter(Name=f"{name}:9")
    assert _code(error) == "ParameterVersionNotFound"
    labelled = ssm.label_parameter_version(
        Name=name, ParameterVersion=1, Labels=["prod", "1x", "awsy", "ok.-_"]
    )
    assert labelled["InvalidLabels"] == ["1x", "awsy"] and labelled["ParameterVersion"] == 1
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "v1"
    # Moving a label to another version takes it off the first.
    assert ssm.label_parameter_version(Name=name, Labels=["prod"])["ParameterVersion"] == 3
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "v3"
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [h["Labels"] for h in history] == [["ok.-_"], [], ["prod"]]
    with pytest.raises(ClientError) as error:
        ssm.get_parameter(Name=f"{name}:nolabel")
    assert _code(error) == "ParameterNotFound"
    with pytest.raises(ClientError) as error:
        ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=[f"l{i}" for i in range(11)])
    assert _code(error) == "ValidationException"  # the model allows 10 labels per call
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=[f"l{i}" for i in range(10)])
    with pytest.raises(ClientError) as error:
        ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["one-more"])
    assert _code(error) == "ParameterVersionLabelLimitExceeded"
    removed = ssm.unlabel_parameter_version(Name=name, ParameterVersion=3, Labels=["prod", "absent"])
    assert removed["RemovedLabels"] == ["prod"] and removed["InvalidLabels"] == ["absent"]
    with pytest.raises(ClientError) as error:
        ssm.label_parameter_version(Name=name, ParameterVersion=7, Labels=["x"])
    assert _code(error) == "ParameterVersionNotFound"


def test_get_parameters_reports_invalid_names(ssm, path):
    ssm.put_parameter(Name=f"{path}/a", Value="1", Type="String")
    out = ssm.get_parameters(Names=[f"{path}/a", f"{path}/a:1", f"{path}/missing", f"{path}/a:5"])
    assert [p["Name"] for p in out["Parameters"]] == [f"{path}/a", f"{path}/a"]
    assert out["InvalidParameters"] == [f"{path}/missing", f"{path}/a:5"]


def test_get_parameters_by_path(ssm, path):
    for name in ("a", "b", "sub/c", "sub/deeper/d"):
        ssm.put_parameter(Name=f"{path}/{name}", Value=name, Type="SecureString" if name == "b" else "String")
    one_level = ssm.get_parameters_by_path(Path=path)["Parameters"]
    assert sorted(p["Name"] for p in one_level) == [f"{path}/a", f"{path}/b"]
    everything = ssm.get_parameters_by_path(Path=path + "/", Recursive=True)["Parameters"]
    assert len(everything) == 4
    typed = ssm.get_parameters_by_path(
        Path=path, Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}]
    )["Parameters"]
    assert [p["Name"] for p in typed] == [f"{path}/b"]
    pages = list(
        ssm.get_paginator("get_parameters_by_path").paginate(Path=path, Recursive=True, MaxResults=1)
    )
    assert sum(len(page["Parameters"]) for page in pages) == 4 and len(pages) == 4
    with pytest.raises(ClientError) as error:
        ssm.get_parameters_by_path(Path=path, ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert _code(error) == "InvalidFilterKey"
    with pytest.raises(ClientError) as error:
        ssm.get_parameters_by_path(Path=path, MaxResults=11)
    assert _code(error) == "ValidationException"


def test_describe_parameters_filters(client, ssm, path):
    kms = client("kms")
    alias = f"alias/custom{path.replace('/', '-')}"
    kms.create_alias(AliasName=alias, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    ssm.put_parameter(Name=f"{path}/one", Value="1", Type="String", Tags=[{"Key": "team", "Value": "red"}])
    ssm.put_parameter(Name=f"{path}/two", Value="2", Type="SecureString", KeyId=alias)
    ssm.put_parameter(Name=f"{path}/deep/three", Value="3", Type="StringList", Tier="Advanced")
    ssm.label_parameter_version(Name=f"{path}/one", Labels=["live"])

    def names(*filters):
        found = ssm.get_paginator("describe_parameters").paginate(ParameterFilters=list(filters))
        return sorted(p["Name"] for page in found for p in page["Parameters"])

    under = {"Key": "Path", "Option": "Recursive", "Values": [path]}
    assert names(under) == [f"{path}/deep/three", f"{path}/one", f"{path}/two"]
    assert names({"Key": "Path", "Values": [path]}) == [f"{path}/one", f"{path}/two"]
    assert names(under, {"Key": "Type", "Values": ["SecureString"]}) == [f"{path}/two"]
    assert names(under, {"Key": "KeyId", "Values": [alias]}) == [f"{path}/two"]
    assert names(under, {"Key": "Tier", "Values": ["Advanced"]}) == [f"{path}/deep/three"]
    labelled = ssm.get_parameters_by_path(Path=path, ParameterFilters=[{"Key": "Label", "Values": ["live"]}])
    assert [p["Name"] for p in labelled["Parameters"]] == [f"{path}/one"]
    assert names(under, {"Key": "tag:team", "Values": ["red"]}) == [f"{path}/one"]
    assert names(under, {"Key": "tag:team"}) == [f"{path}/one"]
    assert names(under, {"Key": "Name", "Option": "Contains", "Values": ["tw"]}) == [f"{path}/two"]
    assert names({"Key": "Name", "Option": "BeginsWith", "Values": [f"{path}/t"]}) == [f"{path}/two"]
    assert names(under, {"Key": "DataType", "Values": ["text"]}) == names(under)
    legacy = ssm.describe_parameters(Filters=[{"Key": "Name", "Values": [f"{path}/o"]}])["Parameters"]
    assert [p["Name"] for p in legacy] == [f"{path}/one"]
    for filters, code in [
        ([{"Key": "Nope", "Values": ["x"]}], "ValidationException"),
        ([{"Key": "Label", "Values": ["x"]}], "InvalidFilterKey"),
        ([{"Key": "Type", "Option": "Contains", "Values": ["x"]}], "InvalidFilterOption"),
        ([{"Key": "Type", "Values": ["Strung"]}], "InvalidFilterValue"),
        ([{"Key": "Path", "Values": ["/aws/x"]}], "ValidationException"),
        ([{"Key": "Type", "Values": ["String"]}, {"Key": "Type", "Values": ["String"]}], "InvalidFilterKey"),
    ]:
        with pytest.raises(ClientError) as error:
            ssm.describe_parameters(ParameterFilters=filters)
        assert _code(error) == code, filters
    with pytest.raises(ClientError) as error:
        ssm.describe_parameters(Filters=[{"Key": "Name", "Values": ["x"]}], ParameterFilters=[under])
    assert _code(error) == "ValidationException"


def test_history_pages_and_deletes(ssm, path):
    name = f"{path}/h"
    for i in range(5):
        ssm.put_parameter(Name=name, Value=str(i), Type="String", Overwrite=True)
    pages = list(
        ssm.get_paginator("get_parameter_history").paginate(Name=name, PaginationConfig={"PageSize": 2})
    )
    assert [p["Version"] for page in pages for p in page["Parameters"]] == [1, 2, 3, 4, 5]
    ssm.delete_parameter(Name=name)
    with pytest.raises(ClientError) as error:
        ssm.delete_parameter(Name=name)
    assert _code(error) == "ParameterNotFound"
    with pytest.raises(ClientError) as error:
        ssm.get_parameter_history(Name=name)
    assert _code(error) == "ParameterNotFound"
    ssm.put_parameter(Name=name, Value="again", Type="String")
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == 1
    out = ssm.delete_parameters(Names=[name, f"{path}/none"])
    assert out["DeletedParameters"] == [name] and out["InvalidParameters"] == [f"{path}/none"]


def test_hundred_versions_then_the_oldest_goes(ssm, path):
    name = f"{path}/many"
    for i in range(101):
        ssm.put_parameter(Name=name, Value=str(i), Type="String", Overwrite=True)
    history = [p["Version"] for page in ssm.get_paginator("get_parameter_history").paginate(Name=name)
               for p in page["Parameters"]]  # fmt: skip
    assert len(history) == 100 and history[0] == 2
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["pinned"])
    with pytest.raises(ClientError) as error:
        ssm.put_parameter(Name=name, Value="x", Overwrite=True)
    assert _code(error) == "ParameterMaxVersionLimitExceeded"
    assert "Version 2, the oldest version, can't be deleted" in error.value.response["Error"]["Message"]


def test_tags(ssm, path):
    name = f"{path}/tagged"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "a", "Value": "1"}])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "b", "Value": "2"}])
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["a"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
        {"Key": "b", "Value": "2"}
    ]
    with pytest.raises(ClientError) as error:
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"{path}/absent")
    assert _code(error) == "InvalidResourceId"
    with pytest.raises(ClientError) as error:
        ssm.add_tags_to_resource(
            ResourceType="Parameter",
            ResourceId=name,
            Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)],
        )
    assert _code(error) == "TooManyTagsError"
