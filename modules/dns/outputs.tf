output "site_fqdn" {
  description = "Name of the web client."
  value       = var.site_domain_name
}

output "service_health_check_id" {
  description = "Route 53 health check of `https://<site>/healthz` through CloudFront, its VPC origin and the ALB; its `HealthCheckStatus` metric is published in us-east-1."
  value       = aws_route53_health_check.service.id
}
