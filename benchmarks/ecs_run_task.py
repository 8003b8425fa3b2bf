"""ECS RunTask → RUNNING latency for a small image on the local Docker Engine, as a client
polling DescribeTasks sees it, on a server of its own.

    .venv/bin/python benchmarks/ecs_run_task.py [--rounds N]

The image is the tests' busybox image (imported offline from Debian's busybox-static), the
task a FARGATE-style awsvpc task of one container that sleeps. Each round runs a task, polls
DescribeTasks every 20 ms until lastStatus is RUNNING, then stops it; the figure is RunTask's
request to the first RUNNING answer. The target is 2 s.
"""

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

from overcast.engines.docker import Engine  # noqa: E402
from tests.conftest import free_port, wait_healthy  # noqa: E402
from tests.integration.ecs.conftest import IMAGE, SUBNETS, _rootfs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    reason = Engine.shared().unavailable()
    if reason is not None:
        raise SystemExit(f"no Docker Engine: {reason}")
    if Engine.shared().image(IMAGE) is None:
        subprocess.run(["docker", "import", "-", IMAGE], input=_rootfs(), check=True, capture_output=True)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "overcast", "start", "--ephemeral", "--quiet", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_healthy(endpoint, server)
        ecs = boto3.client(
            "ecs",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        ecs.create_cluster(clusterName="bench")
        definition = ecs.register_task_definition(
            family="bench-run", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": IMAGE, "command": ["sleep", "600"], "stopTimeout": 1}],
        )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
        latencies = []
        for _ in range(args.rounds):
            began = time.perf_counter()
            arn = ecs.run_task(
                cluster="bench", taskDefinition=definition, launchType="FARGATE", networkConfiguration=SUBNETS
            )["tasks"][0]["taskArn"]
            while True:
                status = ecs.describe_tasks(cluster="bench", tasks=[arn])["tasks"][0]["lastStatus"]
                if status in ("RUNNING", "STOPPED"):
                    break
                time.sleep(0.02)
            if status != "RUNNING":
                raise SystemExit(f"task stopped instead of running: {arn}")
            latencies.append(time.perf_counter() - began)
            ecs.stop_task(cluster="bench", task=arn)
        ordered = sorted(latencies)
        print(f"RunTask -> RUNNING over {args.rounds} tasks: p50 {statistics.median(ordered) * 1000:.0f} ms, "
              f"p90 {ordered[int(len(ordered) * 0.9) - 1] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms (target 2000 ms)")  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
