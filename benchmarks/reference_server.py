"""The ceiling: Overcast's server stack (uvicorn + httptools + uvloop, one worker, no access
log, Overcast's one-write-per-turn transport and its short way for ordinary requests,
overcast/exchange.py) serving an app that does nothing but read the body and answer a fixed 200.

No Python server on this machine can do the same work faster, so Overcast's requests/s
divided by this one's says how much the emulator itself costs.

    .venv/bin/python benchmarks/reference_server.py --port 8000
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from overcast.http import Request, Response
from overcast.server import http_protocol

# Shaped and sized like an STS GetCallerIdentity answer (~400 bytes), the first scenario.
BODY = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
    b"  <GetCallerIdentityResult>\n"
    b"    <Arn>arn:aws:iam::000000000000:root</Arn>\n"
    b"    <UserId>000000000000</UserId>\n"
    b"    <Account>000000000000</Account>\n"
    b"  </GetCallerIdentityResult>\n"
    b"  <ResponseMetadata>\n"
    b"    <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>\n"
    b"  </ResponseMetadata>\n"
    b"</GetCallerIdentityResponse>\n"
)
HEADERS = [
    (b"content-type", b"text/xml"),
    (b"content-length", str(len(BODY)).encode()),
    (b"x-amzn-requestid", b"7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"),
]

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    # Every path answers the same, /_overcast/health included, so the harness can treat
    # this server exactly like Overcast (and even run it in Overcast's place).
    more_body = True
    while more_body:
        message = await receive()
        more_body = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


FIXED = Response(200, {name.decode(): value.decode() for name, value in HEADERS}, BODY)


async def direct(request: Request) -> Response:
    """The same answer the short way (what Overcast's own requests take)."""
    return FIXED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        http=http_protocol(direct=direct),
        loop="uvloop",
        workers=1,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
