"""Log anomaly detectors: configurations that watch a log group's event patterns.

Detectors are stored, validated and paused or resumed as AWS does. No model learns a
group's patterns here, so a detector stays in TRAINING (PAUSED while disabled) and finds no
anomaly: ListAnomalies answers the empty list AWS gives before a first anomaly, and
UpdateAnomaly refuses the anomaly or pattern it names as one that does not exist.

Table (scope = account/region): anomaly_detectors  detector id → detector
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn, parse_arn
from overcast.common.pagination import paginate_keys
from overcast.common.times import epoch_millis
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.store import Table

from .patterns import PatternError, compile_pattern

if TYPE_CHECKING:
    from .provider import Provider

_KMS_KEY = re.compile(r"^arn:aws[a-z\-]*:kms:[-a-z0-9]*:[0-9]*:key/[-a-z0-9]*$")
_DETECTOR_KEYS = (
    "anomalyDetectorArn", "detectorName", "logGroupArnList", "evaluationFrequency", "filterPattern",
    "anomalyDetectorStatus", "kmsKeyId", "creationTimeStamp", "lastModifiedTimeStamp",
    "anomalyVisibilityTime",
)  # fmt: skip


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


def _not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def _bad_token() -> ServiceError:
    return _invalid("The specified nextToken is invalid.")


def _check_pattern(pattern: str | None) -> None:
    try:
        compile_pattern(pattern)
    except PatternError as error:
        raise _invalid(str(error) or "Invalid filter pattern") from None


class AnomaliesMixin:
    @property
    def _anomaly_detectors(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "anomaly_detectors")

    def _detector(self: Provider, context: RequestContext, arn: str) -> tuple[str, dict]:  # type: ignore[misc]
        scope = self._scope(context)
        parsed = parse_arn(arn)
        kind, _, detector_id = parsed.resource.partition(":") if parsed else ("", "", "")
        detector = self._anomaly_detectors.get(scope, detector_id) if kind == "anomaly-detector" else None
        if detector is None or detector["anomalyDetectorArn"] != arn:
            raise _not_found("The specified anomaly detector does not exist.")
        return scope, detector

    def create_log_anomaly_detector(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        arns = params["logGroupArnList"]
        if len(arns) != 1:
            raise _invalid("An anomaly detector watches exactly one log group: give one log group ARN.")
        for arn in arns:
            parsed = parse_arn(arn)
            name = parsed.resource.partition("log-group:")[2].removesuffix(":*") if parsed else ""
            foreign = parsed is not None and (parsed.account, parsed.region) != (
                context.account,
                context.region,
            )
            if not name or foreign or self.groups.get(scope, name) is None:
                raise _not_found(f"The specified log group does not exist: {arn}")
        _check_pattern(params.get("filterPattern"))
        if params.get("kmsKeyId") and not _KMS_KEY.match(params["kmsKeyId"]):
            raise _invalid(f"Invalid kmsKeyId: {params['kmsKeyId']}")
        detector_id = str(uuid.uuid4())
        now = epoch_millis()
        detector: dict[str, Any] = {
            "anomalyDetectorArn": build_arn(
                "logs", context.region, context.account, f"anomaly-detector:{detector_id}"
            ),
            "logGroupArnList": list(arns),
            "anomalyDetectorStatus": "TRAINING",
            "creationTimeStamp": now,
            "lastModifiedTimeStamp": now,
            "tags": dict(params.get("tags") or {}),
        }
        for key in (
            "detectorName",
            "evaluationFrequency",
            "filterPattern",
            "kmsKeyId",
            "anomalyVisibilityTime",
        ):
            if params.get(key) is not None:
                detector[key] = params[key]
        self._anomaly_detectors.put(scope, detector_id, detector)
        return {"anomalyDetectorArn": detector["anomalyDetectorArn"]}

    @staticmethod
    def _detector_shape(detector: dict) -> dict:
        return {key: detector[key] for key in _DETECTOR_KEYS if key in detector}

    def get_log_anomaly_detector(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, detector = self._detector(context, params["anomalyDetectorArn"])
        shape = self._detector_shape(detector)
        shape.pop("anomalyDetectorArn")
        return shape

    def update_log_anomaly_detector(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, detector = self._detector(context, params["anomalyDetectorArn"])
        if "filterPattern" in params:
            _check_pattern(params["filterPattern"])
        for key in ("evaluationFrequency", "filterPattern", "anomalyVisibilityTime"):
            if params.get(key) is not None:
                detector[key] = params[key]
        detector["anomalyDetectorStatus"] = "TRAINING" if params["enabled"] else "PAUSED"
        detector["lastModifiedTimeStamp"] = epoch_millis()
        self._anomaly_detectors.put(scope, detector["anomalyDetectorArn"].rsplit(":", 1)[1], detector)
        return {}

    def delete_log_anomaly_detector(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, detector = self._detector(context, params["anomalyDetectorArn"])
        self._anomaly_detectors.delete(scope, detector["anomalyDetectorArn"].rsplit(":", 1)[1])
        return {}

    def list_log_anomaly_detectors(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        group_arn = params.get("filterLogGroupArn")

        def detectors_after(after: str | None) -> Iterator[tuple[str, dict]]:
            for key, detector in self._anomaly_detectors.scan(scope, start_after=after):
                if group_arn is None or group_arn in detector["logGroupArnList"]:
                    yield key, detector

        return paginate_keys(
            self.store, "logs", "ListLogAnomalyDetectors", params, detectors_after,
            bad_token=_bad_token, default_limit=50, bind=group_arn or "",
            render=lambda _, detector: self._detector_shape(detector),
        )  # fmt: skip

    def list_anomalies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        if params.get("anomalyDetectorArn"):
            self._detector(context, params["anomalyDetectorArn"])
        if params.get("nextToken"):
            raise _bad_token()  # no page of anomalies was ever handed out
        return {"anomalies": []}

    def update_anomaly(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self._detector(context, params["anomalyDetectorArn"])
        anomaly, pattern = params.get("anomalyId"), params.get("patternId")
        if not anomaly and not pattern:
            raise _invalid("Specify an anomalyId or a patternId.")
        if params.get("suppressionType") == "LIMITED" and not params.get("suppressionPeriod"):
            raise _invalid("A suppressionPeriod is required when the suppressionType is LIMITED.")
        raise _not_found(
            f"The anomaly {anomaly} does not exist." if anomaly else f"The pattern {pattern} does not exist."
        )
