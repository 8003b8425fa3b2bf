"""Change Manager's review workflow on a change template's version (UpdateDocumentMetadata):
SendForReview → PENDING, then Approve → APPROVED (the version becomes the default) or Reject
→ REJECTED; every action is kept as a reviewer response (ListDocumentMetadataHistory)."""

from __future__ import annotations

from typing import Any

from overcast.errors import ServiceError

_STATUS = {"SendForReview": "PENDING", "UpdateReview": "PENDING", "Approve": "APPROVED", "Reject": "REJECTED"}
#: The status a version must have for each action.
_FROM: dict[str, tuple[str, ...]] = {
    "SendForReview": ("NOT_REVIEWED", "REJECTED"),
    "UpdateReview": ("PENDING",),
    "Approve": ("PENDING",),
    "Reject": ("PENDING",),
}


def apply_review(document: dict, version: dict, review: dict, reviewer: str, now: float) -> None:
    action = review["Action"]
    current = version.get("ReviewStatus", "NOT_REVIEWED")
    if current not in _FROM[action]:
        raise ServiceError(
            "InvalidDocumentOperation",
            f"The review action {action} is not valid for a document version in status {current}.",
        )
    status = _STATUS[action]
    number = str(version["DocumentVersion"])
    version["ReviewStatus"] = status
    version["ReviewInformation"] = [{"ReviewedTime": now, "Status": status, "Reviewer": reviewer}]
    response: dict[str, Any] = {
        "CreateTime": now,
        "UpdatedTime": now,
        "ReviewStatus": status,
        "Reviewer": reviewer,
    }
    if review.get("Comment"):
        response["Comment"] = review["Comment"]
    version.setdefault("reviews", []).append(response)
    if status == "PENDING":
        document["PendingReviewVersion"] = number
    else:
        document.pop("PendingReviewVersion", None)
    if status == "APPROVED":
        document["ApprovedVersion"] = number
        document["DefaultVersion"] = version["DocumentVersion"]
