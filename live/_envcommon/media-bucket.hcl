# media-bucket: private, KMS-encrypted uploads (presigned POST from the browser, presigned GET
# for room members), CORS limited to the site's origin.
locals {
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//media-bucket"
}

prevent_destroy = local.env.prevent_destroy

inputs = {
  cors_allowed_origins               = ["https://${local.env.domain}"]
  noncurrent_version_expiration_days = local.env.buckets.noncurrent_version_retention_days
  access_log_retention_days          = local.env.buckets.access_log_retention_days
  force_destroy                      = local.env.buckets.force_destroy
  # The artifacts bucket (chat-<env>-artifacts-...) logs its requests here too.
  log_source_bucket_prefixes = ["chat-${local.env.env}-artifacts-"]
}
