"""Secrets Manager: GetSecretValue of a secret's current version, the call every application
makes at start (and Lambda functions on each cold start)."""

from scenarios import AwsCall, ClientFactory, Scenario

NAME = "bench/database"


def _secret(client: ClientFactory) -> None:
    client("secretsmanager").create_secret(
        Name=NAME, SecretString='{"username": "admin", "password": "s3cr3t"}'
    )


SCENARIOS = (
    Scenario(
        name="secretsmanager-get-secret-value",
        summary="Secrets Manager GetSecretValue (JSON protocol) of a secret's AWSCURRENT version",
        setup=_secret,
        requests=(AwsCall("secretsmanager", "GetSecretValue", {"SecretId": NAME}),),
    ),
)
