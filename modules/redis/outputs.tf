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
  description = "rediss:// URL of the primary without credentials (SSM parameter REDIS_URL); the instances add the AUTH token from the secret at boot."
  value       = "rediss://${aws_elasticache_replication_group.redis.primary_endpoint_address}:${aws_elasticache_replication_group.redis.port}/0"
}

output "auth_token_secret_arn" {
  description = "Secrets Manager secret holding the AUTH token as a plain string (app-asg module input redis_auth_secret_arn)."
  value       = aws_secretsmanager_secret.auth_token.arn
}

output "kms_key_arn" {
  description = "KMS key of the data, the secret and the logs; readers of the secret need kms:Decrypt on it."
  value       = module.key.arn
}

output "log_group_names" {
  description = "CloudWatch log groups of the slow log and the engine log."
  value       = { for k, g in aws_cloudwatch_log_group.redis : k => g.name }
}
