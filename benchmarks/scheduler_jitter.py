"""Scheduler firing jitter: how late timers fire with many of them active, in-process.

    .venv/bin/python benchmarks/scheduler_jitter.py [--timers 1000] [--seconds 10]

Registers N timers spread evenly over the window, each re-registering itself one window later
(as a schedule does), and reports how late they fired (p50, p99, max) beside the load average.
The issue's target for the Scheduler: p99 ≤ 1 s at 1,000 active schedules.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from overcast.config import Config
from overcast.runtime import Runtime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    runtime = Runtime(Config(data_dir=None))
    lateness: list[float] = []

    def fire(key: str, due: float) -> None:
        lateness.append(time.time() - due)
        runtime.scheduler.at(key, due + args.seconds / 2, fire)

    async def run() -> None:
        runtime.attach_loop(asyncio.get_running_loop())
        start = runtime.scheduler.now() + 0.5
        for index in range(args.timers):
            runtime.scheduler.at(f"timer-{index}", start + args.seconds / 2 * index / args.timers, fire)
        await asyncio.sleep(args.seconds + 1)

    try:
        asyncio.run(run())
    finally:
        runtime.close()
    ordered = sorted(lateness)
    load = os.getloadavg()
    print(f"{args.timers} timers, {len(ordered)} firings in {args.seconds:.0f} s; load average {load[0]:.2f}")
    for label, share in (("p50", 0.5), ("p99", 0.99)):
        print(f"  {label} late by {ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000:.2f} ms")
    print(f"  max late by {ordered[-1] * 1000:.2f} ms")


if __name__ == "__main__":
    main()
