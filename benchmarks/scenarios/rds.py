"""RDS: DescribeDBInstances of one instance (the call every waiter and SDK poll repeats).
The instance is a real PostgreSQL that the setup creates; the request reads its row."""

from scenarios import AwsCall, ClientFactory, Scenario

INSTANCE = "bench-postgres"


def _setup(client: ClientFactory) -> None:
    client("rds").create_db_instance(
        DBInstanceIdentifier=INSTANCE,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="bench",
        MasterUserPassword="benchmark",
        BackupRetentionPeriod=0,
    )


SCENARIOS = (
    Scenario(
        name="rds-describe-db-instance",
        summary="RDS DescribeDBInstances of one instance by identifier (query protocol, one row read)",
        setup=_setup,
        requests=(AwsCall("rds", "DescribeDBInstances", {"DBInstanceIdentifier": INSTANCE}),),
    ),
)
