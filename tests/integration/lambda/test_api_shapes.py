"""Response details AWS is particular about (found by running moto's AWS-verified tests)."""

from __future__ import annotations

from .helpers import create


def test_latest_is_named_by_its_qualified_arn_where_aws_does(client):
    lam = client("lambda")
    name = create(lam, "def handler(e, c):\n    return 1\n")
    plain = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert plain.endswith(f":function:{name}")
    assert (
        lam.get_function(FunctionName=name, Qualifier="$LATEST")["Configuration"]["FunctionArn"]
        == plain + ":$LATEST"
    )
    assert (
        lam.get_function_configuration(FunctionName=name, Qualifier="$LATEST")["FunctionArn"]
        == plain + ":$LATEST"
    )
    lam.publish_version(FunctionName=name)
    pages = lam.get_paginator("list_functions")  # a shared server holds many functions
    listed = [
        f
        for page in pages.paginate(FunctionVersion="ALL")
        for f in page["Functions"]
        if f["FunctionName"] == name
    ]
    assert sorted(f["FunctionArn"] for f in listed) == [plain + ":$LATEST", plain + ":1"]
    only = [f for page in pages.paginate() for f in page["Functions"] if f["FunctionName"] == name]
    assert [f["FunctionArn"] for f in only] == [plain]
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["FunctionArn"] for v in versions] == [plain + ":$LATEST", plain + ":1"]
