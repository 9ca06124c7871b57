# The snapshot pruner: a scheduled Lambda that deletes manual RDS snapshots (DB instances and
# clusters) that the retention policy does not keep, at most a capped number per run.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  region        = data.aws_region.current.region
  partition     = data.aws_partition.current.partition
  function_name = "${var.name}-snapshot-pruner"
  log_group     = "/aws/lambda/${local.function_name}"
  rds_arn       = "arn:${local.partition}:rds:${local.region}:${local.account_id}"
  kms_key_arn   = var.kms_key_arn != null ? var.kms_key_arn : module.key[0].arn
  source_dir    = var.source_dir != null ? var.source_dir : "${path.module}/../../lambdas/snapshot_pruner"
  powertools_layer_arn = var.powertools_layer_arn != null ? var.powertools_layer_arn : (
    "arn:${local.partition}:lambda:${local.region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-${var.architecture}:${var.powertools_layer_version}"
  )
  retention_policy = join(",", [
    "last=${var.retention.last}", "hourly=${var.retention.hourly}", "daily=${var.retention.daily}",
    "weekly=${var.retention.weekly}", "monthly=${var.retention.monthly}", "yearly=${var.retention.yearly}",
    "within=${var.retention.within}",
  ])
  tags = merge(var.tags, { Env = var.environment, Component = "snapshot-pruner" })
}

# ---------------------------------------------------------------------------
# Encryption key (unless one is given)
# ---------------------------------------------------------------------------
module "key" {
  source = "../kms-key"
  count  = var.kms_key_arn == null ? 1 : 0

  alias          = "${var.name}-snapshot-pruner"
  description    = "${var.name} snapshot pruner: logs, environment, DLQ"
  log_group_arns = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group}"]
  service_grants = [{
    # EventBridge writes undeliverable schedule events to the encrypted DLQ itself.
    sid        = "EventBridgeWritesToTheEncryptedQueue"
    services   = ["events.amazonaws.com"]
    actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
    conditions = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [local.account_id] }]
  }]
  tags = merge(local.tags, { Name = "${var.name}-snapshot-pruner" })
}

moved {
  from = aws_kms_key.pruner[0]
  to   = module.key[0].aws_kms_key.this
}

moved {
  from = aws_kms_alias.pruner[0]
  to   = module.key[0].aws_kms_alias.this
}

# ---------------------------------------------------------------------------
# Dead-letter queue for failed runs
# ---------------------------------------------------------------------------
resource "aws_sqs_queue" "dlq" {
  name                              = "${var.name}-snapshot-pruner-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = merge(local.tags, { Name = "${var.name}-snapshot-pruner-dlq" })
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ScheduleDeadLetters"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = aws_sqs_queue.dlq.arn
        Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.schedule.arn } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:*"
        Resource  = aws_sqs_queue.dlq.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

# ---------------------------------------------------------------------------
# The function
# ---------------------------------------------------------------------------
data "archive_file" "source" {
  type        = "zip"
  source_dir  = local.source_dir
  output_path = "${path.root}/.terraform/build/${local.function_name}.zip"
  excludes    = ["requirements.txt", "bench.py", "**/__pycache__/**", "**/*.pyc"]
}

resource "aws_cloudwatch_log_group" "pruner" {
  #checkov:skip=CKV_AWS_338:Retention is the variable log_retention_days, whose default (365 days) passes this check and is asserted by the module tests; an environment may keep logs for less to save cost.
  name              = local.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
  tags              = merge(local.tags, { Name = local.log_group })
}

resource "aws_iam_role" "pruner" {
  name                 = local.function_name
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "pruner" {
  name = "snapshot-pruner"
  role = aws_iam_role.pruner.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.pruner.arn}:*"
      },
      {
        Sid    = "SendTraces"
        Effect = "Allow"
        Action = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        # X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions.
        Resource = "*"
      },
      {
        Sid      = "UseTheKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = local.kms_key_arn
      },
      {
        Sid      = "DeadLetterFailedRuns"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = aws_sqs_queue.dlq.arn
      },
      {
        # Sources (for their retention tag) and their snapshots, in this account and region.
        Sid    = "ReadSourcesAndSnapshots"
        Effect = "Allow"
        Action = [
          "rds:DescribeDBInstances", "rds:DescribeDBClusters",
          "rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots",
          "rds:DescribeDBSnapshotAttributes", "rds:DescribeDBClusterSnapshotAttributes",
        ]
        Resource = [
          "${local.rds_arn}:db:*", "${local.rds_arn}:cluster:*",
          "${local.rds_arn}:snapshot:*", "${local.rds_arn}:cluster-snapshot:*",
        ]
      },
      {
        # Opt-in: only snapshots carrying the managed tag, so an operator's own snapshot
        # (untagged) survives even a bug in the code's own check.
        Sid       = "DeleteOwnManualSnapshots"
        Effect    = "Allow"
        Action    = ["rds:DeleteDBSnapshot", "rds:DeleteDBClusterSnapshot"]
        Resource  = ["${local.rds_arn}:snapshot:*", "${local.rds_arn}:cluster-snapshot:*"]
        Condition = { StringEquals = { "aws:ResourceTag/${var.managed_tag.key}" = var.managed_tag.value } }
      },
      {
        # Belt and braces behind the code's own checks: automated (rds:) and AWS Backup
        # (awsbackup:) snapshots, and anything tagged to keep, can never be deleted by this role.
        Sid    = "NeverDeleteAutomatedBackupOrKeptSnapshots"
        Effect = "Deny"
        Action = ["rds:DeleteDBSnapshot", "rds:DeleteDBClusterSnapshot"]
        Resource = [
          "${local.rds_arn}:snapshot:rds:*", "${local.rds_arn}:cluster-snapshot:rds:*",
          "${local.rds_arn}:snapshot:awsbackup:*", "${local.rds_arn}:cluster-snapshot:awsbackup:*",
        ]
      },
      {
        Sid       = "NeverDeleteTaggedToKeep"
        Effect    = "Deny"
        Action    = ["rds:DeleteDBSnapshot", "rds:DeleteDBClusterSnapshot"]
        Resource  = ["${local.rds_arn}:snapshot:*", "${local.rds_arn}:cluster-snapshot:*"]
        Condition = { Null = { "aws:ResourceTag/${var.keep_tag}" = "false" } }
      },
    ]
  })
}

resource "aws_lambda_function" "pruner" {
  #checkov:skip=CKV_AWS_117:The pruner calls only the RDS and STS APIs; no VPC resource to reach, and a VPC would need endpoints or NAT just for that.
  #checkov:skip=CKV_AWS_272:Code comes from this repository through the reviewed Terraform run; AWS Signer is not part of this project's release process.
  function_name                  = local.function_name
  description                    = "Prunes manual RDS snapshots of ${var.environment} by the retention policy"
  role                           = aws_iam_role.pruner.arn
  runtime                        = "python3.11"
  handler                        = "snapshot_pruner.handler.lambda_handler"
  architectures                  = [var.architecture]
  filename                       = data.archive_file.source.output_path
  source_code_hash               = data.archive_file.source.output_base64sha256
  layers                         = [local.powertools_layer_arn]
  timeout                        = var.timeout_seconds
  memory_size                    = var.memory_mb
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = local.kms_key_arn

  environment {
    variables = {
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
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.pruner.name
  }

  tags       = merge(local.tags, { Name = local.function_name })
  depends_on = [aws_iam_role_policy.pruner]
}

resource "aws_lambda_function_event_invoke_config" "pruner" {
  function_name = aws_lambda_function.pruner.function_name
  # A failed run is not retried at once: the next scheduled run starts from scratch anyway.
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 3600
}

# ---------------------------------------------------------------------------
# Schedule
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_event_rule" "schedule" {
  name                = "${var.name}-snapshot-pruner"
  description         = "Runs the ${var.name} snapshot pruner"
  schedule_expression = var.schedule_expression
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "schedule" {
  rule  = aws_cloudwatch_event_rule.schedule.name
  arn   = aws_lambda_function.pruner.arn
  input = jsonencode({ source = "schedule" })

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 3
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

resource "aws_lambda_permission" "schedule" {
  statement_id  = "ScheduleInvokes"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.pruner.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule.arn
}

# ---------------------------------------------------------------------------
# Alarms to on-call (through the monitoring topic and the alarm router)
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "prune_errors" {
  alarm_name          = "${var.name}-warning-snapshot-pruner-errors"
  alarm_description   = "[${var.environment}][warning] The snapshot pruner could not delete some snapshots; its report in ${local.log_group} names them. See docs/oncall.md."
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

resource "aws_cloudwatch_metric_alarm" "failed_runs" {
  alarm_name          = "${var.name}-warning-snapshot-pruner-failed"
  alarm_description   = "[${var.environment}][warning] A snapshot pruner run failed (bad setting, permissions, timeout); manual snapshots pile up toward the account quota. See docs/oncall.md."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.pruner.function_name }
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
