"""The dashboard in a real browser: what a developer does on it, checked against the API."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile

import boto3
import pytest

pytestmark = pytest.mark.slow


def test_create_a_bucket_and_upload_through_the_page(dashboard, aws_as, tmp_path):
    page = dashboard.page
    bucket = f"dash-{uuid.uuid4().hex[:10]}"
    dashboard.open("s3")
    page.get_by_label("Bucket name").fill(bucket)
    page.get_by_role("button", name="Create bucket").click()
    page.get_by_role("link", name=bucket).click()
    upload = tmp_path / "hello.txt"
    upload.write_text("hello from the browser\n")
    page.get_by_label("File", exact=True).set_input_files(str(upload))
    page.get_by_label("Key (default").fill("docs/hello.txt")
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("Uploaded docs/hello.txt").wait_for()
    dashboard.shot("uploaded")

    body = aws_as("s3").get_object(Bucket=bucket, Key="docs/hello.txt")["Body"].read()
    assert body == b"hello from the browser\n"

    page.get_by_role("link", name="docs/").click()
    page.get_by_role("button", name="View").click()
    page.locator("pre.object").get_by_text("hello from the browser").wait_for()
    dashboard.shot("viewed")


def test_the_overview_lists_the_data_planes_url_forms(dashboard):
    page = dashboard.page
    dashboard.open("")
    section = page.locator("section", has_text="Data planes").last
    section.get_by_text("API Gateway REST API").wait_for()
    text = section.inner_text()
    assert "/restapis/{api-id}/{stage}/_user_request_/{path}" in text
    assert "{url-id}.lambda-url.{region}.localhost.localstack.cloud" in text


def test_the_request_log_updates_and_expands_a_failure(dashboard, aws_as, account):
    page = dashboard.page
    dashboard.open("")
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    sqs = aws_as("sqs")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName=missing)
    page.get_by_label("Account").last.fill(account)
    row = page.locator("#request-log tr.failed", has_text="GetQueueUrl").first
    row.wait_for()
    assert "400" in row.inner_text() and account in row.inner_text()
    row.locator("summary").click()
    assert missing in row.locator("pre.json").inner_text()  # the parsed input of the failure
    page.get_by_label("Status").select_option("2xx")
    assert not row.is_visible()
    dashboard.shot("log")


def test_query_a_table_with_the_form(dashboard, aws_as):
    page = dashboard.page
    table = f"orders-{uuid.uuid4().hex[:8]}"
    ddb = aws_as("dynamodb")
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for customer, order, total in (("alice", "o1", 10), ("alice", "o2", 25), ("bob", "o3", 7)):
        ddb.put_item(
            TableName=table, Item={"pk": {"S": customer}, "sk": {"S": order}, "total": {"N": str(total)}}
        )
    dashboard.open(f"dynamodb/{table}")
    page.get_by_text("3 items (3 read)").wait_for()  # the page scans on arrival
    page.get_by_label("Operation").select_option("Query")
    page.get_by_label("Key condition").fill("pk = :c")
    page.get_by_label("Filter expression").fill("#t > :min")
    page.get_by_label("Expression attribute values").fill('{":c": "alice", ":min": 12}')
    page.get_by_label("Expression attribute names").fill('{"#t": "total"}')
    page.get_by_role("button", name="Run").click()
    page.get_by_text("1 items (2 read)").wait_for()
    cells = page.locator("form.query table tbody tr").first.inner_text()
    assert "alice" in cells and "o2" in cells and "25" in cells
    dashboard.shot("queried")


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


HANDLER = """
import json
def handler(event, context):
    print("got", json.dumps(event))
    return {"doubled": event["n"] * 2}
"""


def test_invoke_a_function_and_read_its_logs(dashboard, aws_as, account):
    page = dashboard.page
    name = f"fn-{uuid.uuid4().hex[:8]}"
    lam = aws_as("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=f"arn:aws:iam::{account}:role/lambda-role",
        Handler="handler.handler",
        Code={"ZipFile": zip_bytes({"handler.py": HANDLER})},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )
    dashboard.open(f"lambda/{name}")
    page.get_by_label("Payload (JSON)").fill('{"n": 21}')
    page.get_by_role("button", name="Invoke").click()
    response = page.locator("[data-testid=invoke-response]")
    response.wait_for(timeout=60_000)
    assert json.loads(response.inner_text()) == {"doubled": 42}
    logs = page.locator("[data-testid=invoke-logs]").inner_text()
    assert 'got {"n": 21}' in logs and "START RequestId" in logs
    page.get_by_role("button", name="Refresh").click()
    page.get_by_role("cell", name="warm").wait_for()  # the environment that ran it, kept warm
    dashboard.shot("invoked")

    page.get_by_role("link", name=f"/aws/lambda/{name}").first.click()
    page.locator("#tail").get_by_text('got {"n": 21}').wait_for(timeout=30_000)
    dashboard.shot("log-tail")


def test_a_metric_is_drawn_from_get_metric_data(dashboard, aws_as):
    page = dashboard.page
    namespace = f"Dash/{uuid.uuid4().hex[:6]}"
    now = time.time()
    aws_as("cloudwatch").put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Latency", "Timestamp": now - 60 * minutes, "Value": float(value)}
            for minutes, value in ((5, 120), (4, 80), (3, 200), (2, 150), (1, 90))
        ],
    )
    dashboard.open("cloudwatch")
    page.get_by_label("Namespace").fill(namespace)
    page.get_by_role("button", name="List metrics").click()
    page.get_by_role("link", name="Latency").click()
    chart = page.get_by_role("img", name=f"Chart of {namespace} · Latency")
    chart.wait_for()
    assert page.locator("svg.chart polyline.line-1").count() == 1  # the maxima, drawn as a line
    assert page.locator("svg.chart circle.line-1").count() == 5
    page.get_by_text("Maximum (5 points)").wait_for()
    dashboard.shot("chart")


@pytest.mark.parametrize(
    "route",
    [
        "",
        "s3",
        "sqs",
        "sns",
        "dynamodb",
        "lambda",
        "logs",
        "cloudwatch",
        "cloudtrail",
        "iam",
        "events",
        "cloudformation",
        "apigateway",
        "kinesis",
        "kms",
        "secretsmanager",
        "ssm",
        "xray",
        "ec2",
        "rds",
        "elasticache",
        "ecs",
        "ecr",
        "eks",
        "route53",
        "acm",
        "cloudfront",
        "apigatewayv2",
        "console/sqs",
    ],
)
def test_every_page_loads_without_errors(dashboard, route):
    dashboard.open(route)
    dashboard.settled()
    assert not dashboard.page.locator("main .error").count(), dashboard.page.locator(
        "main .error"
    ).all_inner_texts()
    dashboard.shot(route.replace("/", "-") or "overview")


def test_links_follow_arns_from_a_queue_to_its_dead_letter_queue(dashboard, aws_as):
    page = dashboard.page
    sqs = aws_as("sqs")
    dead = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": "1"})
    source = sqs.create_queue(QueueName=f"work-{uuid.uuid4().hex[:8]}", Attributes={"RedrivePolicy": policy})
    sqs.send_message(QueueUrl=source["QueueUrl"], MessageBody="peek at me")
    dashboard.open(f"sqs/{source['QueueUrl'].rsplit('/', 1)[1]}")
    page.locator("td pre.inline", has_text="peek at me").wait_for()  # peeked, not consumed
    assert (
        sqs.get_queue_attributes(QueueUrl=source["QueueUrl"], AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"
        ]["ApproximateNumberOfMessages"]
        == "1"
    )
    page.get_by_role("link", name=dead_arn).click()
    page.get_by_text("Dead letters of:").wait_for()
    dashboard.shot("dlq")


NEXT_FIRINGS = """async () => {
  const { nextFiring } = await import("/_overcast/ui/pages/schedule.js");
  const now = Date.UTC(2026, 0, 15, 10, 7, 30);  // a Thursday
  const at = (expression, created) => nextFiring(expression, created, null, now)?.toISOString() ?? null;
  return [
    at("rate(5 minutes)", "2026-01-15T10:00:00Z"),
    at("rate(1 day)", "2026-01-10T08:00:00Z"),
    at("cron(15 10 ? * MON-FRI *)"),
    at("cron(0 12 1 * ? *)"),
    at("cron(0/20 * * * ? *)"),
    at("cron(0 9 ? * SAT *)"),
    at("at(2026-01-15T11:00:00)"),
    at("at(2020-01-01T00:00:00)"),
    at("cron(0 10 L * ? *)"),
  ];
}"""


def test_the_next_firing_of_schedule_expressions(dashboard, aws_as):
    dashboard.open("events")
    assert dashboard.page.evaluate(NEXT_FIRINGS) == [
        "2026-01-15T10:10:00.000Z",
        "2026-01-16T08:00:00.000Z",
        "2026-01-15T10:15:00.000Z",
        "2026-02-01T12:00:00.000Z",
        "2026-01-15T10:20:00.000Z",
        "2026-01-17T09:00:00.000Z",
        "2026-01-15T11:00:00.000Z",
        None,
        None,  # L, W and # forms are not worked out on the page
    ]
    events = aws_as("events")
    events.put_rule(Name="hourly", ScheduleExpression="cron(0 * * * ? *)")
    dashboard.open("events")
    dashboard.page.reload()  # the page is already at #/events: the same hash loads nothing anew
    row = dashboard.page.locator("tr", has_text="hourly")
    row.wait_for()
    assert "cron(0 * * * ? *)" in row.inner_text() and ":00" in row.inner_text()
    dashboard.shot("rules")


@pytest.fixture(scope="module")
def enforcing():
    from tests.conftest import Server

    instance = Server("--ephemeral", "--quiet", "--enforce-iam")
    yield instance
    instance.stop()


def test_under_enforce_iam_the_page_asks_for_credentials_and_acts_as_them(browser, enforcing, request):
    from tests.integration.dashboard.conftest import Dashboard

    iam = boto3.client(
        "iam",
        endpoint_url=enforcing.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    iam.create_user(UserName="dash-admin")
    iam.attach_user_policy(UserName="dash-admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "overcast:*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="dash-admin", PolicyName="dashboard", PolicyDocument=json.dumps(allow))
    key = iam.create_access_key(UserName="dash-admin")["AccessKey"]
    boto3.client(
        "s3",
        endpoint_url=enforcing.endpoint,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    ).create_bucket(Bucket="enforced-bucket")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    board = Dashboard(page, enforcing.endpoint, request.node.name)
    try:
        page.goto(f"{enforcing.endpoint}/_overcast/#/s3")
        dialog = page.get_by_role("dialog", name="Sign in")
        dialog.wait_for()
        board.shot("sign-in")
        dialog.get_by_label("Access key id").fill(key["AccessKeyId"])
        dialog.get_by_label("Secret access key").fill(key["SecretAccessKey"])
        dialog.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="enforced-bucket").wait_for()
        assert page.get_by_role("button", name=f"Signed in: {key['AccessKeyId']}").is_visible()
        board.shot("signed-in")
    finally:
        context.close()
    problems = [p for p in board.problems if "401" not in p]  # the calls before signing in
    assert not problems, problems


def test_sns_shows_the_account_s_recorded_sms(dashboard, aws_as):
    sns = aws_as("sns")
    topic = sns.create_topic(Name=f"alerts-{uuid.uuid4().hex[:6]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550100")
    sns.publish(TopicArn=topic, Subject="Disk", Message="disk almost full")
    sns.publish(PhoneNumber="+15555550123", Message="your code is 123456")
    dashboard.open(f"sns/{topic}")
    dashboard.page.locator("td pre.inline", has_text="disk almost full").wait_for()
    row = dashboard.page.locator("tr", has_text="disk almost full")
    assert "SMS" in row.inner_text() and "+15555550100" in row.inner_text()
    dashboard.open("sns")
    dashboard.page.get_by_text("your code is 123456").wait_for()
    dashboard.shot("sns")


def test_a_scan_pages_with_the_api_s_exclusive_start_key(dashboard, aws_as):
    table = f"paged-{uuid.uuid4().hex[:8]}"
    ddb = aws_as("dynamodb")
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for index in range(5):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"item-{index}"}})
    page = dashboard.page
    dashboard.open(f"dynamodb/{table}")
    page.get_by_text("5 items (5 read)").wait_for()
    page.get_by_label("Limit").fill("3")
    page.get_by_role("button", name="Run").click()
    page.get_by_text("3 items (3 read) — more remain").wait_for()
    page.get_by_role("button", name="Next page").click()
    page.get_by_text("2 items (2 read)").wait_for()
    shown = page.locator("form.query tbody tr").all_inner_texts()
    assert sorted(text.split()[0] for text in shown) == [f"item-{index}" for index in range(5)]


def _cell(dashboard, text: str) -> None:
    dashboard.page.locator("main td", has_text=text).first.wait_for()


def _no_errors(dashboard) -> None:
    dashboard.settled()
    errors = dashboard.page.locator("main .error")
    assert not errors.count(), errors.all_inner_texts()


def test_ec2_shows_an_instance_with_its_state_and_tags_and_its_vpc(dashboard, aws_as):
    ec2 = aws_as("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "dash-box"}]}],
    )["Instances"][0]["InstanceId"]
    dashboard.open("ec2")
    row = dashboard.page.locator("main tr", has_text=instance)
    row.wait_for()
    assert "dash-box" in row.inner_text() and "Name=dash-box" in row.inner_text()
    _cell(dashboard, "10.42.0.0/16")
    _no_errors(dashboard)
    dashboard.page.get_by_role("link", name=vpc, exact=True).first.click()
    dashboard.page.locator("main td", has_text=subnet).first.wait_for()
    dashboard.page.locator("main td", has_text=instance).first.wait_for()
    _no_errors(dashboard)
    dashboard.shot("vpc")


def test_rds_and_ecs_list_pages_show_what_exists_without_an_engine(dashboard, aws_as):
    ecs = aws_as("ecs")
    cluster = f"dash-{uuid.uuid4().hex[:8]}"
    ecs.create_cluster(clusterName=cluster)
    dashboard.open("ecs")
    dashboard.page.get_by_role("link", name=cluster, exact=True).click()
    dashboard.page.get_by_text("No services.").wait_for()
    _no_errors(dashboard)
    dashboard.open("rds")
    dashboard.page.get_by_text("No DB instances.").wait_for()
    _no_errors(dashboard)
    dashboard.shot("rds")


def test_ecr_shows_a_repository_and_its_uri(dashboard, aws_as):
    name = f"team/app-{uuid.uuid4().hex[:6]}"
    uri = aws_as("ecr").create_repository(repositoryName=name)["repository"]["repositoryUri"]
    dashboard.open("ecr")
    _cell(dashboard, uri)
    dashboard.page.get_by_role("link", name=name, exact=True).click()
    dashboard.page.get_by_text("No images").wait_for()
    _no_errors(dashboard)


def test_eks_shows_a_cluster_with_its_node_groups_and_health(dashboard, aws_as):
    ec2, eks = aws_as("ec2"), aws_as("eks")
    vpc = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.80.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in enumerate("ab")
    ]
    name = f"dash-{uuid.uuid4().hex[:6]}"
    eks.create_cluster(
        name=name, roleArn="arn:aws:iam::000000000000:role/eks", resourcesVpcConfig={"subnetIds": subnets}
    )
    eks.create_nodegroup(
        clusterName=name,
        nodegroupName="workers",
        subnets=subnets,
        nodeRole="arn:aws:iam::000000000000:role/n",
    )
    dashboard.open("eks")
    dashboard.page.get_by_role("link", name=name, exact=True).click()
    _cell(dashboard, "workers")
    dashboard.page.get_by_text("ClusterUnreachable").wait_for()
    _no_errors(dashboard)
    dashboard.shot("eks-cluster")


def test_route53_shows_a_zone_and_its_records(dashboard, aws_as):
    route53 = aws_as("route53")
    zone = route53.create_hosted_zone(Name="dash.example.com", CallerReference=uuid.uuid4().hex)["HostedZone"]
    route53.change_resource_record_sets(
        HostedZoneId=zone["Id"],
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "www.dash.example.com",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "192.0.2.44"}],
                    },
                }
            ]
        },
    )
    dashboard.open("route53")
    dashboard.page.get_by_role("link", name="dash.example.com.", exact=True).click()
    _cell(dashboard, "192.0.2.44")
    _no_errors(dashboard)
    dashboard.shot("zone")


def test_acm_shows_a_requested_certificate(dashboard, aws_as):
    arn = aws_as("acm").request_certificate(DomainName="secure.dash.example.com", ValidationMethod="DNS")[
        "CertificateArn"
    ]
    dashboard.open("acm")
    dashboard.page.get_by_role("link", name="secure.dash.example.com", exact=True).click()
    dashboard.page.locator("main a.arn", has_text=arn).wait_for()
    _no_errors(dashboard)


def test_cloudfront_shows_a_distribution_and_an_invalidation(dashboard, aws_as):
    cloudfront = aws_as("cloudfront")
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "dashboard test",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "web",
                    "DomainName": "origin.dash.example.com",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "http-only",
                    },
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "web",
            "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        },
    }
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    dashboard.open("cloudfront")
    _cell(dashboard, distribution["DomainName"])
    dashboard.page.get_by_role("link", name=distribution["Id"], exact=True).click()
    _cell(dashboard, "origin.dash.example.com")
    dashboard.page.get_by_role("button", name="Invalidate").click()
    dashboard.page.get_by_text("Created invalidation").wait_for()
    listed = cloudfront.list_invalidations(DistributionId=distribution["Id"])["InvalidationList"]
    _cell(dashboard, listed["Items"][0]["Id"])
    _no_errors(dashboard)
    dashboard.shot("distribution")


def test_http_api_shows_its_routes_and_invoke_url(dashboard, aws_as):
    api = aws_as("apigatewayv2").create_api(
        Name=f"dash-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target="http://example.com"
    )
    dashboard.open("apigatewayv2")
    dashboard.page.get_by_role("link", name=api["Name"], exact=True).click()
    _cell(dashboard, "$default")
    _cell(dashboard, f"{api['ApiEndpoint']}/")
    _no_errors(dashboard)
    dashboard.shot("http-api")


def test_elasticache_shows_a_cluster_its_endpoint_and_its_engine_on_the_overview(dashboard, aws_as):
    import time

    ec = aws_as("elasticache")
    cluster = f"dash-{uuid.uuid4().hex[:8]}"
    ec.create_cache_cluster(CacheClusterId=cluster, Engine="redis", CacheNodeType="cache.t3.micro")
    deadline = time.monotonic() + 30
    while True:
        found = ec.describe_cache_clusters(CacheClusterId=cluster, ShowCacheNodeInfo=True)["CacheClusters"][0]
        if found["CacheClusterStatus"] == "available":
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    port = found["CacheNodes"][0]["Endpoint"]["Port"]
    try:
        dashboard.open("elasticache")
        _cell(dashboard, f"127.0.0.1:{port}")
        dashboard.page.get_by_role("link", name=cluster, exact=True).first.click()
        _cell(dashboard, f"127.0.0.1:{port}")
        _no_errors(dashboard)
        dashboard.open("")
        _cell(dashboard, f"{cluster}/0001")
        _no_errors(dashboard)
    finally:
        ec.delete_cache_cluster(CacheClusterId=cluster)
