"""CloudFormation with API Gateway: how long a REST API stack takes to reach CREATE_COMPLETE
and DELETE_COMPLETE, beside the floor of the same API built and deleted by the client itself,
one API Gateway call after another, on a server of its own.

    .venv/bin/python benchmarks/cloudformation_api.py [--paths 10] [--rounds 5]

The stack is what SAM's Api events and hand-written templates make: a RestApi, then per path a
Resource and a GET Method with a MOCK integration, then a Deployment and a Stage (3 + 2N
resources, each Method waiting for its Resource). "import" is the same API as one RestApi with
an OpenAPI Body, a Deployment and a Stage. The floor makes the same calls in sequence:
CreateRestApi, CreateResource/PutMethod/PutIntegration per path, CreateDeployment,
CreateStage, then DeleteRestApi.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port, wait_healthy  # noqa: E402

MOCK = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}


def built(paths: int) -> str:
    lines = ["Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties: {Name: bench}\n"]
    methods = []
    for index in range(paths):
        lines.append(
            f"  R{index}:\n    Type: AWS::ApiGateway::Resource\n"
            f"    Properties: {{RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: p{index}}}\n"
            f"  M{index}:\n    Type: AWS::ApiGateway::Method\n"
            f"    Properties:\n      RestApiId: !Ref Api\n      ResourceId: !Ref R{index}\n"
            f"      HttpMethod: GET\n      AuthorizationType: NONE\n"
            f"      Integration: {{Type: MOCK, RequestTemplates: {{application/json: '{{\"statusCode\": 200}}'}}}}\n"
        )
        methods.append(f"M{index}")
    lines.append(
        f"  Deployment:\n    Type: AWS::ApiGateway::Deployment\n    DependsOn: [{', '.join(methods)}]\n"
        "    Properties: {RestApiId: !Ref Api}\n"
        "  Stage:\n    Type: AWS::ApiGateway::Stage\n"
        "    Properties: {RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: live}\n"
    )
    return "".join(lines)


def imported(paths: int) -> str:
    spec = {
        "openapi": "3.0.1",
        "info": {"title": "bench", "version": "1"},
        "paths": {
            f"/p{index}": {
                "get": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": MOCK["requestTemplates"],
                    },
                }
            }
            for index in range(paths)
        },
    }
    return (
        f"Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Body: {json.dumps(spec)}\n"
        "  Deployment:\n    Type: AWS::ApiGateway::Deployment\n    Properties: {RestApiId: !Ref Api}\n"
        "  Stage:\n    Type: AWS::ApiGateway::Stage\n"
        "    Properties: {RestApiId: !Ref Api, DeploymentId: !Ref Deployment, StageName: live}\n"
    )


def wait(cfn, stack: str, poll: float = 0.02) -> str:
    while True:
        status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            return status
        time.sleep(poll)


def by_hand(apigw, paths: int) -> tuple[float, float]:
    started = time.perf_counter()
    api = apigw.create_rest_api(name="bench")
    for index in range(paths):
        resource = apigw.create_resource(
            restApiId=api["id"], parentId=api["rootResourceId"], pathPart=f"p{index}"
        )
        apigw.put_method(
            restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", authorizationType="NONE"
        )
        apigw.put_integration(restApiId=api["id"], resourceId=resource["id"], httpMethod="GET", **MOCK)
    deployment = apigw.create_deployment(restApiId=api["id"])
    apigw.create_stage(restApiId=api["id"], deploymentId=deployment["id"], stageName="live")
    created = time.perf_counter() - started
    started = time.perf_counter()
    apigw.delete_rest_api(restApiId=api["id"])
    return created, time.perf_counter() - started


def stack(cfn, name: str, body: str) -> tuple[float, float]:
    started = time.perf_counter()
    cfn.create_stack(StackName=name, TemplateBody=body)
    status = wait(cfn, name)
    created = time.perf_counter() - started
    assert status == "CREATE_COMPLETE", cfn.describe_stacks(StackName=name)["Stacks"][0].get(
        "StackStatusReason"
    )
    stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    started = time.perf_counter()
    cfn.delete_stack(StackName=name)
    status = wait(cfn, stack_id)
    assert status == "DELETE_COMPLETE", status
    return created, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paths", type=int, default=10)
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
        apigw = session.client("apigateway", endpoint_url=endpoint)
        by_hand(apigw, args.paths)  # load the providers first
        rows: dict[str, list[tuple[float, float]]] = {
            "stack (resources)": [],
            "stack (Body)": [],
            "by hand": [],
        }
        for round_number in range(args.rounds):
            rows["stack (resources)"].append(stack(cfn, f"bench-built-{round_number}", built(args.paths)))
            rows["stack (Body)"].append(stack(cfn, f"bench-body-{round_number}", imported(args.paths)))
            rows["by hand"].append(by_hand(apigw, args.paths))
        print(f"REST API with {args.paths} paths, median of {args.rounds} rounds")
        print(f"{'':20}{'create':>10}{'delete':>10}")
        for label, times in rows.items():
            create = statistics.median(t[0] for t in times)
            delete = statistics.median(t[1] for t in times)
            print(f"{label:20}{create:>9.3f}s{delete:>9.3f}s")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
