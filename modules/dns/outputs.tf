output "site_fqdn" {
  description = "Name of the web client."
  value       = var.site_domain_name
}

output "api_fqdn" {
  description = "Name of the API (CloudFront's API origin)."
  value       = var.api_domain_name
}

output "service_health_check_id" {
  description = "Route 53 health check of `https://<site>/healthz` through CloudFront and the ALB; its `HealthCheckStatus` metric is published in us-east-1."
  value       = aws_route53_health_check.service.id
}

output "api_primary_health_check_id" {
  description = "Route 53 health check of the primary ALB's /healthz (null without failover)."
  value       = local.failover ? aws_route53_health_check.api_primary[0].id : null
}

output "api_secondary_health_check_id" {
  description = "Route 53 health check of the standby ALB's /healthz (null without failover)."
  value       = local.failover ? aws_route53_health_check.api_secondary[0].id : null
}
