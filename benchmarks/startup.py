"""How fast Overcast is ready and how much memory it holds idle.

    .venv/bin/python benchmarks/startup.py [--runs 10]

Starts `python -m overcast start --ephemeral` repeatedly on a free port and reports, as
median/min/max over the runs: seconds from process start until GET /_overcast/health answers
200, resident memory (VmRSS) idle one second after that, and after a first AWS request
(STS GetCallerIdentity). The targets: ready in at most 0.3 s, idle at no more than 40 MB.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def one_run() -> tuple[float, float, float]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "overcast", "start", "--ephemeral", "--quiet", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/_overcast/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.perf_counter() - started > 30:
                    raise RuntimeError("overcast did not start") from None
                time.sleep(0.002)
        ready = time.perf_counter() - started
        time.sleep(1)
        idle = rss_mb(process.pid)
        request = urllib.request.Request(
            endpoint + "/",
            data=b"Action=GetCallerIdentity&Version=2011-06-15",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, "
                "SignedHeaders=host, Signature=0",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        served = rss_mb(process.pid)
        return ready, idle, served
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    results = [one_run() for _ in range(args.runs)]
    for index, (label, unit) in enumerate(
        (("ready (health answers)", "s"), ("RSS idle", "MB"), ("RSS after first STS request", "MB"))
    ):
        values = [result[index] for result in results]
        print(
            f"{label:<30} median {statistics.median(values):7.3f} {unit}"
            f"   min {min(values):7.3f}   max {max(values):7.3f}   ({len(values)} runs)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
