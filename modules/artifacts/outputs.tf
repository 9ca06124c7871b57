output "bucket_name" {
  description = "Name of the artifacts bucket (app-asg module input artifacts_bucket_name)."
  value       = module.artifacts.id
}

output "bucket_arn" {
  description = "ARN of the artifacts bucket (app-asg module input artifacts_bucket_arn)."
  value       = module.artifacts.arn
}

output "kms_key_arn" {
  description = "KMS key encrypting the releases; readers need kms:Decrypt on it (app-asg module input artifacts_kms_key_arn)."
  value       = module.key.arn
}

output "releases_prefix" {
  description = "Key prefix of the release tarballs: releases/chat-<version>.tar.gz."
  value       = "releases/"
}

output "read_releases_policy_json" {
  description = "IAM policy document granting read access to the releases (GetObject + kms:Decrypt), for roles outside app-asg."
  value       = data.aws_iam_policy_document.read_releases.json
}

output "publish_releases_policy_json" {
  description = "IAM policy document for the CI role that uploads releases (PutObject under releases/ + kms:GenerateDataKey)."
  value       = data.aws_iam_policy_document.publish_releases.json
}
