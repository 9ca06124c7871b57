locals {
  failover         = var.failover != null
  api_record_types = var.alb_ipv6 ? toset(["A", "AAAA"]) : toset(["A"])
  tags             = merge(var.tags, { Name = var.name })
}

# ---------------------------------------------------------------------------
# Site: alias to CloudFront (A and AAAA; the distribution is dual-stack)
# ---------------------------------------------------------------------------
resource "aws_route53_record" "site" {
  for_each = toset(["A", "AAAA"])

  zone_id = var.hosted_zone_id
  name    = var.site_domain_name
  type    = each.key

  alias {
    name    = var.cloudfront_domain_name
    zone_id = var.cloudfront_hosted_zone_id
    # CloudFront alias targets cannot evaluate target health.
    evaluate_target_health = false
  }
}

# ---------------------------------------------------------------------------
# API: alias to the ALB, simple or failover
# ---------------------------------------------------------------------------
resource "aws_route53_record" "api" {
  for_each = local.failover ? toset([]) : local.api_record_types

  zone_id = var.hosted_zone_id
  name    = var.api_domain_name
  type    = each.key

  alias {
    name                   = var.alb_dns_name
    zone_id                = var.alb_zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "api_primary" {
  for_each = local.failover ? local.api_record_types : toset([])

  zone_id         = var.hosted_zone_id
  name            = var.api_domain_name
  type            = each.key
  set_identifier  = "${var.name}-primary"
  health_check_id = aws_route53_health_check.api_primary[0].id

  failover_routing_policy {
    type = "PRIMARY"
  }

  alias {
    name                   = var.alb_dns_name
    zone_id                = var.alb_zone_id
    evaluate_target_health = true
  }
}

resource "aws_route53_record" "api_secondary" {
  for_each = local.failover ? local.api_record_types : toset([])

  zone_id         = var.hosted_zone_id
  name            = var.api_domain_name
  type            = each.key
  set_identifier  = "${var.name}-secondary"
  health_check_id = aws_route53_health_check.api_secondary[0].id

  failover_routing_policy {
    type = "SECONDARY"
  }

  alias {
    name                   = var.failover.alb_dns_name
    zone_id                = var.failover.alb_zone_id
    evaluate_target_health = true
  }
}

# ---------------------------------------------------------------------------
# Health checks on the service's /healthz
# ---------------------------------------------------------------------------

# What a user goes through: DNS, CloudFront, WAF, the ALB, an app instance. It needs no opening
# in the ALB's security group, which may admit CloudFront only.
resource "aws_route53_health_check" "service" {
  type              = "HTTPS"
  fqdn              = var.site_domain_name
  port              = 443
  resource_path     = var.health_check_path
  request_interval  = var.health_check_interval_seconds
  failure_threshold = var.health_check_failure_threshold
  regions           = length(var.health_check_regions) > 0 ? var.health_check_regions : null
  enable_sni        = true
  measure_latency   = true
  tags              = merge(local.tags, { Name = "${var.name}-service" })
}

# Failover decides between two ALBs, so each is checked on its own name (checking the API name
# would follow the failover). HTTPS health checks do not validate certificates, and the ALBs'
# security groups must admit the Route 53 health checkers on 443.
resource "aws_route53_health_check" "api_primary" {
  count = local.failover ? 1 : 0

  type              = "HTTPS"
  fqdn              = var.alb_dns_name
  port              = 443
  resource_path     = var.health_check_path
  request_interval  = var.health_check_interval_seconds
  failure_threshold = var.health_check_failure_threshold
  regions           = length(var.health_check_regions) > 0 ? var.health_check_regions : null
  enable_sni        = true
  measure_latency   = true
  tags              = merge(local.tags, { Name = "${var.name}-api-primary" })
}

resource "aws_route53_health_check" "api_secondary" {
  count = local.failover ? 1 : 0

  type              = "HTTPS"
  fqdn              = var.failover.alb_dns_name
  port              = 443
  resource_path     = var.health_check_path
  request_interval  = var.health_check_interval_seconds
  failure_threshold = var.health_check_failure_threshold
  regions           = length(var.health_check_regions) > 0 ? var.health_check_regions : null
  enable_sni        = true
  measure_latency   = true
  tags              = merge(local.tags, { Name = "${var.name}-api-secondary" })
}
