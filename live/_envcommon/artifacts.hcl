# artifacts: the bucket `make package` releases are uploaded to (releases/chat-<version>.tar.gz),
# read by the instances at boot.
locals {
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  operators = read_terragrunt_config(find_in_parent_folders("operators.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//artifacts"
}

inputs = {
  # Only the release pipeline may upload; docs/delivery.md.
  publisher_role_arns               = [local.operators.release_publisher_role_arn]
  noncurrent_version_retention_days = local.env.buckets.noncurrent_version_retention_days
  force_destroy                     = local.env.buckets.force_destroy
}
