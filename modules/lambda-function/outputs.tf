output "function_name" {
  description = "Name of the function (`<name>-<component>`)."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "configuration" {
  description = "How the function runs, as planned: handler, runtime, architectures, layers, timeout, memory_size, reserved_concurrency, environment (variables), kms_key_arn, tracing_mode, dead_letter_target_arn, source_code_hash, log_format. For the callers' tests and for reading at a glance."
  value = {
    handler                = aws_lambda_function.this.handler
    runtime                = aws_lambda_function.this.runtime
    architectures          = aws_lambda_function.this.architectures
    layers                 = aws_lambda_function.this.layers
    timeout                = aws_lambda_function.this.timeout
    memory_size            = aws_lambda_function.this.memory_size
    reserved_concurrency   = aws_lambda_function.this.reserved_concurrent_executions
    environment            = aws_lambda_function.this.environment[0].variables
    kms_key_arn            = aws_lambda_function.this.kms_key_arn
    tracing_mode           = aws_lambda_function.this.tracing_config[0].mode
    dead_letter_target_arn = aws_lambda_function.this.dead_letter_config[0].target_arn
    source_code_hash       = aws_lambda_function.this.source_code_hash
    log_format             = aws_lambda_function.this.logging_config[0].log_format
  }
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "role_permissions_boundary" {
  description = "The permissions boundary the role carries."
  value       = aws_iam_role.this.permissions_boundary
}

output "log_group_name" {
  description = "Log group of the function (JSON lines)."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_url" {
  description = "URL of the dead-letter queue, for reading and replaying what failed."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}

output "dlq_policy_statements" {
  description = "The DLQ policy's statements as given to aws_iam_policy_document (sid, effect, principals, condition): what the callers' tests check."
  value       = data.aws_iam_policy_document.dlq.statement
}

output "kms_key_arn" {
  description = "KMS key encrypting the function's data (the given one or the dedicated one)."
  value       = local.kms_key_arn
}

output "kms_key_rotation_enabled" {
  description = "Whether the dedicated key rotates (null with a given key)."
  value       = var.kms_key_arn == null ? module.key[0].rotation_enabled : null
}

output "powertools_layer_arn" {
  description = "The Powertools layer the function runs with."
  value       = local.powertools_layer_arn
}

output "event_rule_arns" {
  description = "ARN of each EventBridge rule, by the key of event_rules."
  value       = { for k, r in aws_cloudwatch_event_rule.this : k => r.arn }
}

output "event_rules" {
  description = "Each EventBridge rule as planned (schedule_expression, event_pattern) with its target's input and DLQ, by the key of event_rules: for the callers' tests."
  value = { for k, r in aws_cloudwatch_event_rule.this : k => {
    schedule_expression = r.schedule_expression
    event_pattern       = r.event_pattern
    input               = aws_cloudwatch_event_target.this[k].input
    dead_letter_arn     = aws_cloudwatch_event_target.this[k].dead_letter_config[0].arn
    permission_source   = aws_lambda_permission.this[k].source_arn
  } }
}

output "sns_subscriptions" {
  description = "Each SNS subscription as planned (topic_arn, protocol, redrive_policy, the invoke permission's principal and source), by the key of sns_subscriptions: for the callers' tests."
  value = { for k, s in aws_sns_topic_subscription.this : k => {
    topic_arn            = s.topic_arn
    protocol             = s.protocol
    redrive_policy       = s.redrive_policy
    permission_principal = aws_lambda_permission.this[k].principal
    permission_source    = aws_lambda_permission.this[k].source_arn
  } }
}

output "alarms" {
  description = "The function's own alarms (name, alarm_actions, ok_actions, tags), by `errors` and `dead_letters`."
  value = { for k, a in aws_cloudwatch_metric_alarm.this : k => {
    name          = a.alarm_name
    alarm_actions = a.alarm_actions
    ok_actions    = a.ok_actions
    tags          = a.tags
  } }
}
