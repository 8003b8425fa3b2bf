"""The services whose every operation the protocol conformance tests cover (issue: Overcast core)."""

SERVICES = (
    "sts iam s3 sqs sns dynamodb dynamodbstreams lambda ec2 rds elasticache events scheduler ecr "
    "ecs eks cloudwatch logs cloudtrail xray cloudformation secretsmanager ssm kms route53 "
    "cloudfront apigateway apigatewayv2 elbv2 kinesis"
).split()
