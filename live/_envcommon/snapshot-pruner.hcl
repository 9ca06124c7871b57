# snapshot-pruner: the scheduled Lambda that deletes old manual RDS snapshots by a restic-like
# retention policy (tag `keep` on a snapshot to keep it forever); its failures alarm through the
# monitoring topic.
locals {
  account   = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//snapshot-pruner"

  # The function's package is built from lambdas/snapshot_pruner of this checkout before every command
  # that reads it: reproducible (scripts/build-lambdas.sh), so an unchanged source plans no change.
  before_hook "build_lambda_package" {
    commands = get_terraform_commands_that_need_vars()
    execute  = ["${local.repo_root}/scripts/build-lambdas.sh", "snapshot_pruner"]
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

  # Terragrunt copies only modules/ into its cache; the package is read from the checkout.
  package_file = "${local.repo_root}/dist/lambdas/snapshot_pruner.zip"
  # After the automated backups (02:00-03:00 UTC) and before the maintenance window.
  schedule_expression   = "cron(30 3 * * ? *)"
  max_deletions_per_run = 50
  dry_run               = false

  log_retention_days = local.env.ops_lambdas.log_retention_days
}
