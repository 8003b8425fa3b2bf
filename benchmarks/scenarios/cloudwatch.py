"""CloudWatch's hot path: PutMetricData of 20 values in smithy-rpc-v2-cbor (the protocol the
newest SDKs speak to it; botocore itself prefers JSON, so the request is serialized here with
botocore's own CBOR serializer and a fixed SigV4 Authorization header, which Overcast routes
by and does not verify by default), and GetMetricData over one day of one-minute data for
ten metrics (the setup writes the day: 14,400 datapoints)."""

from __future__ import annotations

import time

import botocore.serialize
import botocore.session

from scenarios import AwsCall, ClientFactory, HttpRequest, Scenario

NAMESPACE = "Bench/App"
_NOW = int(time.time()) - int(time.time()) % 60
_DAY = 86400
_METRICS = [f"Latency{i}" for i in range(10)]


def _cbor_request(operation: str, params: dict) -> HttpRequest:
    model = botocore.session.get_session().get_service_model("cloudwatch")
    serializer = botocore.serialize.create_serializer("smithy-rpc-v2-cbor")
    request = serializer.serialize_to_request(params, model.operation_model(operation))
    stamp = time.strftime("%Y%m%d", time.gmtime())
    headers = {
        **{k: v.decode() if isinstance(v, bytes) else str(v) for k, v in request["headers"].items()},
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/{stamp}/us-east-1/monitoring/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
    }
    return HttpRequest("POST", request["url_path"], tuple(headers.items()), request["body"])


_PUT = _cbor_request(
    "PutMetricData",
    {
        "Namespace": NAMESPACE,
        "MetricData": [
            {
                "MetricName": "Requests",
                "Dimensions": [{"Name": "Api", "Value": "orders"}],
                "Value": float(v),
                "Unit": "Count",
            }
            for v in range(20)
        ],
    },
)


def _one_day(client: ClientFactory) -> None:
    cw = client("cloudwatch")
    points = [
        {"MetricName": name, "Value": float(minute % 97), "Timestamp": _NOW - _DAY + minute * 60}
        for name in _METRICS
        for minute in range(_DAY // 60)
    ]
    for start in range(0, len(points), 1000):
        cw.put_metric_data(Namespace=NAMESPACE, MetricData=points[start : start + 1000])


_GET = AwsCall(
    "cloudwatch",
    "GetMetricData",
    {
        "MetricDataQueries": [
            {
                "Id": f"m{i}",
                "MetricStat": {
                    "Metric": {"Namespace": NAMESPACE, "MetricName": name},
                    "Period": 60,
                    "Stat": "Average",
                },
            }
            for i, name in enumerate(_METRICS)
        ],
        "StartTime": _NOW - _DAY,
        "EndTime": _NOW,
    },
)

SCENARIOS = (
    Scenario(
        name="cloudwatch-put-metric-data-cbor",
        summary="CloudWatch PutMetricData of 20 values of one metric (smithy-rpc-v2-cbor, one write)",
        requests=(_PUT,),
    ),
    Scenario(
        name="cloudwatch-get-metric-data-day",
        summary="CloudWatch GetMetricData, 10 metrics × 1 day of 1-minute data (1,440 points each)",
        setup=_one_day,
        requests=(_GET,),
    ),
)
