"""EC2 Instance Connect: a pushed key shows in the instance's metadata for its OS user until it
expires; bad keys, missing or stopped instances and a disabled serial console are refused as
AWS refuses them."""

from __future__ import annotations

import urllib.request

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa


def openssh(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


@pytest.fixture(scope="module")
def instance(client) -> dict:
    ec2 = client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    found = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]
    ec2.get_waiter("instance_running").wait(InstanceIds=[found["InstanceId"]], WaiterConfig={"Delay": 1})
    return found


def metadata(endpoint: str, instance_id: str, path: str) -> str:
    """A metadata path of the instance, with an IMDSv2 session token."""
    base = f"{endpoint}/_aws/imds/{instance_id}/latest"
    put = urllib.request.Request(
        f"{base}/api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}
    )
    with urllib.request.urlopen(put) as response:
        token = response.read().decode()
    get = urllib.request.Request(f"{base}/meta-data/{path}", headers={"X-aws-ec2-metadata-token": token})
    with urllib.request.urlopen(get) as response:
        return response.read().decode()


def test_a_pushed_key_is_in_the_metadata_for_its_user(client, endpoint, instance):
    connect = client("ec2-instance-connect")
    key = openssh(ed25519.Ed25519PrivateKey.generate())
    answer = connect.send_ssh_public_key(
        InstanceId=instance["InstanceId"], InstanceOSUser="ec2-user", SSHPublicKey=key,
        AvailabilityZone=instance["Placement"]["AvailabilityZone"],
    )  # fmt: skip
    assert answer["Success"] is True and answer["RequestId"]
    assert metadata(endpoint, instance["InstanceId"], "managed-ssh-keys/active-keys/") == "ec2-user"
    assert metadata(endpoint, instance["InstanceId"], "managed-ssh-keys/active-keys/ec2-user") == key


def test_bad_keys_and_instances_are_refused(client, instance):
    connect, ec2 = client("ec2-instance-connect"), client("ec2")
    good = openssh(ed25519.Ed25519PrivateKey.generate())
    short = openssh(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    for bad in ("ssh-rsa " + "A" * 100, "not-a-key " + "B" * 100, short):
        with pytest.raises(connect.exceptions.InvalidArgsException):
            connect.send_ssh_public_key(
                InstanceId=instance["InstanceId"], InstanceOSUser="ec2-user", SSHPublicKey=bad
            )
    with pytest.raises(connect.exceptions.EC2InstanceNotFoundException):
        connect.send_ssh_public_key(
            InstanceId="i-0000000000000000f", InstanceOSUser="ec2-user", SSHPublicKey=good
        )
    with pytest.raises(connect.exceptions.EC2InstanceNotFoundException):
        connect.send_ssh_public_key(
            InstanceId=instance["InstanceId"], InstanceOSUser="ec2-user", SSHPublicKey=good,
            AvailabilityZone="us-east-1f" if instance["Placement"]["AvailabilityZone"] != "us-east-1f" else "us-east-1a",
        )  # fmt: skip
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    stopped = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][
        0
    ]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[stopped], WaiterConfig={"Delay": 1})
    ec2.stop_instances(InstanceIds=[stopped])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[stopped], WaiterConfig={"Delay": 1})
    with pytest.raises(connect.exceptions.EC2InstanceStateInvalidException):
        connect.send_ssh_public_key(InstanceId=stopped, InstanceOSUser="ec2-user", SSHPublicKey=good)


def test_the_serial_console_needs_the_account_s_access(client, instance):
    connect, ec2 = client("ec2-instance-connect"), client("ec2")
    key = openssh(ed25519.Ed25519PrivateKey.generate())
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is False
    with pytest.raises(connect.exceptions.SerialConsoleAccessDisabledException):
        connect.send_serial_console_ssh_public_key(InstanceId=instance["InstanceId"], SSHPublicKey=key)
    assert ec2.enable_serial_console_access()["SerialConsoleAccessEnabled"] is True
    try:
        assert connect.send_serial_console_ssh_public_key(
            InstanceId=instance["InstanceId"], SSHPublicKey=key
        )["Success"]
        with pytest.raises(connect.exceptions.ClientError, match="less than or equal to 0"):
            connect.send_serial_console_ssh_public_key(
                InstanceId=instance["InstanceId"], SSHPublicKey=key, SerialPort=1
            )
    finally:
        assert ec2.disable_serial_console_access()["SerialConsoleAccessEnabled"] is False
    assert ec2.get_serial_console_access_status() | {"ResponseMetadata": None} == {
        "SerialConsoleAccessEnabled": False, "ManagedBy": "account", "ResponseMetadata": None,
    }  # fmt: skip
