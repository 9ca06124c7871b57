output "site_fqdn" {
  description = "Name of the web client."
  value       = var.site_domain_name
}

output "api_fqdn" {
  description = "Name of the API (CloudFront's API origin)."
  value       = var.api_domain_name
}

output "api_health_check_id" {
  description = "Route 53 health check of the (primary) API's /healthz; its `HealthCheckStatus` metric is published in us-east-1."
  value       = aws_route53_health_check.api.id
}

output "api_secondary_health_check_id" {
  description = "Route 53 health check of the standby API (null without failover)."
  value       = local.failover ? aws_route53_health_check.api_secondary[0].id : null
}

output "site_health_check_id" {
  description = "Route 53 health check of the site (null when disabled)."
  value       = var.enable_site_health_check ? aws_route53_health_check.site[0].id : null
}
