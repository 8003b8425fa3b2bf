"""ELBv2's control plane: load balancers, target groups, listeners, rules, attributes, tags,
and AWS's errors for what it refuses."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.elbv2.helpers import default_network, unique


@pytest.fixture(scope="module")
def elb(client):
    return client("elbv2")


@pytest.fixture(scope="module")
def network(client):
    return default_network(client("ec2"))


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


@pytest.fixture
def alb(elb, network):
    _, subnets = network
    lb = elb.create_load_balancer(Name=unique("alb"), Subnets=subnets)["LoadBalancers"][0]
    yield lb
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])


def test_load_balancer_shape_and_state(elb, alb, network, client):
    vpc, subnets = network
    assert alb["Type"] == "application"
    assert alb["Scheme"] == "internet-facing"
    assert alb["VpcId"] == vpc
    assert alb["State"]["Code"] == "provisioning"
    assert alb["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    assert alb["DNSName"].startswith(alb["LoadBalancerName"].lower() + "-")
    assert alb["DNSName"].endswith(".us-east-1.elb.localhost.localstack.cloud")
    assert ":loadbalancer/app/" + alb["LoadBalancerName"] + "/" in alb["LoadBalancerArn"]
    assert sorted(z["SubnetId"] for z in alb["AvailabilityZones"]) == sorted(subnets)
    default_group = client("ec2").describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    assert alb["SecurityGroups"] == [default_group]
    elb.get_waiter("load_balancer_available").wait(
        LoadBalancerArns=[alb["LoadBalancerArn"]], WaiterConfig={"Delay": 1, "MaxAttempts": 10}
    )
    found = elb.describe_load_balancers(Names=[alb["LoadBalancerName"]])["LoadBalancers"][0]
    assert found["State"]["Code"] == "active"


def test_create_is_idempotent_and_names_are_unique(elb, alb, network):
    _, subnets = network
    again = elb.create_load_balancer(Name=alb["LoadBalancerName"], Subnets=subnets)["LoadBalancers"][0]
    assert again["LoadBalancerArn"] == alb["LoadBalancerArn"]
    with pytest.raises(ClientError) as error:
        elb.create_load_balancer(Name=alb["LoadBalancerName"], Subnets=subnets, Scheme="internal")
    assert _code(error) == "DuplicateLoadBalancerName"


def test_refusals(elb, network):
    vpc, subnets = network
    with pytest.raises(ClientError) as error:
        elb.create_load_balancer(Name=unique("one"), Subnets=subnets[:1])
    assert _code(error) == "ValidationError"
    with pytest.raises(ClientError) as error:
        elb.create_load_balancer(Name=unique("bad"), Subnets=["subnet-00000000", subnets[0]])
    assert _code(error) == "SubnetNotFound"
    with pytest.raises(ClientError) as error:
        elb.create_load_balancer(Name="-bad-", Subnets=subnets)
    assert _code(error) == "ValidationError"
    with pytest.raises(ClientError) as error:
        elb.describe_load_balancers(Names=["no-such-lb"])
    assert _code(error) == "LoadBalancerNotFound"
    with pytest.raises(ClientError) as error:
        elb.describe_target_groups(Names=["no-such-tg"])
    assert _code(error) == "TargetGroupNotFound"
    with pytest.raises(ClientError) as error:
        elb.create_target_group(Name=unique("tg"), Protocol="HTTP", Port=80)
    assert _code(error) == "ValidationError"
    with pytest.raises(ClientError) as error:
        elb.create_target_group(Name=unique("tg"), TargetType="lambda", Port=80)
    assert _code(error) == "ValidationError"
    with pytest.raises(ClientError) as error:
        elb.create_target_group(
            Name=unique("tg"),
            Protocol="HTTP",
            Port=80,
            VpcId=vpc,
            HealthCheckIntervalSeconds=5,
            HealthCheckTimeoutSeconds=6,
        )
    assert _code(error) == "ValidationError"
    # Deleting what is not there succeeds, as on AWS.
    elb.delete_load_balancer(
        LoadBalancerArn="arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/none/0123456789abcdef"
    )


def test_target_group_defaults_per_protocol(elb, network):
    vpc, _ = network
    http = elb.create_target_group(Name=unique("http"), Protocol="HTTP", Port=8080, VpcId=vpc)[
        "TargetGroups"
    ][0]
    assert (http["HealthCheckProtocol"], http["HealthCheckPort"], http["HealthCheckPath"]) == (
        "HTTP",
        "traffic-port",
        "/",
    )
    assert (http["HealthCheckIntervalSeconds"], http["HealthCheckTimeoutSeconds"]) == (30, 5)
    assert (http["HealthyThresholdCount"], http["UnhealthyThresholdCount"]) == (5, 2)
    assert http["Matcher"] == {"HttpCode": "200"}
    assert http["TargetType"] == "instance" and http["ProtocolVersion"] == "HTTP1"
    tcp = elb.create_target_group(Name=unique("tcp"), Protocol="TCP", Port=80, VpcId=vpc)["TargetGroups"][0]
    assert tcp["HealthCheckProtocol"] == "TCP" and "HealthCheckPath" not in tcp
    lam = elb.create_target_group(Name=unique("lam"), TargetType="lambda")["TargetGroups"][0]
    assert lam["HealthCheckEnabled"] is False and "Protocol" not in lam and "VpcId" not in lam
    attributes = {
        a["Key"]: a["Value"]
        for a in elb.describe_target_group_attributes(TargetGroupArn=lam["TargetGroupArn"])["Attributes"]
    }
    assert attributes == {"lambda.multi_value_headers.enabled": "false"}
    attributes = {
        a["Key"]: a["Value"]
        for a in elb.describe_target_group_attributes(TargetGroupArn=http["TargetGroupArn"])["Attributes"]
    }
    assert attributes["deregistration_delay.timeout_seconds"] == "300"
    assert attributes["stickiness.type"] == "lb_cookie"
    for tg in (http, tcp, lam):
        elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])


def test_listeners_rules_and_priorities(elb, alb, network):
    vpc, _ = network
    tg = elb.create_target_group(Name=unique("tg"), Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    listener = elb.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
    )["Listeners"][0]
    action = listener["DefaultActions"][0]
    assert action["ForwardConfig"]["TargetGroups"] == [{"TargetGroupArn": tg["TargetGroupArn"], "Weight": 1}]
    with pytest.raises(ClientError) as error:
        elb.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
        )
    assert _code(error) == "DuplicateListener"
    with pytest.raises(ClientError) as error:
        elb.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"],
            Protocol="HTTPS",
            Port=443,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
        )
    assert _code(error) == "CertificateNotFound"
    with pytest.raises(ClientError) as error:
        elb.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"],
            Protocol="TCP",
            Port=81,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
        )
    assert error.value.response["Error"]["Message"] == "Listener protocol 'TCP' must be one of 'HTTP, HTTPS'"
    assert elb.describe_target_groups(LoadBalancerArn=alb["LoadBalancerArn"])["TargetGroups"][0][
        "LoadBalancerArns"
    ] == [alb["LoadBalancerArn"]]
    fixed = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]
    first = elb.create_rule(
        ListenerArn=listener["ListenerArn"],
        Priority=10,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/a/*"]}}],
        Actions=fixed,
    )["Rules"][0]
    second = elb.create_rule(
        ListenerArn=listener["ListenerArn"],
        Priority=20,
        Conditions=[{"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["POST"]}}],
        Actions=fixed,
    )["Rules"][0]
    with pytest.raises(ClientError) as error:
        elb.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=10,
            Conditions=[{"Field": "host-header", "Values": ["x.example.com"]}],
            Actions=fixed,
        )
    assert _code(error) == "PriorityInUse"
    rules = elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    assert [r["Priority"] for r in rules] == ["10", "20", "default"]
    assert rules[-1]["IsDefault"] is True
    with pytest.raises(ClientError) as error:
        elb.delete_rule(RuleArn=rules[-1]["RuleArn"])
    assert _code(error) == "OperationNotPermitted"
    elb.set_rule_priorities(
        RulePriorities=[
            {"RuleArn": first["RuleArn"], "Priority": 30},
            {"RuleArn": second["RuleArn"], "Priority": 5},
        ]
    )
    rules = elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    assert [r["RuleArn"] for r in rules[:2]] == [second["RuleArn"], first["RuleArn"]]
    with pytest.raises(ClientError) as error:
        elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
    assert _code(error) == "ResourceInUse"
    elb.delete_listener(ListenerArn=listener["ListenerArn"])
    with pytest.raises(ClientError) as error:
        elb.describe_rules(RuleArns=[first["RuleArn"]])
    assert _code(error) == "RuleNotFound"
    elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])


def test_condition_and_action_checks(elb, alb):
    listener = elb.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=8080,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
    )["Listeners"][0]
    fixed = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]
    for conditions in (
        [{"Field": "nope", "Values": ["x"]}],
        [{"Field": "source-ip", "SourceIpConfig": {"Values": ["not-a-cidr"]}}],
        [{"Field": "path-pattern", "Values": ["/a", "/b", "/c", "/d", "/e", "/f"]}],
    ):
        with pytest.raises(ClientError) as error:
            elb.create_rule(
                ListenerArn=listener["ListenerArn"], Priority=1, Conditions=conditions, Actions=fixed
            )
        assert _code(error) in ("ValidationError", "TooManyConditionValues")
    with pytest.raises(ClientError) as error:
        elb.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=1,
            Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
            Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "302"}}],
        )
    assert _code(error) == "ValidationError"
    with pytest.raises(ClientError) as error:
        elb.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=1,
            Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
            Actions=[
                {
                    "Type": "authenticate-oidc",
                    "Order": 1,
                    "AuthenticateOidcConfig": {
                        "Issuer": "https://idp.example.com",
                        "AuthorizationEndpoint": "https://idp.example.com/auth",
                        "TokenEndpoint": "https://idp.example.com/token",
                        "UserInfoEndpoint": "https://idp.example.com/userinfo",
                        "ClientId": "client",
                        "ClientSecret": "secret",
                    },
                },
                {"Type": "fixed-response", "Order": 2, "FixedResponseConfig": {"StatusCode": "200"}},
            ],
        )
    assert _code(error) == "ValidationError"  # authentication needs an HTTPS listener
    with pytest.raises(ClientError) as error:
        elb.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=1,
            Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
            Actions=[
                {
                    "Type": "forward",
                    "TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/no/0123456789abcdef",
                }
            ],
        )
    assert _code(error) == "TargetGroupNotFound"


def test_attributes(elb, alb):
    arn = alb["LoadBalancerArn"]
    attributes = {
        a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    }
    assert attributes["idle_timeout.timeout_seconds"] == "60"
    assert attributes["routing.http2.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == "false"
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=arn,
        Attributes=[
            {"Key": "idle_timeout.timeout_seconds", "Value": "120"},
            {"Key": "deletion_protection.enabled", "Value": "true"},
        ],
    )
    with pytest.raises(ClientError) as error:
        elb.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": "no.such", "Value": "1"}]
        )
    assert _code(error) == "ValidationError"
    with pytest.raises(ClientError) as error:
        elb.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "0"}]
        )
    assert _code(error) == "ValidationError"
    with pytest.raises(ClientError) as error:
        elb.delete_load_balancer(LoadBalancerArn=arn)
    assert _code(error) == "OperationNotPermitted"
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}]
    )


def test_tags(elb, alb, network):
    vpc, _ = network
    tg = elb.create_target_group(
        Name=unique("tagged"), Protocol="HTTP", Port=80, VpcId=vpc, Tags=[{"Key": "team", "Value": "web"}]
    )["TargetGroups"][0]
    elb.add_tags(
        ResourceArns=[alb["LoadBalancerArn"], tg["TargetGroupArn"]], Tags=[{"Key": "env", "Value": "dev"}]
    )
    described = elb.describe_tags(ResourceArns=[alb["LoadBalancerArn"], tg["TargetGroupArn"]])[
        "TagDescriptions"
    ]
    assert described[0]["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert sorted(t["Key"] for t in described[1]["Tags"]) == ["env", "team"]
    elb.remove_tags(ResourceArns=[tg["TargetGroupArn"]], TagKeys=["team"])
    assert elb.describe_tags(ResourceArns=[tg["TargetGroupArn"]])["TagDescriptions"][0]["Tags"] == [
        {"Key": "env", "Value": "dev"}
    ]
    with pytest.raises(ClientError) as error:
        elb.add_tags(
            ResourceArns=[tg["TargetGroupArn"]], Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]
        )
    assert _code(error) == "TooManyTags"
    elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])


def test_network_load_balancer_and_account(elb, network):
    vpc, subnets = network
    nlb = elb.create_load_balancer(Name=unique("nlb"), Type="network", Subnets=subnets[:1])["LoadBalancers"][
        0
    ]
    assert nlb["Type"] == "network" and nlb["CanonicalHostedZoneId"] == "Z26RNL4JYFTOTI"
    assert "SecurityGroups" not in nlb
    tg = elb.create_target_group(Name=unique("tcp"), Protocol="TCP", Port=80, VpcId=vpc)["TargetGroups"][0]
    listener = elb.create_listener(
        LoadBalancerArn=nlb["LoadBalancerArn"],
        Protocol="TCP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
    )["Listeners"][0]
    attributes = elb.describe_listener_attributes(ListenerArn=listener["ListenerArn"])["Attributes"]
    assert attributes == [{"Key": "tcp.idle_timeout.seconds", "Value": "350"}]
    limits = {x["Name"]: x["Max"] for x in elb.describe_account_limits()["Limits"]}
    assert limits["application-load-balancers"] == "50"
    policies = elb.describe_ssl_policies(Names=["ELBSecurityPolicy-2016-08"])["SslPolicies"]
    assert "TLSv1.2" in policies[0]["SslProtocols"]
    with pytest.raises(ClientError) as error:
        elb.describe_ssl_policies(Names=["nope"])
    assert _code(error) == "SSLPolicyNotFound"
    elb.delete_load_balancer(LoadBalancerArn=nlb["LoadBalancerArn"])
    elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])


def test_https_listener_with_acm_certificate(elb, alb, client):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "app.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    acm = client("acm")
    arn = acm.import_certificate(
        Certificate=certificate.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )["CertificateArn"]
    listener = elb.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": arn}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
    )["Listeners"][0]
    assert listener["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listener["Certificates"] == [{"CertificateArn": arn}]
    certificates = elb.describe_listener_certificates(ListenerArn=listener["ListenerArn"])["Certificates"]
    assert certificates == [{"CertificateArn": arn, "IsDefault": True}]
    with pytest.raises(ClientError) as error:
        elb.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"],
            Protocol="HTTPS",
            Port=8443,
            Certificates=[{"CertificateArn": arn.replace(arn[-6:], "000000")}],
            DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
        )
    assert _code(error) == "CertificateNotFound"
