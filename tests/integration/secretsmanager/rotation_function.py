"""A rotation function in the style of AWS's SecretsManagerRotationTemplate: each step does
what the template's does, and the new value is "rotated-<token>". A secret tagged
fail-step=<step> makes that step raise, to see a failed rotation."""

import boto3

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


def handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    service = boto3.client("secretsmanager")
    metadata = service.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise ValueError(f"Secret {arn} is not enabled for rotation")
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        raise ValueError(f"Secret version {token} has no stage for rotation of secret {arn}.")
    if "AWSCURRENT" in versions[token]:
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError(f"Secret version {token} not set as AWSPENDING for rotation of secret {arn}.")
    tags = {tag["Key"]: tag["Value"] for tag in metadata.get("Tags", [])}
    if tags.get("fail-step") == step:
        raise RuntimeError(f"{step} failed on purpose")
    if step not in STEPS:
        raise ValueError("Invalid step parameter")
    if step == "createSecret":
        service.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
        try:
            service.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except service.exceptions.ResourceNotFoundException:
            service.put_secret_value(
                SecretId=arn,
                ClientRequestToken=token,
                SecretString=f"rotated-{token}",
                VersionStages=["AWSPENDING"],
            )
    elif step == "finishSecret":
        current = next(vid for vid, stages in versions.items() if "AWSCURRENT" in stages)
        service.update_secret_version_stage(
            SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current
        )
