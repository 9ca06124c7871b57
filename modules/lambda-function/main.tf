# One Lambda function the way every ops Lambda of this project runs: code from a built package
# (scripts/build-lambdas.sh), a role with the workload boundary, a KMS-encrypted log group with
# retention, X-Ray tracing, reserved concurrency, a dead-letter queue for failed invocations and
# undeliverable events, the EventBridge rules and SNS topics that invoke it, and its own health
# alarms. What the function may do besides is the caller's policy document (`policy_json`).

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  region        = data.aws_region.current.region
  partition     = data.aws_partition.current.partition
  function_name = "${var.name}-${var.component}"
  log_group     = "/aws/lambda/${local.function_name}"
  kms_key_arn   = var.kms_key_arn != null ? var.kms_key_arn : module.key[0].arn
  powertools_layer_arn = var.powertools_layer_arn != null ? var.powertools_layer_arn : (
    "arn:${local.partition}:lambda:${local.region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-${replace(var.runtime, ".", "")}-${var.architecture}:${var.powertools_layer_version}"
  )
  # Read at plan: a package that is not there fails here, with the way to build it, rather than
  # as a bare "no file exists" from the function call below.
  package_found = fileexists(var.package_file)

  # Whatever invokes the function: each SNS topic and EventBridge rule, by the caller's key. Each
  # may invoke the function, and send to the DLQ what it cannot deliver, only as itself.
  invokers = merge(
    { for k, t in var.sns_subscriptions : k => { sid = t.sid, principal = "sns.amazonaws.com", source_arn = t.topic_arn } },
    { for k, r in var.event_rules : k => { sid = r.sid, principal = "events.amazonaws.com", source_arn = aws_cloudwatch_event_rule.this[k].arn } },
  )

  # Failed invocations (after Lambda's own retries), and anything in the dead-letter queue.
  alarm_metrics = {
    errors       = { namespace = "AWS/Lambda", metric_name = "Errors", statistic = "Sum", dimensions = { FunctionName = aws_lambda_function.this.function_name } }
    dead_letters = { namespace = "AWS/SQS", metric_name = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", dimensions = { QueueName = aws_sqs_queue.dlq.name } }
  }
}

# ---------------------------------------------------------------------------
# Encryption key (unless one is given): logs, environment, DLQ, and whatever the caller encrypts
# ---------------------------------------------------------------------------
module "key" {
  source = "../kms-key"
  count  = var.kms_key_arn == null ? 1 : 0

  alias          = local.function_name
  description    = var.kms_key_description
  log_group_arns = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group}"]
  service_grants = var.kms_service_grants
  tags           = merge(var.tags, { Name = local.function_name })
}

# ---------------------------------------------------------------------------
# Dead-letter queue: failed asynchronous invocations and events that could not be delivered
# ---------------------------------------------------------------------------
resource "aws_sqs_queue" "dlq" {
  name                              = "${local.function_name}-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = merge(var.tags, { Name = "${local.function_name}-dlq" })
}

data "aws_iam_policy_document" "dlq" {
  # Each SNS subscription redrives what it cannot deliver, each rule dead-letters what it cannot
  # deliver, and only from the topic or rule named.
  dynamic "statement" {
    for_each = local.invokers
    content {
      sid       = "${statement.value.sid}DeadLetters"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.dlq.arn]

      principals {
        type        = "Service"
        identifiers = [statement.value.principal]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [statement.value.source_arn]
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.dlq.arn]

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

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.dlq.json
}

# ---------------------------------------------------------------------------
# Logs and role
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is the variable log_retention_days, whose default (365 days) passes this check and is asserted by the module tests; an environment may keep logs for less to save cost.
  name              = local.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
  tags              = merge(var.tags, { Name = local.log_group })
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = local.function_name
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  tags                 = var.tags
}

data "aws_iam_policy_document" "role" {
  # What every function needs; the caller's own statements (sids of its own) are merged in.
  source_policy_documents = [var.policy_json]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid     = "SendTraces"
    actions = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    # X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions.
    resources = ["*"]
  }

  statement {
    sid       = "UseTheKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]
  }

  statement {
    sid       = "DeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = var.component
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.role.json
}

# ---------------------------------------------------------------------------
# The function
# ---------------------------------------------------------------------------
resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The ops functions call only AWS APIs and public HTTPS endpoints (Slack, PagerDuty, webhooks); there is no VPC resource to reach, and a VPC would need endpoints or a NAT path just for that.
  #checkov:skip=CKV_AWS_272:The package is built from this repository by scripts/build-lambdas.sh and deployed through the reviewed Terraform run (package_sha256 can pin its digest); AWS Signer is not part of this project's release process.
  function_name                  = local.function_name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  runtime                        = var.runtime
  handler                        = var.handler
  architectures                  = [var.architecture]
  filename                       = var.package_file
  source_code_hash               = try(filebase64sha256(var.package_file), null)
  layers                         = [local.powertools_layer_arn]
  timeout                        = var.timeout_seconds
  memory_size                    = var.memory_mb
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = local.kms_key_arn

  environment {
    variables = var.environment_variables
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags       = merge(var.tags, { Name = local.function_name })
  depends_on = [aws_iam_role_policy.this]

  lifecycle {
    precondition {
      condition     = local.package_found
      error_message = "The package ${var.package_file} does not exist: build it with `make lambdas` (scripts/build-lambdas.sh writes dist/lambdas/<name>.zip)."
    }
    precondition {
      condition     = var.package_sha256 == null || !local.package_found || try(filesha256(var.package_file) == var.package_sha256, false)
      error_message = "The package ${var.package_file} is not the one expected: its SHA-256 differs from package_sha256."
    }
  }
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_retry_attempts
  maximum_event_age_in_seconds = var.async_max_event_age_seconds
}

# ---------------------------------------------------------------------------
# What invokes it: SNS topics and EventBridge rules (schedules or event patterns)
# ---------------------------------------------------------------------------
resource "aws_lambda_permission" "this" {
  for_each = local.invokers

  statement_id  = "${each.value.sid}Invokes"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = each.value.principal
  source_arn    = each.value.source_arn
}

resource "aws_sns_topic_subscription" "this" {
  for_each = var.sns_subscriptions

  topic_arn      = each.value.topic_arn
  protocol       = "lambda"
  endpoint       = aws_lambda_function.this.arn
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn })
  depends_on     = [aws_lambda_permission.this, aws_sqs_queue_policy.dlq]
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = var.event_rules

  name                = each.value.name
  description         = each.value.description
  schedule_expression = each.value.schedule_expression
  event_pattern       = each.value.event_pattern
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = var.event_rules

  rule  = aws_cloudwatch_event_rule.this[each.key].name
  arn   = aws_lambda_function.this.arn
  input = each.value.input

  retry_policy {
    maximum_event_age_in_seconds = each.value.max_event_age_seconds
    maximum_retry_attempts       = each.value.retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

# ---------------------------------------------------------------------------
# The function's own health
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = var.alarms

  alarm_name          = each.value.name
  alarm_description   = each.value.description
  namespace           = local.alarm_metrics[each.key].namespace
  metric_name         = local.alarm_metrics[each.key].metric_name
  dimensions          = local.alarm_metrics[each.key].dimensions
  statistic           = local.alarm_metrics[each.key].statistic
  period              = each.value.period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = each.value.alarm_actions
  ok_actions          = each.value.ok_actions
  tags                = merge(var.tags, { Severity = each.value.severity })
}
