data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  replication_group_id = "${var.name}-redis"
  family               = "${var.engine}${split(".", var.engine_version)[0]}"
  log_types            = toset(["slow-log", "engine-log"])
  log_group_prefix     = "/${var.name}/redis"
}

# --- KMS: data at rest, the AUTH token secret and the delivered logs ----------

module "key" {
  source = "../kms-key"

  alias          = "${var.name}/redis"
  description    = "${var.name}: Redis data at rest, AUTH token secret and logs"
  log_group_arns = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_prefix}/*"]
  tags           = var.tags
}

moved {
  from = aws_kms_key.redis
  to   = module.key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.redis
  to   = module.key.aws_kms_alias.this
}

# --- Users: IAM authentication ---------------------------------------------------

locals {
  iam = var.authentication == "iam"
  # What the service does: strings, hashes, sorted sets, scripts, pub/sub on its own keys and
  # channels. No administrative or dangerous command (CONFIG, FLUSHALL, KEYS, DEBUG, ...).
  # tests/app/test_redis_iam.py runs the service under exactly this string.
  app_access_string = "on ~${var.key_prefix}:* &${var.key_prefix}* +@all -@admin -@dangerous"
  app_user          = "${var.name}-app"
}

# ElastiCache wants a user called "default" in every user group: this one is switched off.
resource "aws_elasticache_user" "default" {
  count = local.iam ? 1 : 0

  user_id       = "${var.name}-default"
  user_name     = "default"
  engine        = var.engine
  access_string = "off -@all"

  authentication_mode {
    type = "no-password-required"
  }

  tags = var.tags
}

resource "aws_elasticache_user" "app" {
  count = local.iam ? 1 : 0

  user_id       = local.app_user
  user_name     = local.app_user
  engine        = var.engine
  access_string = local.app_access_string

  authentication_mode {
    type = "iam"
  }

  tags = var.tags
}

resource "aws_elasticache_user_group" "redis" {
  count = local.iam ? 1 : 0

  user_group_id = "${var.name}-redis"
  engine        = var.engine
  user_ids      = [aws_elasticache_user.default[0].user_id, aws_elasticache_user.app[0].user_id]

  tags = var.tags
}

# --- AUTH token (authentication = "auth-token" only) -------------------------------

# Letters and digits only: ElastiCache refuses some punctuation, and the token is
# placed in a rediss:// URL on the instances.
data "aws_secretsmanager_random_password" "auth_token" {
  count = local.iam ? 0 : 1

  password_length     = 64
  exclude_punctuation = true
  include_space       = false
}

resource "aws_secretsmanager_secret" "auth_token" {
  count = local.iam ? 0 : 1

  #checkov:skip=CKV2_AWS_57:The token is rotated through auth_token_version (ROTATE then SET), which must reach ElastiCache and every instance in order; a rotation Lambda would skip the second step.
  name_prefix             = "${var.name}/redis/auth-token-"
  description             = "${var.name}: AUTH token of the Redis replication group (plain string)"
  kms_key_id              = module.key.arn
  recovery_window_in_days = 7

  tags = var.tags
}

# Write-only arguments: the token reaches Secrets Manager and ElastiCache without
# being stored in these resources' state.
resource "aws_secretsmanager_secret_version" "auth_token" {
  count = local.iam ? 0 : 1

  secret_id                = aws_secretsmanager_secret.auth_token[0].id
  secret_string_wo         = data.aws_secretsmanager_random_password.auth_token[0].random_password
  secret_string_wo_version = var.auth_token_version
}

# --- Logs ---------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "redis" {
  #checkov:skip=CKV_AWS_338:Retention is the variable log_retention_days, whose default (365 days) passes this check and is asserted by the module tests; an environment may keep logs for less to save cost.
  for_each = local.log_types

  name              = "${local.log_group_prefix}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.key.arn

  tags = var.tags
}

# --- Replication group --------------------------------------------------------

resource "aws_elasticache_subnet_group" "redis" {
  name        = local.replication_group_id
  description = "${var.name}: isolated cache subnets"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_elasticache_parameter_group" "redis" {
  name        = "${local.replication_group_id}-${var.engine}${replace(var.engine_version, ".", "-")}"
  family      = local.family
  description = "${var.name}: cluster mode off, eviction of expiring keys only"

  # python-socketio's Redis manager uses plain PUBLISH/SUBSCRIBE on one node.
  parameter {
    name  = "cluster-enabled"
    value = "no"
  }

  parameter {
    name  = "maxmemory-policy"
    value = var.maxmemory_policy
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_elasticache_replication_group" "redis" {
  #checkov:skip=CKV2_AWS_50:Automatic failover and Multi-AZ are the variables automatic_failover and multi_az, true by default (asserted by tests/redis.tftest.hcl); dev runs one node.
  #checkov:skip=CKV_AWS_31:Clients authenticate as ElastiCache users with IAM (user_group_ids) or, with authentication = "auth-token", through the write-only auth_token_wo argument, which checkov does not know; TLS is required below.
  replication_group_id = local.replication_group_id
  description          = "${var.name}: Socket.IO message queue, sessions, rate limits, presence"

  engine               = var.engine
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = 6379
  parameter_group_name = aws_elasticache_parameter_group.redis.name

  cluster_mode               = "disabled"
  num_cache_clusters         = var.num_cache_clusters
  automatic_failover_enabled = var.automatic_failover
  multi_az_enabled           = var.multi_az

  subnet_group_name  = aws_elasticache_subnet_group.redis.name
  security_group_ids = var.security_group_ids

  at_rest_encryption_enabled = true
  kms_key_id                 = module.key.arn
  transit_encryption_enabled = true
  transit_encryption_mode    = "required"
  user_group_ids             = local.iam ? [aws_elasticache_user_group.redis[0].user_group_id] : null
  auth_token_wo              = local.iam ? null : data.aws_secretsmanager_random_password.auth_token[0].random_password
  auth_token_wo_version      = local.iam ? null : var.auth_token_version
  auth_token_update_strategy = local.iam ? null : var.auth_token_update_strategy

  snapshot_retention_limit  = var.snapshot_retention_days
  snapshot_window           = var.snapshot_window
  maintenance_window        = var.maintenance_window
  final_snapshot_identifier = "${local.replication_group_id}-final"

  auto_minor_version_upgrade = true
  apply_immediately          = var.apply_immediately

  dynamic "log_delivery_configuration" {
    for_each = local.log_types

    content {
      log_type         = log_delivery_configuration.value
      destination_type = "cloudwatch-logs"
      destination      = aws_cloudwatch_log_group.redis[log_delivery_configuration.value].name
      log_format       = "json"
    }
  }

  tags = merge(var.tags, { Name = local.replication_group_id })

  depends_on = [aws_secretsmanager_secret_version.auth_token]
}
