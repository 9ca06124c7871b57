# monitoring: the alarm topic every alarm publishes to, the alarms on the ALB, the instances,
# PostgreSQL, Redis and the service's own metrics, and the dashboard. Each alarm's description
# links its section of docs/runbook.md.
locals {
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  operators = read_terragrunt_config(find_in_parent_folders("operators.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//monitoring"
}

dependency "alb" {
  config_path = "${get_terragrunt_dir()}/../alb"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    alb_arn_suffix          = "app/chat-mock/0123456789abcdef"
    target_group_arn_suffix = "targetgroup/chat-mock-app/0123456789abcdef"
  }
}

dependency "app_asg" {
  config_path = "${get_terragrunt_dir()}/../app-asg"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    autoscaling_group_name = "chat-mock-app"
    metrics_namespace      = "Chat/App"
    environment            = "mock"
  }
}

dependency "postgres" {
  config_path = "${get_terragrunt_dir()}/../postgres"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    instance_identifier = "chat-mock-postgres"
  }
}

dependency "redis" {
  config_path = "${get_terragrunt_dir()}/../redis"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    replication_group_id = "chat-mock-redis"
    member_clusters      = ["chat-mock-redis-001", "chat-mock-redis-002"]
  }
}

inputs = {
  environment = local.env.env

  alb_arn_suffix             = dependency.alb.outputs.alb_arn_suffix
  target_group_arn_suffix    = dependency.alb.outputs.target_group_arn_suffix
  asg_name                   = dependency.app_asg.outputs.autoscaling_group_name
  rds_instance_id            = dependency.postgres.outputs.instance_identifier
  redis_replication_group_id = dependency.redis.outputs.replication_group_id
  redis_member_cluster_ids   = dependency.redis.outputs.member_clusters
  redis_num_cache_clusters   = local.env.redis.num_cache_clusters
  app_metrics_namespace      = dependency.app_asg.outputs.metrics_namespace
  app_metrics_env            = local.env.env

  log_retention_days = local.env.monitoring.log_retention_days
  notify_on_ok       = local.env.monitoring.notify_on_ok
  # People are reached through the alarm router (its email topic, Slack, PagerDuty), not by
  # subscribing them to the raw alarm topic, so that one alarm is one notification.
  alarm_email_addresses = []
  runbook_url           = local.operators.runbook_url
}
