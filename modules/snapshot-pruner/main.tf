# The snapshot pruner: a scheduled Lambda that deletes manual RDS snapshots (DB instances and
# clusters) that the retention policy does not keep, at most a capped number per run.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region
  partition  = data.aws_partition.current.partition
  rds_arn    = "arn:${local.partition}:rds:${local.region}:${local.account_id}"
  retention_policy = join(",", [
    "last=${var.retention.last}", "hourly=${var.retention.hourly}", "daily=${var.retention.daily}",
    "weekly=${var.retention.weekly}", "monthly=${var.retention.monthly}", "yearly=${var.retention.yearly}",
    "within=${var.retention.within}",
  ])
  tags = merge(var.tags, { Env = var.environment, Component = "snapshot-pruner" })
}

# ---------------------------------------------------------------------------
# What the function may do: read sources and snapshots, delete only its own manual snapshots
# ---------------------------------------------------------------------------
data "aws_iam_policy_document" "function" {
  statement {
    # Sources (for their retention tag) and their snapshots, in this account and region.
    sid = "ReadSourcesAndSnapshots"
    actions = [
      "rds:DescribeDBInstances", "rds:DescribeDBClusters",
      "rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots",
      "rds:DescribeDBSnapshotAttributes", "rds:DescribeDBClusterSnapshotAttributes",
    ]
    resources = [
      "${local.rds_arn}:db:*", "${local.rds_arn}:cluster:*",
      "${local.rds_arn}:snapshot:*", "${local.rds_arn}:cluster-snapshot:*",
    ]
  }

  statement {
    # Opt-in: only snapshots carrying the managed tag, so an operator's own snapshot
    # (untagged) survives even a bug in the code's own check.
    sid       = "DeleteOwnManualSnapshots"
    actions   = ["rds:DeleteDBSnapshot", "rds:DeleteDBClusterSnapshot"]
    resources = ["${local.rds_arn}:snapshot:*", "${local.rds_arn}:cluster-snapshot:*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${var.managed_tag.key}"
      values   = [var.managed_tag.value]
    }
  }

  statement {
    # Belt and braces behind the code's own checks: automated (rds:) and AWS Backup
    # (awsbackup:) snapshots, and anything tagged to keep, can never be deleted by this role.
    sid     = "NeverDeleteAutomatedBackupOrKeptSnapshots"
    effect  = "Deny"
    actions = ["rds:DeleteDBSnapshot", "rds:DeleteDBClusterSnapshot"]
    resources = [
      "${local.rds_arn}:snapshot:rds:*", "${local.rds_arn}:cluster-snapshot:rds:*",
      "${local.rds_arn}:snapshot:awsbackup:*", "${local.rds_arn}:cluster-snapshot:awsbackup:*",
    ]
  }

  statement {
    sid       = "NeverDeleteTaggedToKeep"
    effect    = "Deny"
    actions   = ["rds:DeleteDBSnapshot", "rds:DeleteDBClusterSnapshot"]
    resources = ["${local.rds_arn}:snapshot:*", "${local.rds_arn}:cluster-snapshot:*"]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/${var.keep_tag}"
      values   = ["false"]
    }
  }
}

# ---------------------------------------------------------------------------
# The function, its schedule, and its failures to on-call (through the monitoring topic and the
# alarm router)
# ---------------------------------------------------------------------------
module "function" {
  source = "../lambda-function"

  name        = var.name
  component   = "snapshot-pruner"
  description = "Prunes manual RDS snapshots of ${var.environment} by the retention policy"
  tags        = local.tags

  package_file             = var.package_file
  package_sha256           = var.package_sha256
  handler                  = "snapshot_pruner.handler.lambda_handler"
  architecture             = var.architecture
  powertools_layer_arn     = var.powertools_layer_arn
  powertools_layer_version = var.powertools_layer_version
  environment_variables = {
    ENV                          = var.environment
    RETENTION_POLICY             = local.retention_policy
    RETENTION_TAG                = var.retention_tag
    KEEP_TAG                     = var.keep_tag
    MANAGED_TAG                  = "${var.managed_tag.key}=${var.managed_tag.value}"
    MAX_DELETIONS_PER_RUN        = tostring(var.max_deletions_per_run)
    DRY_RUN                      = tostring(var.dry_run)
    POWERTOOLS_SERVICE_NAME      = "snapshot-pruner"
    POWERTOOLS_METRICS_NAMESPACE = "Chat/Ops"
  }

  timeout_seconds      = var.timeout_seconds
  memory_mb            = var.memory_mb
  reserved_concurrency = var.reserved_concurrency
  # A failed run is not retried at once: the next scheduled run starts from scratch anyway.
  async_retry_attempts = 0
  log_retention_days   = var.log_retention_days

  policy_json              = data.aws_iam_policy_document.function.json
  permissions_boundary_arn = var.permissions_boundary_arn
  kms_key_arn              = var.kms_key_arn
  kms_key_description      = "${var.name} snapshot pruner: logs, environment, DLQ"
  kms_service_grants = [{
    # EventBridge writes undeliverable schedule events to the encrypted DLQ itself.
    sid        = "EventBridgeWritesToTheEncryptedQueue"
    services   = ["events.amazonaws.com"]
    actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
    conditions = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [local.account_id] }]
  }]

  event_rules = {
    schedule = {
      sid                   = "Schedule"
      name                  = "${var.name}-snapshot-pruner"
      description           = "Runs the ${var.name} snapshot pruner"
      schedule_expression   = var.schedule_expression
      input                 = jsonencode({ source = "schedule" })
      max_event_age_seconds = 3600
      retry_attempts        = 3
    }
  }

  alarms = {
    errors = {
      name           = "${var.name}-warning-snapshot-pruner-failed"
      description    = "[${var.environment}][warning] A snapshot pruner run failed (bad setting, permissions, timeout); manual snapshots pile up toward the account quota. See docs/oncall.md."
      severity       = "warning"
      period_seconds = 86400
      alarm_actions  = [var.alarm_topic_arn]
      ok_actions     = [var.alarm_topic_arn]
    }
    # A scheduled run EventBridge could not deliver after its retries lands in the DLQ and
    # would otherwise go unnoticed: no run, no error, snapshots piling up.
    dead_letters = {
      name           = "${var.name}-warning-snapshot-pruner-dead-letters"
      description    = "[${var.environment}][warning] A scheduled snapshot pruner run could not be delivered and is in its DLQ; no pruning happened. See docs/oncall.md."
      severity       = "warning"
      period_seconds = 86400
      alarm_actions  = [var.alarm_topic_arn]
      ok_actions     = [var.alarm_topic_arn]
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "prune_errors" {
  alarm_name          = "${var.name}-warning-snapshot-pruner-errors"
  alarm_description   = "[${var.environment}][warning] The snapshot pruner could not delete some snapshots; its report in ${module.function.log_group_name} names them. See docs/oncall.md."
  namespace           = "Chat/Ops"
  metric_name         = "PruneErrors"
  dimensions          = { service = "snapshot-pruner", Env = var.environment }
  statistic           = "Sum"
  period              = 86400
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
  tags                = merge(local.tags, { Severity = "warning" })
}
