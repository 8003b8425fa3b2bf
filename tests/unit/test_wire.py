"""The services' wire overlays: found by name without loading any provider, consistent with the
models they are laid over, and the only place protocol quirks name a service."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from overcast.protocols.models import service_model, unrouted_operation
from overcast.protocols.serializers.strictness import UnmodelledOutput, output_check
from overcast.protocols.wire import NO_QUIRKS, Wire, wire_of
from tests.unit.wire import respond

ROOT = Path(__file__).resolve().parents[2] / "overcast"
OVERLAID = sorted(path.parent.name for path in (ROOT / "services").glob("*/wire.py"))


def test_loading_a_model_loads_no_provider():
    code = (
        "import sys\n"
        "from overcast.protocols.models import service_model, query_model\n"
        f"for name in {OVERLAID!r}:\n"
        "    query_model(service_model(name))\n"
        "loaded = [m for m in sys.modules if m.startswith('overcast.services.') and not m.endswith('.wire')]\n"
        "loaded = [m for m in loaded if m.count('.') > 2]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT.parent)


def test_protocols_name_no_service():
    named = set()
    for path in (ROOT / "protocols").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in OVERLAID:
                named.add((path.name, node.value))
    assert not named


def test_a_service_without_an_overlay_has_no_quirks():
    assert wire_of("dynamodb") is NO_QUIRKS
    assert wire_of("cognito-idp") is NO_QUIRKS


@pytest.mark.parametrize("service", OVERLAID)
def test_overlay_matches_its_model(service):
    """What an overlay names exists in the model it is laid over (a botocore update that renames
    a shape or an operation fails here, not silently on the wire)."""
    overlay = wire_of(service)
    assert isinstance(overlay, Wire) and overlay is not NO_QUIRKS
    model = service_model(service)
    shapes = set(model.shape_names)
    operations = set(model.operation_names)
    for shape_name, patches in overlay.query_shape_traits.items():
        assert shape_name in shapes, shape_name
        members = getattr(model.shape_for(shape_name), "members", {})
        for target in patches:
            assert target.startswith("@") or target in members, (shape_name, target)
    assert set(overlay.query_errors) <= shapes
    assert set(overlay.service_checked_enums) <= shapes
    assert set(overlay.root_elements) | set(overlay.root_text) | overlay.demoted_operations <= operations
    for operation, member in overlay.missing_messages:
        assert member in model.operation_model(operation).input_shape.members
    for name in overlay.unrouted_operations:
        assert name not in operations
        output = unrouted_operation(model, name).output_shape
        assert all(member.type_name for member in output.members.values())  # every shape resolves


def test_strict_mode_fails_on_a_key_the_output_lacks():
    # tests/conftest.py turns strict mode on for every test process.
    with pytest.raises(UnmodelledOutput, match="Bogus"):
        respond("sqs", "GetQueueUrl", "json", {"QueueUrl": "http://q", "Bogus": 1})
    with pytest.raises(UnmodelledOutput, match=r"Messages\[0\]\.Internal"):
        respond("sqs", "ReceiveMessage", "query", {"Messages": [{"MessageId": "m", "Internal": 1}]})
    with pytest.raises(UnmodelledOutput, match="Stray"):
        respond("s3", "GetObjectTagging", "rest-xml", {"TagSet": [{"Key": "k", "Value": "v", "Stray": 1}]})


def test_production_mode_warns_once_per_key(monkeypatch, caplog):
    monkeypatch.setenv("OVERCAST_STRICT_WIRE", "0")
    check = output_check(service_model("sts").operation_model("GetCallerIdentity"))
    with caplog.at_level(logging.WARNING, logger="overcast.protocols"):
        check({"Account": "1", "Secret": "x"})
        check({"Account": "1", "Secret": "y"})
    warnings = [r.getMessage() for r in caplog.records if "Secret" in r.getMessage()]
    assert len(warnings) == 1 and "sts.GetCallerIdentity" in warnings[0]


def test_post_object_answer_is_serialized_from_the_overlay():
    from overcast.context import RequestContext
    from overcast.http import Request
    from overcast.protocols.serializers import serialize_response

    operation = unrouted_operation(service_model("s3"), "PostObject")
    context = RequestContext(request=Request("POST", "/b", "", {}), request_id="r-1")
    answer = {"ETag": '"e"', "Location": "http://h/b/k", "ChecksumCRC64NVME": "AAA="}
    created = serialize_response(
        operation,
        "rest-xml",
        {
            **answer,
            "Status": 201,
            "PostResponse": {"Location": "http://h/b/k", "Bucket": "b", "Key": "k&", "ETag": '"e"'},
        },
        context,
    )
    assert created.status == 201
    assert created.headers["ETag"] == '"e"' and created.headers["x-amz-checksum-crc64nvme"] == "AAA="
    assert created.headers["x-amz-request-id"] == "r-1"
    assert created.body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>http://h/b/k</Location>'
        b'<Bucket>b</Bucket><Key>k&amp;</Key><ETag>"e"</ETag></PostResponse>'
    )
    plain = serialize_response(operation, "rest-xml", dict(answer), context)
    assert (plain.status, plain.body) == (204, b"")
