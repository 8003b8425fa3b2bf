"""Cloud Map: a private DNS namespace creates its Route 53 private hosted zone; instances
registered in a DNS service write their records there, so Overcast's DNS server answers with
the registered addresses (multivalue A, SRV to the instance name), and deregistering removes
them; DiscoverInstances filters by attributes and custom health; operations, services,
attributes, tags and the errors for what does not exist or is still in use."""

from __future__ import annotations

import uuid

import dns.message
import dns.query
import dns.rdatatype
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.route53.conftest import dns_port, r53_client, r53_server  # noqa: F401


def _answers(port: int, name: str, rtype: str) -> list[str]:
    query = dns.message.make_query(name, dns.rdatatype.from_text(rtype))
    response = dns.query.tcp(query, "127.0.0.1", port=port, timeout=5)
    return sorted(item.to_text() for rrset in response.answer for item in rrset)


@pytest.fixture(scope="module")
def cloudmap(r53_server):  # noqa: F811
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    make = lambda name, **kw: session.client(name, endpoint_url=r53_server.endpoint, **kw)  # noqa: E731
    # DiscoverInstances has the host prefix "data-", which a loopback endpoint cannot take.
    return make("servicediscovery", config=Config(inject_host_prefix=False)), make("route53"), make("ec2")


def test_private_namespace_instances_answer_in_dns(cloudmap, dns_port):  # noqa: F811
    sd, route53, ec2 = cloudmap
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    name = f"n{uuid.uuid4().hex[:8]}.local"
    operation = sd.create_private_dns_namespace(Name=name, Vpc=vpc, CreatorRequestId=name)["OperationId"]
    done = sd.get_operation(OperationId=operation)["Operation"]
    assert (done["Type"], done["Status"]) == ("CREATE_NAMESPACE", "SUCCESS")
    namespace = sd.get_namespace(Id=done["Targets"]["NAMESPACE"])["Namespace"]
    assert namespace["Type"] == "DNS_PRIVATE" and namespace["Name"] == name
    zone = route53.get_hosted_zone(Id=namespace["Properties"]["DnsProperties"]["HostedZoneId"])
    assert zone["HostedZone"]["Config"]["PrivateZone"] is True
    assert zone["VPCs"] == [{"VPCRegion": "us-east-1", "VPCId": vpc}]
    with pytest.raises(ClientError) as failure:
        sd.create_private_dns_namespace(Name="x" + name, Vpc="vpc-0000000000000000f")
    assert failure.value.response["Error"]["Code"] == "InvalidInput"
    # The same request again is answered with its operation; another by that name is refused.
    again = sd.create_private_dns_namespace(Name=name, Vpc=vpc, CreatorRequestId=name)["OperationId"]
    assert again == operation
    with pytest.raises(ClientError) as failure:
        sd.create_private_dns_namespace(Name=name, Vpc=vpc, CreatorRequestId="other")
    assert failure.value.response["Error"]["Code"] == "NamespaceAlreadyExists"

    service = sd.create_service(
        Name="api",
        NamespaceId=namespace["Id"],
        DnsConfig={
            "RoutingPolicy": "MULTIVALUE",
            "DnsRecords": [{"Type": "A", "TTL": 30}, {"Type": "SRV", "TTL": 30}],
        },
        HealthCheckCustomConfig={"FailureThreshold": 1},
    )["Service"]
    with pytest.raises(ClientError) as failure:
        sd.register_instance(
            ServiceId=service["Id"], InstanceId="i-0", Attributes={"AWS_INSTANCE_IPV4": "10.1.0.9"}
        )
    assert failure.value.response["Error"]["Code"] == "InvalidInput"  # an SRV record needs the port
    for instance, address, color in (("i-1", "10.1.0.5", "blue"), ("i-2", "10.1.0.6", "red")):
        sd.register_instance(
            ServiceId=service["Id"],
            InstanceId=instance,
            Attributes={"AWS_INSTANCE_IPV4": address, "AWS_INSTANCE_PORT": "8080", "color": color},
        )
    assert _answers(dns_port, f"api.{name}", "A") == ["10.1.0.5", "10.1.0.6"]
    assert _answers(dns_port, f"api.{name}", "SRV") == [
        f"1 1 8080 i-1.api.{name}.",
        f"1 1 8080 i-2.api.{name}.",
    ]
    assert _answers(dns_port, f"i-1.api.{name}", "A") == ["10.1.0.5"]

    red = sd.discover_instances(NamespaceName=name, ServiceName="api", QueryParameters={"color": "red"})
    assert [i["InstanceId"] for i in red["Instances"]] == ["i-2"]
    sd.update_instance_custom_health_status(ServiceId=service["Id"], InstanceId="i-1", Status="UNHEALTHY")
    assert sd.get_instances_health_status(ServiceId=service["Id"])["Status"] == {
        "i-1": "UNHEALTHY",
        "i-2": "HEALTHY",
    }
    healthy = sd.discover_instances(NamespaceName=name, ServiceName="api", HealthStatus="HEALTHY")[
        "Instances"
    ]
    assert [i["InstanceId"] for i in healthy] == ["i-2"]
    revision = sd.discover_instances_revision(NamespaceName=name, ServiceName="api")["InstancesRevision"]
    assert revision == red["InstancesRevision"] or revision > red["InstancesRevision"]

    with pytest.raises(ClientError) as failure:
        sd.delete_service(Id=service["Id"])
    assert failure.value.response["Error"]["Code"] == "ResourceInUse"
    sd.deregister_instance(ServiceId=service["Id"], InstanceId="i-1")
    assert _answers(dns_port, f"api.{name}", "A") == ["10.1.0.6"]
    with pytest.raises(ClientError) as failure:
        sd.get_instance(ServiceId=service["Id"], InstanceId="i-1")
    assert failure.value.response["Error"]["Code"] == "InstanceNotFound"
    sd.deregister_instance(ServiceId=service["Id"], InstanceId="i-2")
    assert _answers(dns_port, f"api.{name}", "A") == []
    with pytest.raises(ClientError) as failure:
        sd.delete_namespace(Id=namespace["Id"])
    assert failure.value.response["Error"]["Code"] == "ResourceInUse"
    sd.delete_service(Id=service["Id"])
    deleted = sd.delete_namespace(Id=namespace["Id"])["OperationId"]
    assert sd.get_operation(OperationId=deleted)["Operation"]["Type"] == "DELETE_NAMESPACE"
    with pytest.raises(ClientError) as failure:
        route53.get_hosted_zone(Id=namespace["Properties"]["DnsProperties"]["HostedZoneId"])
    assert failure.value.response["Error"]["Code"] == "NoSuchHostedZone"


def test_http_namespace_services_attributes_and_tags(cloudmap):
    sd, _, _ = cloudmap
    name = f"h{uuid.uuid4().hex[:8]}"
    operation = sd.create_http_namespace(Name=name, Tags=[{"Key": "team", "Value": "edge"}])["OperationId"]
    namespace_id = sd.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]
    namespace = sd.get_namespace(Id=namespace_id)["Namespace"]
    assert namespace["Type"] == "HTTP" and namespace["Properties"]["DnsProperties"] == {"SOA": {}}
    assert sd.list_tags_for_resource(ResourceARN=namespace["Arn"])["Tags"] == [
        {"Key": "team", "Value": "edge"}
    ]
    with pytest.raises(ClientError) as failure:
        sd.create_service(
            Name="web", NamespaceId=namespace_id, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 60}]}
        )
    assert failure.value.response["Error"]["Code"] == "InvalidInput"
    service = sd.create_service(Name="web", NamespaceId=namespace_id)["Service"]
    sd.register_instance(ServiceId=service["Id"], InstanceId="w1", Attributes={"url": "http://w1"})
    found = sd.discover_instances(NamespaceName=name, ServiceName="web")["Instances"]
    assert found == [
        {
            "InstanceId": "w1",
            "NamespaceName": name,
            "ServiceName": "web",
            "HealthStatus": "UNKNOWN",
            "Attributes": {"url": "http://w1"},
        }
    ]
    sd.update_service_attributes(ServiceId=service["Id"], Attributes={"a": "1", "b": "2"})
    sd.delete_service_attributes(ServiceId=service["Id"], Attributes=["a"])
    assert sd.get_service_attributes(ServiceId=service["Id"])["ServiceAttributes"]["Attributes"] == {"b": "2"}
    listed = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}])
    assert [s["Name"] for s in listed["Services"]] == ["web"]
    filtered = sd.list_namespaces(Filters=[{"Name": "TYPE", "Values": ["HTTP"], "Condition": "EQ"}])[
        "Namespaces"
    ]
    assert namespace_id in [n["Id"] for n in filtered]
    sd.tag_resource(ResourceARN=service["Arn"], Tags=[{"Key": "k", "Value": "v"}])
    sd.untag_resource(ResourceARN=namespace["Arn"], TagKeys=["team"])
    assert sd.list_tags_for_resource(ResourceARN=namespace["Arn"])["Tags"] == []
    ops = sd.list_operations(Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}])
    assert [o["Id"] for o in ops["Operations"]] == [operation]
    for call, params, code in (
        (sd.get_namespace, {"Id": "ns-doesnotexist0000"}, "NamespaceNotFound"),
        (sd.get_service, {"Id": "srv-doesnotexist000"}, "ServiceNotFound"),
        (sd.get_operation, {"OperationId": "nosuchoperation"}, "OperationNotFound"),
        (
            sd.update_instance_custom_health_status,
            {"ServiceId": service["Id"], "InstanceId": "w1", "Status": "HEALTHY"},
            "CustomHealthNotFound",
        ),
    ):
        with pytest.raises(ClientError) as failure:
            call(**params)
        assert failure.value.response["Error"]["Code"] == code


def test_route53_health_checks_steer_discovery_and_dns(cloudmap, dns_port):  # noqa: F811
    import socket
    import time

    from tests.conftest import free_port

    sd, route53, _ = cloudmap
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        name = f"p{uuid.uuid4().hex[:8]}.example"
        operation = sd.create_public_dns_namespace(Name=name)["OperationId"]
        namespace_id = sd.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]
        service = sd.create_service(
            Name="web",
            NamespaceId=namespace_id,
            DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 0}]},
            HealthCheckConfig={"Type": "TCP", "FailureThreshold": 1},
        )["Service"]
        for instance, address, port in (
            ("up", "127.0.0.1", listener.getsockname()[1]),
            ("down", "127.0.0.2", free_port()),
        ):
            sd.register_instance(
                ServiceId=service["Id"],
                InstanceId=instance,
                Attributes={"AWS_INSTANCE_IPV4": address, "AWS_INSTANCE_PORT": str(port)},
            )
        deadline = time.monotonic() + 20
        while sd.get_instances_health_status(ServiceId=service["Id"])["Status"] != {
            "up": "HEALTHY",
            "down": "UNHEALTHY",
        }:
            assert time.monotonic() < deadline, sd.get_instances_health_status(ServiceId=service["Id"])
            time.sleep(0.3)
        healthy = sd.discover_instances(NamespaceName=name, ServiceName="web", HealthStatus="HEALTHY")
        assert [i["InstanceId"] for i in healthy["Instances"]] == ["up"]
        records = route53.list_resource_record_sets(
            HostedZoneId=sd.get_namespace(Id=namespace_id)["Namespace"]["Properties"]["DnsProperties"][
                "HostedZoneId"
            ]
        )["ResourceRecordSets"]
        checks = {r["SetIdentifier"]: r["HealthCheckId"] for r in records if r.get("SetIdentifier")}
        assert set(checks) == {"up", "down"}
        for _ in range(5):  # a multivalue answer holds the healthy record only
            assert _answers(dns_port, f"web.{name}", "A") == ["127.0.0.1"]
        sd.deregister_instance(ServiceId=service["Id"], InstanceId="down")
        with pytest.raises(ClientError) as failure:
            route53.get_health_check(HealthCheckId=checks["down"])
        assert failure.value.response["Error"]["Code"] == "NoSuchHealthCheck"
    finally:
        listener.close()
