"""What CloudTrail recording costs the request path: the same scenario against an Overcast that
records and one without CloudTrail (SERVICES setting), alternating runs.

    .venv/bin/python benchmarks/cloudtrail_cost.py [scenario] [--rounds N] [--duration S]

Prints, per server, the median requests/s and the server's CPU time per request (read from
/proc before and after each run). On a busy machine throughput swings with the neighbours; CPU
time per request is what recording actually adds, so both ratios are shown (recorded over
unrecorded: ≥ 0.95 throughput and ≤ 1.05 CPU per request is the target).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from contextlib import ExitStack

import scenarios
from loadgen import generator_name, measure
from run import HOST, running_server

COMMAND = "{python} -m overcast start --ephemeral --quiet --port {port} --host {host}"
SERVERS = {
    "recording": os.environ.get("CT_RECORDING", "") + COMMAND,
    "unrecorded": os.environ.get("CT_BASE", "env OVERCAST_SERVICES=sts,s3,sqs,dynamodb,sns,iam ") + COMMAND,
}


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="sts-get-caller-identity")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    scenario = scenarios.by_name()[args.scenario]
    generator = generator_name(False)
    results: dict[str, dict[str, list[float]]] = {label: {"rps": [], "cpu_us": []} for label in SERVERS}
    with ExitStack() as stack:
        servers = {
            label: stack.enter_context(running_server(label, command, 0, 60.0))
            for label, command in SERVERS.items()
        }
        for server in servers.values():
            endpoint = f"http://{HOST}:{server.port}"
            if scenario.setup is not None:
                scenario.setup(scenarios.client_factory(endpoint))
            requests = scenarios.build_requests(scenario, endpoint)
            measure(generator, requests, HOST, server.port, 1.0, args.connections, 1)  # warm-up
        for round_number in range(args.rounds):
            for label, server in servers.items():
                requests = scenarios.build_requests(scenario, f"http://{HOST}:{server.port}")
                before = cpu_seconds(server.process.pid)
                run = measure(generator, requests, HOST, server.port, args.duration, args.connections, 1)
                spent = cpu_seconds(server.process.pid) - before
                results[label]["rps"].append(run.rps)
                results[label]["cpu_us"].append(spent / max(run.requests, 1) * 1e6)
                print(
                    f"  round {round_number + 1} {label:>10}: {run.rps:8.0f} req/s "
                    f"{results[label]['cpu_us'][-1]:7.1f} us CPU/request",
                    file=sys.stderr,
                    flush=True,
                )
    rec, base = results["recording"], results["unrecorded"]
    print(f"scenario {args.scenario} ({generator}, {args.rounds} rounds of {args.duration:g}s)")
    for label, data in results.items():
        print(
            f"  {label:>10}: {statistics.median(data['rps']):8.0f} req/s  "
            f"{statistics.median(data['cpu_us']):7.1f} us CPU/request"
        )
    throughput = statistics.median(r / b for r, b in zip(rec["rps"], base["rps"], strict=False))
    cpu = statistics.median(r / b for r, b in zip(rec["cpu_us"], base["cpu_us"], strict=False))
    print(f"  throughput ratio recording/unrecorded: {throughput:.3f}   CPU per request ratio: {cpu:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
