data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  az_count = length(var.availability_zones)
  prefix   = tonumber(split("/", var.cidr_block)[1])

  # Subnet plan (for a /16): public 10.0.0-2.0/24, app 10.0.16.0/20 .. 10.0.48.0/20,
  # database 10.0.240-242.0/24. The three families never overlap for /16-/18.
  public_cidrs   = [for i in range(local.az_count) : cidrsubnet(var.cidr_block, 8, i)]
  private_cidrs  = [for i in range(local.az_count) : cidrsubnet(var.cidr_block, 4, i + 1)]
  database_cidrs = [for i in range(local.az_count) : cidrsubnet(var.cidr_block, 8, 240 + i)]

  # "endpoints": no NAT gateway, no default route; "nat": one per AZ, or one for all.
  nat_count = var.egress == "nat" ? (var.single_nat_gateway ? 1 : local.az_count) : 0

  # What the instances call through each interface endpoint, and nothing more: the actions of the
  # app-asg instance role (modules/app-asg/main.tf) and of the agents it runs, service by service.
  # A new AWS call on the instances needs its action here as well as in that role. Not here:
  # kms (SSM, Secrets Manager and S3 decrypt on the instances' behalf, kms:ViaService), sts (the
  # instance profile's credentials come from the instance metadata service), rds-db and
  # elasticache (IAM authentication tokens are signed on the instance, no API call).
  interface_endpoint_actions = {
    ssm = [
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:GetParametersByPath",
      "ssm:UpdateInstanceInformation",
    ]
    ssmmessages = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    ec2messages = [
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ]
    secretsmanager = [
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
    ]
    logs = [
      "logs:CreateLogStream",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]
    monitoring = ["cloudwatch:PutMetricData"]
  }

  interface_endpoint_services = var.enable_interface_endpoints ? toset(keys(local.interface_endpoint_actions)) : toset([])

  # The AWS-owned bucket the instances read through the S3 gateway endpoint: the Amazon Linux 2023
  # package repositories (the AMI's dnf mirror list names al2023-repos-<region>-de612dc2), for the
  # packages the boot installs (python3.11, amazon-cloudwatch-agent, logrotate, nginx). Requests to
  # it are unsigned, so no principal condition applies. Nothing else AWS-owned is read: the SSM
  # agent comes with the AMI and no Run Command, patching or agent update is used (their buckets,
  # aws-ssm-<region>, amazon-ssm-<region>, ..., stay closed); the CloudWatch agent comes from the
  # same repositories, not from its own bucket.
  aws_owned_s3_objects = ["arn:${local.partition}:s3:::al2023-repos-${local.region}-de612dc2/*"]

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true # interface endpoints' private DNS names need it

  tags = merge(var.tags, { Name = var.name })
}

# Nothing may use the default security group. Adopting it without ingress or egress
# arguments makes the provider remove every rule it has.
resource "aws_default_security_group" "closed" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-default-closed" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  count = local.az_count

  vpc_id                  = aws_vpc.this.id
  availability_zone       = var.availability_zones[count.index]
  cidr_block              = local.public_cidrs[count.index]
  map_public_ip_on_launch = false # only the ALB and the NAT gateways live here, with their own addresses

  tags = merge(var.tags, { Name = "${var.name}-public-${var.availability_zones[count.index]}", Tier = "public" })
}

resource "aws_subnet" "private" {
  count = local.az_count

  vpc_id                  = aws_vpc.this.id
  availability_zone       = var.availability_zones[count.index]
  cidr_block              = local.private_cidrs[count.index]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-app-${var.availability_zones[count.index]}", Tier = "app" })
}

resource "aws_subnet" "database" {
  count = local.az_count

  vpc_id                  = aws_vpc.this.id
  availability_zone       = var.availability_zones[count.index]
  cidr_block              = local.database_cidrs[count.index]
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-db-${var.availability_zones[count.index]}", Tier = "database" })
}

resource "aws_eip" "nat" {
  count = local.nat_count

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${var.availability_zones[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = local.nat_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = merge(var.tags, { Name = "${var.name}-nat-${var.availability_zones[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = local.az_count

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# One route table per AZ even with a single NAT gateway, so switching
# single_nat_gateway off later only changes routes, never subnet associations.
resource "aws_route_table" "private" {
  count = local.az_count

  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-app-${var.availability_zones[count.index]}" })
}

# Only with egress = "nat": with "endpoints" the app route tables have the VPC's local route and
# the S3 gateway endpoint's prefix list, nothing else.
resource "aws_route" "private_nat" {
  count = local.nat_count > 0 ? local.az_count : 0

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.single_nat_gateway ? 0 : count.index].id
}

resource "aws_route_table_association" "private" {
  count = local.az_count

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# Database subnets have no route out of the VPC at all.
resource "aws_route_table" "database" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-db" })
}

resource "aws_route_table_association" "database" {
  count = local.az_count

  subnet_id      = aws_subnet.database[count.index].id
  route_table_id = aws_route_table.database.id
}

# --- Endpoints ---------------------------------------------------------------

# Every endpoint's policy lets through only requests by this account's principals to this
# account's resources (aws:PrincipalAccount, aws:ResourceAccount), for the actions the instances
# use: stolen or foreign credentials cannot carry data out through them to another account's
# bucket or secret. An endpoint policy grants nothing; the instance role still decides.
data "aws_iam_policy_document" "s3_endpoint" {
  #checkov:skip=CKV_AWS_283:Only the AmazonLinuxRepositories statement names no principal: dnf reads the AWS-owned Amazon Linux repository bucket with unsigned requests, so no principal exists to name; it allows s3:GetObject on that one bucket only. The statement for the account's own buckets requires aws:PrincipalAccount.
  statement {
    sid       = "OwnAccountObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:${local.partition}:s3:::*/*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "AmazonLinuxRepositories"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = local.aws_owned_s3_objects

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}

# The gateway endpoint costs nothing, so it is always there: release downloads, media and the
# Amazon Linux repositories never need NAT.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id
  policy            = data.aws_iam_policy_document.s3_endpoint.json

  tags = merge(var.tags, { Name = "${var.name}-s3" })
}

data "aws_iam_policy_document" "interface_endpoint" {
  #checkov:skip=CKV_AWS_356:An endpoint policy is a boundary, not a grant: "*" here is narrowed by aws:ResourceAccount to this account's resources (and ssmmessages, ec2messages and cloudwatch:PutMetricData have no resource ARN to name); the instance role names each resource.
  #checkov:skip=CKV_AWS_111:As above: the writes allowed through the endpoint are limited to this account's principals and resources by condition; the instance role names each resource.
  for_each = local.interface_endpoint_services

  statement {
    sid       = "OwnAccountOnly"
    effect    = "Allow"
    actions   = local.interface_endpoint_actions[each.key]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_security_group" "endpoints" {
  count = var.enable_interface_endpoints ? 1 : 0

  name        = "${var.name}-endpoints"
  description = "Interface endpoints: HTTPS from the app subnets only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name}-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "app_subnets_to_endpoints" {
  for_each = var.enable_interface_endpoints ? toset(local.private_cidrs) : toset([])

  security_group_id = aws_security_group.endpoints[0].id
  description       = "HTTPS to the AWS API endpoints from app subnet ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value

  tags = var.tags
}

resource "aws_vpc_endpoint" "interface" {
  for_each = local.interface_endpoint_services

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${local.region}.${each.value}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints[0].id]
  policy              = data.aws_iam_policy_document.interface_endpoint[each.key].json

  tags = merge(var.tags, { Name = "${var.name}-${each.value}" })
}

# --- Database subnets' network ACL ---------------------------------------------

# A second wall behind the security groups, and the only one that holds if a group is opened by
# mistake: the database subnets exchange PostgreSQL and Redis with the app subnets and nothing
# else. NACLs are stateless, so each flow is written both ways: the port in, the client's
# ephemeral ports (1024-65535) back out. Between the database subnets: Redis (replicas sync from
# the primary over the Redis port) and the ephemeral range both ways for its replies (a range
# that contains the PostgreSQL port, among database nodes only); an RDS Multi-AZ instance
# replicates below the VPC and needs no rule of its own. Anything not listed meets the ACL's
# closing deny-all rule.
locals {
  database_ports = { postgres = var.postgres_port, redis = var.redis_port }

  database_nacl_rules = merge(
    # in: the database ports from each app subnet (rules 100, 101, 110, 111, 120, 121)
    merge([
      for i, cidr in local.private_cidrs : {
        for j, name in keys(local.database_ports) : "app_${i}_to_${name}" => {
          egress    = false, rule_number = 100 + 10 * i + j, cidr = cidr
          from_port = local.database_ports[name], to_port = local.database_ports[name]
        }
      }
    ]...),
    {
      # out: replies to the app subnets' ephemeral ports (rules 100-102)
      for i, cidr in local.private_cidrs : "replies_to_app_${i}" => {
        egress = true, rule_number = 100 + i, cidr = cidr, from_port = 1024, to_port = 65535
      }
    },
    {
      # in and out: Redis between the database subnets, and its replies (rules 200-202, 300-302)
      for i, cidr in local.database_cidrs : "database_${i}_to_redis" => {
        egress = false, rule_number = 200 + i, cidr = cidr, from_port = var.redis_port, to_port = var.redis_port
      }
    },
    {
      for i, cidr in local.database_cidrs : "redis_to_database_${i}" => {
        egress = true, rule_number = 200 + i, cidr = cidr, from_port = var.redis_port, to_port = var.redis_port
      }
    },
    {
      for i, cidr in local.database_cidrs : "replies_from_database_${i}" => {
        egress = false, rule_number = 300 + i, cidr = cidr, from_port = 1024, to_port = 65535
      }
    },
    {
      for i, cidr in local.database_cidrs : "replies_to_database_${i}" => {
        egress = true, rule_number = 300 + i, cidr = cidr, from_port = 1024, to_port = 65535
      }
    },
  )
}

resource "aws_network_acl" "database" {
  vpc_id     = aws_vpc.this.id
  subnet_ids = aws_subnet.database[*].id

  tags = merge(var.tags, { Name = "${var.name}-db" })
}

resource "aws_network_acl_rule" "database" {
  for_each = local.database_nacl_rules

  network_acl_id = aws_network_acl.database.id
  egress         = each.value.egress
  rule_number    = each.value.rule_number
  rule_action    = "allow"
  protocol       = "tcp"
  cidr_block     = each.value.cidr
  from_port      = each.value.from_port
  to_port        = each.value.to_port
}

# --- Flow logs ---------------------------------------------------------------

module "key" {
  source = "../kms-key"

  alias          = "${var.name}/vpc-flow-logs"
  description    = "${var.name}: VPC flow logs"
  log_group_arns = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/${var.name}/vpc-flow-logs"]
  tags           = var.tags
}

moved {
  from = aws_kms_key.flow_logs
  to   = module.key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.flow_logs
  to   = module.key.aws_kms_alias.this
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_338:Retention is the variable flow_log_retention_days, whose default (365 days) passes this check and is asserted by the module tests; an environment may keep logs for less to save cost.
  name              = "/${var.name}/vpc-flow-logs"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = module.key.arn

  tags = var.tags
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name                 = "${var.name}-vpc-flow-logs"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy   = data.aws_iam_policy_document.flow_logs_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "flow_logs_write" {
  statement {
    sid = "WriteFlowLogsToItsGroup"
    actions = [
      "logs:CreateLogStream",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.flow_logs.arn,
      "${aws_cloudwatch_log_group.flow_logs.arn}:log-stream:*",
    ]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs_write.json
}

resource "aws_flow_log" "vpc" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = var.flow_log_traffic_type
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = 60

  tags = merge(var.tags, { Name = "${var.name}-vpc" })
}
