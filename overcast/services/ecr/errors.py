"""ECR's errors, worded as ECR words them."""

from __future__ import annotations

from overcast.errors import ServiceError


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def repository_not_found(name: str, registry: str) -> ServiceError:
    return ServiceError(
        "RepositoryNotFoundException",
        f"The repository with name '{name}' does not exist in the registry with id '{registry}'",
        400,
    )


def image_not_found(name: str, registry: str, image_id: dict) -> ServiceError:
    digest, tag = image_id.get("imageDigest") or "null", image_id.get("imageTag") or "null"
    return ServiceError(
        "ImageNotFoundException",
        f"The image with imageId {{imageDigest:'{digest}', imageTag:'{tag}'}} does not exist within the "
        f"repository with name '{name}' in the registry with id '{registry}'",
        400,
    )
