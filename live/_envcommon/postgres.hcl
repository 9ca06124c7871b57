# postgres: the RDS PostgreSQL instance (password managed by RDS in Secrets Manager, TLS forced),
# sized and protected per env.hcl.
locals {
  account   = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//postgres"
}

prevent_destroy = local.env.prevent_destroy

dependency "network" {
  config_path = "${get_terragrunt_dir()}/../network"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    database_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2", "subnet-0aaaaaaaaaaaaaaa3"]
  }
}

dependency "security_groups" {
  config_path = "${get_terragrunt_dir()}/../security-groups"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    postgres_security_group_id = "sg-0ccccccccccccccc3"
  }
}

inputs = {
  # The workload boundary from bootstrap/deploy-role.yaml: the deploy role creates no role without it.
  permissions_boundary_arn = "arn:aws:iam::${local.account.account_id}:policy/chat-workload-boundary"

  database_subnet_ids = dependency.network.outputs.database_subnet_ids
  security_group_ids  = [dependency.security_groups.outputs.postgres_security_group_id]

  engine_version  = "17"
  database_name   = "chat"
  master_username = "chat"

  instance_class        = local.env.postgres.instance_class
  allocated_storage     = local.env.postgres.allocated_storage
  max_allocated_storage = local.env.postgres.max_allocated_storage
  multi_az              = local.env.postgres.multi_az
  backup_retention_days = local.env.postgres.backup_retention_days
  deletion_protection   = local.env.postgres.deletion_protection
  skip_final_snapshot   = local.env.postgres.skip_final_snapshot
  log_retention_days    = local.env.postgres.log_retention_days
  apply_immediately     = local.env.postgres.apply_immediately

  performance_insights_retention_days = 7
  monitoring_interval                 = 60
  log_min_duration_statement_ms       = 500
  # Backups before maintenance, both in the quietest UTC hours; Redis snapshots follow.
  backup_window      = "02:00-03:00"
  maintenance_window = "sun:03:30-sun:04:30"
}
