# The alarm router: a Lambda that turns CloudWatch alarm notifications (SNS) and alarm state-change
# events (EventBridge) into Slack, PagerDuty, email and webhook notifications.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  region        = data.aws_region.current.region
  partition     = data.aws_partition.current.partition
  function_name = "${var.name}-alarm-router"
  log_group     = "/aws/lambda/${local.function_name}"
  secret_prefix = "${var.name}/alarm-router/"
  kms_key_arn   = var.kms_key_arn != null ? var.kms_key_arn : module.key[0].arn
  source_dir    = var.source_dir != null ? var.source_dir : "${path.module}/../../lambdas/alarm_router"
  powertools_layer_arn = var.powertools_layer_arn != null ? var.powertools_layer_arn : (
    "arn:${local.partition}:lambda:${local.region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-${var.architecture}:${var.powertools_layer_version}"
  )
  alarm_prefixes = var.eventbridge_alarm_name_prefixes != null ? var.eventbridge_alarm_name_prefixes : ["${var.name}-"]
  tags           = merge(var.tags, { Env = var.environment, Component = "alarm-router" })
}

# ---------------------------------------------------------------------------
# Encryption key (unless one is given)
# ---------------------------------------------------------------------------
module "key" {
  source = "../kms-key"
  count  = var.kms_key_arn == null ? 1 : 0

  alias          = "${var.name}-alarm-router"
  description    = "${var.name} alarm router: logs, environment, DLQ, idempotency, secrets, email topic"
  log_group_arns = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group}"]
  service_grants = [{
    # SNS (subscription redrive), EventBridge (target DLQ) and CloudWatch alarms (email topic)
    # write to the encrypted queue and topic with their own service identities.
    sid        = "ServicesWriteToTheEncryptedQueueAndTopic"
    services   = ["sns.amazonaws.com", "events.amazonaws.com", "cloudwatch.amazonaws.com"]
    actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
    conditions = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [local.account_id] }]
  }]
  tags = merge(local.tags, { Name = "${var.name}-alarm-router" })
}

moved {
  from = aws_kms_key.router[0]
  to   = module.key[0].aws_kms_key.this
}

moved {
  from = aws_kms_alias.router[0]
  to   = module.key[0].aws_kms_alias.this
}

# ---------------------------------------------------------------------------
# Dead-letter queue: failed invocations, SNS/EventBridge deliveries and notifications
# ---------------------------------------------------------------------------
resource "aws_sqs_queue" "dlq" {
  name                              = "${var.name}-alarm-router-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = local.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = merge(local.tags, { Name = "${var.name}-alarm-router-dlq" })
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "AlarmTopicRedrivesFailedDeliveries"
          Effect    = "Allow"
          Principal = { Service = "sns.amazonaws.com" }
          Action    = "sqs:SendMessage"
          Resource  = aws_sqs_queue.dlq.arn
          Condition = { ArnEquals = { "aws:SourceArn" = var.alarm_topic_arn } }
        },
        {
          Sid       = "TickScheduleDeadLetters"
          Effect    = "Allow"
          Principal = { Service = "events.amazonaws.com" }
          Action    = "sqs:SendMessage"
          Resource  = aws_sqs_queue.dlq.arn
          Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.tick.arn } }
        },
        {
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = "*"
          Action    = "sqs:*"
          Resource  = aws_sqs_queue.dlq.arn
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        },
      ],
      var.enable_eventbridge ? [
        {
          Sid       = "EventBridgeRuleDeadLetters"
          Effect    = "Allow"
          Principal = { Service = "events.amazonaws.com" }
          Action    = "sqs:SendMessage"
          Resource  = aws_sqs_queue.dlq.arn
          Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.alarm_state[0].arn } }
        },
      ] : [],
    )
  })
}

# ---------------------------------------------------------------------------
# Idempotency: one delivery per alarm state (alarm ARN, state, state-change time)
# ---------------------------------------------------------------------------
resource "aws_dynamodb_table" "idempotency" {
  name                        = "${var.name}-alarm-router-idempotency"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "id"
    type = "S"
  }

  # Powertools writes the record's expiry (epoch seconds) here; DynamoDB removes expired records.
  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = merge(local.tags, { Name = "${var.name}-alarm-router-idempotency" })
}

# ---------------------------------------------------------------------------
# Shared state: notification groups, firing alarms (for inhibition) and silences
# ---------------------------------------------------------------------------
resource "aws_dynamodb_table" "state" {
  name                        = "${var.name}-alarm-router-state"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }

  # Groups and firing alarms expire 14 days after their last change, silences a week after
  # their end (the code never relies on the deletion: an ended silence mutes nothing).
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = merge(local.tags, { Name = "${var.name}-alarm-router-state" })
}

# ---------------------------------------------------------------------------
# Receiver secrets (values are put in by hand, never through Terraform) and routing rules
# ---------------------------------------------------------------------------
resource "aws_secretsmanager_secret" "receiver" {
  for_each = toset(var.receiver_secrets)

  #checkov:skip=CKV2_AWS_57:Slack webhook URLs and PagerDuty routing keys are issued by those services; they are rotated there and pasted in, so a rotation Lambda has nothing to call.
  name                    = "${local.secret_prefix}${each.key}"
  description             = "Alarm router receiver '${each.key}': JSON, see docs/oncall.md"
  kms_key_id              = local.kms_key_arn
  recovery_window_in_days = 7
  tags                    = merge(local.tags, { Name = "${local.secret_prefix}${each.key}" })
}

resource "aws_ssm_parameter" "routes" {
  count = var.routing_rules_json == null ? 0 : 1

  name        = "/${var.name}/alarm-router/routes"
  description = "Alarm routing rules, read instead of the rules shipped with the function"
  type        = "SecureString"
  key_id      = local.kms_key_arn
  tier        = length(var.routing_rules_json) > 4096 ? "Advanced" : "Standard"
  value       = var.routing_rules_json
  tags        = local.tags
}

resource "aws_sns_topic" "email" {
  name              = "${var.name}-oncall-email"
  kms_master_key_id = local.kms_key_arn
  tags              = merge(local.tags, { Name = "${var.name}-oncall-email" })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.email_addresses)

  topic_arn = aws_sns_topic.email.arn
  protocol  = "email"
  endpoint  = each.key
}

# ---------------------------------------------------------------------------
# The function
# ---------------------------------------------------------------------------
data "archive_file" "source" {
  type        = "zip"
  source_dir  = local.source_dir
  output_path = "${path.root}/.terraform/build/${local.function_name}.zip"
  excludes    = ["requirements.txt", "**/__pycache__/**", "**/*.pyc"]
}

resource "aws_cloudwatch_log_group" "router" {
  #checkov:skip=CKV_AWS_338:Retention is the variable log_retention_days, whose default (365 days) passes this check and is asserted by the module tests; an environment may keep logs for less to save cost.
  name              = local.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
  tags              = merge(local.tags, { Name = local.log_group })
}

resource "aws_iam_role" "router" {
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

resource "aws_iam_role_policy" "router" {
  name = "alarm-router"
  role = aws_iam_role.router.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "${aws_cloudwatch_log_group.router.arn}:*"
        },
        {
          Sid    = "SendTraces"
          Effect = "Allow"
          Action = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
          # X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions.
          Resource = "*"
        },
        {
          Sid      = "ReadOwnReceiverSecrets"
          Effect   = "Allow"
          Action   = ["secretsmanager:GetSecretValue"]
          Resource = length(var.receiver_secrets) > 0 ? [for s in aws_secretsmanager_secret.receiver : s.arn] : ["arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${local.secret_prefix}none-*"]
        },
        {
          Sid      = "UseTheKey"
          Effect   = "Allow"
          Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
          Resource = local.kms_key_arn
        },
        {
          Sid      = "DeadLetterFailedDeliveries"
          Effect   = "Allow"
          Action   = ["sqs:SendMessage"]
          Resource = aws_sqs_queue.dlq.arn
        },
        {
          Sid      = "EmailReceiver"
          Effect   = "Allow"
          Action   = ["sns:Publish"]
          Resource = aws_sns_topic.email.arn
        },
        {
          Sid      = "IdempotencyRecords"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
          Resource = aws_dynamodb_table.idempotency.arn
        },
        {
          # Conditional writes on a version: no scan, no batch, no table-level action.
          Sid      = "GroupsSilencesAndFiringAlarms"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"]
          Resource = aws_dynamodb_table.state.arn
        },
        {
          # Env and Severity come from the alarm's tags.
          Sid      = "ReadAlarmTags"
          Effect   = "Allow"
          Action   = ["cloudwatch:ListTagsForResource"]
          Resource = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"
        },
      ],
      var.routing_rules_json == null ? [] : [
        {
          Sid      = "ReadOwnRoutingRules"
          Effect   = "Allow"
          Action   = ["ssm:GetParameter"]
          Resource = aws_ssm_parameter.routes[0].arn
        },
      ],
    )
  })
}

resource "aws_lambda_function" "router" {
  #checkov:skip=CKV_AWS_117:The router calls only public endpoints (Slack, PagerDuty, webhooks) and AWS APIs; no VPC resource to reach, and a VPC would need a NAT path just for that.
  #checkov:skip=CKV_AWS_272:Code comes from this repository through the reviewed Terraform run; AWS Signer is not part of this project's release process.
  function_name                  = local.function_name
  description                    = "Routes CloudWatch alarms of ${var.environment} to Slack, PagerDuty, email and webhooks"
  role                           = aws_iam_role.router.arn
  runtime                        = "python3.11"
  handler                        = "alarm_router.handler.lambda_handler"
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
      SECRET_PREFIX                = local.secret_prefix
      ROUTES_PARAMETER             = var.routing_rules_json == null ? "" : aws_ssm_parameter.routes[0].name
      EMAIL_TOPIC_ARN              = aws_sns_topic.email.arn
      DLQ_URL                      = aws_sqs_queue.dlq.url
      IDEMPOTENCY_TABLE            = aws_dynamodb_table.idempotency.name
      IDEMPOTENCY_TTL_SECONDS      = tostring(var.idempotency_ttl_seconds)
      STATE_TABLE                  = aws_dynamodb_table.state.name
      HTTP_TIMEOUT_SECONDS         = tostring(var.http_timeout_seconds)
      HTTP_MAX_ATTEMPTS            = tostring(var.http_max_attempts)
      POWERTOOLS_SERVICE_NAME      = "alarm-router"
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
    log_group  = aws_cloudwatch_log_group.router.name
  }

  tags       = merge(local.tags, { Name = local.function_name })
  depends_on = [aws_iam_role_policy.router]
}

resource "aws_lambda_function_event_invoke_config" "router" {
  function_name                = aws_lambda_function.router.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600
}

# ---------------------------------------------------------------------------
# Inputs: the monitoring topic and the EventBridge rule
# ---------------------------------------------------------------------------
resource "aws_lambda_permission" "alarm_topic" {
  statement_id  = "AlarmTopicInvokes"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.router.function_name
  principal     = "sns.amazonaws.com"
  source_arn    = var.alarm_topic_arn
}

resource "aws_sns_topic_subscription" "alarm_topic" {
  topic_arn      = var.alarm_topic_arn
  protocol       = "lambda"
  endpoint       = aws_lambda_function.router.arn
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn })
  depends_on     = [aws_lambda_permission.alarm_topic, aws_sqs_queue_policy.dlq]
}

resource "aws_cloudwatch_event_rule" "alarm_state" {
  count = var.enable_eventbridge ? 1 : 0

  name        = "${var.name}-alarm-state-change"
  description = "CloudWatch alarm state changes of ${var.name} to the alarm router"
  event_pattern = jsonencode({
    source        = ["aws.cloudwatch"]
    "detail-type" = ["CloudWatch Alarm State Change"]
    resources     = [for p in local.alarm_prefixes : { prefix = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${p}" }]
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "alarm_state" {
  count = var.enable_eventbridge ? 1 : 0

  rule = aws_cloudwatch_event_rule.alarm_state[0].name
  arn  = aws_lambda_function.router.arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

resource "aws_lambda_permission" "alarm_state" {
  count = var.enable_eventbridge ? 1 : 0

  statement_id  = "AlarmStateRuleInvokes"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.router.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.alarm_state[0].arn
}

# ---------------------------------------------------------------------------
# The tick: flushes groups that are due (group_wait, group_interval, repeat_interval, silences
# that ended). Missing one tick only delays; the next one finds the same due groups.
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_event_rule" "tick" {
  name                = "${var.name}-alarm-router-tick"
  description         = "Flushes the ${var.name} alarm router's due notification groups"
  schedule_expression = var.tick_schedule_expression
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "tick" {
  rule  = aws_cloudwatch_event_rule.tick.name
  arn   = aws_lambda_function.router.arn
  input = jsonencode({ kind = "alarm-router.tick" })

  retry_policy {
    maximum_event_age_in_seconds = 120
    maximum_retry_attempts       = 2
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

resource "aws_lambda_permission" "tick" {
  statement_id  = "TickScheduleInvokes"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.router.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.tick.arn
}

# ---------------------------------------------------------------------------
# The router's own health: straight to the email topic, never through the router itself
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name}-critical-alarm-router-dead-letters"
  alarm_description   = "[${var.environment}][critical] Notifications or invocations of the alarm router are in its DLQ: on-call may have missed alarms. See docs/oncall.md."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.email.arn]
  tags                = merge(local.tags, { Severity = "critical" })
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.name}-critical-alarm-router-errors"
  alarm_description   = "[${var.environment}][critical] The alarm router failed invocations; Lambda retries them, then dead-letters. See docs/oncall.md."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.router.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.email.arn]
  tags                = merge(local.tags, { Severity = "critical" })
}
