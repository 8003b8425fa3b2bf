"""Metric math, search expressions, statistics and the composite alarm rule language, on
their own: the parts of CloudWatch whose logic is intricate."""

from __future__ import annotations

import math

import pytest

from overcast.services.cloudwatch import mathexpr, rules, stats
from overcast.services.cloudwatch.mathexpr import MathError, Series
from overcast.services.cloudwatch.search import compile_search


def context(values: dict[str, Series], period: int = 60) -> mathexpr.Context:
    def all_metrics(wanted: str) -> list[Series]:
        return [s for key, s in values.items() if wanted in key]

    return mathexpr.Context(
        resolve=lambda name: values[name], period=period, start=0, end=300, all_metrics=all_metrics
    )


M1 = Series("m1", {0: 1.0, 60: 2.0, 120: 4.0})
M2 = Series("m2", {0: 10.0, 60: 20.0, 180: 40.0})


def run(text: str, **series: Series):
    return mathexpr.evaluate(text, context(series or {"m1": M1, "m2": M2}))


def test_arithmetic_is_elementwise_on_shared_timestamps_with_precedence():
    assert run("m1 + m2 * 2").points == {0: 21.0, 60: 42.0}
    assert run("(m1 + 1) ^ 2").points == {0: 4.0, 60: 9.0, 120: 25.0}
    assert run("-m1").points == {0: -1.0, 60: -2.0, 120: -4.0}


def test_division_by_zero_drops_the_point():
    zero = Series("z", {0: 0.0, 60: 2.0})
    assert run("m1 / z", m1=M1, z=zero).points == {60: 1.0}


def test_reducers_give_a_scalar_of_one_series_and_a_series_of_an_array():
    assert run("SUM(m1)") == 7.0
    assert run("AVG(m1)") == pytest.approx(7 / 3)
    assert run("MAX(METRICS())").points == {0: 10.0, 60: 20.0, 120: 4.0, 180: 40.0}
    assert run("SUM([m1, m2])").points == {0: 11.0, 60: 22.0, 120: 4.0, 180: 40.0}
    assert run("STDDEV(m1)") == pytest.approx(
        math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 3)
    )


def test_metrics_filters_by_id():
    found = run("METRICS('m2')")
    assert [s.label for s in found] == ["m2"]


def test_rate_diff_running_sum_and_period():
    assert run("RATE(m1)").points == {60: 1 / 60, 120: 2 / 60}
    assert run("DIFF(m1)").points == {60: 1.0, 120: 2.0}
    assert run("RUNNING_SUM(m1)").points == {0: 1.0, 60: 3.0, 120: 7.0}
    assert run("PERIOD(m1)").points == {0: 60.0, 60: 60.0, 120: 60.0}


def test_fill_with_a_value_repeat_and_linear():
    gappy = Series("g", {0: 1.0, 180: 4.0})
    assert run("FILL(g, 0)", g=gappy).points == {0: 1.0, 60: 0.0, 120: 0.0, 180: 4.0, 240: 0.0}
    assert run("FILL(g, REPEAT)", g=gappy).points == {0: 1.0, 60: 1.0, 120: 1.0, 180: 4.0, 240: 4.0}
    assert run("FILL(g, LINEAR)", g=gappy).points[60] == pytest.approx(2.0)


def test_if_with_comparisons_and_logic():
    assert run("IF(m1 > 1, m1, 0)").points == {0: 0.0, 60: 2.0, 120: 4.0}
    assert run("IF(m1 >= 2 AND m1 < 4, 1, 0)").points == {0: 0.0, 60: 1.0, 120: 0.0}
    assert run("IF(m1 == 1 || m1 == 4, m1)").points == {0: 1.0, 120: 4.0}


def test_bad_expressions_are_refused():
    with pytest.raises(MathError):
        run("m1 +")
    with pytest.raises(MathError):
        run("NOPE(m1)")
    with pytest.raises(KeyError):
        run("m9")


def test_search_schema_terms_and_booleans():
    cpu = {
        "Namespace": "AWS/EC2",
        "MetricName": "CPUUtilization",
        "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}],
    }
    net = {
        "Namespace": "AWS/EC2",
        "MetricName": "NetworkIn",
        "Dimensions": [{"Name": "InstanceId", "Value": "i-2"}],
    }
    both = {
        "Namespace": "AWS/EC2",
        "MetricName": "CPUUtilization",
        "Dimensions": [
            {"Name": "InstanceId", "Value": "i-3"},
            {"Name": "AutoScalingGroupName", "Value": "web"},
        ],
    }
    schema = compile_search('{AWS/EC2,InstanceId} MetricName="CPUUtilization"')
    assert [schema(m) for m in (cpu, net, both)] == [True, False, False]
    partial = compile_search("Network OR cpu")
    assert [partial(m) for m in (cpu, net, both)] == [True, True, True]
    negated = compile_search("{AWS/EC2,InstanceId} NOT InstanceId=i-1")
    assert [negated(m) for m in (cpu, net, both)] == [False, True, False]


def test_statistics_plain_and_extended():
    bucket = stats.empty()
    for value in range(1, 101):
        stats.add_value(bucket, float(value))
    assert stats.compute(bucket, "p90") == 90.0
    assert stats.compute(bucket, "p99.9") == 100.0
    assert stats.compute(bucket, "tm10") == pytest.approx(5.5)
    assert stats.compute(bucket, "TC(10%:20%)") == 10.0
    assert stats.compute(bucket, "TS(:10)") == 55.0
    assert stats.compute(bucket, "PR(:50)") == 50.0
    assert stats.compute(bucket, "IQM") == pytest.approx(50.5)
    assert stats.compute(bucket, "SampleCount") == 100.0
    assert not stats.valid_extended("p101")
    assert not stats.valid_extended("TM(:)")


def test_a_statistic_set_keeps_plain_statistics_only():
    bucket = stats.empty()
    stats.add_set(bucket, {"SampleCount": 4, "Sum": 10, "Minimum": 1, "Maximum": 4})
    assert stats.compute(bucket, "Average") == 2.5
    assert stats.compute(bucket, "p50") is None


def test_composite_rules():
    states = {"a": "ALARM", "b": "OK", "c": "INSUFFICIENT_DATA"}
    assert rules.evaluate('ALARM("a") AND OK(b)', states.get)
    assert not rules.evaluate("ALARM(a) AND NOT OK(b)", states.get)
    assert rules.evaluate("(ALARM(b) OR INSUFFICIENT_DATA(c)) AND TRUE", states.get)
    assert rules.evaluate("ALARM(arn:aws:cloudwatch:us-east-1:000000000000:alarm:a)", states.get)
    assert rules.children('ALARM("a") OR OK(b) OR ALARM(a)') == ["a", "b"]
    with pytest.raises(rules.RuleError):
        rules.children("ALARM(a) AND")
