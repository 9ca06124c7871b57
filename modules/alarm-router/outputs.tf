output "function_name" {
  description = "Name of the alarm router Lambda function."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the alarm router Lambda function."
  value       = module.function.function_arn
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = module.function.role_arn
}

output "log_group_name" {
  description = "Log group of the function (JSON lines: one per delivery, with receiver, outcome and attempts)."
  value       = module.function.log_group_name
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue (failed invocations, SNS/EventBridge deliveries and notifications)."
  value       = module.function.dlq_arn
}

output "dlq_url" {
  description = "URL of the dead-letter queue, for reading and replaying what failed."
  value       = module.function.dlq_url
}

output "idempotency_table_name" {
  description = "DynamoDB table remembering delivered alarm states."
  value       = aws_dynamodb_table.idempotency.name
}

output "receiver_secret_arns" {
  description = "Secret ARN per receiver name; put each receiver's JSON value in by hand."
  value       = { for k, s in aws_secretsmanager_secret.receiver : k => s.arn }
}

output "receiver_secret_names" {
  description = "Secret name per receiver name (`<name>/alarm-router/<receiver>`)."
  value       = { for k, s in aws_secretsmanager_secret.receiver : k => s.name }
}

output "routes_parameter_name" {
  description = "SSM parameter holding the routing rules override, or null when the shipped rules are used."
  value       = var.routing_rules_json == null ? null : aws_ssm_parameter.routes[0].name
}

output "email_topic_arn" {
  description = "ARN of the on-call email topic (the `email` receiver and the router's own health alarms)."
  value       = aws_sns_topic.email.arn
}

output "eventbridge_rule_arn" {
  description = "ARN of the alarm state-change rule, or null when EventBridge is off."
  value       = lookup(module.function.event_rule_arns, "alarm_state", null)
}

output "kms_key_arn" {
  description = "KMS key encrypting the router's data (the given one or the dedicated one)."
  value       = local.kms_key_arn
}

output "powertools_layer_arn" {
  description = "The Powertools layer the function runs with."
  value       = module.function.powertools_layer_arn
}

output "state_table_name" {
  description = "DynamoDB table of notification groups, firing alarms and silences (`python -m alarm_router.silences --table <this>`)."
  value       = aws_dynamodb_table.state.name
}
