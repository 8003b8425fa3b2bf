"""What AWS refuses in event invoke configs, permissions and provisioned concurrency, with its
own codes and wording (recorded against AWS in LocalStack's validated snapshots)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .helpers import ROLE, create, unique, zip_bytes

SOURCE = "def handler(event, context):\n    return event\n"


def error(raised):
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_event_invoke_config_destinations(client):
    lam = client("lambda")
    name = create(lam, SOURCE)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    other = lam.get_function(FunctionName=create(lam, SOURCE))["Configuration"]["FunctionArn"]
    absent = arn.rsplit(":", 1)[0] + ":doesnotexist"

    def put(destination):
        with pytest.raises(lam.exceptions.ClientError) as raised:
            lam.put_function_event_invoke_config(
                FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": destination}}
            )
        return error(raised)

    assert put(absent) == ("InvalidParameterValueException", f"The destination ARN {absent} is invalid.")
    assert put(arn) == (
        "InvalidParameterValueException",
        "You can't specify the function as a destination for itself.",
    )
    iam_arn = arn.replace(":lambda:", ":iam:")
    assert put(iam_arn) == (
        "InvalidParameterValueException",
        f"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination={iam_arn}), "
        "onFailure=null) is invalid.",
    )
    code, message = put(arn.replace(":lambda:", ":_-/!lambda:"))
    assert code == "ValidationException"
    assert (
        "at 'destinationConfig.onSuccess.destination' failed to satisfy constraint: Member must satisfy regular expression pattern"
        in message
    )
    stored = lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": other}}
    )
    assert stored["DestinationConfig"]["OnSuccess"] == {"Destination": other}
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.put_function_event_invoke_config(
            FunctionName=name, Qualifier="nosuchalias", MaximumRetryAttempts=1
        )
    assert error(raised)[1] == "The function doesn't exist."
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.list_function_event_invoke_configs(FunctionName="doesnotexist")
    assert error(raised)[1] == "The function doesn't exist."
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.delete_function_event_invoke_config(FunctionName="doesnotexist")
    assert error(raised)[1] == f"The function {absent}:$LATEST doesn't have an EventInvokeConfig"


def test_permission_principal_and_qualifier(client):
    lam = client("lambda")
    name = create(lam, SOURCE)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.add_permission(
            FunctionName=name, Action="lambda:InvokeFunction", StatementId="x", Principal="invalid.nonaws.com"
        )
    assert error(raised)[1] == "The provided principal was invalid. Please check the principal and try again."
    for principal in ("s3.amazonaws.com", "alexa-appkit.amazon.com", "123456789012", "*"):
        lam.add_permission(
            FunctionName=name,
            Action="lambda:InvokeFunction",
            StatementId=f"s{len(principal)}",
            Principal=principal,
        )
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    for qualifier, message in (
        ("valid-with-$-but-doesnotexist", f"Function not found: {arn}:valid-with-$-but-doesnotexist"),
        ("alias-doesnotexist", f"Cannot find alias arn: {arn}:alias-doesnotexist"),
    ):
        with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
            lam.add_permission(
                FunctionName=name,
                Action="lambda:InvokeFunction",
                StatementId="q",
                Principal="s3.amazonaws.com",
                Qualifier=qualifier,
            )
        assert error(raised)[1] == message


def test_provisioned_concurrency_limits_and_conflicts(client):
    lam = client("lambda")
    name = create(lam, SOURCE)
    version = lam.publish_version(FunctionName=name)["Version"]
    settings = lam.get_account_settings()["AccountLimit"]
    limit = settings["ConcurrentExecutions"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=limit + 1
        )
    # Other tests' reserved and provisioned concurrency share the account's pool.
    message = error(raised)[1]
    prefix = "Specified ConcurrentExecutions for function is greater than account's unreserved concurrency ["
    assert message.startswith(prefix) and message.endswith("].")
    unreserved = int(message[len(prefix) : -2])
    assert 100 < unreserved <= settings["UnreservedConcurrentExecutions"]
    assert "Type" not in raised.value.response
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=unreserved
        )
    assert error(raised)[1] == (
        "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        "below its minimum value of [100]."
    )
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    put = lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
    )
    assert put["AvailableProvisionedConcurrentExecutions"] == 0
    with pytest.raises(lam.exceptions.ResourceConflictException) as raised:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
        )
    assert error(raised)[1] == (
        "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version"
    )
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    with pytest.raises(lam.exceptions.ResourceConflictException) as raised:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
        )
    assert error(raised)[1] == "Version is pointed by a Provisioned Concurrency alias"
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")


def test_reserved_and_provisioned_concurrency_overlap(client):
    lam = client("lambda")
    name = create(lam, SOURCE)
    first = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=first, ProvisionedConcurrentExecutions=2
    )
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    assert error(raised)[1] == (
        " ReservedConcurrentExecutions  1 should not be lower than function's total provisioned concurrency [2]."
    )
    assert "Type" not in raised.value.response
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    lam.update_function_configuration(FunctionName=name, Timeout=15)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    second = lam.publish_version(FunctionName=name)["Version"]
    refusal = "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function"
    for qualifier, amount in ((second, 1), (first, 3)):
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
            lam.put_provisioned_concurrency_config(
                FunctionName=name, Qualifier=qualifier, ProvisionedConcurrentExecutions=amount
            )
        assert error(raised)[1] == refusal
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=first, ProvisionedConcurrentExecutions=1
    )
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=second, ProvisionedConcurrentExecutions=1
    )
    for qualifier in (first, second):
        lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
    lam.delete_function_concurrency(FunctionName=name)


def test_all_reserved_provisioned_throttles_other_qualifiers(client):
    lam = client("lambda")
    name = create(lam, SOURCE)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
    )
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as raised:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert error(raised) == ("TooManyRequestsException", "Rate Exceeded.")
    assert lam.invoke(FunctionName=name, Qualifier=version, Payload=b'"ok"')["Payload"].read() == b'"ok"'
    lam.delete_function_concurrency(FunctionName=name)
    assert lam.invoke(FunctionName=name, Payload=b'"free"')["Payload"].read() == b'"free"'
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)


def test_reserved_concurrency_below_the_unreserved_minimum(client):
    lam = client("lambda")
    name = create(lam, SOURCE)
    limit = lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as raised:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=limit + 1)
    assert error(raised)[1] == (
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [100]."
    )
    assert "Type" not in raised.value.response


def test_vpc_config_is_checked_against_ec2(client):
    """VpcConfig names real subnets and security groups: malformed ids are a ValidationException
    in the model's words, ids EC2 does not know an InvalidParameterValueException naming EC2's
    error, and the function's VpcId is its subnets' (AWS recorded all three)."""
    lam, ec2 = client("lambda"), client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=unique("fn-group"), Description="fn", VpcId=vpc)["GroupId"]
    create = {
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "handler.handler",
        "Code": {"ZipFile": zip_bytes({"handler.py": "def handler(e, c):\n    return 1\n"})},
    }

    def refusal(**vpc_config):
        with pytest.raises(ClientError) as raised:
            lam.create_function(FunctionName=unique("vpc"), VpcConfig=vpc_config, **create)
        return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]

    assert refusal(SubnetIds=["bad-format"], SecurityGroupIds=[group]) == (
        "ValidationException",
        "1 validation error detected: Value '[bad-format]' at 'vpcConfig.subnetIds' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must have length less than or equal to 1024, Member must have "
        "length greater than or equal to 0, Member must satisfy regular expression pattern: subnet-[0-9a-z]*]",
    )
    assert refusal(SubnetIds=[subnet], SecurityGroupIds=["sg-0000000000000000f"]) == (
        "InvalidParameterValueException",
        "Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. EC2 Error Message: "
        "The security group 'sg-0000000000000000f' does not exist",
    )
    assert refusal(SubnetIds=["subnet-0000000000000000f"], SecurityGroupIds=[group]) == (
        "InvalidParameterValueException",
        "Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. EC2 Error Message: "
        "The subnet ID 'subnet-0000000000000000f' does not exist",
    )
    name = unique("vpc")
    created = lam.create_function(
        FunctionName=name, VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [group]}, **create
    )
    assert created["VpcConfig"]["VpcId"] == vpc
    assert created["VpcConfig"]["SubnetIds"] == [subnet] and created["VpcConfig"]["SecurityGroupIds"] == [
        group
    ]
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )
    # Empty lists detach the function from the VPC.
    updated = lam.update_function_configuration(
        FunctionName=name, VpcConfig={"SubnetIds": [], "SecurityGroupIds": []}
    )
    assert "VpcConfig" not in updated or not updated["VpcConfig"].get("SubnetIds")
    lam.delete_function(FunctionName=name)
