"""SSM: GetParameter of a String parameter, the read every application does at start-up and
many do per request."""

from scenarios import AwsCall, ClientFactory, Scenario

NAME = "/bench/app/database-url"


def _setup(client: ClientFactory) -> None:
    client("ssm").put_parameter(
        Name=NAME, Value="postgres://db.internal:5432/app", Type="String", Overwrite=True
    )


SCENARIOS = (
    Scenario(
        name="ssm-get-parameter",
        summary="SSM GetParameter (JSON protocol) of a String parameter",
        setup=_setup,
        requests=(AwsCall("ssm", "GetParameter", {"Name": NAME}),),
    ),
)
