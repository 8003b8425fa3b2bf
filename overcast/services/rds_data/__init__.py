"""The RDS Data API (botocore name rds-data)."""
