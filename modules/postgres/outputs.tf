output "instance_identifier" {
  description = "RDS instance identifier (DBInstanceIdentifier dimension of its metrics; the snapshot pruner's filter)."
  value       = aws_db_instance.postgres.identifier
}

output "instance_arn" {
  description = "ARN of the RDS instance."
  value       = aws_db_instance.postgres.arn
}

output "instance_resource_id" {
  description = "Resource ID of the instance, for rds-db:connect IAM authentication policies."
  value       = aws_db_instance.postgres.resource_id
}

output "address" {
  description = "Host name of the instance (SSM parameter DATABASE_HOST)."
  value       = aws_db_instance.postgres.address
}

output "port" {
  description = "Port of the instance (SSM parameter DATABASE_PORT)."
  value       = aws_db_instance.postgres.port
}

output "database_name" {
  description = "Database the chat service uses (SSM parameter DATABASE_NAME)."
  value       = aws_db_instance.postgres.db_name
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret holding the RDS-managed master credentials as JSON {username, password} (app-asg module input database_secret_arn)."
  value       = aws_db_instance.postgres.master_user_secret[0].secret_arn
}

output "kms_key_arn" {
  description = "KMS key of the storage, the master secret and the logs; readers of the secret need kms:Decrypt on it."
  value       = module.key.arn
}

output "parameter_group_name" {
  description = "Name of the parameter group."
  value       = aws_db_parameter_group.postgres.name
}

output "log_group_names" {
  description = "CloudWatch log groups of the exported PostgreSQL logs, by export type."
  value       = { for k, g in aws_cloudwatch_log_group.exports : k => g.name }
}
