output "alb_arn" {
  description = "ARN of the ALB."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the ALB, the LoadBalancer dimension of its CloudWatch metrics (monitoring module)."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the ALB: the origin of CloudFront's /api/* and /socket.io/* behaviours, and the alias target of the API record."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Hosted zone ID of the ALB, for Route53 alias records (dns module)."
  value       = aws_lb.this.zone_id
}

output "target_group_arn" {
  description = "Target group of the chat service (app-asg module input target_group_arns)."
  value       = aws_lb_target_group.app.arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group, the TargetGroup dimension of its metrics and half of the request-count scaling label."
  value       = aws_lb_target_group.app.arn_suffix
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener (for extra listener rules)."
  value       = aws_lb_listener.https.arn
}

output "certificate_arn" {
  description = "Certificate the HTTPS listener serves."
  value       = local.certificate_arn
}

output "access_logs_bucket" {
  description = "Name of the access-log bucket."
  value       = module.access_logs.id
}

output "access_logs_bucket_arn" {
  description = "ARN of the access-log bucket."
  value       = module.access_logs.arn
}

output "vpc_origin_id" {
  description = "CloudFront VPC origin of the internal ALB (static-site module input api_vpc_origin_id)."
  value       = aws_cloudfront_vpc_origin.api.id
}
