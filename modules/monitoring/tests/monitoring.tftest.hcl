mock_provider "aws" {
  # Computed values (topic and key ARNs) are known at plan, so plan-only runs can compare them.
  override_during = plan

  mock_data "aws_region" {
    defaults = {
      region = "eu-west-1"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:111122223333:chat-prod-alarms"
    }
  }
}

variables {
  name                       = "chat-prod"
  environment                = "prod"
  alb_arn_suffix             = "app/chat-prod/0123456789abcdef"
  target_group_arn_suffix    = "targetgroup/chat-prod-app/fedcba9876543210"
  asg_name                   = "chat-prod-app"
  rds_instance_id            = "chat-prod-postgres"
  redis_replication_group_id = "chat-prod-redis"
}

run "every_required_alarm_exists" {
  command = plan

  assert {
    condition = toset(keys(output.alarm_names)) == toset([
      "alb-5xx-rate", "alb-unhealthy-targets", "alb-no-healthy-targets", "alb-target-response-time",
      "asg-cpu-high", "rds-cpu-high", "rds-free-storage-low", "rds-connections-high", "app-errors",
      "app-login-failures",
      "redis-cpu-high-chat-prod-redis-001", "redis-cpu-high-chat-prod-redis-002",
      "redis-memory-high-chat-prod-redis-001", "redis-memory-high-chat-prod-redis-002",
      "redis-evictions-chat-prod-redis-001", "redis-evictions-chat-prod-redis-002",
      "redis-replication-lag-chat-prod-redis-001", "redis-replication-lag-chat-prod-redis-002",
    ])
    error_message = "the alarm set must cover the ALB, ASG, RDS, each Redis node and the app's errors"
  }
}

run "alarms_carry_env_and_severity_and_publish_to_the_topic" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_5xx_rate.alarm_name == "chat-prod-critical-alb-5xx-rate"
    error_message = "alarm names must carry env (via the name prefix) and severity without repeating the env"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["rds-cpu-high"].alarm_name == "chat-prod-warning-rds-cpu-high"
    error_message = "warning alarms must be named with their severity"
  }
  assert {
    condition = alltrue([for a in aws_cloudwatch_metric_alarm.threshold :
    a.tags["Env"] == "prod" && contains(["critical", "warning"], a.tags["Severity"])])
    error_message = "every alarm must be tagged with Env and Severity (the alarm router reads these tags)"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_5xx_rate.tags["Severity"] == "critical" && aws_cloudwatch_metric_alarm.alb_5xx_rate.tags["Env"] == "prod"
    error_message = "the 5xx rate alarm must be tagged critical in prod"
  }
  assert {
    condition = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.threshold), [aws_cloudwatch_metric_alarm.alb_5xx_rate]) :
      toset(a.alarm_actions) == toset(["arn:aws:sns:eu-west-1:111122223333:chat-prod-alarms"]) &&
    toset(a.ok_actions) == toset(["arn:aws:sns:eu-west-1:111122223333:chat-prod-alarms"])])
    error_message = "every alarm must notify the alarm topic when it fires and when it resolves"
  }
  assert {
    condition     = output.alarm_topic_arn == "arn:aws:sns:eu-west-1:111122223333:chat-prod-alarms" && output.kms_key_arn == module.key.arn
    error_message = "the topic and key ARNs must be outputs for the alarm router"
  }
}

run "a_bare_name_gets_the_env_appended" {
  command = plan

  variables {
    name        = "chat"
    environment = "dev"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["app-errors"].alarm_name == "chat-dev-critical-app-errors"
    error_message = "a name without the env must get it in the alarm name"
  }
}

run "topic_and_logs_are_encrypted" {
  command = plan

  variables {
    log_groups = ["system", "audit"]
  }

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == module.key.arn
    error_message = "the alarm topic must be encrypted with the module's key"
  }
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.service : g.kms_key_id == module.key.arn && g.retention_in_days == 365])
    error_message = "log groups must be KMS-encrypted with a year's retention by default"
  }
  assert {
    condition     = length(output.log_group_names) == 2 && output.log_group_names["system"] == "/chat-prod/system" && output.log_group_names["audit"] == "/chat-prod/audit"
    error_message = "the requested log groups must exist under /<name>/"
  }
  assert {
    condition     = module.key.rotation_enabled
    error_message = "the KMS key must rotate"
  }
  assert {
    condition = toset(one([for s in module.key.policy_statements : one(s.principals).identifiers
    if s.sid == "CloudWatchAlarmsPublishToTheEncryptedTopic"])) == toset(["cloudwatch.amazonaws.com"])
    error_message = "CloudWatch alarms must be able to publish to the encrypted topic"
  }
  assert {
    condition = [for c in one([for s in module.key.policy_statements : s if s.sid == "CloudWatchAlarmsPublishToTheEncryptedTopic"]).condition :
    join(",", c.values) if c.variable == "aws:SourceArn" && c.test == "ArnLike"] == ["arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*"]
    error_message = "only this account's alarms in this region may use the key"
  }
  assert {
    condition     = alltrue(flatten([for s in module.key.policy_statements : [for a in s.actions : startswith(a, "kms:") && !strcontains(a, "*")]]))
    error_message = "the key policy must grant explicit actions only"
  }
}

run "only_this_accounts_alarms_publish" {
  command = plan

  assert {
    condition = one(flatten([for s in data.aws_iam_policy_document.alarms_topic.statement : [for c in s.condition : c.values if c.variable == "aws:SourceArn"]
    if contains(flatten([for p in s.principals : p.identifiers]), "cloudwatch.amazonaws.com")])) == "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*"
    error_message = "only this account's alarms in this region may publish"
  }
  assert {
    condition     = length([for s in data.aws_iam_policy_document.alarms_topic.statement : s if s.effect == "Allow" && contains(flatten([for p in s.principals : p.identifiers]), "*")]) == 0
    error_message = "the topic must not be open to everyone"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.alarms_topic.statement : s.effect if s.sid == "DenyInsecureTransport"]) == "Deny"
    error_message = "publishing without TLS must be denied"
  }
}

run "alarms_watch_the_right_resources" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["asg-cpu-high"].dimensions["AutoScalingGroupName"] == "chat-prod-app"
    error_message = "ASG CPU must watch the app ASG"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["alb-unhealthy-targets"].dimensions == tomap({ LoadBalancer = "app/chat-prod/0123456789abcdef", TargetGroup = "targetgroup/chat-prod-app/fedcba9876543210" })
    error_message = "target health must be read per target group of the ALB"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["rds-free-storage-low"].dimensions["DBInstanceIdentifier"] == "chat-prod-postgres" && aws_cloudwatch_metric_alarm.threshold["rds-free-storage-low"].comparison_operator == "LessThanThreshold"
    error_message = "free storage must alarm when it falls below the threshold"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["redis-replication-lag-chat-prod-redis-002"].dimensions["CacheClusterId"] == "chat-prod-redis-002"
    error_message = "Redis alarms must watch each member cluster"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["app-errors"].namespace == "Chat/App" && aws_cloudwatch_metric_alarm.threshold["app-errors"].dimensions == tomap({ Env = "prod" }) && aws_cloudwatch_metric_alarm.threshold["app-errors"].metric_name == "Errors"
    error_message = "the app error alarm must read the service's EMF metric Errors by Env"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["app-login-failures"].metric_name == "LoginFailures" && aws_cloudwatch_metric_alarm.threshold["app-login-failures"].statistic == "Sum" && aws_cloudwatch_metric_alarm.threshold["app-login-failures"].threshold == 200 && aws_cloudwatch_metric_alarm.threshold["app-login-failures"].dimensions == tomap({ Env = "prod" })
    error_message = "a spike of failed sign-ins (the service's EMF metric LoginFailures) must alarm"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["alb-target-response-time"].extended_statistic == "p95"
    error_message = "response time must alarm on p95"
  }
  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.alb_5xx_rate.metric_query : q.expression if q.id == "rate"]) == "IF(requests >= 50, 100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)"
    error_message = "the 5xx alarm must compute the share of ALB and target 5xx among requests"
  }
}

run "thresholds_and_switches_follow_the_variables" {
  command = plan

  variables {
    alarm_thresholds         = { rds_cpu_percent = 65, alb_5xx_rate_percent = 2 }
    notify_on_ok             = false
    redis_member_cluster_ids = ["chat-dev-redis-001"]
    log_groups               = ["system"]
    log_retention_days       = 14
    app_metrics_env          = "dev-eu"
    alarm_email_addresses    = ["oncall@example.com"]
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["rds-cpu-high"].threshold == 65 && aws_cloudwatch_metric_alarm.alb_5xx_rate.threshold == 2
    error_message = "thresholds must follow the variable"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["asg-cpu-high"].threshold == 80
    error_message = "thresholds left out must keep their defaults"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.alb_5xx_rate.ok_actions) == 0
    error_message = "notify_on_ok = false must drop OK notifications"
  }
  assert {
    condition     = length([for k, v in aws_cloudwatch_metric_alarm.threshold : k if startswith(k, "redis-")]) == 4
    error_message = "one member cluster means one set of four Redis alarms"
  }
  assert {
    condition     = aws_cloudwatch_log_group.service["system"].retention_in_days == 14
    error_message = "retention must follow the variable"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.threshold["app-errors"].dimensions["Env"] == "dev-eu"
    error_message = "the Env dimension must follow app_metrics_env"
  }
  assert {
    condition     = aws_sns_topic_subscription.email["oncall@example.com"].protocol == "email"
    error_message = "email addresses must be subscribed"
  }
}

run "dashboard_covers_every_tier" {
  command = plan

  assert {
    condition = alltrue([for m in ["RequestCount", "TargetResponseTime", "HealthyHostCount", "ActiveConnections", "MessagesSent", "Errors",
      "GroupInServiceInstances", "DatabaseConnections", "FreeStorageSpace", "EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "Evictions", "ReplicationLag"] :
      contains(flatten([for w in jsondecode(aws_cloudwatch_dashboard.service.dashboard_body).widgets : [for metric in try(w.properties.metrics, []) : metric[1]]]), m)
    ])
    error_message = "the dashboard must show ALB, app connections and sends, ASG, RDS and Redis"
  }
}

run "rejects_an_alb_arn_instead_of_its_suffix" {
  command = plan

  variables {
    alb_arn_suffix = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/chat-prod/0123456789abcdef"
  }

  expect_failures = [var.alb_arn_suffix]
}

run "rejects_a_percentage_above_100" {
  command = plan

  variables {
    alarm_thresholds = { redis_memory_percent = 120 }
  }

  expect_failures = [var.alarm_thresholds]
}

run "rejects_the_app_log_group_owned_by_app_asg" {
  command = plan

  variables {
    log_groups = ["app"]
  }

  expect_failures = [var.log_groups]
}
