"""Auto Scaling scale-out latency: a group over a launch template goes from desired 0 to 10;
the figures are the seconds from SetDesiredCapacity's answer until EC2 DescribeInstances shows
ten running instances of the group, and until the group shows ten InService, as a client polling
every 50 ms sees them, on a server of its own.

    .venv/bin/python benchmarks/autoscaling_scale_out.py [--rounds N] [--count N]

Each round scales a fresh group out, then deletes it (ForceDelete) and waits until it is gone.
EC2 holds an instance pending for a second before it runs, as AWS does for a while; that second
is the floor."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port, wait_healthy  # noqa: E402


def _until(check, timeout: float = 60.0, interval: float = 0.05) -> float:
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout:
            raise SystemExit("timed out")
        time.sleep(interval)
    return time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=10)
    args = parser.parse_args()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "overcast", "start", "--ephemeral", "--quiet", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_healthy(endpoint, server)
        kwargs = {
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
        }
        ec2 = boto3.client("ec2", **kwargs)
        asg = boto3.client("autoscaling", **kwargs)
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        ec2.create_launch_template(
            LaunchTemplateName="bench", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.nano"}
        )
        running_times, in_service_times = [], []
        for round_ in range(args.rounds):
            name = f"bench-{round_}"
            asg.create_auto_scaling_group(
                AutoScalingGroupName=name,
                LaunchTemplate={"LaunchTemplateName": "bench", "Version": "$Latest"},
                MinSize=0,
                MaxSize=args.count,
                DesiredCapacity=0,
                AvailabilityZones=["us-east-1a", "us-east-1b", "us-east-1c"],
            )
            asg.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=args.count)
            start = time.perf_counter()

            def running(name: str = name) -> bool:
                found = ec2.describe_instances(
                    Filters=[
                        {"Name": "tag:aws:autoscaling:groupName", "Values": [name]},
                        {"Name": "instance-state-name", "Values": ["running"]},
                    ]
                )
                return sum(len(r["Instances"]) for r in found["Reservations"]) == args.count

            def in_service(name: str = name) -> bool:
                group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
                return sum(i["LifecycleState"] == "InService" for i in group["Instances"]) == args.count

            running_times.append(_until(running) - start)
            in_service_times.append(_until(in_service) - start)
            print(
                f"round {round_}: running {running_times[-1]:.2f} s, InService {in_service_times[-1]:.2f} s",
                file=sys.stderr,
            )
            asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)

            def gone(name: str = name) -> bool:
                return not asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]

            _until(gone)
        print(f"scale-out 0 -> {args.count}, {args.rounds} rounds (median, min, max):")
        print(
            f"  {args.count} running in DescribeInstances: {statistics.median(running_times):.2f} s "
            f"({min(running_times):.2f}, {max(running_times):.2f})"
        )
        print(
            f"  {args.count} InService in the group:       {statistics.median(in_service_times):.2f} s "
            f"({min(in_service_times):.2f}, {max(in_service_times):.2f})"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
