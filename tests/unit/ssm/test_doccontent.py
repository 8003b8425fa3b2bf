"""Document content: the checks AWS applies per type, the parameters and platforms derived
from it, and JSON↔YAML conversion."""

from __future__ import annotations

import json

import pytest
import yaml

from overcast.errors import ServiceError
from overcast.services.ssm import awsdocuments, doccontent


def _doc(**changes) -> dict:
    base = {
        "schemaVersion": "2.2",
        "mainSteps": [{"action": "aws:runShellScript", "name": "a", "inputs": {}}],
    }
    return {**base, **changes}


def test_platforms_come_from_plugins_and_preconditions():
    steps = [
        {
            "action": "aws:runPowerShellScript",
            "name": "win",
            "precondition": {"StringEquals": ["platformType", "Windows"]},
        },
        {"action": "aws:runShellScript", "name": "nix"},
    ]
    parsed = doccontent.parse(json.dumps(_doc(mainSteps=steps)), "JSON", "Command")
    assert parsed.platforms == ("Windows", "Linux", "MacOS")
    assert doccontent.parse(json.dumps(_doc()), "JSON", "Command").platforms == ("Linux", "MacOS")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            _doc(mainSteps=[{"action": "aws:runShellScript", "name": "a"}, {"action": "x", "name": "a"}]),
            "InvalidDocumentContent",
        ),
        (_doc(mainSteps=[{"name": "a"}]), "InvalidDocumentContent"),
        (_doc(schemaVersion="1.2"), "InvalidDocumentContent"),  # 1.2 needs runtimeConfig
        (_doc(schemaVersion="0.3"), "InvalidDocumentSchemaVersion"),
        (_doc(parameters=["p"]), "InvalidDocumentContent"),
    ],
)
def test_invalid_commands(body, code):
    with pytest.raises(ServiceError) as error:
        doccontent.parse(json.dumps(body), "JSON", "Command")
    assert error.value.code == code


def test_session_documents_need_a_session_type():
    with pytest.raises(ServiceError):
        doccontent.parse(json.dumps({"schemaVersion": "1.0"}), "JSON", "Session")
    assert doccontent.parse(json.dumps({"schemaVersion": "1.0", "sessionType": "Port"}), "JSON", "Session")


def test_text_only_where_the_type_takes_text():
    assert doccontent.parse("BEGIN:VCALENDAR\nEND:VCALENDAR", "TEXT", "ChangeCalendar").body.startswith(
        "BEGIN"
    )
    with pytest.raises(ServiceError):
        doccontent.parse("echo", "TEXT", "Command")


def test_conversion_round_trips():
    body = _doc(parameters={"P": {"type": "String", "default": "x"}})
    as_yaml = doccontent.render(body, "YAML")
    assert yaml.safe_load(as_yaml) == body
    assert json.loads(doccontent.render(doccontent.load(as_yaml, "YAML"), "JSON")) == body


def test_every_aws_document_is_valid_content():
    for name, (document_type, body, _) in awsdocuments.DOCUMENTS.items():
        parsed = doccontent.parse(json.dumps(body), "JSON", document_type)
        assert parsed.schema_version, name
