data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  identifier    = "${var.name}-postgres"
  major_version = split(".", var.engine_version)[0]
  log_exports   = ["postgresql", "upgrade"]
  log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/rds/instance/${local.identifier}/*"

  parameters = merge(
    {
      # Clients without TLS are refused, whatever their sslmode.
      "rds.force_ssl"                       = { value = "1", apply_method = "pending-reboot" }
      "log_min_duration_statement"          = { value = tostring(var.log_min_duration_statement_ms), apply_method = "immediate" }
      "log_statement"                       = { value = "ddl", apply_method = "immediate" }
      "log_lock_waits"                      = { value = "1", apply_method = "immediate" }
      "log_connections"                     = { value = "1", apply_method = "immediate" }
      "log_disconnections"                  = { value = "1", apply_method = "immediate" }
      "log_temp_files"                      = { value = "0", apply_method = "immediate" }
      "idle_in_transaction_session_timeout" = { value = "60000", apply_method = "immediate" }
    },
    var.max_connections == null ? {} : {
      "max_connections" = { value = tostring(var.max_connections), apply_method = "pending-reboot" }
    },
  )
}

# --- KMS: storage, master secret, Performance Insights and the exported logs ---

module "key" {
  source = "../kms-key"

  alias          = "${var.name}/postgres"
  description    = "${var.name}: PostgreSQL storage, master secret, Performance Insights and logs"
  log_group_arns = [local.log_group_arn]
  tags           = var.tags
}

moved {
  from = aws_kms_key.postgres
  to   = module.key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.postgres
  to   = module.key.aws_kms_alias.this
}

# RDS would create these groups itself on first export, unencrypted and kept forever.
resource "aws_cloudwatch_log_group" "exports" {
  #checkov:skip=CKV_AWS_338:Retention is the variable log_retention_days, whose default (365 days) passes this check and is asserted by the module tests; an environment may keep logs for less to save cost.
  for_each = toset(local.log_exports)

  name              = "/aws/rds/instance/${local.identifier}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.key.arn

  tags = var.tags
}

# --- Enhanced monitoring role -------------------------------------------------

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name                 = "${var.name}-rds-monitoring"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy   = data.aws_iam_policy_document.monitoring_assume.json

  tags = var.tags
}

# AWS's managed policy for this role writes only to the RDSOSMetrics log group.
resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# --- Instance -----------------------------------------------------------------

resource "aws_db_subnet_group" "postgres" {
  name        = local.identifier
  description = "${var.name}: isolated database subnets"
  subnet_ids  = var.database_subnet_ids

  tags = var.tags
}

resource "aws_db_parameter_group" "postgres" {
  name_prefix = "${local.identifier}-${local.major_version}-"
  family      = "postgres${local.major_version}"
  description = "${var.name}: TLS only, slow statement logging"

  dynamic "parameter" {
    for_each = local.parameters

    content {
      name         = parameter.key
      value        = parameter.value.value
      apply_method = parameter.value.apply_method
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "postgres" {
  #checkov:skip=CKV_AWS_293:Deletion protection is the variable deletion_protection, true by default (asserted by tests/postgres.tftest.hcl); dev turns it off.
  #checkov:skip=CKV_AWS_157:Multi-AZ is the variable multi_az, true by default (asserted by tests/postgres.tftest.hcl); dev runs single-AZ to halve the cost.
  identifier     = local.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class
  db_name        = var.database_name
  port           = 5432

  username                      = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = module.key.arn

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = module.key.arn

  db_subnet_group_name   = aws_db_subnet_group.postgres.name
  vpc_security_group_ids = var.security_group_ids
  publicly_accessible    = false
  multi_az               = var.multi_az
  network_type           = "IPV4"
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  parameter_group_name                = aws_db_parameter_group.postgres.name
  iam_database_authentication_enabled = true

  backup_retention_period   = var.backup_retention_days
  backup_window             = var.backup_window
  maintenance_window        = var.maintenance_window
  copy_tags_to_snapshot     = true
  delete_automated_backups  = false
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${local.identifier}-final"

  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false
  apply_immediately           = var.apply_immediately

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = module.key.arn
  performance_insights_retention_period = var.performance_insights_retention_days

  monitoring_interval = var.monitoring_interval
  monitoring_role_arn = aws_iam_role.monitoring.arn

  enabled_cloudwatch_logs_exports = local.log_exports

  tags = merge(var.tags, { Name = local.identifier })

  depends_on = [aws_cloudwatch_log_group.exports, aws_iam_role_policy_attachment.monitoring]
}
