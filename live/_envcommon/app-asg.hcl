# app-asg: the chat service's instances (launch template with IMDSv2, Auto Scaling group in the
# app subnets, request-count and connection scaling, rolling instance refresh). The instances
# install releases/chat-<app_version>.tar.gz (`make package`) from the artifacts bucket and read
# their settings from SSM and Secrets Manager at boot. docs/delivery.md: changing `app.version` in
# env.hcl and applying this unit is a deployment.
locals {
  account   = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//app-asg"
}

dependency "network" {
  config_path = "${get_terragrunt_dir()}/../network"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    private_subnet_ids = ["subnet-0ddddddddddddddd1", "subnet-0ddddddddddddddd2", "subnet-0ddddddddddddddd3"]
  }
}

dependency "security_groups" {
  config_path = "${get_terragrunt_dir()}/../security-groups"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    app_security_group_id = "sg-0ccccccccccccccc2"
  }
}

dependency "alb" {
  config_path = "${get_terragrunt_dir()}/../alb"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    target_group_arn        = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/chat-mock-app/0123456789abcdef"
    alb_arn_suffix          = "app/chat-mock/0123456789abcdef"
    target_group_arn_suffix = "targetgroup/chat-mock-app/0123456789abcdef"
  }
}

dependency "artifacts" {
  config_path = "${get_terragrunt_dir()}/../artifacts"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    bucket_name = "chat-mock-artifacts"
    kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000001"
  }
}

dependency "postgres" {
  config_path = "${get_terragrunt_dir()}/../postgres"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    address                = "chat-mock-postgres.0123456789ab.us-west-2.rds.amazonaws.com"
    port                   = 5432
    database_name          = "chat"
    master_user_secret_arn = "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds!db-mock-AbCdEf"
    instance_resource_id   = "db-MOCKRESOURCEID0123456789"
    kms_key_arn            = "arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000002"
  }
}

dependency "redis" {
  config_path = "${get_terragrunt_dir()}/../redis"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    redis_url             = "rediss://chat-mock-app@master.chat-mock-redis.abcdef.usw2.cache.amazonaws.com:6379/0"
    auth_token_secret_arn = null
    iam = {
      user                  = "chat-mock-app"
      user_arn              = "arn:aws:elasticache:us-west-2:123456789012:user:chat-mock-app"
      replication_group_id  = "chat-mock-redis"
      replication_group_arn = "arn:aws:elasticache:us-west-2:123456789012:replicationgroup:chat-mock-redis"
    }
    kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000003"
  }
}

dependency "media_bucket" {
  config_path = "${get_terragrunt_dir()}/../media-bucket"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    bucket_id   = "chat-mock-media"
    bucket_arn  = "arn:aws:s3:::chat-mock-media"
    kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000004"
  }
}

inputs = {
  # The workload boundary from bootstrap/deploy-role.yaml: the deploy role creates no role without it.
  permissions_boundary_arn = "arn:aws:iam::${local.account.account_id}:policy/chat-workload-boundary"

  environment = local.env.env
  app_version = local.env.app.version
  app_sha256  = local.env.app.sha256

  artifacts_bucket_name = dependency.artifacts.outputs.bucket_name
  artifacts_kms_key_arn = dependency.artifacts.outputs.kms_key_arn

  private_subnet_ids      = dependency.network.outputs.private_subnet_ids
  security_group_ids      = [dependency.security_groups.outputs.app_security_group_id]
  target_group_arn        = dependency.alb.outputs.target_group_arn
  alb_arn_suffix          = dependency.alb.outputs.alb_arn_suffix
  target_group_arn_suffix = dependency.alb.outputs.target_group_arn_suffix

  database_host = dependency.postgres.outputs.address
  database_port = dependency.postgres.outputs.port
  database_name = dependency.postgres.outputs.database_name
  # IAM database authentication as chat_app / chat_migrate (docs/runbook.md, "Database
  # roles"); an environment sets app.database_iam_auth = false only for its first deploy,
  # before `python -m app roles` has run, or for break-glass: the master secret is then read.
  database_iam_auth     = try(local.env.app.database_iam_auth, true)
  database_resource_id  = dependency.postgres.outputs.instance_resource_id
  database_secret_arn   = dependency.postgres.outputs.master_user_secret_arn
  redis_url             = dependency.redis.outputs.redis_url
  redis_auth_secret_arn = dependency.redis.outputs.auth_token_secret_arn
  redis_iam             = dependency.redis.outputs.iam
  secret_kms_key_arns   = [dependency.postgres.outputs.kms_key_arn, dependency.redis.outputs.kms_key_arn]

  media_bucket_name = dependency.media_bucket.outputs.bucket_id
  media_bucket_arn  = dependency.media_bucket.outputs.bucket_arn
  media_kms_key_arn = dependency.media_bucket.outputs.kms_key_arn

  # The browser loads the client from the site and calls /api and /socket.io on the same origin
  # through CloudFront, which appends one X-Forwarded-For hop, and the ALB a second.
  cors_origins      = ["https://${local.env.domain}"]
  proxy_hops        = 2
  socketio_channel  = "chat"
  metrics_namespace = "Chat/App"

  instance_type          = local.env.app.instance_type
  min_size               = local.env.app.min_size
  max_size               = local.env.app.max_size
  processes_per_instance = local.env.app.processes_per_instance
  log_retention_days     = local.env.app.log_retention_days

  app_port                                = 8000
  request_count_per_target                = 1000
  connections_per_instance                = 2000
  health_check_grace_period               = 300
  instance_refresh_min_healthy_percentage = 90
  root_volume_size                        = 20
  # Rotation (docs/runbook.md): bump to end every session with a new signing key.
  secret_key_version = 1
}
