# The alarm router: a Lambda that turns CloudWatch alarm notifications (SNS) and alarm state-change
# events (EventBridge) into Slack, PagerDuty, email and webhook notifications.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id     = data.aws_caller_identity.current.account_id
  region         = data.aws_region.current.region
  partition      = data.aws_partition.current.partition
  secret_prefix  = "${var.name}/alarm-router/"
  kms_key_arn    = module.function.kms_key_arn
  alarm_prefixes = var.eventbridge_alarm_name_prefixes != null ? var.eventbridge_alarm_name_prefixes : ["${var.name}-"]
  tags           = merge(var.tags, { Env = var.environment, Component = "alarm-router" })
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
# The function: what it may do, what invokes it, where its own failures go
# ---------------------------------------------------------------------------
data "aws_iam_policy_document" "function" {
  statement {
    sid       = "ReadOwnReceiverSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = length(var.receiver_secrets) > 0 ? [for s in aws_secretsmanager_secret.receiver : s.arn] : ["arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${local.secret_prefix}none-*"]
  }

  statement {
    sid       = "EmailReceiver"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.email.arn]
  }

  statement {
    sid       = "IdempotencyRecords"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [aws_dynamodb_table.idempotency.arn]
  }

  statement {
    # Conditional writes on a version: no scan, no batch, no table-level action.
    sid       = "GroupsSilencesAndFiringAlarms"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"]
    resources = [aws_dynamodb_table.state.arn]
  }

  statement {
    # Env and Severity come from the alarm's tags.
    sid       = "ReadAlarmTags"
    actions   = ["cloudwatch:ListTagsForResource"]
    resources = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"]
  }

  dynamic "statement" {
    for_each = aws_ssm_parameter.routes
    content {
      sid       = "ReadOwnRoutingRules"
      actions   = ["ssm:GetParameter"]
      resources = [statement.value.arn]
    }
  }
}

module "function" {
  source = "../lambda-function"

  name        = var.name
  component   = "alarm-router"
  description = "Routes CloudWatch alarms of ${var.environment} to Slack, PagerDuty, email and webhooks"
  tags        = local.tags

  package_file             = var.package_file
  package_sha256           = var.package_sha256
  handler                  = "alarm_router.handler.lambda_handler"
  architecture             = var.architecture
  powertools_layer_arn     = var.powertools_layer_arn
  powertools_layer_version = var.powertools_layer_version
  environment_variables = {
    ENV                          = var.environment
    SECRET_PREFIX                = local.secret_prefix
    ROUTES_PARAMETER             = var.routing_rules_json == null ? "" : aws_ssm_parameter.routes[0].name
    EMAIL_TOPIC_ARN              = aws_sns_topic.email.arn
    DLQ_URL                      = module.function.dlq_url
    IDEMPOTENCY_TABLE            = aws_dynamodb_table.idempotency.name
    IDEMPOTENCY_TTL_SECONDS      = tostring(var.idempotency_ttl_seconds)
    STATE_TABLE                  = aws_dynamodb_table.state.name
    HTTP_TIMEOUT_SECONDS         = tostring(var.http_timeout_seconds)
    HTTP_MAX_ATTEMPTS            = tostring(var.http_max_attempts)
    POWERTOOLS_SERVICE_NAME      = "alarm-router"
    POWERTOOLS_METRICS_NAMESPACE = "Chat/Ops"
  }

  timeout_seconds      = var.timeout_seconds
  memory_mb            = var.memory_mb
  reserved_concurrency = var.reserved_concurrency
  async_retry_attempts = 2
  log_retention_days   = var.log_retention_days

  policy_json              = data.aws_iam_policy_document.function.json
  permissions_boundary_arn = var.permissions_boundary_arn
  kms_key_arn              = var.kms_key_arn
  kms_key_description      = "${var.name} alarm router: logs, environment, DLQ, idempotency, secrets, email topic"
  kms_service_grants = [{
    # SNS (subscription redrive), EventBridge (target DLQ) and CloudWatch alarms (email topic)
    # write to the encrypted queue and topic with their own service identities.
    sid        = "ServicesWriteToTheEncryptedQueueAndTopic"
    services   = ["sns.amazonaws.com", "events.amazonaws.com", "cloudwatch.amazonaws.com"]
    actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
    conditions = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [local.account_id] }]
  }]

  # Every alarm of the environment publishes to the monitoring topic.
  sns_subscriptions = {
    alarm_topic = { sid = "AlarmTopic", topic_arn = var.alarm_topic_arn }
  }
  event_rules = merge(
    var.enable_eventbridge ? {
      alarm_state = {
        sid         = "AlarmStateRule"
        name        = "${var.name}-alarm-state-change"
        description = "CloudWatch alarm state changes of ${var.name} to the alarm router"
        event_pattern = jsonencode({
          source        = ["aws.cloudwatch"]
          "detail-type" = ["CloudWatch Alarm State Change"]
          resources     = [for p in local.alarm_prefixes : { prefix = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${p}" }]
        })
        max_event_age_seconds = 3600
        retry_attempts        = 10
      }
    } : {},
    {
      # The tick flushes groups that are due (group_wait, group_interval, repeat_interval,
      # silences that ended). Missing one only delays; the next finds the same due groups.
      tick = {
        sid                   = "TickSchedule"
        name                  = "${var.name}-alarm-router-tick"
        description           = "Flushes the ${var.name} alarm router's due notification groups"
        schedule_expression   = var.tick_schedule_expression
        input                 = jsonencode({ kind = "alarm-router.tick" })
        max_event_age_seconds = 120
        retry_attempts        = 2
      }
    },
  )

  # The router's own health: straight to the email topic, never through the router itself.
  alarms = {
    errors = {
      name           = "${var.name}-critical-alarm-router-errors"
      description    = "[${var.environment}][critical] The alarm router failed invocations; Lambda retries them, then dead-letters. See docs/oncall.md."
      severity       = "critical"
      period_seconds = 300
      alarm_actions  = [aws_sns_topic.email.arn]
    }
    dead_letters = {
      name           = "${var.name}-critical-alarm-router-dead-letters"
      description    = "[${var.environment}][critical] Notifications or invocations of the alarm router are in its DLQ: on-call may have missed alarms. See docs/oncall.md."
      severity       = "critical"
      period_seconds = 300
      alarm_actions  = [aws_sns_topic.email.arn]
    }
  }
}
