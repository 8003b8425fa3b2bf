"""Lambda: a warm synchronous Invoke of a trivial Python handler — the round trip through
Overcast, the environment's Runtime API and the runtime process and back. The load's
connections run invocations side by side, so the pool warms one environment per connection
during the warm-up second; what is measured is warm reuse."""

import io
import time
import zipfile

from scenarios import AwsCall, ClientFactory, Scenario

FUNCTION = "bench-trivial"
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def _setup(client: ClientFactory) -> None:
    lam = client("lambda")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", HANDLER)
    lam.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Handler="handler.handler",
        Role="arn:aws:iam::000000000000:role/bench",
        Code={"ZipFile": buffer.getvalue()},
    )
    for _ in range(200):
        if lam.get_function(FunctionName=FUNCTION)["Configuration"]["State"] == "Active":
            break
        time.sleep(0.05)
    lam.invoke(FunctionName=FUNCTION, Payload=b"{}")


SCENARIOS = (
    Scenario(
        name="lambda-invoke-warm",
        summary="Lambda Invoke (RequestResponse) of a trivial Python 3.12 handler on warm environments",
        setup=_setup,
        requests=(AwsCall("lambda", "Invoke", {"FunctionName": FUNCTION, "Payload": b'{"n": 1}'}),),
    ),
)
