"""How a metric alarm judges its periods: M out of N, TreatMissingData's four modes, and the
reason text AWS writes."""

from __future__ import annotations

from overcast.services.cloudwatch.evaluate import Slot, judge

ALARM = {"ComparisonOperator": "GreaterThanThreshold", "Threshold": 5.0, "Statistic": "Sum", "Period": 60}
T0 = 1_800_000_000 - 1_800_000_000 % 60


def slots(*values):
    return [Slot(T0 + 60 * i, v) for i, v in enumerate(values)]


def test_one_breaching_datapoint_alarms_with_aws_reason():
    outcome = judge({**ALARM, "EvaluationPeriods": 1}, slots(9.0), "OK", T0 + 30)
    assert outcome.state == "ALARM"
    assert outcome.reason.startswith("Threshold Crossed: 1 datapoint [9.0 (")
    assert outcome.reason.endswith(")] was greater than the threshold (5.0).")
    assert outcome.data["recentDatapoints"] == [9.0]
    assert outcome.data["threshold"] == 5.0


def test_m_out_of_n():
    alarm = {**ALARM, "EvaluationPeriods": 3, "DatapointsToAlarm": 2}
    assert judge(alarm, slots(9.0, 1.0, 9.0), "OK", T0).state == "ALARM"
    outcome = judge(alarm, slots(9.0, 1.0, 1.0), "ALARM", T0)
    assert outcome.state == "OK"
    assert "2 out of the last 3 datapoints" in outcome.reason
    assert "were not greater than the threshold (5.0)" in outcome.reason


def test_treat_missing_data_modes():
    alarm = {**ALARM, "EvaluationPeriods": 2}
    missing = slots(None, None)
    assert judge({**alarm, "TreatMissingData": "missing"}, missing, "OK", T0).state == "INSUFFICIENT_DATA"
    assert judge({**alarm, "TreatMissingData": "ignore"}, missing, "OK", T0).state is None
    assert judge({**alarm, "TreatMissingData": "breaching"}, missing, "OK", T0).state == "ALARM"
    assert judge({**alarm, "TreatMissingData": "notBreaching"}, missing, "ALARM", T0).state == "OK"
    # One missing, one breaching: breaching fills the gap to 2 of 2.
    half = slots(None, 9.0)
    assert judge({**alarm, "TreatMissingData": "breaching"}, half, "OK", T0).state == "ALARM"
    assert judge({**alarm, "TreatMissingData": "notBreaching"}, half, "OK", T0).state == "OK"


def test_insufficient_data_reason():
    outcome = judge({**ALARM, "EvaluationPeriods": 1}, slots(None), "OK", T0)
    assert outcome.reason == "Insufficient Data: 1 datapoint was unknown."


def test_anomaly_band_operators():
    alarm = {
        "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
        "EvaluationPeriods": 1,
        "Period": 60,
    }
    inside = [Slot(T0, 5.0, lower=1.0, upper=10.0)]
    outside = [Slot(T0, 50.0, lower=1.0, upper=10.0)]
    assert judge(alarm, inside, "ALARM", T0).state == "OK"
    assert judge(alarm, outside, "OK", T0).state == "ALARM"
