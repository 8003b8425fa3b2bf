"""The patch operations every Update* takes, on the members of the resource's shape."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.services.apigateway.common import apply_patch


def test_scalars_are_coerced_to_the_member_type():
    out = apply_patch(
        {"id": "a", "name": "n"},
        [
            {"op": "replace", "path": "/name", "value": "m"},
            {"op": "replace", "path": "/minimumCompressionSize", "value": "10"},
            {"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "true"},
        ],
        "RestApi",
    )
    assert out == {"id": "a", "name": "m", "minimumCompressionSize": 10, "disableExecuteApiEndpoint": True}


def test_lists_and_maps():
    out = apply_patch(
        {"binaryMediaTypes": ["a/b"], "variables": {"x": "1"}},
        [
            {"op": "add", "path": "/binaryMediaTypes/image~1png"},
            {"op": "remove", "path": "/binaryMediaTypes/a~1b"},
        ],
        "RestApi",
    )
    assert out["binaryMediaTypes"] == ["image/png"]
    stage = apply_patch(
        {"variables": {"x": "1"}},
        [{"op": "replace", "path": "/variables/y", "value": "2"}, {"op": "remove", "path": "/variables/x"}],
        "Stage",
    )
    assert stage["variables"] == {"y": "2"}


def test_unknown_and_read_only_paths_are_refused():
    for path in ("/nope", "/id"):
        with pytest.raises(ServiceError) as excinfo:
            apply_patch({"id": "a"}, [{"op": "replace", "path": path, "value": "x"}], "RestApi")
        assert excinfo.value.code == "BadRequestException"
    with pytest.raises(ServiceError):
        apply_patch({}, [{"op": "replace", "path": "/minimumCompressionSize", "value": "ten"}], "RestApi")
