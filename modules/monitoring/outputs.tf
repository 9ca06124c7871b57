output "alarm_topic_arn" {
  description = "ARN of the encrypted SNS topic every alarm publishes to; the alarm router subscribes to it."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_topic_name" {
  description = "Name of the alarm topic."
  value       = aws_sns_topic.alarms.name
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the alarm topic and the log groups (a publisher to the topic needs kms:GenerateDataKey* and kms:Decrypt on it)."
  value       = module.key.arn
}

output "log_group_names" {
  description = "Names of the module's log groups by entry, e.g. `system` => `/chat-prod/system`."
  value       = { for k, g in aws_cloudwatch_log_group.service : k => g.name }
}

output "log_group_arns" {
  description = "ARNs of the module's log groups by entry."
  value       = { for k, g in aws_cloudwatch_log_group.service : k => g.arn }
}

output "alarm_names" {
  description = "Alarm names by key (`alb-5xx-rate`, `rds-free-storage-low`, `redis-evictions-<member>`, ...): `<name>[-<env>]-<severity>-<key>`."
  value       = local.alarm_names
}

output "alarm_arns" {
  description = "Alarm ARNs by key."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.threshold : k => a.arn },
    { alb-5xx-rate = aws_cloudwatch_metric_alarm.alb_5xx_rate.arn },
  )
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.service.dashboard_name
}

output "app_metrics_env" {
  description = "`Env` dimension value the alarms and dashboard expect from the chat service (set its `APP_ENV` to this)."
  value       = local.app_env
}
