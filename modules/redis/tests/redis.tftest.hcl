mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_region" {
    defaults = {
      region = "eu-west-1"
      name   = "eu-west-1"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_resource "aws_elasticache_replication_group" {
    defaults = {
      primary_endpoint_address = "master.chat-test-redis.abc123.euw1.cache.amazonaws.com"
      port                     = 6379
    }
  }
}

variables {
  name               = "chat-test"
  subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_ids = ["sg-0123456789abcdef0"]
}

run "cluster_mode_is_off_for_the_socketio_manager" {
  command = plan

  assert {
    condition     = aws_elasticache_replication_group.redis.cluster_mode == "disabled"
    error_message = "Cluster mode must be disabled: python-socketio's Redis manager does not support it."
  }
  assert {
    condition     = one([for p in aws_elasticache_parameter_group.redis.parameter : p.value if p.name == "cluster-enabled"]) == "no"
    error_message = "The parameter group must say cluster-enabled no."
  }
  assert {
    condition     = aws_elasticache_parameter_group.redis.family == "redis7"
    error_message = "Redis 7.1 needs the redis7 family."
  }
}

run "iam_users_and_no_password_anywhere_by_default" {
  command = apply

  assert {
    condition     = aws_elasticache_user.app[0].user_name == "chat-test-app" && aws_elasticache_user.app[0].authentication_mode[0].type == "iam"
    error_message = "The service logs in as chat-test-app with IAM authentication."
  }
  assert {
    condition     = aws_elasticache_user.app[0].access_string == "on ~chat:* &chat* +@all -@admin -@dangerous"
    error_message = "The service's user may touch only its own keys and channels, and no administrative or dangerous command."
  }
  assert {
    condition     = aws_elasticache_user.default[0].user_name == "default" && startswith(aws_elasticache_user.default[0].access_string, "off ")
    error_message = "The group's required default user must be switched off."
  }
  assert {
    condition     = toset(aws_elasticache_user_group.redis[0].user_ids) == toset(["chat-test-default", "chat-test-app"]) && toset(aws_elasticache_replication_group.redis.user_group_ids) == toset(["chat-test-redis"])
    error_message = "The replication group authenticates through the user group of those two users."
  }
  assert {
    condition     = length(data.aws_secretsmanager_random_password.auth_token) == 0 && length(aws_secretsmanager_secret.auth_token) == 0 && length(aws_secretsmanager_secret_version.auth_token) == 0
    error_message = "With IAM there is no token: no random password read (it would land in state), no secret, no AUTH token."
  }
  assert {
    condition     = output.redis_url == "rediss://chat-test-app@master.chat-test-redis.abc123.euw1.cache.amazonaws.com:6379/0" && output.iam.user == "chat-test-app" && output.auth_token_secret_arn == null
    error_message = "REDIS_URL names the user and no password; the iam output feeds app-asg."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis.transit_encryption_enabled && aws_elasticache_replication_group.redis.transit_encryption_mode == "required"
    error_message = "TLS must be required in transit (IAM authentication needs it)."
  }
}

run "a_key_prefix_narrows_the_access_string" {
  command = plan

  variables {
    key_prefix = "chat-prod"
  }

  assert {
    condition     = aws_elasticache_user.app[0].access_string == "on ~chat-prod:* &chat-prod* +@all -@admin -@dangerous"
    error_message = "The access string follows SOCKETIO_CHANNEL."
  }
}

run "tls_auth_and_kms_are_on" {
  command = apply

  variables {
    authentication = "auth-token"
  }

  assert {
    condition     = aws_elasticache_replication_group.redis.transit_encryption_enabled && aws_elasticache_replication_group.redis.transit_encryption_mode == "required"
    error_message = "TLS must be required in transit."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis.at_rest_encryption_enabled && aws_elasticache_replication_group.redis.kms_key_id == module.key.arn
    error_message = "Data at rest must be encrypted with the module's KMS key."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis.auth_token_wo_version == 1 && aws_secretsmanager_secret_version.auth_token[0].secret_string_wo_version == 1
    error_message = "The AUTH token must be written to ElastiCache and to the secret."
  }
  assert {
    condition     = aws_secretsmanager_secret.auth_token[0].kms_key_id == module.key.arn
    error_message = "The AUTH token secret must be encrypted with the module's key."
  }
  assert {
    condition     = data.aws_secretsmanager_random_password.auth_token[0].exclude_punctuation && data.aws_secretsmanager_random_password.auth_token[0].password_length == 64
    error_message = "The token is 64 letters and digits (URL-safe, accepted by ElastiCache)."
  }
  assert {
    condition     = output.redis_url == "rediss://master.chat-test-redis.abc123.euw1.cache.amazonaws.com:6379/0"
    error_message = "REDIS_URL must be a rediss:// URL to the primary, without credentials."
  }
}

run "logs_are_delivered_to_encrypted_groups" {
  command = apply

  assert {
    condition     = toset([for l in aws_elasticache_replication_group.redis.log_delivery_configuration : l.log_type]) == toset(["slow-log", "engine-log"])
    error_message = "Slow log and engine log must both be delivered."
  }
  assert {
    condition     = alltrue([for l in aws_elasticache_replication_group.redis.log_delivery_configuration : l.destination_type == "cloudwatch-logs"])
    error_message = "Logs go to CloudWatch Logs."
  }
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.redis : g.kms_key_id == module.key.arn && g.retention_in_days == 365])
    error_message = "Log groups must be encrypted and keep a year."
  }
}

run "production_defaults_fail_over_across_azs" {
  command = plan

  assert {
    condition     = aws_elasticache_replication_group.redis.automatic_failover_enabled && aws_elasticache_replication_group.redis.multi_az_enabled
    error_message = "Automatic failover and Multi-AZ are the defaults."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis.num_cache_clusters == 2
    error_message = "A primary and a replica by default."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis.snapshot_retention_limit == 7
    error_message = "A week of snapshots by default."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis.port == 6379
    error_message = "Redis listens on 6379."
  }
  assert {
    condition     = toset(aws_elasticache_subnet_group.redis.subnet_ids) == toset(var.subnet_ids) && toset(aws_elasticache_replication_group.redis.security_group_ids) == toset(var.security_group_ids)
    error_message = "The group lives only in the given subnets behind the given security group."
  }
}

run "dev_runs_one_node" {
  command = plan

  variables {
    num_cache_clusters      = 1
    automatic_failover      = false
    multi_az                = false
    snapshot_retention_days = 1
    node_type               = "cache.t4g.micro"
    engine                  = "valkey"
    engine_version          = "8.0"
  }

  assert {
    condition     = !aws_elasticache_replication_group.redis.automatic_failover_enabled && !aws_elasticache_replication_group.redis.multi_az_enabled && aws_elasticache_replication_group.redis.num_cache_clusters == 1
    error_message = "Dev runs a single node without failover."
  }
  assert {
    condition     = aws_elasticache_parameter_group.redis.family == "valkey8" && aws_elasticache_replication_group.redis.engine == "valkey"
    error_message = "Valkey 8 needs the valkey8 family."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis.transit_encryption_enabled && aws_elasticache_replication_group.redis.at_rest_encryption_enabled
    error_message = "Encryption is not a dev switch."
  }
}

run "rotating_the_token_bumps_both_write_only_versions" {
  command = plan

  variables {
    authentication     = "auth-token"
    auth_token_version = 2
  }

  assert {
    condition     = aws_elasticache_replication_group.redis.auth_token_wo_version == 2 && aws_secretsmanager_secret_version.auth_token[0].secret_string_wo_version == 2
    error_message = "A new token version must reach the secret and ElastiCache together."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis.auth_token_update_strategy == "ROTATE"
    error_message = "Rotation keeps the old token valid until the instances have the new one."
  }
}

run "rejects_failover_with_a_single_node" {
  command = plan

  variables {
    num_cache_clusters = 1
  }

  expect_failures = [var.automatic_failover]
}

run "rejects_an_eviction_policy_that_drops_sessions" {
  command = plan

  variables {
    maxmemory_policy = "allkeys-lru"
  }

  expect_failures = [var.maxmemory_policy]
}
