output "replication_group_id" {
  description = "ID of the replication group (ReplicationGroupId / CacheClusterId prefix of its metrics)."
  value       = aws_elasticache_replication_group.redis.id
}

output "replication_group_arn" {
  description = "ARN of the replication group."
  value       = aws_elasticache_replication_group.redis.arn
}

output "member_clusters" {
  description = "Node IDs (CacheClusterId dimension of the per-node metrics, for the monitoring module)."
  value       = aws_elasticache_replication_group.redis.member_clusters
}

output "primary_endpoint_address" {
  description = "Host name of the primary (writes, PUBLISH/SUBSCRIBE); it follows a failover."
  value       = aws_elasticache_replication_group.redis.primary_endpoint_address
}

output "reader_endpoint_address" {
  description = "Host name spreading reads over the replicas."
  value       = aws_elasticache_replication_group.redis.reader_endpoint_address
}

output "port" {
  description = "Port of the replication group."
  value       = aws_elasticache_replication_group.redis.port
}

output "redis_url" {
  description = "rediss:// URL of the primary without a password (SSM parameter REDIS_URL): with IAM authentication it names the service's user, whose token the instances sign per connection; with an AUTH token the instances add it from the secret at boot."
  value       = "rediss://${local.iam ? "${local.app_user}@" : ""}${aws_elasticache_replication_group.redis.primary_endpoint_address}:${aws_elasticache_replication_group.redis.port}/0"
}

output "iam" {
  description = "With IAM authentication, what the app-asg module needs (its input redis_iam): the user, its ARN, the replication group's id and ARN; null with an AUTH token."
  value = local.iam ? {
    user                  = aws_elasticache_user.app[0].user_name
    user_arn              = aws_elasticache_user.app[0].arn
    replication_group_id  = aws_elasticache_replication_group.redis.id
    replication_group_arn = aws_elasticache_replication_group.redis.arn
  } : null
}

output "auth_token_secret_arn" {
  description = "With authentication = \"auth-token\": the Secrets Manager secret holding the AUTH token as a plain string (app-asg module input redis_auth_secret_arn); null with IAM."
  value       = local.iam ? null : aws_secretsmanager_secret.auth_token[0].arn
}

output "kms_key_arn" {
  description = "KMS key of the data, the secret and the logs; readers of the secret need kms:Decrypt on it."
  value       = module.key.arn
}

output "log_group_names" {
  description = "CloudWatch log groups of the slow log and the engine log."
  value       = { for k, g in aws_cloudwatch_log_group.redis : k => g.name }
}
