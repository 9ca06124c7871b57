# artifacts: the bucket `make package` releases are uploaded to (releases/chat-<version>.tar.gz),
# read by the instances at boot.
locals {
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//artifacts"
}

prevent_destroy = local.env.prevent_destroy

# Access logs go to the media bucket's log bucket, which admits this bucket's prefix.
dependency "media_bucket" {
  config_path = "${get_terragrunt_dir()}/../media-bucket"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    access_log_bucket_id = "chat-mock-media-logs-123456789012-us-west-2"
  }
}

inputs = {
  # Releases are uploaded with the environment's deploy role, from inside the account, so no
  # cross-account publisher is granted (docs/delivery.md).
  publisher_role_arns               = []
  noncurrent_version_retention_days = local.env.buckets.noncurrent_version_retention_days
  force_destroy                     = local.env.buckets.force_destroy
  access_log_bucket                 = dependency.media_bucket.outputs.access_log_bucket_id
}
