"""RDS's CloudFormation types: a stack with a subnet group, a parameter group, a PostgreSQL
instance using both, and an event subscription; its outputs name the engine a client reaches."""

from __future__ import annotations

import time
import uuid

from tests.integration.rds.conftest import pg

TEMPLATE = """
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Subnets:
    Type: AWS::RDS::DBSubnetGroup
    Properties:
      DBSubnetGroupDescription: private data subnets
      SubnetIds: [subnet-0a1b2c3d, subnet-4e5f6a7b]
  Params:
    Type: AWS::RDS::DBParameterGroup
    Properties:
      Family: postgres15
      Description: tuned
      Parameters: {work_mem: "16384"}
  ClusterParams:
    Type: AWS::RDS::DBClusterParameterGroup
    Properties:
      Family: aurora-postgresql15
      Description: cluster settings
      Parameters: {log_min_duration_statement: "500"}
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties:
      Engine: aurora-postgresql
      MasterUsername: app
      MasterUserPassword: supersecret
      DBClusterParameterGroupName: !Ref ClusterParams
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      EngineVersion: "15"
      DBInstanceClass: db.t3.micro
      AllocatedStorage: "20"
      MasterUsername: app
      MasterUserPassword: supersecret
      DBName: orders
      DBSubnetGroupName: !Ref Subnets
      DBParameterGroupName: !Ref Params
      BackupRetentionPeriod: 0
      VPCSecurityGroups: [sg-0123456789]
  Events:
    Type: AWS::RDS::EventSubscription
    Properties:
      SnsTopicArn: !Ref Topic
      SourceType: db-instance
      SourceIds: [!Ref Database]
      EventCategories: [availability]
  Proxy:
    Type: AWS::RDS::DBProxy
    Properties:
      DBProxyName: !Sub "${AWS::StackName}-proxy"
      EngineFamily: POSTGRESQL
      RoleArn: arn:aws:iam::123456789012:role/proxy
      VpcSubnetIds: [subnet-0a1b2c3d, subnet-4e5f6a7b]
      Auth: [{AuthScheme: SECRETS, SecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:app", IAMAuth: DISABLED}]
  ProxyTargets:
    Type: AWS::RDS::DBProxyTargetGroup
    Properties:
      DBProxyName: !Ref Proxy
      TargetGroupName: default
      DBInstanceIdentifiers: [!Ref Database]
      ConnectionPoolConfigurationInfo: {MaxConnectionsPercent: 80}
  ProxyWriter:
    Type: AWS::RDS::DBProxyEndpoint
    Properties:
      DBProxyName: !Ref Proxy
      DBProxyEndpointName: !Sub "${AWS::StackName}-writer"
      VpcSubnetIds: [subnet-0a1b2c3d, subnet-4e5f6a7b]
Outputs:
  ProxyAddress: {Value: !GetAtt Proxy.Endpoint}
  WriterAddress: {Value: !GetAtt ProxyWriter.Endpoint}
  TargetGroup: {Value: !Ref ProxyTargets}
  Address: {Value: !GetAtt Database.Endpoint.Address}
  Port: {Value: !GetAtt Database.Endpoint.Port}
  Instance: {Value: !Ref Database}
  Subnets: {Value: !Ref Subnets}
  Params: {Value: !Ref Params}
  Subscription: {Value: !Ref Events}
  Cluster: {Value: !Ref Cluster}
  ClusterPort: {Value: !GetAtt Cluster.Endpoint.Port}
"""


def settle(cfn, stack: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        if not found["StackStatus"].endswith("IN_PROGRESS"):
            return found
        assert time.monotonic() < deadline, found["StackStatus"]
        time.sleep(0.5)


def test_a_stack_with_an_instance_that_clients_reach(client):
    cfn, rds = client("cloudformation"), client("rds")
    stack = f"rds-{uuid.uuid4().hex[:8]}"
    cfn.create_stack(StackName=stack, TemplateBody=TEMPLATE)
    found = settle(cfn, stack)
    assert found["StackStatus"] == "CREATE_COMPLETE", cfn.describe_stack_events(StackName=stack)[
        "StackEvents"
    ][:3]
    out = {o["OutputKey"]: o["OutputValue"] for o in found["Outputs"]}
    instance = rds.describe_db_instances(DBInstanceIdentifier=out["Instance"])["DBInstances"][0]
    assert instance["DBInstanceStatus"] == "available"
    assert (out["Address"], int(out["Port"])) == ("127.0.0.1", instance["Endpoint"]["Port"])
    assert instance["DBSubnetGroup"]["DBSubnetGroupName"] == out["Subnets"]
    assert instance["DBParameterGroups"][0]["DBParameterGroupName"] == out["Params"]
    conn = pg(instance, database="orders", user="app")
    assert conn.run("SHOW work_mem") == [["16MB"]]
    conn.close()
    assert out["TargetGroup"].startswith("arn:aws:rds:")
    for address in (out["ProxyAddress"], out["WriterAddress"]):
        through = pg({"Endpoint": {"Address": address, "Port": 5432}}, database="orders", user="app")
        assert through.run("SHOW work_mem") == [["16MB"]]
        through.close()
    cluster = rds.describe_db_clusters(DBClusterIdentifier=out["Cluster"])["DBClusters"][0]
    assert str(cluster["Port"]) == out["ClusterPort"]
    subscription = rds.describe_event_subscriptions(SubscriptionName=out["Subscription"])[
        "EventSubscriptionsList"
    ][0]
    assert subscription["SourceIdsList"] == [out["Instance"]]
    stack_id = found["StackId"]
    cfn.delete_stack(StackName=stack)
    assert settle(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert all(p["DBProxyName"] != f"{stack}-proxy" for p in rds.describe_db_proxies()["DBProxies"])
    assert (
        rds.describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": [out["Instance"]]}])[
            "DBInstances"
        ]
        == []
    )
    assert all(
        g["DBParameterGroupName"] != out["Params"]
        for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
    )
