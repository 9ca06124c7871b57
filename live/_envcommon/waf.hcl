# waf: AWS managed rule groups (common, known bad inputs, IP reputation, anonymous IP) plus a
# rate-based rule. Deployed twice per environment: REGIONAL in the primary region for the ALB,
# CLOUDFRONT in _global (us-east-1) for the distribution; each unit names its scope and how
# the rate-based rule tells clients apart there.
locals {
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//waf"
}

inputs = {
  rate_limit                = local.env.waf.rate_limit
  rate_limit_window_seconds = 300
  log_retention_days        = local.env.waf.log_retention_days
}
