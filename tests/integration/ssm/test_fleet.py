"""Activations, managed nodes, sessions, inventory, change calendars, cloud connectors and
access requests against the real server. No node is managed (no EC2, no SSM Agent), so these
answer what AWS answers for ids it does not manage, and the fleet views are empty."""

from __future__ import annotations

import datetime
import uuid

import pytest
from botocore.exceptions import ClientError

NODE = "i-0123456789abcdef0"
ROLE = "arn:aws:iam::000000000000:role/ssm-hybrid"
TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},'
    '"Action":"sts:AssumeRole"}]}'
)


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_activations(ssm):
    made = ssm.create_activation(
        IamRole="SSMServiceRole", Description="lab", DefaultInstanceName="lab-node", RegistrationLimit=5,
        Tags=[{"Key": "k", "Value": "v"}],
    )  # fmt: skip
    assert len(made["ActivationCode"]) == 20
    found = ssm.describe_activations(
        Filters=[{"FilterKey": "ActivationIds", "FilterValues": [made["ActivationId"]]}]
    )
    [activation] = found["ActivationList"]
    assert (activation["IamRole"], activation["RegistrationLimit"], activation["RegistrationsCount"]) == (
        "SSMServiceRole", 5, 0,
    )  # fmt: skip
    assert activation["Expired"] is False and activation["Tags"] == [{"Key": "k", "Value": "v"}]
    assert activation["ExpirationDate"] > activation["CreatedDate"]
    ssm.delete_activation(ActivationId=made["ActivationId"])
    with pytest.raises(ClientError) as error:
        ssm.delete_activation(ActivationId=made["ActivationId"])
    assert _code(error) == "InvalidActivation"
    with pytest.raises(ClientError) as error:
        ssm.create_activation(
            IamRole="r", ExpirationDate=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=40)
        )
    assert _code(error) == "InvalidParameters"


def test_no_managed_nodes(ssm):
    assert ssm.describe_instance_information()["InstanceInformationList"] == []
    assert ssm.describe_instance_properties()["InstanceProperties"] == []
    assert ssm.list_nodes()["Nodes"] == []
    summary = ssm.list_nodes_summary(
        Aggregators=[{"AggregatorType": "Count", "TypeName": "Instance", "AttributeName": "PlatformName"}]
    )
    assert summary["Summary"] == []
    with pytest.raises(ClientError) as error:
        ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [NODE]}])
    assert _code(error) == "InvalidInstanceId"
    assert (
        ssm.describe_instance_information(Filters=[{"Key": "PingStatus", "Values": ["Online"]}])[
            "InstanceInformationList"
        ]
        == []
    )
    with pytest.raises(ClientError) as error:
        ssm.describe_instance_information(Filters=[{"Key": "PingStatus", "Values": ["Sleepy"]}])
    assert _code(error) == "InvalidInstanceInformationFilterValue"
    with pytest.raises(ClientError) as error:
        ssm.describe_instance_properties(FiltersWithOperator=[{"Key": "PlatformTypes", "Values": ["Plan9"]}])
    assert _code(error) == "InvalidInstancePropertyFilterValue"
    for call, kwargs in (
        (ssm.deregister_managed_instance, {"InstanceId": "mi-0123456789abcdef0"}),
        (ssm.update_managed_instance_role, {"InstanceId": "mi-0123456789abcdef0", "IamRole": "r"}),
    ):
        with pytest.raises(ClientError) as error:
            call(**kwargs)
        assert _code(error) == "InvalidInstanceId"


def test_sessions_to_nodes_that_are_not_connected(ssm):
    status = ssm.get_connection_status(Target=NODE)
    assert (status["Target"], status["Status"]) == (NODE, "notconnected")
    with pytest.raises(ClientError) as error:
        ssm.start_session(
            Target=NODE, DocumentName="AWS-StartPortForwardingSession", Parameters={"portNumber": ["80"]}
        )
    assert _code(error) == "TargetNotConnected"
    with pytest.raises(ClientError) as error:
        ssm.start_session(Target=NODE, DocumentName="AWS-RunShellScript")
    assert _code(error) == "InvalidDocument"
    assert ssm.describe_sessions(State="Active")["Sessions"] == []
    assert ssm.describe_sessions(State="History")["Sessions"] == []
    with pytest.raises(ClientError) as error:
        ssm.resume_session(SessionId="user-0123456789abcdef0")
    assert _code(error) == "DoesNotExistException"
    assert ssm.terminate_session(SessionId="user-0123456789abcdef0")["SessionId"] == "user-0123456789abcdef0"


def test_inventory(ssm):
    schemas = ssm.get_inventory_schema()["Schemas"]
    application = next(s for s in schemas if s["TypeName"] == "AWS:Application")
    assert {"Name": "Version", "DataType": "string"} in application["Attributes"]
    only = ssm.get_inventory_schema(TypeName="AWS:Network")["Schemas"]
    assert [s["TypeName"] for s in only] == ["AWS:Network"]
    assert (
        ssm.get_inventory(Filters=[{"Key": "AWS:InstanceInformation.InstanceStatus", "Values": ["Active"]}])[
            "Entities"
        ]
        == []
    )
    with pytest.raises(ClientError) as error:
        ssm.get_inventory(Filters=[{"Key": "AWS:Nothing.Attr", "Values": ["x"]}])
    assert _code(error) == "InvalidFilter"
    item = {"TypeName": "Custom:Rack", "SchemaVersion": "1.0", "CaptureTime": "2024-01-01T00:00:00Z",
            "Content": [{"Location": "A1"}]}  # fmt: skip
    with pytest.raises(ClientError) as error:
        ssm.put_inventory(InstanceId=NODE, Items=[item])
    assert _code(error) == "InvalidInstanceId"
    with pytest.raises(ClientError) as error:
        ssm.list_inventory_entries(InstanceId=NODE, TypeName="AWS:Application")
    assert _code(error) == "InvalidInstanceId"
    with pytest.raises(ClientError) as error:
        ssm.delete_inventory(TypeName="Custom:Rack")
    assert _code(error) == "InvalidTypeNameException"
    assert ssm.describe_inventory_deletions()["InventoryDeletions"] == []


def test_calendar_state(ssm):
    name = f"Cal-{uuid.uuid4().hex[:8]}"
    content = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nX-CALENDAR-TYPE:DEFAULT_OPEN\n"
        "BEGIN:VEVENT\nUID:freeze\nDTSTART:20301220T000000Z\nDTEND:20310102T000000Z\nSUMMARY:Freeze\nEND:VEVENT\n"
        "END:VCALENDAR\n"
    )
    ssm.create_document(Content=content, Name=name, DocumentType="ChangeCalendar", DocumentFormat="TEXT")
    before = ssm.get_calendar_state(CalendarNames=[name], AtTime="2030-12-01T00:00:00Z")
    assert (before["State"], before["AtTime"], before["NextTransitionTime"]) == (
        "OPEN", "2030-12-01T00:00:00Z", "2030-12-20T00:00:00Z",
    )  # fmt: skip
    during = ssm.get_calendar_state(CalendarNames=[name], AtTime="2030-12-25T12:00:00Z")
    assert (during["State"], during["NextTransitionTime"]) == ("CLOSED", "2031-01-02T00:00:00Z")
    assert ssm.get_calendar_state(CalendarNames=[name])["State"] == "OPEN"
    with pytest.raises(ClientError) as error:
        ssm.get_calendar_state(CalendarNames=["AWS-RunShellScript"])
    assert _code(error) == "InvalidDocumentType"
    with pytest.raises(ClientError) as error:
        ssm.get_calendar_state(CalendarNames=[name + "-missing"])
    assert _code(error) == "InvalidDocument"
    with pytest.raises(ClientError) as error:
        ssm.create_document(
            Content="BEGIN:NOTHING", Name=name + "x", DocumentType="ChangeCalendar", DocumentFormat="TEXT"
        )
    assert _code(error) == "InvalidDocumentContent"


def test_cloud_connectors(ssm, client):
    azure = {"AzureConfiguration": {"TenantId": str(uuid.uuid4()), "ApplicationId": str(uuid.uuid4())}}
    name = f"conn-{uuid.uuid4().hex[:8]}"
    connector_id = ssm.create_cloud_connector(DisplayName=name, RoleArn=ROLE, Configuration=azure)[
        "CloudConnectorId"
    ]
    got = ssm.get_cloud_connector(CloudConnectorId=connector_id)
    assert got["DisplayName"] == name and got["Configuration"] == azure and got["RoleArn"] == ROLE
    assert got["CloudConnectorArn"].endswith(f":cloud-connector/{connector_id}")
    listed = ssm.list_cloud_connectors(
        Filters=[{"FilterKey": "TenantId", "FilterValues": [azure["AzureConfiguration"]["TenantId"]]}]
    )["CloudConnectors"]
    assert [(c["CloudConnectorId"], c["Provider"]) for c in listed] == [(connector_id, "Azure")]
    with pytest.raises(ClientError) as error:
        ssm.create_cloud_connector(DisplayName=name, RoleArn=ROLE, Configuration=azure)
    assert _code(error) == "ConflictException"
    with pytest.raises(ClientError) as error:
        ssm.list_cloud_connectors(Filters=[{}])  # the model leaves both members optional
    assert _code(error) == "ValidationException"
    ssm.update_cloud_connector(CloudConnectorId=connector_id, Description="updated")
    assert ssm.get_cloud_connector(CloudConnectorId=connector_id)["Description"] == "updated"
    codes = {
        f["Code"] for f in ssm.validate_cloud_connector(CloudConnectorId=connector_id)["ValidationFindings"]
    }
    assert codes == {"OutboundWebIdentityFederationDisabled", "AwsRoleAssumptionFailed", "TargetInaccessible"}
    iam = client("iam")
    iam.create_role(RoleName="ssm-hybrid", AssumeRolePolicyDocument=TRUST)
    codes = {
        f["Code"] for f in ssm.validate_cloud_connector(CloudConnectorId=connector_id)["ValidationFindings"]
    }
    assert "AwsRoleAssumptionFailed" not in codes
    iam.delete_role(RoleName="ssm-hybrid")
    assert ssm.delete_cloud_connector(CloudConnectorId=connector_id)["CloudConnectorId"] == connector_id
    with pytest.raises(ClientError) as error:
        ssm.get_cloud_connector(CloudConnectorId=connector_id)
    assert _code(error) == "ResourceNotFoundException"


def test_access_requests_need_a_managed_node(ssm):
    with pytest.raises(ClientError) as error:
        ssm.start_access_request(Reason="debug", Targets=[{"Key": "InstanceIds", "Values": [NODE]}])
    assert _code(error) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:
        ssm.get_access_token(AccessRequestId="oi-0123456789ab")
    assert _code(error) == "ResourceNotFoundException"
