"""CloudFormation: how long a stack of the newer configuration types (RDS option groups,
ElastiCache cache security groups with an ingress each, Route 53 CIDR collections, CloudFront
connection groups and anycast IP lists) takes to reach CREATE_COMPLETE, UPDATE_COMPLETE (one
property of each resource changed in place) and DELETE_COMPLETE, beside the floor of the same
resources created and deleted by the client itself, one API call after another.

    .venv/bin/python benchmarks/cloudformation_more_types.py [--groups 4] [--rounds 5]

Each group is six resources; times are from the request to the DescribeStacks that first shows
the stack settled (polled every 20 ms).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port, wait_healthy  # noqa: E402


def template(groups: int, note: str) -> str:
    lines = ["Resources:\n"]
    for index in range(groups):
        lines.append(
            f"  Options{index}:\n"
            "    Type: AWS::RDS::OptionGroup\n"
            "    Properties: {EngineName: mysql, MajorEngineVersion: '8.0', OptionGroupDescription: bench}\n"
            f"  Cache{index}:\n"
            "    Type: AWS::ElastiCache::SecurityGroup\n"
            f"    Properties: {{Description: bench, Tags: [{{Key: note, Value: {note}}}]}}\n"
            f"  Ingress{index}:\n"
            "    Type: AWS::ElastiCache::SecurityGroupIngress\n"
            f"    Properties: {{CacheSecurityGroupName: !Ref Cache{index}, EC2SecurityGroupName: web}}\n"
            f"  Cidrs{index}:\n"
            "    Type: AWS::Route53::CidrCollection\n"
            f"    Properties: {{Name: !Sub '${{AWS::StackName}}-{index}',"
            f" Locations: [{{LocationName: {note}, CidrList: [192.0.2.0/24]}}]}}\n"
            f"  Group{index}:\n"
            "    Type: AWS::CloudFront::ConnectionGroup\n"
            f"    Properties: {{Name: !Sub '${{AWS::StackName}}-{index}', Ipv6Enabled: {note == 'b'}}}\n"
            f"  Ips{index}:\n"
            "    Type: AWS::CloudFront::AnycastIpList\n"
            f"    Properties: {{Name: !Sub '${{AWS::StackName}}-ips-{index}', IpCount: 3,"
            f" IpAddressType: {'dualstack' if note == 'b' else 'ipv4'}}}\n"
        )
    return "".join(lines)


def wait(cfn, stack: str, poll: float = 0.02) -> str:
    while True:
        status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            return status
        time.sleep(poll)


def by_hand(session, endpoint: str, groups: int) -> tuple[float, float]:
    rds, cache, route53, cloudfront = (
        session.client(name, endpoint_url=endpoint)
        for name in ("rds", "elasticache", "route53", "cloudfront")
    )
    tag = uuid.uuid4().hex[:8]
    made = []
    started = time.perf_counter()
    for index in range(groups):
        name = f"h{tag}-{index}"
        rds.create_option_group(
            OptionGroupName=name, EngineName="mysql", MajorEngineVersion="8.0", OptionGroupDescription="bench"
        )
        cache.create_cache_security_group(CacheSecurityGroupName=name, Description="bench")
        cache.authorize_cache_security_group_ingress(
            CacheSecurityGroupName=name, EC2SecurityGroupName="web", EC2SecurityGroupOwnerId="000000000000"
        )
        collection = route53.create_cidr_collection(Name=name, CallerReference=name)["Collection"]["Id"]
        route53.change_cidr_collection(
            Id=collection, Changes=[{"LocationName": "a", "Action": "PUT", "CidrList": ["192.0.2.0/24"]}]
        )
        group = cloudfront.create_connection_group(Name=name)
        ips = cloudfront.create_anycast_ip_list(Name=f"{name}-ips", IpCount=3)
        made.append((name, collection, group, ips))
    created = time.perf_counter() - started
    started = time.perf_counter()
    for name, collection, group, ips in made:
        rds.delete_option_group(OptionGroupName=name)
        cache.revoke_cache_security_group_ingress(
            CacheSecurityGroupName=name, EC2SecurityGroupName="web", EC2SecurityGroupOwnerId="000000000000"
        )
        cache.delete_cache_security_group(CacheSecurityGroupName=name)
        route53.change_cidr_collection(
            Id=collection,
            Changes=[{"LocationName": "a", "Action": "DELETE_IF_EXISTS", "CidrList": ["192.0.2.0/24"]}],
        )
        route53.delete_cidr_collection(Id=collection)
        group_id = group["ConnectionGroup"]["Id"]
        etag = cloudfront.update_connection_group(Id=group_id, IfMatch=group["ETag"], Enabled=False)["ETag"]
        cloudfront.delete_connection_group(Id=group_id, IfMatch=etag)
        cloudfront.delete_anycast_ip_list(Id=ips["AnycastIpList"]["Id"], IfMatch=ips["ETag"])
    return created, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "overcast", "start", "--ephemeral", "--quiet", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(endpoint, server)
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        cfn = session.client("cloudformation", endpoint_url=endpoint)
        by_hand(session, endpoint, 1)  # load the providers first
        create, update, delete, hand_create, hand_delete = [], [], [], [], []
        for round_number in range(args.rounds):
            name = f"bench-{round_number}"
            started = time.perf_counter()
            cfn.create_stack(StackName=name, TemplateBody=template(args.groups, "a"))
            assert wait(cfn, name) == "CREATE_COMPLETE"
            create.append(time.perf_counter() - started)
            started = time.perf_counter()
            cfn.update_stack(StackName=name, TemplateBody=template(args.groups, "b"))
            assert wait(cfn, name) == "UPDATE_COMPLETE"
            update.append(time.perf_counter() - started)
            stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
            started = time.perf_counter()
            cfn.delete_stack(StackName=name)
            assert wait(cfn, stack_id) == "DELETE_COMPLETE"
            delete.append(time.perf_counter() - started)
            made, gone = by_hand(session, endpoint, args.groups)
            hand_create.append(made)
            hand_delete.append(gone)
        print(f"{args.groups * 6} resources, median of {args.rounds} rounds")
        print(f"{'':24}{'create':>10}{'update':>10}{'delete':>10}")
        print(
            f"{'stack (CloudFormation)':24}{statistics.median(create):>9.3f}s"
            f"{statistics.median(update):>9.3f}s{statistics.median(delete):>9.3f}s"
        )
        print(
            f"{'by hand (API calls)':24}{statistics.median(hand_create):>9.3f}s{'':>10}"
            f"{statistics.median(hand_delete):>9.3f}s"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
