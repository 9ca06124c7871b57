data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # "chat-prod" already names the environment; "chat" becomes "chat-prod".
  alarm_prefix = endswith(var.name, "-${var.environment}") ? var.name : "${var.name}-${var.environment}"
  app_env      = coalesce(var.app_metrics_env, var.environment)
  th           = var.alarm_thresholds

  redis_members = length(var.redis_member_cluster_ids) > 0 ? var.redis_member_cluster_ids : [
    for i in range(var.redis_num_cache_clusters) : format("%s-%03d", var.redis_replication_group_id, i + 1)
  ]

  alb_dims = { LoadBalancer = var.alb_arn_suffix }
  tg_dims  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  asg_dims = { AutoScalingGroupName = var.asg_name }
  rds_dims = { DBInstanceIdentifier = var.rds_instance_id }

  # Alarms on one metric each. Periods of 60 s with 3 of 5 breaching points ride out a
  # single noisy minute but page within five.
  metric_alarms = merge(
    {
      alb-unhealthy-targets = {
        severity = "warning", what = "At least one app instance fails its /healthz check."
        ns       = "AWS/ApplicationELB", metric = "UnHealthyHostCount", dims = local.tg_dims, stat = "Maximum"
        cmp      = "GreaterThanThreshold", threshold = 0, period = 60, evals = 5, points = 3, missing = "notBreaching"
      }
      alb-no-healthy-targets = {
        severity = "critical", what = "No app instance is healthy: the service is down."
        ns       = "AWS/ApplicationELB", metric = "HealthyHostCount", dims = local.tg_dims, stat = "Minimum"
        cmp      = "LessThanThreshold", threshold = 1, period = 60, evals = 3, points = 2, missing = "breaching"
      }
      alb-target-response-time = {
        severity = "warning", what = "p95 response time of the app is high."
        ns       = "AWS/ApplicationELB", metric = "TargetResponseTime", dims = local.alb_dims, stat = "p95"
        cmp      = "GreaterThanThreshold", threshold = local.th.alb_target_response_time_p95_secs, period = 60, evals = 5, points = 3, missing = "notBreaching"
      }
      asg-cpu-high = {
        severity = "warning", what = "App instances run hot; scaling is not keeping up."
        ns       = "AWS/EC2", metric = "CPUUtilization", dims = local.asg_dims, stat = "Average"
        cmp      = "GreaterThanThreshold", threshold = local.th.asg_cpu_percent, period = 300, evals = 3, points = 3, missing = "notBreaching"
      }
      rds-cpu-high = {
        severity = "warning", what = "PostgreSQL CPU is high."
        ns       = "AWS/RDS", metric = "CPUUtilization", dims = local.rds_dims, stat = "Average"
        cmp      = "GreaterThanThreshold", threshold = local.th.rds_cpu_percent, period = 300, evals = 3, points = 3, missing = "notBreaching"
      }
      rds-free-storage-low = {
        severity = "critical", what = "PostgreSQL is running out of storage; writes stop when it is full."
        ns       = "AWS/RDS", metric = "FreeStorageSpace", dims = local.rds_dims, stat = "Minimum"
        cmp      = "LessThanThreshold", threshold = local.th.rds_free_storage_bytes, period = 300, evals = 1, points = 1, missing = "breaching"
      }
      rds-connections-high = {
        severity = "warning", what = "PostgreSQL connections approach the instance's limit."
        ns       = "AWS/RDS", metric = "DatabaseConnections", dims = local.rds_dims, stat = "Maximum"
        cmp      = "GreaterThanThreshold", threshold = local.th.rds_connections, period = 60, evals = 5, points = 3, missing = "notBreaching"
      }
      app-errors = {
        severity = "critical", what = "The chat service reports internal errors."
        ns       = var.app_metrics_namespace, metric = "Errors", dims = { Env = local.app_env }, stat = "Sum"
        cmp      = "GreaterThanThreshold", threshold = local.th.app_errors_per_5_minutes, period = 300, evals = 1, points = 1, missing = "notBreaching"
      }
      app-login-failures = {
        severity = "warning", what = "Failed sign-ins spike: passwords are being guessed or sprayed (each account backs off by itself)."
        ns       = var.app_metrics_namespace, metric = "LoginFailures", dims = { Env = local.app_env }, stat = "Sum"
        cmp      = "GreaterThanThreshold", threshold = local.th.app_login_failures_per_5_minutes, period = 300, evals = 1, points = 1, missing = "notBreaching"
      }
    },
    merge([for member in local.redis_members : {
      "redis-cpu-high-${member}" = {
        severity = "warning", what = "Redis engine thread of ${member} is busy; message fan-out slows down."
        ns       = "AWS/ElastiCache", metric = "EngineCPUUtilization", dims = { CacheClusterId = member }, stat = "Average"
        cmp      = "GreaterThanThreshold", threshold = local.th.redis_engine_cpu_percent, period = 60, evals = 5, points = 3, missing = "notBreaching"
      }
      "redis-memory-high-${member}" = {
        severity = "warning", what = "Redis memory of ${member} is nearly full; evictions lose sessions and rate limits."
        ns       = "AWS/ElastiCache", metric = "DatabaseMemoryUsagePercentage", dims = { CacheClusterId = member }, stat = "Maximum"
        cmp      = "GreaterThanThreshold", threshold = local.th.redis_memory_percent, period = 60, evals = 5, points = 3, missing = "notBreaching"
      }
      "redis-evictions-${member}" = {
        severity = "warning", what = "Redis ${member} evicts keys: sessions and rate-limit counters are being lost."
        ns       = "AWS/ElastiCache", metric = "Evictions", dims = { CacheClusterId = member }, stat = "Sum"
        cmp      = "GreaterThanThreshold", threshold = local.th.redis_evictions, period = 300, evals = 1, points = 1, missing = "notBreaching"
      }
      # Only replicas report ReplicationLag; the primary's missing data is not a breach.
      "redis-replication-lag-${member}" = {
        severity = "warning", what = "Replica ${member} lags behind the primary; a failover would lose recent writes."
        ns       = "AWS/ElastiCache", metric = "ReplicationLag", dims = { CacheClusterId = member }, stat = "Maximum"
        cmp      = "GreaterThanThreshold", threshold = local.th.redis_replication_lag_secs, period = 60, evals = 5, points = 3, missing = "notBreaching"
      }
    }]...),
  )

  severities = merge(
    { for k, a in local.metric_alarms : k => a.severity },
    { alb-5xx-rate = "critical" },
  )
  alarm_names = { for k, sev in local.severities : k => "${local.alarm_prefix}-${sev}-${k}" }
  # Built from the names so the dashboard is known before the alarms exist.
  alarm_arns = { for k, n in local.alarm_names : k => "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${n}" }

  alarm_actions = [aws_sns_topic.alarms.arn]
  ok_actions    = var.notify_on_ok ? [aws_sns_topic.alarms.arn] : []

  tags = merge(var.tags, { Env = var.environment })
}

# ---------------------------------------------------------------------------
# Encryption key for the alarm topic and the log groups
# ---------------------------------------------------------------------------
module "key" {
  source = "../kms-key"

  alias                   = "${var.name}-monitoring"
  description             = "${var.name} alarm topic and log groups"
  deletion_window_in_days = var.kms_key_deletion_window_days
  log_group_arns          = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/${var.name}/*"]
  service_grants = [{
    # CloudWatch alarms publish to an encrypted topic with the alarm service's own identity.
    sid      = "CloudWatchAlarmsPublishToTheEncryptedTopic"
    services = ["cloudwatch.amazonaws.com"]
    actions  = ["kms:Decrypt", "kms:GenerateDataKey"]
    conditions = [
      { test = "ArnLike", variable = "aws:SourceArn", values = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"] },
      { test = "StringEquals", variable = "aws:SourceAccount", values = [local.account_id] },
    ]
  }]
  tags = merge(local.tags, { Name = "${var.name}-monitoring" })
}

moved {
  from = aws_kms_key.monitoring
  to   = module.key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.monitoring
  to   = module.key.aws_kms_alias.this
}

# ---------------------------------------------------------------------------
# Log groups
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "service" {
  for_each = toset(var.log_groups)

  name              = "/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.key.arn
  tags              = merge(local.tags, { Name = "/${var.name}/${each.key}" })
}

# ---------------------------------------------------------------------------
# Alarm topic: the alarm router subscribes to it
# ---------------------------------------------------------------------------
resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = module.key.arn
  tags              = merge(local.tags, { Name = "${var.name}-alarms" })
}

data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid       = "AccountManagesTheTopic"
    effect    = "Allow"
    resources = [aws_sns_topic.alarms.arn]
    actions = [
      "sns:AddPermission", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic",
      "sns:Publish", "sns:RemovePermission", "sns:SetTopicAttributes", "sns:Subscribe",
    ]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsOfThisAccountPublish"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_email_addresses)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.key
}

# ---------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "threshold" {
  for_each = local.metric_alarms

  alarm_name          = local.alarm_names[each.key]
  alarm_description   = "[${var.environment}][${each.value.severity}] ${each.value.what}${var.runbook_url == null ? "" : " Runbook: ${var.runbook_url}#${each.key}"}"
  namespace           = each.value.ns
  metric_name         = each.value.metric
  dimensions          = each.value.dims
  statistic           = startswith(each.value.stat, "p") ? null : each.value.stat
  extended_statistic  = startswith(each.value.stat, "p") ? each.value.stat : null
  period              = each.value.period
  evaluation_periods  = each.value.evals
  datapoints_to_alarm = each.value.points
  threshold           = each.value.threshold
  comparison_operator = each.value.cmp
  treat_missing_data  = each.value.missing
  alarm_actions       = local.alarm_actions
  ok_actions          = local.ok_actions
  tags                = merge(local.tags, { Severity = each.value.severity, Alarm = each.key })
}

# 5xx as a share of requests, so a quiet night with two errors does not page but a busy hour
# losing 5 % of requests does; below the minimum volume the rate counts as 0.
resource "aws_cloudwatch_metric_alarm" "alb_5xx_rate" {
  alarm_name          = local.alarm_names["alb-5xx-rate"]
  alarm_description   = "[${var.environment}][critical] More than ${local.th.alb_5xx_rate_percent} % of requests end in a 5xx from the ALB or the app.${var.runbook_url == null ? "" : " Runbook: ${var.runbook_url}#alb-5xx-rate"}"
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.th.alb_5xx_rate_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.ok_actions
  tags                = merge(local.tags, { Severity = "critical", Alarm = "alb-5xx-rate" })

  metric_query {
    id          = "rate"
    label       = "5xx share of requests (%)"
    expression  = "IF(requests >= ${local.th.alb_5xx_min_requests}, 100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)"
    return_data = true
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = local.alb_dims
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "elb5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = local.alb_dims
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "target5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = local.alb_dims
      period      = 60
      stat        = "Sum"
    }
  }
}

# ---------------------------------------------------------------------------
# Dashboard: one screen from the edge to the data stores
# ---------------------------------------------------------------------------
locals {
  redis_metric = { for m in ["EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "Evictions", "ReplicationLag", "CurrConnections"] :
    m => [for member in local.redis_members : ["AWS/ElastiCache", m, "CacheClusterId", member]]
  }

  dashboard_widgets = [
    {
      type = "alarm", x = 0, y = 0, width = 24, height = 3
      properties = {
        title  = "Alarms"
        alarms = [for k in sort(keys(local.alarm_names)) : local.alarm_arns[k]]
      }
    },
    {
      type = "metric", x = 0, y = 3, width = 8, height = 6
      properties = {
        title = "ALB requests and 5xx", region = local.region, stat = "Sum", period = 60, view = "timeSeries"
        metrics = [
          ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.alb_arn_suffix],
          ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.alb_arn_suffix],
          ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.alb_arn_suffix],
        ]
      }
    },
    {
      type = "metric", x = 8, y = 3, width = 8, height = 6
      properties = {
        title = "ALB target response time (s)", region = local.region, period = 60, view = "timeSeries"
        metrics = [
          ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, { stat = "p50" }],
          ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, { stat = "p95" }],
          ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, { stat = "p99" }],
        ]
      }
    },
    {
      type = "metric", x = 16, y = 3, width = 8, height = 6
      properties = {
        title = "App targets", region = local.region, period = 60, view = "timeSeries"
        metrics = [
          ["AWS/ApplicationELB", "HealthyHostCount", "TargetGroup", var.target_group_arn_suffix, "LoadBalancer", var.alb_arn_suffix, { stat = "Minimum" }],
          ["AWS/ApplicationELB", "UnHealthyHostCount", "TargetGroup", var.target_group_arn_suffix, "LoadBalancer", var.alb_arn_suffix, { stat = "Maximum" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 9, width = 8, height = 6
      properties = {
        title   = "Chat: active connections (all instances)", region = local.region, stat = "Sum", period = 60, view = "timeSeries"
        metrics = [[var.app_metrics_namespace, "ActiveConnections", "Env", local.app_env]]
      }
    },
    {
      type = "metric", x = 8, y = 9, width = 8, height = 6
      properties = {
        title   = "Chat: messages sent per minute", region = local.region, stat = "Sum", period = 60, view = "timeSeries"
        metrics = [[var.app_metrics_namespace, "MessagesSent", "Env", local.app_env]]
      }
    },
    {
      type = "metric", x = 16, y = 9, width = 8, height = 6
      properties = {
        title   = "Chat: internal errors", region = local.region, stat = "Sum", period = 60, view = "timeSeries"
        metrics = [[var.app_metrics_namespace, "Errors", "Env", local.app_env]]
      }
    },
    {
      type = "metric", x = 0, y = 15, width = 12, height = 6
      properties = {
        title = "App instances: CPU (%)", region = local.region, period = 300, view = "timeSeries"
        metrics = [
          ["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", var.asg_name, { stat = "Average" }],
          ["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", var.asg_name, { stat = "Maximum" }],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 15, width = 12, height = 6
      properties = {
        title = "App instances in service", region = local.region, stat = "Average", period = 60, view = "timeSeries"
        metrics = [
          ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", var.asg_name],
          ["AWS/AutoScaling", "GroupDesiredCapacity", "AutoScalingGroupName", var.asg_name],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 21, width = 8, height = 6
      properties = {
        title   = "PostgreSQL CPU (%)", region = local.region, stat = "Average", period = 300, view = "timeSeries"
        metrics = [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", var.rds_instance_id]]
      }
    },
    {
      type = "metric", x = 8, y = 21, width = 8, height = 6
      properties = {
        title   = "PostgreSQL connections", region = local.region, stat = "Maximum", period = 60, view = "timeSeries"
        metrics = [["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", var.rds_instance_id]]
      }
    },
    {
      type = "metric", x = 16, y = 21, width = 8, height = 6
      properties = {
        title   = "PostgreSQL free storage (bytes)", region = local.region, stat = "Minimum", period = 300, view = "timeSeries"
        metrics = [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", var.rds_instance_id]]
      }
    },
    {
      type = "metric", x = 0, y = 27, width = 8, height = 6
      properties = {
        title   = "Redis engine CPU (%)", region = local.region, stat = "Average", period = 60, view = "timeSeries"
        metrics = local.redis_metric["EngineCPUUtilization"]
      }
    },
    {
      type = "metric", x = 8, y = 27, width = 8, height = 6
      properties = {
        title   = "Redis memory used (%)", region = local.region, stat = "Maximum", period = 60, view = "timeSeries"
        metrics = local.redis_metric["DatabaseMemoryUsagePercentage"]
      }
    },
    {
      type = "metric", x = 16, y = 27, width = 8, height = 6
      properties = {
        title   = "Redis connections", region = local.region, stat = "Maximum", period = 60, view = "timeSeries"
        metrics = local.redis_metric["CurrConnections"]
      }
    },
    {
      type = "metric", x = 0, y = 33, width = 12, height = 6
      properties = {
        title   = "Redis evictions", region = local.region, stat = "Sum", period = 300, view = "timeSeries"
        metrics = local.redis_metric["Evictions"]
      }
    },
    {
      type = "metric", x = 12, y = 33, width = 12, height = 6
      properties = {
        title   = "Redis replication lag (s)", region = local.region, stat = "Maximum", period = 60, view = "timeSeries"
        metrics = local.redis_metric["ReplicationLag"]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "service" {
  dashboard_name = "${var.name}-service"
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
