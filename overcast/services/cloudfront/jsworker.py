"""The Node.js process that runs CloudFront Functions: started on first use, kept running,
fed one JSON line per invocation (worker.js), restarted if it dies."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_WORKER = Path(__file__).with_name("worker.js")


class FunctionFailed(Exception):
    """The function threw, timed out or did not compile; the message says which."""

    def __init__(self, message: str, logs: list[str]) -> None:
        super().__init__(message)
        self.logs = logs


class NodeWorker:
    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.ids = itertools.count(1)
        self.reader: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        #: KeyValueStore versions the current process holds.
        self.stores: dict[str, str] = {}

    async def _ensure(self) -> asyncio.subprocess.Process:
        process = self.process
        if process is not None and process.returncode is None:
            return process
        async with self.lock:
            if self.process is not None and self.process.returncode is None:
                return self.process
            node = shutil.which("node")
            if node is None:
                raise FunctionFailed("CloudFront Functions need Node.js: install the nodejs package", [])
            self.process = await asyncio.create_subprocess_exec(
                node,
                str(_WORKER),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=64 * 1024 * 1024,
            )
            self.stores = {}
            self.reader = asyncio.get_running_loop().create_task(self._read(self.process))
            return self.process

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while True:
            line = await process.stdout.readline()
            if not line:
                break
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            future = self.pending.pop(answer.get("id"), None)
            if future is not None and not future.done():
                future.set_result(answer)
        for future in self.pending.values():
            if not future.done():
                future.set_exception(FunctionFailed("The function runtime stopped", []))
        self.pending.clear()

    async def run(
        self,
        code: str,
        runtime: str,
        event: Any,
        kvs: tuple[str, str, Any] | None = None,
        check: bool = False,
    ) -> tuple[Any, list[str], float]:
        """(the handler's result, console output, microseconds it ran); FunctionFailed."""
        for _ in range(2):
            process = await self._ensure()
            message: dict[str, Any] = {"code": code, "runtime": runtime, "event": event, "check": check}
            if kvs is not None:
                ident, version, data = kvs
                sent = self.stores.get(ident) == version
                message["kvs"] = {"id": ident, "version": version, "data": None if sent else data}
                self.stores[ident] = version
            answer = await self._send(process, message)
            if answer.get("reload"):
                self.stores.pop(kvs[0] if kvs else "", None)
                continue
            if not answer.get("ok"):
                raise FunctionFailed(str(answer.get("error")), list(answer.get("logs") or []))
            return answer.get("result"), list(answer.get("logs") or []), float(answer.get("micros") or 0)
        raise FunctionFailed("The KeyValueStore could not be loaded", [])

    async def _send(self, process: asyncio.subprocess.Process, message: dict[str, Any]) -> dict[str, Any]:
        ident = next(self.ids)
        message["id"] = ident
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        assert process.stdin is not None
        process.stdin.write(json.dumps(message).encode() + b"\n")
        try:
            await process.stdin.drain()
            return await asyncio.wait_for(future, 10)
        except (TimeoutError, ConnectionError) as problem:
            self.pending.pop(ident, None)
            raise FunctionFailed(f"The function runtime did not answer: {problem}", []) from None

    def close(self) -> None:
        process = self.process
        self.process = None
        if process is not None and process.returncode is None:
            try:
                process.kill()
            except ProcessLookupError:
                pass
        if self.reader is not None:
            self.reader.cancel()
