output "bucket_id" {
  description = "Name of the media bucket: the service's `MEDIA_BUCKET`."
  value       = module.media.id
}

output "bucket_arn" {
  description = "ARN of the media bucket."
  value       = module.media.arn
}

output "bucket_regional_domain_name" {
  description = "Regional domain name of the media bucket."
  value       = module.media.bucket_regional_domain_name
}

output "upload_origins" {
  description = "Origins the browser talks to for presigned POST uploads and GET downloads (global and regional endpoint): add them to the site's Content-Security-Policy `connect-src`."
  value = [
    "https://${module.media.id}.s3.amazonaws.com",
    "https://${module.media.id}.s3.${local.region}.amazonaws.com",
  ]
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the uploads (created here unless `kms_key_arn` was given)."
  value       = local.kms_key_arn
}

output "app_access_policy_json" {
  description = "IAM policy document for the chat service's instance role: get, put and delete objects in the media bucket and use its key through S3 only."
  value       = data.aws_iam_policy_document.app_access.json
}

output "access_log_bucket_id" {
  description = "Bucket receiving the media bucket's S3 server access logs."
  value       = local.log_bucket
}

output "cors_allowed_origins" {
  description = "Origins the bucket's CORS rule allows."
  value       = var.cors_allowed_origins
}
