# alarm-router: the Lambda that takes every alarm of the environment (the monitoring topic and
# EventBridge alarm state changes) to the on-call receivers: the email topic, Slack, PagerDuty.
locals {
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  account   = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//alarm-router"

  # The function's package is built from lambdas/alarm_router of this checkout before every command
  # that reads it: reproducible (scripts/build-lambdas.sh), so an unchanged source plans no change.
  before_hook "build_lambda_package" {
    commands = get_terraform_commands_that_need_vars()
    execute  = ["${local.repo_root}/scripts/build-lambdas.sh", "alarm_router"]
  }
}

dependency "monitoring" {
  config_path = "${get_terragrunt_dir()}/../monitoring"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    alarm_topic_arn = "arn:aws:sns:us-west-2:123456789012:chat-mock-alarms"
  }
}

inputs = {
  # The workload boundary from bootstrap/deploy-role.yaml: the deploy role creates no role without it.
  permissions_boundary_arn = "arn:aws:iam::${local.account.account_id}:policy/chat-workload-boundary"

  environment     = local.env.env
  alarm_topic_arn = dependency.monitoring.outputs.alarm_topic_arn

  enable_eventbridge = true
  # Terragrunt copies only modules/ into its cache; the package is read from the checkout.
  package_file     = "${local.repo_root}/dist/lambdas/alarm_router.zip"
  email_addresses  = local.account.alarm_email_addresses
  receiver_secrets = ["slack", "pagerduty", "webhook"]

  log_retention_days  = local.env.ops_lambdas.log_retention_days
  deletion_protection = local.env.ops_lambdas.deletion_protection
}
