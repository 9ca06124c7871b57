# The rule set is data first (one map per direction, keyed by the flow's name) so
# that the tests can compare the complete set: an extra open port fails them.

locals {
  from_internet = var.alb_ingress_source == "internet"

  internet_https = local.from_internet ? {
    for i, cidr in var.alb_ingress_cidr_blocks : "internet_to_alb_https_${i}" => {
      security_group = "alb"
      description    = "HTTPS from ${cidr} to the ALB"
      port           = 443
      cidr_ipv4      = cidr
      prefix_list_id = null
      source_group   = null
    }
  } : {}

  internet_http = local.from_internet && var.enable_http_redirect ? {
    for i, cidr in var.alb_ingress_cidr_blocks : "internet_to_alb_http_redirect_${i}" => {
      security_group = "alb"
      description    = "HTTP from ${cidr} to the ALB, only redirected to HTTPS"
      port           = 80
      cidr_ipv4      = cidr
      prefix_list_id = null
      source_group   = null
    }
  } : {}

  # "vpc-origin": the ALB is internal and the alb module admits HTTPS from the security group
  # of CloudFront's VPC origin interfaces (it exists only once that origin does). Nothing here
  # admits CloudFront's shared origin-facing prefix list: every AWS customer's distributions
  # come from it.
  ingress_rules = merge(local.internet_https, local.internet_http, {
    alb_to_app = {
      security_group = "app"
      description    = "Requests and WebSockets from the ALB to the chat service"
      port           = var.app_port
      cidr_ipv4      = null
      prefix_list_id = null
      source_group   = "alb"
    }
    app_to_postgres = {
      security_group = "postgres"
      description    = "PostgreSQL from the chat service"
      port           = var.postgres_port
      cidr_ipv4      = null
      prefix_list_id = null
      source_group   = "app"
    }
    app_to_redis = {
      security_group = "redis"
      description    = "Redis (TLS) from the chat service"
      port           = var.redis_port
      cidr_ipv4      = null
      prefix_list_id = null
      source_group   = "app"
    }
  })

  # "endpoints" (staging, prod): the app's HTTPS reaches the interface endpoints (SSM, Secrets
  # Manager, CloudWatch) and S3 through its gateway endpoint (releases, media, the Amazon Linux
  # repositories), and nothing else: the app subnets have no route out of the VPC either.
  aws_https_through_endpoints = {
    app_to_aws_api_endpoints = {
      security_group = "app"
      description    = "Chat service to the VPC's interface endpoints (SSM, Secrets Manager, CloudWatch) over HTTPS"
      port           = 443
      cidr_ipv4      = null
      prefix_list_id = null
      target_group   = "endpoints"
    }
    app_to_s3_gateway_endpoint = {
      security_group = "app"
      description    = "Chat service to S3 through the gateway endpoint (releases, media, OS packages) over HTTPS"
      port           = 443
      cidr_ipv4      = null
      prefix_list_id = var.s3_prefix_list_id
      target_group   = null
    }
  }

  # "nat" (dev, which has no interface endpoints): SSM, Secrets Manager and CloudWatch are
  # reached through the NAT gateway, so the destination cannot be narrower than any address.
  aws_https_through_nat = {
    app_to_aws_apis_https = {
      security_group = "app"
      description    = "Chat service to AWS APIs and package repositories over HTTPS, through NAT"
      port           = 443
      cidr_ipv4      = "0.0.0.0/0"
      prefix_list_id = null
      target_group   = null
    }
  }

  egress_rules = merge(var.egress == "endpoints" ? local.aws_https_through_endpoints : local.aws_https_through_nat, {
    alb_to_app = {
      security_group = "alb"
      description    = "ALB forwards requests and health checks to the chat service"
      port           = var.app_port
      cidr_ipv4      = null
      prefix_list_id = null
      target_group   = "app"
    }
    app_to_postgres = {
      security_group = "app"
      description    = "Chat service to PostgreSQL"
      port           = var.postgres_port
      cidr_ipv4      = null
      prefix_list_id = null
      target_group   = "postgres"
    }
    app_to_redis = {
      security_group = "app"
      description    = "Chat service to Redis"
      port           = var.redis_port
      cidr_ipv4      = null
      prefix_list_id = null
      target_group   = "redis"
    }
  })

  # The groups a rule may name; "endpoints" is the network module's group of the interface endpoints.
  group_ids = merge({
    alb      = aws_security_group.alb.id
    app      = aws_security_group.app.id
    postgres = aws_security_group.postgres.id
    redis    = aws_security_group.redis.id
  }, var.endpoints_security_group_id == null ? {} : { endpoints = var.endpoints_security_group_id })
}

# No inline rules and no egress block: the AWS provider then removes the default
# allow-all egress rule, so each group allows exactly the rules below. Name prefixes
# let a replacement group be created before the old one is released.
resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:Attached by the alb module, which takes this group's ID as input; checkov scans each module alone.
  name_prefix = "${var.name}-alb-"
  description = "Chat ALB: HTTPS in, chat service out"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-alb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "app" {
  #checkov:skip=CKV2_AWS_5:Attached by the app-asg module, which takes this group's ID as input; checkov scans each module alone.
  name_prefix = "${var.name}-app-"
  description = "Chat service instances: from the ALB only; out to PostgreSQL, Redis and HTTPS"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-app" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "postgres" {
  #checkov:skip=CKV2_AWS_5:Attached by the postgres module, which takes this group's ID as input; checkov scans each module alone.
  name_prefix = "${var.name}-postgres-"
  description = "Chat PostgreSQL: from the chat service only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-postgres" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "redis" {
  #checkov:skip=CKV2_AWS_5:Attached by the redis module, which takes this group's ID as input; checkov scans each module alone.
  name_prefix = "${var.name}-redis-"
  description = "Chat Redis: from the chat service only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-redis" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "flow" {
  for_each = local.ingress_rules

  security_group_id            = local.group_ids[each.value.security_group]
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  cidr_ipv4                    = each.value.cidr_ipv4
  prefix_list_id               = each.value.prefix_list_id
  referenced_security_group_id = each.value.source_group == null ? null : local.group_ids[each.value.source_group]

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_vpc_security_group_egress_rule" "flow" {
  for_each = local.egress_rules

  security_group_id            = local.group_ids[each.value.security_group]
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  cidr_ipv4                    = each.value.cidr_ipv4
  prefix_list_id               = each.value.prefix_list_id
  referenced_security_group_id = each.value.target_group == null ? null : local.group_ids[each.value.target_group]

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}
