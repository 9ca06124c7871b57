output "function_name" {
  description = "Name of the snapshot pruner Lambda function (invoke it by hand with `{\"dry_run\": true}`)."
  value       = aws_lambda_function.pruner.function_name
}

output "function_arn" {
  description = "ARN of the snapshot pruner Lambda function."
  value       = aws_lambda_function.pruner.arn
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.pruner.arn
}

output "log_group_name" {
  description = "Log group of the function; each run writes one `snapshot pruning report` line."
  value       = aws_cloudwatch_log_group.pruner.name
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue of failed runs."
  value       = aws_sqs_queue.dlq.arn
}

output "dlq_url" {
  description = "URL of the dead-letter queue of failed runs."
  value       = aws_sqs_queue.dlq.url
}

output "schedule_rule_arn" {
  description = "ARN of the EventBridge schedule rule."
  value       = aws_cloudwatch_event_rule.schedule.arn
}

output "retention_policy" {
  description = "The default policy as the function reads it (`last=3,daily=7,...`)."
  value       = local.retention_policy
}

output "kms_key_arn" {
  description = "KMS key encrypting the pruner's logs, environment and DLQ."
  value       = local.kms_key_arn
}

output "powertools_layer_arn" {
  description = "The Powertools layer the function runs with."
  value       = local.powertools_layer_arn
}
