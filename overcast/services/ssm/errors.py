"""SSM's errors, worded as AWS words them."""

from __future__ import annotations

from overcast.errors import ServiceError

INVALID_NAME = (
    'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can '
    "consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, "
    "numbers and the following 3 symbols .-_"
)
RESERVED_PREFIX = 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'
HIERARCHY_LIMIT = (
    "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and "
    "Constraints for Parameter Names in the AWS Systems Manager User Guide."
)
ALREADY_EXISTS = (
    "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
)
TAGS_WITH_OVERWRITE = (
    "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please "
    "remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or "
    "RemoveTagsFromResource."
)
STANDARD_TOO_LARGE = (
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger "
    "parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see "
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
)
NO_DOWNGRADE = (
    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
    "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced "
    "parameter and recreate it as a standard parameter."
)
POLICIES_NEED_ADVANCED = (
    "Parameter policies are supported only for parameters in the advanced tier. Specify Advanced or "
    "Intelligent-Tiering as the tier and try again."
)
LABEL_LIMIT = (
    "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again."
)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def not_found(name: str) -> ServiceError:
    return ServiceError("ParameterNotFound", f"Parameter {name} not found.")


def version_not_found(name: str, version: object) -> ServiceError:
    return ServiceError(
        "ParameterVersionNotFound",
        f"Systems Manager could not find version {version} of {name}. Verify the version and try again.",
    )


def max_versions(name: str, oldest: int) -> ServiceError:
    return ServiceError(
        "ParameterMaxVersionLimitExceeded",
        f"You attempted to create a new version of {name} by calling the PutParameter API with the "
        f"overwrite flag. Version {oldest}, the oldest version, can't be deleted because it has a label "
        "associated with it. Move the label to another version of the parameter, and try again.",
    )
