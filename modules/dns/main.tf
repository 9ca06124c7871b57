locals {
  tags = merge(var.tags, { Name = var.name })
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

# No record for the API: the ALB is internal and CloudFront reaches it through its VPC origin
# (alb module), so no public name leads anywhere but the site's distribution and its web ACL.

# ---------------------------------------------------------------------------
# Health checks on the service's /healthz
# ---------------------------------------------------------------------------

# What a user goes through: DNS, CloudFront, WAF, the VPC origin, the ALB, an app instance. It
# needs no opening in the ALB's security group, which admits CloudFront's VPC origin only.
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
