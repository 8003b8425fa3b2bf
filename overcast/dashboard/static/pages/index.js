// The dashboard's pages. A service's page is one module in this folder exporting
// `render(element, args)` (and, optionally, `count()` for the overview and a cleanup function
// returned by render); adding a service's page is adding its module and one line here.
export const pages = [
  { id: "overview", title: "Overview", load: () => import("./overview.js") },
  { id: "s3", title: "S3", service: "s3", load: () => import("./s3.js") },
  { id: "sqs", title: "SQS", service: "sqs", load: () => import("./sqs.js") },
  { id: "sns", title: "SNS", service: "sns", load: () => import("./sns.js") },
  { id: "dynamodb", title: "DynamoDB", service: "dynamodb", load: () => import("./dynamodb.js") },
  { id: "lambda", title: "Lambda", service: "lambda", load: () => import("./lambda.js") },
  { id: "logs", title: "CloudWatch Logs", service: "logs", load: () => import("./logs.js") },
  { id: "cloudwatch", title: "CloudWatch metrics", service: "cloudwatch", load: () => import("./cloudwatch.js") },
  { id: "cloudtrail", title: "CloudTrail", service: "cloudtrail", load: () => import("./cloudtrail.js") },
  { id: "iam", title: "IAM", service: "iam", load: () => import("./iam.js") },
  { id: "events", title: "EventBridge", service: "events", load: () => import("./events.js") },
  { id: "cloudformation", title: "CloudFormation", service: "cloudformation", load: () => import("./cloudformation.js") },
  { id: "apigateway", title: "API Gateway", service: "apigateway", load: () => import("./apigateway.js") },
  { id: "kinesis", title: "Kinesis", service: "kinesis", load: () => import("./kinesis.js") },
  { id: "kms", title: "KMS", service: "kms", load: () => import("./kms.js") },
  { id: "secretsmanager", title: "Secrets Manager", service: "secretsmanager", load: () => import("./secretsmanager.js") },
  { id: "ssm", title: "Parameter Store", service: "ssm", load: () => import("./ssm.js") },
  { id: "xray", title: "X-Ray", service: "xray", load: () => import("./xray.js") },
  { id: "ec2", title: "EC2 and VPC", service: "ec2", load: () => import("./ec2.js") },
  { id: "rds", title: "RDS", service: "rds", load: () => import("./rds.js") },
  { id: "elasticache", title: "ElastiCache", service: "elasticache", load: () => import("./elasticache.js") },
  { id: "ecs", title: "ECS", service: "ecs", load: () => import("./ecs.js") },
  { id: "ecr", title: "ECR", service: "ecr", load: () => import("./ecr.js") },
  { id: "eks", title: "EKS", service: "eks", load: () => import("./eks.js") },
  { id: "route53", title: "Route 53", service: "route53", load: () => import("./route53.js") },
  { id: "acm", title: "Certificate Manager", service: "acm", load: () => import("./acm.js") },
  { id: "cloudfront", title: "CloudFront", service: "cloudfront", load: () => import("./cloudfront.js") },
  { id: "apigatewayv2", title: "API Gateway HTTP/WebSocket", service: "apigatewayv2", load: () => import("./apigatewayv2.js") },
  { id: "console", title: "API console", load: () => import("./console.js") },
];

/** Where an ARN is shown: `#/<page>/...`, or null when no page shows that kind of resource. */
export function pageForArn(arn) {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return null;
  const [, , service, , , ...rest] = parts;
  const resource = rest.join(":");
  const enc = encodeURIComponent;
  const routes = {
    s3: () => {
      const [bucket, ...key] = resource.split("/");
      return `#/s3/${enc(bucket)}${key.length ? `/${key.slice(0, -1).map(enc).join("/")}` : ""}`;
    },
    sqs: () => `#/sqs/${enc(resource)}`,
    sns: () => `#/sns/${enc(arn)}`,
    lambda: () => (resource.startsWith("function:") ? `#/lambda/${enc(resource.split(":")[1])}` : null),
    dynamodb: () => (resource.startsWith("table/") ? `#/dynamodb/${enc(resource.split("/")[1])}` : null),
    logs: () => (resource.startsWith("log-group:") ? `#/logs/${enc(resource.split(":")[1])}` : null),
    iam: () => {
      const [kind, ...path] = resource.split("/");
      return ["role", "user", "policy"].includes(kind) && path.length ? `#/iam/${kind}/${enc(kind === "policy" ? arn : path[path.length - 1])}` : null;
    },
    cloudformation: () => (resource.startsWith("stack/") ? `#/cloudformation/${enc(resource.split("/")[1])}` : null),
    events: () => (resource.startsWith("rule/") ? `#/events/rule/${enc(resource.split("/").slice(1).join("/"))}` : null),
    scheduler: () => (resource.startsWith("schedule/") ? `#/events/schedule/${enc(resource.split("/").slice(1).join("/"))}` : null),
    cloudwatch: () => (resource.startsWith("alarm:") ? `#/cloudwatch/alarm/${enc(resource.slice(6))}` : null),
    kinesis: () => (resource.startsWith("stream/") ? `#/kinesis/${enc(resource.split("/")[1])}` : null),
    kms: () => (resource.startsWith("key/") ? `#/kms/${enc(resource.split("/")[1])}` : null),
    ec2: () => {
      const [kind, id] = resource.split("/");
      return ["instance", "vpc", "subnet", "security-group"].includes(kind) && id ? `#/ec2/${enc(id)}` : null;
    },
    rds: () => (resource.startsWith("db:") ? `#/rds/${enc(resource.slice(3))}` : null),
    elasticache: () => (resource.startsWith("cluster:") ? `#/elasticache/${enc(resource.slice(8))}` : null),
    ecs: () => (resource.startsWith("cluster/") ? `#/ecs/${enc(resource.slice(8))}` : resource.startsWith("service/") || resource.startsWith("task/") ? `#/ecs/${enc(resource.split("/")[1])}` : null),
    ecr: () => (resource.startsWith("repository/") ? `#/ecr/${enc(resource.slice(11))}` : null),
    eks: () => (resource.startsWith("cluster/") ? `#/eks/${enc(resource.slice(8))}` : null),
    route53: () => (resource.startsWith("hostedzone/") ? `#/route53/${enc(resource.slice(11))}` : null),
    acm: () => (resource.startsWith("certificate/") ? `#/acm/${enc(arn)}` : null),
    cloudfront: () => (resource.startsWith("distribution/") ? `#/cloudfront/${enc(resource.slice(13))}` : null),
    apigateway: () => {
      const [, kind, id] = resource.split("/");
      if (kind === "apis" && id) return `#/apigatewayv2/${enc(id)}`;
      return kind === "restapis" && id ? `#/apigateway/${enc(id)}` : null;
    },
    secretsmanager: () => (resource.startsWith("secret:") ? `#/secretsmanager/${enc(resource.slice(7).replace(/-[A-Za-z0-9]{6}$/, ""))}` : null),
  };
  const make = routes[service];
  return make ? make() : null;
}
