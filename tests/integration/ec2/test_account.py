"""Account-level settings and the smaller instance operations: EBS encryption by default,
instance metadata defaults, instance profile associations, default subnets."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.ec2.conftest import code, latest_al2023, wait_state
from tests.integration.ec2.test_instances import profile


def test_ebs_encryption_and_metadata_defaults(ec2):
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    ec2.enable_ebs_encryption_by_default()
    ec2.modify_ebs_default_kms_key_id(KmsKeyId="alias/my-ebs")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=5)
    assert volume["Encrypted"] is True and volume["KmsKeyId"].endswith(":alias/my-ebs")
    ec2.disable_ebs_encryption_by_default()
    assert ec2.create_volume(AvailabilityZone="us-east-1a", Size=5)["Encrypted"] is False
    ec2.modify_instance_metadata_defaults(HttpTokens="optional", HttpPutResponseHopLimit=3)
    assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {
        "HttpTokens": "optional",
        "HttpPutResponseHopLimit": 3,
    }
    launched = ec2.run_instances(ImageId=latest_al2023(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1)[
        "Instances"
    ][0]
    assert (
        launched["MetadataOptions"]["HttpTokens"] == "optional"
        and launched["MetadataOptions"]["HttpPutResponseHopLimit"] == 3
    )


def test_instance_profile_associations(ec2, session, endpoint):
    first = profile(session, endpoint, "First", "FirstRole")
    second = profile(session, endpoint, "Second", "SecondRole")
    instance = ec2.run_instances(ImageId=latest_al2023(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1)[
        "Instances"
    ][0]["InstanceId"]
    wait_state(ec2, instance, "running")
    association = ec2.associate_iam_instance_profile(InstanceId=instance, IamInstanceProfile={"Name": first})[
        "IamInstanceProfileAssociation"
    ]
    assert association["State"] == "associating" and association["IamInstanceProfile"]["Arn"].endswith(
        "/First"
    )
    with pytest.raises(ClientError) as error:
        ec2.associate_iam_instance_profile(InstanceId=instance, IamInstanceProfile={"Name": second})
    assert code(error) == "IncorrectState"
    replaced = ec2.replace_iam_instance_profile_association(
        AssociationId=association["AssociationId"], IamInstanceProfile={"Name": second}
    )
    found = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance]}]
    )["IamInstanceProfileAssociations"]
    assert [a["AssociationId"] for a in found] == [replaced["IamInstanceProfileAssociation"]["AssociationId"]]
    assert found[0]["IamInstanceProfile"]["Arn"].endswith("/Second") and found[0]["State"] == "associated"
    ec2.disassociate_iam_instance_profile(AssociationId=found[0]["AssociationId"])
    assert ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"] == []
    assert ec2.get_password_data(InstanceId=instance)["PasswordData"] == ""


def test_default_subnet_comes_back(ec2):
    subnet = ec2.describe_subnets(
        Filters=[
            {"Name": "availability-zone", "Values": ["us-east-1b"]},
            {"Name": "default-for-az", "Values": ["true"]},
        ]
    )["Subnets"][0]
    with pytest.raises(ClientError) as error:
        ec2.create_default_subnet(AvailabilityZone="us-east-1b")
    assert code(error) == "DefaultSubnetAlreadyExistsInAvailabilityZone"
    ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    again = ec2.create_default_subnet(AvailabilityZone="us-east-1b")["Subnet"]
    assert again["DefaultForAz"] and again["CidrBlock"] == subnet["CidrBlock"]
