output "web_acl_arn" {
  description = "ARN of the web ACL: `web_acl_id` of a CloudFront distribution (CLOUDFRONT scope) or `web_acl_arn` of an ALB association (REGIONAL)."
  value       = aws_wafv2_web_acl.this.arn
}

output "web_acl_id" {
  description = "ID of the web ACL."
  value       = aws_wafv2_web_acl.this.id
}

output "web_acl_name" {
  description = "Name of the web ACL (the `WebACL` dimension of its CloudWatch metrics)."
  value       = aws_wafv2_web_acl.this.name
}

output "scope" {
  description = "Scope of the web ACL: REGIONAL or CLOUDFRONT."
  value       = aws_wafv2_web_acl.this.scope
}

output "log_group_name" {
  description = "CloudWatch log group receiving the WAF request logs."
  value       = aws_cloudwatch_log_group.waf.name
}

output "log_group_arn" {
  description = "ARN of the WAF log group."
  value       = aws_cloudwatch_log_group.waf.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the WAF logs."
  value       = module.key.arn
}
