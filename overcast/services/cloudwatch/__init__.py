"""Amazon CloudWatch: metrics, metric math, alarms, dashboards and the rest (provider.py)."""
