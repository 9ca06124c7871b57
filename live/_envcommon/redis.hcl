# redis: the ElastiCache replication group (cluster mode off, TLS + AUTH from Secrets Manager)
# carrying the Socket.IO message queue, sessions, rate limits and presence.
locals {
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//redis"
}

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
    redis_security_group_id = "sg-0ccccccccccccccc4"
  }
}

inputs = {
  subnet_ids         = dependency.network.outputs.database_subnet_ids
  security_group_ids = [dependency.security_groups.outputs.redis_security_group_id]

  engine           = "redis"
  engine_version   = "7.1"
  maxmemory_policy = "volatile-lru"

  # The service's SOCKETIO_CHANNEL (app-asg socketio_channel): the only keys and channels its
  # ElastiCache user may touch.
  key_prefix = "chat"

  node_type               = local.env.redis.node_type
  num_cache_clusters      = local.env.redis.num_cache_clusters
  automatic_failover      = local.env.redis.automatic_failover
  multi_az                = local.env.redis.multi_az
  snapshot_retention_days = local.env.redis.snapshot_retention_days
  log_retention_days      = local.env.redis.log_retention_days
  apply_immediately       = local.env.redis.apply_immediately

  snapshot_window    = "03:00-04:00"
  maintenance_window = "sun:05:00-sun:06:00"

  # Rotation (docs/runbook.md): bump auth_token_version with ROTATE, restart the fleet, then
  # apply again with SET.
  auth_token_version         = 1
  auth_token_update_strategy = "ROTATE"
}
