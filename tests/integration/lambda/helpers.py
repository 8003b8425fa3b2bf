"""Building deployment packages and functions for the Lambda tests."""

from __future__ import annotations

import io
import uuid
import zipfile

ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create(
    lam,
    source: str,
    handler: str = "handler.handler",
    runtime: str = "python3.12",
    filename: str = "handler.py",
    wait: bool = True,
    **extra,
) -> str:
    name = extra.pop("FunctionName", None) or unique("fn")
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zip_bytes({filename: source})},
        **extra,
    )
    if wait:
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
        )
    return name
