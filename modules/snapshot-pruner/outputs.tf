output "function_name" {
  description = "Name of the snapshot pruner Lambda function (invoke it by hand with `{\"dry_run\": true}`)."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the snapshot pruner Lambda function."
  value       = module.function.function_arn
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = module.function.role_arn
}

output "log_group_name" {
  description = "Log group of the function; each run writes one `snapshot pruning report` line."
  value       = module.function.log_group_name
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue of failed runs."
  value       = module.function.dlq_arn
}

output "dlq_url" {
  description = "URL of the dead-letter queue of failed runs."
  value       = module.function.dlq_url
}

output "schedule_rule_arn" {
  description = "ARN of the EventBridge schedule rule."
  value       = module.function.event_rule_arns["schedule"]
}

output "retention_policy" {
  description = "The default policy as the function reads it (`last=3,daily=7,...`)."
  value       = local.retention_policy
}

output "kms_key_arn" {
  description = "KMS key encrypting the pruner's logs, environment and DLQ."
  value       = module.function.kms_key_arn
}

output "powertools_layer_arn" {
  description = "The Powertools layer the function runs with."
  value       = module.function.powertools_layer_arn
}
