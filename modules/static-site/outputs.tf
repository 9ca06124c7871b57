output "distribution_id" {
  description = "ID of the CloudFront distribution (for invalidations after a web client deployment)."
  value       = aws_cloudfront_distribution.site.id
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution."
  value       = aws_cloudfront_distribution.site.arn
}

output "distribution_domain_name" {
  description = "Domain name of the distribution (`dxxxx.cloudfront.net`): the alias target of the site record."
  value       = aws_cloudfront_distribution.site.domain_name
}

output "distribution_hosted_zone_id" {
  description = "Route 53 zone id of CloudFront aliases (Z2FDTNDATAQYW2)."
  value       = aws_cloudfront_distribution.site.hosted_zone_id
}

output "site_origin" {
  description = "The site's origin, `https://<domain_name>`: the media bucket's CORS origin and the service's `CORS_ORIGINS`."
  value       = local.site_origin
}

output "site_bucket_id" {
  description = "Bucket the web client build (`app/web/dist`) is uploaded to."
  value       = module.site.id
}

output "site_bucket_arn" {
  description = "ARN of the web client bucket."
  value       = module.site.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the web client and log buckets (a deployer needs kms:GenerateDataKey on it)."
  value       = module.key.arn
}

output "log_bucket_id" {
  description = "Bucket receiving CloudFront's access logs under `cloudfront/`."
  value       = module.logs.id
}

output "certificate_arn" {
  description = "ARN of the us-east-1 ACM certificate the distribution serves."
  value       = local.certificate_arn
}

output "deploy_policy_json" {
  description = "IAM policy document for the role that publishes the web client: write the bucket through its key and invalidate the distribution."
  value       = data.aws_iam_policy_document.deploy.json
}
