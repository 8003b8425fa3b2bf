"""What other services rely on of SSM: the public AMI table EC2 will read (`public.latest_ami`,
`public.amazon_linux_images`) gives the ids GetParameter hands out."""

from __future__ import annotations

from overcast.context import RequestContext
from overcast.services.ssm import public


def test_latest_ami_is_what_get_parameter_returns(runtime):
    ssm = runtime.provider("ssm")
    context = RequestContext.internal("ssm", "000000000000", "eu-central-1")
    name = "al2023-ami-kernel-default-arm64"
    got = ssm.get_parameter(context, {"Name": public.AMI_PATH + name})["Parameter"]
    assert got["Value"] == public.latest_ami("eu-central-1", name)
    images = {image["Parameter"]: image for image in public.amazon_linux_images("eu-central-1")}
    assert images[public.AMI_PATH + name]["ImageId"] == got["Value"]
    assert images[public.AMI_PATH + name]["Architecture"] == "arm64"
    assert public.latest_ami("eu-central-1", "no-such-image") is None
