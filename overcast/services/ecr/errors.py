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
    shown = ", ".join(f"{key}={value}" for key, value in sorted(image_id.items()))
    return ServiceError(
        "ImageNotFoundException",
        f"The image with imageId {{{shown}}} does not exist within the repository with name '{name}'"
        f" in the registry with id '{registry}'",
        400,
    )
