data "aws_caller_identity" "current" {}

# The Elastic Load Balancing account of this region: regions opened before August 2022
# deliver access logs as that account, newer ones only as the log delivery service (and
# the provider knows no account for them).
data "aws_elb_service_account" "current" {
  count = var.legacy_elb_log_delivery ? 1 : 0
}

locals {
  account_id         = data.aws_caller_identity.current.account_id
  create_certificate = var.certificate_arn == null
  access_logs_prefix = "alb"
  # ALB writes <prefix>/AWSLogs/<account>/elasticloadbalancing/...
  access_logs_key_prefix = "${local.access_logs_prefix}/AWSLogs/${local.account_id}/"
  access_logs_objects    = "${module.access_logs.arn}/${local.access_logs_key_prefix}*"
}

# --- Certificate (only when no certificate_arn is given) ----------------------

resource "aws_acm_certificate" "this" {
  count = local.create_certificate ? 1 : 0

  domain_name               = var.domain_name
  subject_alternative_names = var.subject_alternative_names
  validation_method         = "DNS"
  key_algorithm             = "EC_prime256v1"

  tags = merge(var.tags, { Name = var.domain_name })

  lifecycle {
    create_before_destroy = true
  }
}

# Keyed by the names in the configuration (known at plan time); the record each name
# needs is only known once ACM has the request.
resource "aws_route53_record" "certificate_validation" {
  for_each = local.create_certificate ? toset(concat([var.domain_name], var.subject_alternative_names)) : toset([])

  zone_id         = var.route53_zone_id
  name            = local.validation_options[each.key].resource_record_name
  type            = local.validation_options[each.key].resource_record_type
  records         = [local.validation_options[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count = local.create_certificate ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for r in aws_route53_record.certificate_validation : r.fqdn]
}

locals {
  validation_options = local.create_certificate ? {
    for o in aws_acm_certificate.this[0].domain_validation_options : o.domain_name => o
  } : {}
  certificate_arn = local.create_certificate ? aws_acm_certificate_validation.this[0].certificate_arn : var.certificate_arn
}

# --- Access logs bucket -------------------------------------------------------

# The log target itself: no access logging of its own. ALB access log delivery accepts SSE-S3
# buckets only. Nothing reacts to new log objects; they are read on demand (Athena, downloads).
module "access_logs" {
  source = "../private-bucket"

  bucket_prefix           = "${var.name}-alb-logs-"
  force_destroy           = var.access_logs_force_destroy
  tags                    = merge(var.tags, { Name = "${var.name}-alb-logs" })
  sse_s3_for_log_delivery = "elb-access-logs"
  policy_documents        = data.aws_iam_policy_document.regional_elb_account[*].json
  log_delivery_grants = [{
    sid        = "LogDeliveryServiceWritesLogs"
    service    = "logdelivery.elasticloadbalancing.amazonaws.com"
    key_prefix = local.access_logs_key_prefix
  }]

  log_retention = { days = var.access_logs_retention_days, noncurrent_days = 7 }
}

# Regions opened before August 2022 also deliver as the region's Elastic Load Balancing account.
data "aws_iam_policy_document" "regional_elb_account" {
  count = var.legacy_elb_log_delivery ? 1 : 0

  statement {
    sid       = "RegionalElbAccountWritesLogs"
    actions   = ["s3:PutObject"]
    resources = [local.access_logs_objects]

    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current[0].arn]
    }
  }
}

# Addresses of the resources before modules/private-bucket: an existing deployment keeps its
# log bucket and its settings.
moved {
  from = aws_s3_bucket.access_logs
  to   = module.access_logs.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.access_logs
  to   = module.access_logs.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.access_logs
  to   = module.access_logs.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.access_logs
  to   = module.access_logs.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.access_logs
  to   = module.access_logs.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.access_logs
  to   = module.access_logs.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.access_logs
  to   = module.access_logs.aws_s3_bucket_policy.this
}

# --- Load balancer ------------------------------------------------------------

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_150:Deletion protection is the variable deletion_protection, true by default (asserted by tests/alb.tftest.hcl); dev turns it off so the stack can be torn down.
  #checkov:skip=CKV2_AWS_76:The Log4j rule lives in AWSManagedRulesKnownBadInputsRuleSet of the web ACL from the waf module, associated below; checkov cannot follow the ARN variable.
  name               = "${var.name}-alb"
  load_balancer_type = "application"
  # No public address: the only way in is CloudFront's VPC origin below, so nobody's own
  # distribution or scanner can skip the site's web ACL.
  internal        = true
  subnets         = var.subnet_ids
  security_groups = var.security_group_ids

  idle_timeout               = var.idle_timeout
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "defensive"
  enable_http2               = true
  enable_deletion_protection = var.deletion_protection
  # The service trusts exactly PROXY_HOPS=2 entries of X-Forwarded-For
  # (CloudFront + ALB): the ALB must append, never replace or remove.
  xff_header_processing_mode = "append"

  access_logs {
    bucket  = module.access_logs.id
    prefix  = local.access_logs_prefix
    enabled = true
  }

  tags = merge(var.tags, { Name = "${var.name}-alb" })

  # ALB refuses a log bucket whose policy does not admit it yet.
  depends_on = [module.access_logs]
}

resource "aws_lb_target_group" "app" {
  name                 = "${var.name}-app"
  vpc_id               = var.vpc_id
  target_type          = "instance"
  protocol             = "HTTP"
  protocol_version     = "HTTP1" # WebSocket upgrades ride on HTTP/1.1 to the targets
  port                 = var.app_port
  deregistration_delay = var.deregistration_delay

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = var.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  stickiness {
    enabled         = true
    type            = "lb_cookie"
    cookie_duration = var.stickiness_duration
  }

  tags = merge(var.tags, { Name = "${var.name}-app" })
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = local.certificate_arn

  routing_http_response_strict_transport_security_header_value = "max-age=31536000; includeSubDomains"
  routing_http_response_x_content_type_options_header_value    = "nosniff"
  routing_http_response_server_enabled                         = false

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }

  tags = var.tags
}

resource "aws_lb_listener" "http_redirect" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.associate_waf ? 1 : 0

  resource_arn = aws_lb.this.arn
  web_acl_arn  = var.waf_web_acl_arn
}

# --- CloudFront's way in: a VPC origin ------------------------------------------

# CloudFront reaches the internal ALB through elastic network interfaces it places in the
# ALB's subnets, over HTTPS (the ALB's certificate names the api. domain, which the site's
# distribution uses as the origin's host name).
resource "aws_cloudfront_vpc_origin" "api" {
  vpc_origin_endpoint_config {
    name                   = "${var.name}-alb"
    arn                    = aws_lb.this.arn
    http_port              = 80
    https_port             = 443
    origin_protocol_policy = "https-only"

    origin_ssl_protocols {
      items    = ["TLSv1.2"]
      quantity = 1
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-alb" })
}

# Those interfaces carry the security group CloudFront creates in the VPC with the first VPC
# origin; the ALB admits HTTPS from that group and from nothing else.
data "aws_security_group" "cloudfront_vpc_origins" {
  vpc_id = var.vpc_id

  filter {
    name   = "group-name"
    values = ["CloudFront-VPCOrigins-Service-SG"]
  }

  depends_on = [aws_cloudfront_vpc_origin.api]
}

resource "aws_vpc_security_group_ingress_rule" "from_cloudfront_vpc_origin" {
  security_group_id            = var.security_group_ids[0]
  description                  = "HTTPS from CloudFront's VPC origin interfaces"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = data.aws_security_group.cloudfront_vpc_origins.id

  tags = var.tags
}
