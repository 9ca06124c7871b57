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
  mock_resource "aws_db_instance" {
    defaults = {
      master_user_secret = [{
        secret_arn    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0000-abcdef"
        secret_status = "active"
        kms_key_id    = "arn:aws:kms:eu-west-1:123456789012:key/0000"
      }]
    }
  }
}

variables {
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/chat-workload-boundary"
  name                     = "chat-test"
  database_subnet_ids      = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_ids       = ["sg-0123456789abcdef0"]
}

run "storage_secret_and_insights_are_encrypted_with_the_module_key" {
  command = apply

  assert {
    condition     = aws_db_instance.postgres.storage_encrypted && aws_db_instance.postgres.kms_key_id == module.key.arn
    error_message = "Storage must be encrypted with the module's KMS key."
  }
  assert {
    condition     = aws_db_instance.postgres.manage_master_user_password && aws_db_instance.postgres.master_user_secret_kms_key_id == module.key.arn
    error_message = "RDS must manage the master password in Secrets Manager under the module's key."
  }
  assert {
    condition     = aws_db_instance.postgres.performance_insights_enabled && aws_db_instance.postgres.performance_insights_kms_key_id == module.key.arn
    error_message = "Performance Insights must be on and encrypted."
  }
  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.exports : g.kms_key_id == module.key.arn])
    error_message = "Exported logs must be encrypted."
  }
  assert {
    condition     = module.key.rotation_enabled
    error_message = "The key must rotate."
  }
  assert {
    condition     = output.master_user_secret_arn == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0000-abcdef"
    error_message = "The master secret ARN must be an output for the app's instance role."
  }
}

run "tls_is_forced_and_slow_statements_are_logged" {
  command = plan

  assert {
    condition     = one([for p in aws_db_parameter_group.postgres.parameter : p.value if p.name == "rds.force_ssl"]) == "1"
    error_message = "rds.force_ssl must be 1."
  }
  assert {
    condition     = one([for p in aws_db_parameter_group.postgres.parameter : p.value if p.name == "log_min_duration_statement"]) == "500"
    error_message = "Statements over 500 ms must be logged by default."
  }
  assert {
    condition     = aws_db_parameter_group.postgres.family == "postgres17"
    error_message = "The parameter group family must follow the engine's major version."
  }
  assert {
    condition     = toset(aws_db_instance.postgres.enabled_cloudwatch_logs_exports) == toset(["postgresql", "upgrade"])
    error_message = "PostgreSQL and upgrade logs must be exported."
  }
  assert {
    condition     = aws_db_instance.postgres.iam_database_authentication_enabled
    error_message = "IAM database authentication must be on."
  }
}

run "reachable_only_inside_the_vpc" {
  command = plan

  assert {
    condition     = aws_db_instance.postgres.publicly_accessible == false
    error_message = "The database must never be publicly accessible."
  }
  assert {
    condition     = toset(aws_db_subnet_group.postgres.subnet_ids) == toset(var.database_subnet_ids)
    error_message = "The database lives only in the given database subnets."
  }
  assert {
    condition     = toset(aws_db_instance.postgres.vpc_security_group_ids) == toset(["sg-0123456789abcdef0"])
    error_message = "Only the given security group guards the database."
  }
  assert {
    condition     = aws_db_instance.postgres.port == 5432 && aws_db_instance.postgres.engine == "postgres"
    error_message = "PostgreSQL on 5432 expected."
  }
}

run "production_defaults" {
  command = plan

  assert {
    condition     = aws_db_instance.postgres.multi_az == true
    error_message = "Multi-AZ is the default."
  }
  assert {
    condition     = aws_db_instance.postgres.deletion_protection == true
    error_message = "Deletion protection is the default."
  }
  assert {
    condition     = aws_db_instance.postgres.skip_final_snapshot == false && aws_db_instance.postgres.final_snapshot_identifier == "chat-test-postgres-final"
    error_message = "A final snapshot is taken by default."
  }
  assert {
    condition     = aws_db_instance.postgres.backup_retention_period == 14
    error_message = "Two weeks of backups by default."
  }
  assert {
    condition     = aws_db_instance.postgres.monitoring_interval == 60
    error_message = "Enhanced monitoring must be on."
  }
  assert {
    condition     = aws_db_instance.postgres.engine_version == "17" && aws_db_instance.postgres.auto_minor_version_upgrade
    error_message = "PostgreSQL 17 with minor upgrades by default."
  }
}

run "dev_switches" {
  command = plan

  variables {
    multi_az              = false
    deletion_protection   = false
    skip_final_snapshot   = true
    backup_retention_days = 1
    engine_version        = "16.4"
    instance_class        = "db.t4g.micro"
    allocated_storage     = 20
    max_allocated_storage = 50
    max_connections       = 200
  }

  assert {
    condition     = !aws_db_instance.postgres.multi_az && !aws_db_instance.postgres.deletion_protection
    error_message = "Dev turns off Multi-AZ and deletion protection."
  }
  assert {
    condition     = aws_db_instance.postgres.skip_final_snapshot
    error_message = "Dev may skip the final snapshot."
  }
  assert {
    condition     = aws_db_parameter_group.postgres.family == "postgres16"
    error_message = "PostgreSQL 16 must use the postgres16 family."
  }
  assert {
    condition     = one([for p in aws_db_parameter_group.postgres.parameter : p.value if p.name == "max_connections"]) == "200"
    error_message = "max_connections must be set when given."
  }
  assert {
    condition     = aws_db_instance.postgres.storage_encrypted
    error_message = "Encryption is not a dev switch."
  }
}

run "rejects_postgres_15" {
  command = plan

  variables {
    engine_version = "15.7"
  }

  expect_failures = [var.engine_version]
}

run "rejects_backups_off" {
  command = plan

  variables {
    backup_retention_days = 0
  }

  expect_failures = [var.backup_retention_days]
}

run "rejects_a_storage_ceiling_below_the_floor" {
  command = plan

  variables {
    allocated_storage     = 100
    max_allocated_storage = 50
  }

  expect_failures = [var.max_allocated_storage]
}

run "its_role_carries_the_workload_boundary" {
  command = plan

  assert {
    condition     = aws_iam_role.monitoring.permissions_boundary == "arn:aws:iam::123456789012:policy/chat-workload-boundary"
    error_message = "Every role the module creates must carry the workload boundary."
  }
}

run "rejects_a_boundary_that_is_not_a_policy" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:role/chat-workload-boundary"
  }

  expect_failures = [var.permissions_boundary_arn]
}
