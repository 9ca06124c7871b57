output "id" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "bucket_domain_name" {
  description = "Global domain name of the bucket (`<name>.s3.amazonaws.com`), known once the ACL grants of `log_delivery_acl_grantees` are in place: the target of CloudFront standard logging."
  value       = aws_s3_bucket.this.bucket_domain_name

  depends_on = [aws_s3_bucket_acl.this]
}

output "bucket_regional_domain_name" {
  description = "Regional domain name of the bucket: a CloudFront S3 origin."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}

output "force_destroy" {
  description = "Whether `terraform destroy` may delete the bucket with its objects."
  value       = aws_s3_bucket.this.force_destroy
}

output "public_access_blocked" {
  description = "Whether all four public access blocks are on (always true; for the calling modules' tests)."
  value = alltrue([
    aws_s3_bucket_public_access_block.this.block_public_acls,
    aws_s3_bucket_public_access_block.this.block_public_policy,
    aws_s3_bucket_public_access_block.this.ignore_public_acls,
    aws_s3_bucket_public_access_block.this.restrict_public_buckets,
  ])
}

output "object_ownership" {
  description = "Object Ownership of the bucket: BucketOwnerEnforced (ACLs disabled) or, with log delivery ACL grantees, BucketOwnerPreferred."
  value       = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership
}

output "versioning_status" {
  description = "Versioning status (always Enabled)."
  value       = aws_s3_bucket_versioning.this.versioning_configuration[0].status
}

output "sse_algorithm" {
  description = "Default encryption: aws:kms, or AES256 (SSE-S3) for a log delivery that refuses KMS."
  value       = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm
}

output "kms_key_arn" {
  description = "KMS key of the default encryption (null with SSE-S3)."
  value       = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].kms_master_key_id
}

output "lifecycle_rules" {
  description = "The lifecycle configuration's rules as planned (id, filter, expiration, noncurrent_version_expiration, abort_incomplete_multipart_upload)."
  value       = aws_s3_bucket_lifecycle_configuration.this.rule
}

output "object_lock_default_retention" {
  description = "Object Lock default retention (mode, days), or null without Object Lock."
  value       = var.object_lock == null ? null : aws_s3_bucket_object_lock_configuration.this[0].rule[0].default_retention[0]
}

output "access_log_target" {
  description = "Where the S3 server access logs go (target_bucket, target_prefix), or null without access logging."
  value = var.access_logging == null ? null : {
    target_bucket = aws_s3_bucket_logging.this[0].target_bucket
    target_prefix = aws_s3_bucket_logging.this[0].target_prefix
  }
}

output "policy_statements" {
  description = "The statements the module itself puts in the bucket policy (sid, effect, actions, resources, condition), as given to aws_iam_policy_document: what the calling modules' tests check."
  value       = data.aws_iam_policy_document.this.statement
}

output "policy_json" {
  description = "The bucket policy: the module's denies merged with `policy_documents`."
  value       = data.aws_iam_policy_document.this.json
}
