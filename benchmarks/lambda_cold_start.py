"""Cold and warm Lambda Invoke latency, as a client sees it, for Python and Node.js functions.

    .venv/bin/python benchmarks/lambda_cold_start.py http://127.0.0.1:4566 [--rounds 20]

Each cold round changes the function's configuration (a new revision, so the next Invoke starts
a new execution environment) and times the Invoke alone; warm rounds invoke again at once."""

from __future__ import annotations

import argparse
import io
import statistics
import time
import uuid
import zipfile

import boto3

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
CODE = {
    "python3.11": (
        "lambda_function.py",
        "def handler(event, context):\n    return {'ok': True}\n",
        "lambda_function.handler",
    ),
    "python3.12": (
        "lambda_function.py",
        "def handler(event, context):\n    return {'ok': True}\n",
        "lambda_function.handler",
    ),
    "nodejs20.x": ("index.js", "exports.handler = async () => ({ ok: true });\n", "index.handler"),
}


def package(name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


def measure(client, runtime: str, rounds: int) -> tuple[list[float], list[float]]:
    file_name, text, handler = CODE[runtime]
    name = f"cold-{runtime.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    client.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": package(file_name, text)},
    )
    client.invoke(FunctionName=name)  # first use: SDK installs and interpreter probes are not cold starts
    cold, warm = [], []
    try:
        for index in range(rounds):
            client.update_function_configuration(
                FunctionName=name, Environment={"Variables": {"ROUND": str(index)}}
            )
            started = time.perf_counter()
            answer = client.invoke(FunctionName=name)
            cold.append((time.perf_counter() - started) * 1000)
            assert "FunctionError" not in answer, answer["Payload"].read()
            started = time.perf_counter()
            client.invoke(FunctionName=name)
            warm.append((time.perf_counter() - started) * 1000)
    finally:
        client.delete_function(FunctionName=name)
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("endpoint")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--runtimes", default=",".join(CODE), help="comma-separated (default: all)")
    args = parser.parse_args()
    client = boto3.client(
        "lambda", endpoint_url=args.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    for runtime in args.runtimes.split(","):
        cold, warm = measure(client, runtime, args.rounds)
        print(
            f"{runtime:<11} cold median {statistics.median(cold):6.1f} ms  p90 {sorted(cold)[int(len(cold) * 0.9) - 1]:6.1f} ms"
            f"   warm median {statistics.median(warm):5.1f} ms  ({args.rounds} rounds)"
        )


if __name__ == "__main__":
    main()
