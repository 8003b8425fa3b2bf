"""CloudWatch metrics through boto3 over all three protocols the model speaks: PutMetricData,
GetMetricStatistics, GetMetricData with metric math and SEARCH, ListMetrics, and the PNG of
GetMetricWidgetImage."""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.clients import client_speaking
from tests.conftest import Server


def now() -> datetime:
    return datetime.now(UTC)


def window(minutes: int = 10) -> dict:
    return {"StartTime": now() - timedelta(minutes=minutes), "EndTime": now() + timedelta(minutes=1)}


@pytest.fixture(scope="module")
def cw(client):
    return client("cloudwatch")


@pytest.fixture
def ns():
    return f"Test/{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("protocol", ["smithy-rpc-v2-cbor", "json", "query"])
def test_put_and_read_back_over_each_protocol(endpoint, protocol, ns):
    cw = client_speaking("cloudwatch", protocol, endpoint)
    sent: list[str] = []
    cw.meta.events.register(
        "before-send", lambda request, **_: sent.append(request.headers.get("Content-Type"))
    )
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[
            {
                "MetricName": "Latency",
                "Value": 10,
                "Unit": "Milliseconds",
                "Dimensions": [{"Name": "Api", "Value": "a"}],
            },
            {
                "MetricName": "Latency",
                "Values": [20, 30],
                "Counts": [1, 2],
                "Unit": "Milliseconds",
                "Dimensions": [{"Name": "Api", "Value": "a"}],
            },
        ],
    )
    expected = {
        "smithy-rpc-v2-cbor": "application/cbor",
        "json": "application/x-amz-json-1.0",
        "query": "application/x-www-form-urlencoded",
    }
    assert (
        expected[protocol] in (sent[0] or b"").decode()
        if isinstance(sent[0], bytes)
        else expected[protocol] in sent[0]
    )
    out = cw.get_metric_statistics(
        Namespace=ns,
        MetricName="Latency",
        Dimensions=[{"Name": "Api", "Value": "a"}],
        Period=60,
        Statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"],
        **window(),
    )
    [point] = out["Datapoints"]
    assert out["Label"] == "Latency"
    assert point["SampleCount"] == 4 and point["Sum"] == 90 and point["Average"] == 22.5
    assert point["Minimum"] == 10 and point["Maximum"] == 30 and point["Unit"] == "Milliseconds"
    metrics = cw.list_metrics(Namespace=ns)["Metrics"]
    assert metrics == [
        {"Namespace": ns, "MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "a"}]}
    ]


def test_statistic_sets_percentiles_and_high_resolution(cw, ns):
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[{"MetricName": "P", "Values": list(range(1, 101)), "Unit": "Count"}],
    )
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[
            {
                "MetricName": "Set",
                "StatisticValues": {"SampleCount": 4, "Sum": 10, "Minimum": 1, "Maximum": 4},
            }
        ],
    )
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[{"MetricName": "Fast", "Value": v, "StorageResolution": 1} for v in (1, 2, 3)],
    )
    points = cw.get_metric_statistics(
        Namespace=ns, MetricName="P", Period=60, ExtendedStatistics=["p50", "p90", "tm80"], **window()
    )["Datapoints"]
    assert points[0]["ExtendedStatistics"] == {"p50": 50.0, "p90": 90.0, "tm80": 40.5}
    [point] = cw.get_metric_statistics(
        Namespace=ns, MetricName="Set", Period=60, Statistics=["Average", "SampleCount"], **window()
    )["Datapoints"]
    assert point["Average"] == 2.5 and point["SampleCount"] == 4
    [fast] = cw.get_metric_statistics(
        Namespace=ns, MetricName="Fast", Period=1, Statistics=["Sum"], **window(1)
    )["Datapoints"]
    assert fast["Sum"] == 6


def test_timestamps_up_to_two_weeks_back(cw, ns):
    old = now() - timedelta(days=13)
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Old", "Value": 5, "Timestamp": old}])
    points = cw.get_metric_statistics(
        Namespace=ns, MetricName="Old", Period=3600, Statistics=["Sum"],
        StartTime=old - timedelta(hours=1), EndTime=old + timedelta(hours=1),
    )["Datapoints"]  # fmt: skip
    assert [p["Sum"] for p in points] == [5.0]
    with pytest.raises(ClientError) as error:
        cw.put_metric_data(
            Namespace=ns,
            MetricData=[{"MetricName": "Old", "Value": 5, "Timestamp": now() - timedelta(days=15)}],
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"


@pytest.mark.parametrize(
    ("namespace", "datum", "code"),
    [
        ("AWS/EC2", {"MetricName": "m", "Value": 1}, "InvalidParameterValue"),
        ("Ok", {"MetricName": "m", "Value": 1, "Values": [1]}, "InvalidParameterCombination"),
        ("Ok", {"MetricName": "m", "Value": 1, "Unit": "Parsecs"}, "ValidationError"),
        ("Ok", {"MetricName": "m", "Value": 1, "StorageResolution": 5}, "InvalidParameterValue"),
        ("Ok", {"MetricName": "m", "Values": [1, 2], "Counts": [1]}, "InvalidParameterValue"),
        (
            "Ok",
            {
                "MetricName": "m",
                "Value": 1,
                "Dimensions": [{"Name": f"d{i}", "Value": "v"} for i in range(31)],
            },
            "ValidationError",
        ),
    ],
)
def test_put_metric_data_refusals(endpoint, namespace, datum, code):
    cw = client_speaking("cloudwatch", "query", endpoint)
    with pytest.raises(ClientError) as error:
        cw.put_metric_data(Namespace=namespace, MetricData=[datum])
    assert error.value.response["Error"]["Code"] == code
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_thirty_dimensions_are_taken(cw, ns):
    dims = [{"Name": f"d{i:02d}", "Value": str(i)} for i in range(30)]
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Wide", "Value": 1, "Dimensions": dims}])
    assert cw.list_metrics(Namespace=ns)["Metrics"][0]["Dimensions"] == dims


def test_list_metrics_filters(cw, ns):
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[
            {"MetricName": "Hits", "Value": 1, "Dimensions": [{"Name": "Page", "Value": "home"}]},
            {
                "MetricName": "Hits",
                "Value": 1,
                "Dimensions": [{"Name": "Page", "Value": "cart"}, {"Name": "Env", "Value": "prod"}],
            },
            {"MetricName": "Misses", "Value": 1},
        ],
    )
    by_name = cw.list_metrics(Namespace=ns, MetricName="Hits")["Metrics"]
    assert len(by_name) == 2
    home = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Page", "Value": "home"}])["Metrics"]
    assert [m["Dimensions"] for m in home] == [[{"Name": "Page", "Value": "home"}]]
    with_env = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Env"}])["Metrics"]
    assert len(with_env) == 1
    assert len(cw.list_metrics(Namespace=ns, RecentlyActive="PT3H")["Metrics"]) == 3
    pages = list(cw.get_paginator("list_metrics").paginate(Namespace=ns))
    assert sum(len(p["Metrics"]) for p in pages) == 3


def test_get_metric_data_math_and_search(cw, ns):
    for host, value in (("a", 10), ("b", 30)):
        cw.put_metric_data(
            Namespace=ns,
            MetricData=[
                {"MetricName": "Cpu", "Value": value, "Dimensions": [{"Name": "Host", "Value": host}]}
            ],
        )

    def stat(ident, host):
        return {
            "Id": ident,
            "MetricStat": {
                "Metric": {
                    "Namespace": ns,
                    "MetricName": "Cpu",
                    "Dimensions": [{"Name": "Host", "Value": host}],
                },
                "Period": 60,
                "Stat": "Average",
            },
            "ReturnData": False,
        }

    out = cw.get_metric_data(
        MetricDataQueries=[
            stat("a", "a"),
            stat("b", "b"),
            {"Id": "total", "Expression": "a + b", "Label": "Total"},
            {"Id": "mean", "Expression": "AVG(METRICS())"},
            {"Id": "high", "Expression": "IF(b > 20, 1, 0)"},
            {"Id": "found", "Expression": f"SEARCH('{{{ns},Host}} MetricName=\"Cpu\"', 'Sum', 60)"},
        ],
        ScanBy="TimestampAscending",
        **window(),
    )
    results = {}
    for r in out["MetricDataResults"]:
        results.setdefault(r["Id"], []).append(r)
    assert results["total"][0]["Values"] == [40.0] and results["total"][0]["Label"] == "Total"
    assert results["mean"][0]["Values"] == [20.0]
    assert results["high"][0]["Values"] == [1.0]
    assert sorted(r["Values"][0] for r in results["found"]) == [10.0, 30.0]
    assert all(r["StatusCode"] == "Complete" for r in out["MetricDataResults"])
    assert "a" not in results


def test_get_metric_data_refusals(cw, ns):
    bad = [
        [{"Id": "A", "Expression": "1"}],
        [{"Id": "e", "Expression": "m1 +"}],
        [{"Id": "x", "Expression": "1"}, {"Id": "x", "Expression": "2"}],
    ]
    for queries in bad:
        with pytest.raises(ClientError) as error:
            cw.get_metric_data(MetricDataQueries=queries, **window())
        assert error.value.response["Error"]["Code"] == "ValidationError"


def test_metric_widget_image_is_a_png(cw, ns):
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Line", "Value": 3}])
    widget = {
        "metrics": [[ns, "Line"]],
        "period": 60,
        "stat": "Sum",
        "start": "-PT1H",
        "width": 320,
        "height": 200,
    }
    image = cw.get_metric_widget_image(MetricWidget=json.dumps(widget))["MetricWidgetImage"]
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", image[16:24])
    assert (width, height) == (320, 200)
    length = struct.unpack(">I", image[33:37])[0]
    pixels = zlib.decompress(image[41 : 41 + length])
    assert len(pixels) == height * (width * 3 + 1)
    # The series is drawn: some pixel is neither white nor grey.
    assert any(pixels[i : i + 3] == bytes((0x1F, 0x77, 0xB4)) for i in range(0, len(pixels) - 3))
    with pytest.raises(ClientError) as error:
        cw.get_metric_widget_image(MetricWidget="{not json")
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_metric_data_survives_a_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        cw = client_speaking("cloudwatch", "smithy-rpc-v2-cbor", server.endpoint)
        cw.put_metric_data(Namespace="Durable", MetricData=[{"MetricName": "Kept", "Value": 7}])
    finally:
        server.stop(kill=True)
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        cw = client_speaking("cloudwatch", "smithy-rpc-v2-cbor", server.endpoint)
        points = cw.get_metric_statistics(
            Namespace="Durable", MetricName="Kept", Period=60, Statistics=["Sum"], **window()
        )
        assert [p["Sum"] for p in points["Datapoints"]] == [7.0]
    finally:
        server.stop()


def test_guide_put_metric_data_with_the_cli(aws):
    aws(
        "cloudwatch",
        "put-metric-data",
        "--namespace",
        "MyApp",
        "--metric-name",
        "OrdersProcessed",
        "--value",
        "42",
        "--unit",
        "Count",
    )
    listed = aws("cloudwatch", "list-metrics", "--namespace", "MyApp")
    assert {"Namespace": "MyApp", "MetricName": "OrdersProcessed", "Dimensions": []} in listed["Metrics"]
