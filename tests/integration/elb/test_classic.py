"""Classic ELB's control plane: load balancers, listeners, health check, instances and their
health, attributes, policies, subnets and zones, tags, and AWS's errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.elbv2.helpers import default_network, unique


@pytest.fixture(scope="module")
def elb(client):
    return client("elb")


@pytest.fixture(scope="module")
def network(client):
    return default_network(client("ec2"))


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


@pytest.fixture
def classic(elb, network):
    _, subnets = network
    name = unique("clb")
    elb.create_load_balancer(
        LoadBalancerName=name,
        Listeners=[{"Protocol": "http", "LoadBalancerPort": 80, "InstancePort": 8080}],
        Subnets=subnets,
        Tags=[{"Key": "team", "Value": "web"}],
    )
    yield name
    elb.delete_load_balancer(LoadBalancerName=name)


def test_create_and_describe(elb, classic, network):
    vpc, subnets = network
    found = elb.describe_load_balancers(LoadBalancerNames=[classic])["LoadBalancerDescriptions"][0]
    assert found["DNSName"].startswith(classic.lower() + "-")
    assert found["CanonicalHostedZoneNameID"] == "Z35SXDOTRQ7X7K"
    assert found["VPCId"] == vpc and sorted(found["Subnets"]) == sorted(subnets)
    assert found["ListenerDescriptions"] == [
        {
            "Listener": {
                "Protocol": "HTTP",
                "LoadBalancerPort": 80,
                "InstanceProtocol": "HTTP",
                "InstancePort": 8080,
            },
            "PolicyNames": [],
        }
    ]
    assert found["HealthCheck"] == {
        "Target": "TCP:8080",
        "Interval": 30,
        "Timeout": 5,
        "UnhealthyThreshold": 2,
        "HealthyThreshold": 10,
    }
    assert found["Scheme"] == "internet-facing"
    assert found["SourceSecurityGroup"]["GroupName"] == "default"
    with pytest.raises(ClientError) as error:
        elb.describe_load_balancers(LoadBalancerNames=["no-such-clb"])
    assert _code(error) == "LoadBalancerNotFound"
    with pytest.raises(ClientError) as error:
        elb.create_load_balancer(
            LoadBalancerName=classic,
            Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 22, "InstancePort": 22}],
            Subnets=subnets,
        )
    assert _code(error) == "DuplicateLoadBalancerName"


def test_listeners_and_health_check(elb, classic):
    elb.create_load_balancer_listeners(
        LoadBalancerName=classic,
        Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 443, "InstancePort": 8443}],
    )
    with pytest.raises(ClientError) as error:
        elb.create_load_balancer_listeners(
            LoadBalancerName=classic,
            Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 443, "InstancePort": 9000}],
        )
    assert _code(error) == "DuplicateListener"
    with pytest.raises(ClientError) as error:
        elb.create_load_balancer_listeners(
            LoadBalancerName=classic,
            Listeners=[{"Protocol": "HTTPS", "LoadBalancerPort": 8443, "InstancePort": 80}],
        )
    assert _code(error) == "ValidationError"
    elb.delete_load_balancer_listeners(LoadBalancerName=classic, LoadBalancerPorts=[443])
    found = elb.describe_load_balancers(LoadBalancerNames=[classic])["LoadBalancerDescriptions"][0]
    assert [x["Listener"]["LoadBalancerPort"] for x in found["ListenerDescriptions"]] == [80]
    check = elb.configure_health_check(
        LoadBalancerName=classic,
        HealthCheck={
            "Target": "HTTP:8080/ping",
            "Interval": 10,
            "Timeout": 5,
            "UnhealthyThreshold": 3,
            "HealthyThreshold": 2,
        },
    )["HealthCheck"]
    assert check["Target"] == "HTTP:8080/ping"
    with pytest.raises(ClientError) as error:
        elb.configure_health_check(
            LoadBalancerName=classic,
            HealthCheck={
                "Target": "HTTP:8080",
                "Interval": 10,
                "Timeout": 5,
                "UnhealthyThreshold": 3,
                "HealthyThreshold": 2,
            },
        )
    assert _code(error) == "ValidationError"


def test_instances_and_their_health(elb, classic, client):
    ec2 = client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][
        0
    ]
    instance_id = instance["InstanceId"]
    ec2.get_waiter("instance_running").wait(
        InstanceIds=[instance_id], WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    registered = elb.register_instances_with_load_balancer(
        LoadBalancerName=classic, Instances=[{"InstanceId": instance_id}]
    )
    assert registered["Instances"] == [{"InstanceId": instance_id}]
    with pytest.raises(ClientError) as error:
        elb.register_instances_with_load_balancer(
            LoadBalancerName=classic, Instances=[{"InstanceId": "i-00000000000000000"}]
        )
    assert _code(error) == "InvalidInstance"
    # No instance serves /ping on its private address here: the HTTP probe fails.
    elb.configure_health_check(
        LoadBalancerName=classic,
        HealthCheck={
            "Target": "HTTP:8080/ping",
            "Interval": 10,
            "Timeout": 5,
            "UnhealthyThreshold": 2,
            "HealthyThreshold": 2,
        },
    )
    states = elb.describe_instance_health(LoadBalancerName=classic)["InstanceStates"]
    assert states[0]["InstanceId"] == instance_id and states[0]["State"] == "OutOfService"
    remaining = elb.deregister_instances_from_load_balancer(
        LoadBalancerName=classic, Instances=[{"InstanceId": instance_id}]
    )
    assert remaining["Instances"] == []
    ec2.terminate_instances(InstanceIds=[instance_id])


def test_attributes(elb, classic):
    attributes = elb.describe_load_balancer_attributes(LoadBalancerName=classic)["LoadBalancerAttributes"]
    assert attributes["ConnectionSettings"] == {"IdleTimeout": 60}
    assert attributes["CrossZoneLoadBalancing"] == {"Enabled": False}
    assert attributes["ConnectionDraining"] == {"Enabled": False, "Timeout": 300}
    changed = elb.modify_load_balancer_attributes(
        LoadBalancerName=classic,
        LoadBalancerAttributes={
            "CrossZoneLoadBalancing": {"Enabled": True},
            "ConnectionSettings": {"IdleTimeout": 120},
        },
    )["LoadBalancerAttributes"]
    assert changed["CrossZoneLoadBalancing"] == {"Enabled": True}
    assert changed["ConnectionSettings"] == {"IdleTimeout": 120}
    with pytest.raises(ClientError) as error:
        elb.modify_load_balancer_attributes(
            LoadBalancerName=classic, LoadBalancerAttributes={"AccessLog": {"Enabled": True}}
        )
    assert _code(error) == "ValidationError"


def test_policies(elb, classic):
    types = {t["PolicyTypeName"] for t in elb.describe_load_balancer_policy_types()["PolicyTypeDescriptions"]}
    assert {"ProxyProtocolPolicyType", "SSLNegotiationPolicyType", "LBCookieStickinessPolicyType"} <= types
    predefined = {p["PolicyName"] for p in elb.describe_load_balancer_policies()["PolicyDescriptions"]}
    assert "ELBSecurityPolicy-2016-08" in predefined
    elb.create_lb_cookie_stickiness_policy(
        LoadBalancerName=classic, PolicyName="sticky", CookieExpirationPeriod=60
    )
    elb.create_app_cookie_stickiness_policy(LoadBalancerName=classic, PolicyName="app", CookieName="SESSION")
    elb.create_load_balancer_policy(
        LoadBalancerName=classic,
        PolicyName="proxy",
        PolicyTypeName="ProxyProtocolPolicyType",
        PolicyAttributes=[{"AttributeName": "ProxyProtocol", "AttributeValue": "true"}],
    )
    with pytest.raises(ClientError) as error:
        elb.create_lb_cookie_stickiness_policy(LoadBalancerName=classic, PolicyName="sticky")
    assert _code(error) == "DuplicatePolicyName"
    with pytest.raises(ClientError) as error:
        elb.create_load_balancer_policy(LoadBalancerName=classic, PolicyName="x", PolicyTypeName="NoSuchType")
    assert _code(error) == "PolicyTypeNotFound"
    elb.set_load_balancer_policies_of_listener(
        LoadBalancerName=classic, LoadBalancerPort=80, PolicyNames=["sticky"]
    )
    elb.set_load_balancer_policies_for_backend_server(
        LoadBalancerName=classic, InstancePort=8080, PolicyNames=["proxy"]
    )
    found = elb.describe_load_balancers(LoadBalancerNames=[classic])["LoadBalancerDescriptions"][0]
    assert found["ListenerDescriptions"][0]["PolicyNames"] == ["sticky"]
    assert found["Policies"]["LBCookieStickinessPolicies"] == [
        {"PolicyName": "sticky", "CookieExpirationPeriod": 60}
    ]
    assert found["Policies"]["AppCookieStickinessPolicies"] == [
        {"PolicyName": "app", "CookieName": "SESSION"}
    ]
    assert found["Policies"]["OtherPolicies"] == ["proxy"]
    assert found["BackendServerDescriptions"] == [{"InstancePort": 8080, "PolicyNames": ["proxy"]}]
    with pytest.raises(ClientError) as error:
        elb.delete_load_balancer_policy(LoadBalancerName=classic, PolicyName="sticky")
    assert _code(error) == "InvalidConfigurationRequest"
    with pytest.raises(ClientError) as error:
        elb.set_load_balancer_policies_of_listener(
            LoadBalancerName=classic, LoadBalancerPort=81, PolicyNames=[]
        )
    assert _code(error) == "ListenerNotFound"
    policies = elb.describe_load_balancer_policies(LoadBalancerName=classic, PolicyNames=["proxy"])[
        "PolicyDescriptions"
    ]
    assert policies[0]["PolicyAttributeDescriptions"] == [
        {"AttributeName": "ProxyProtocol", "AttributeValue": "true"}
    ]


def test_zones_subnets_groups_and_tags(elb, classic, network, client):
    vpc, subnets = network
    elb.detach_load_balancer_from_subnets(LoadBalancerName=classic, Subnets=[subnets[1]])
    found = elb.describe_load_balancers(LoadBalancerNames=[classic])["LoadBalancerDescriptions"][0]
    assert found["Subnets"] == [subnets[0]] and len(found["AvailabilityZones"]) == 1
    assert sorted(
        elb.attach_load_balancer_to_subnets(LoadBalancerName=classic, Subnets=[subnets[1]])["Subnets"]
    ) == sorted(subnets)
    group = client("ec2").create_security_group(GroupName=unique("clb-group"), Description="clb", VpcId=vpc)[
        "GroupId"
    ]
    assert elb.apply_security_groups_to_load_balancer(LoadBalancerName=classic, SecurityGroups=[group])[
        "SecurityGroups"
    ] == [group]
    elb.add_tags(LoadBalancerNames=[classic], Tags=[{"Key": "env", "Value": "dev"}])
    elb.remove_tags(LoadBalancerNames=[classic], Tags=[{"Key": "team"}])
    tags = elb.describe_tags(LoadBalancerNames=[classic])["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "env", "Value": "dev"}]
    limits = {x["Name"]: x["Max"] for x in elb.describe_account_limits()["Limits"]}
    assert limits["classic-load-balancers"] == "20"


def test_zones_in_the_default_vpc(elb, client):
    zones = [z["ZoneName"] for z in client("ec2").describe_availability_zones()["AvailabilityZones"]][:2]
    name = unique("zones")
    elb.create_load_balancer(
        LoadBalancerName=name,
        Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 80, "InstancePort": 80}],
        AvailabilityZones=zones[:1],
    )
    assert (
        elb.enable_availability_zones_for_load_balancer(LoadBalancerName=name, AvailabilityZones=zones[1:])[
            "AvailabilityZones"
        ]
        == zones
    )
    assert (
        elb.disable_availability_zones_for_load_balancer(LoadBalancerName=name, AvailabilityZones=zones[:1])[
            "AvailabilityZones"
        ]
        == zones[1:]
    )
    elb.delete_load_balancer(LoadBalancerName=name)
    elb.delete_load_balancer(LoadBalancerName=name)  # deleting again succeeds, as on AWS
