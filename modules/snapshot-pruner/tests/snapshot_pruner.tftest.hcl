mock_provider "aws" {
  # Computed ARNs are known at plan, so plan-only runs can compare them.
  override_during = plan

  mock_data "aws_region" {
    defaults = {
      region = "eu-west-1"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn    = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
      key_id = "11111111-2222-3333-4444-555555555555"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-west-1:111122223333:chat-prod-snapshot-pruner-dlq"
      url = "https://sqs.eu-west-1.amazonaws.com/111122223333/chat-prod-snapshot-pruner-dlq"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/chat-prod-snapshot-pruner"
    }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:111122223333:rule/chat-prod-snapshot-pruner"
    }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn = "arn:aws:lambda:eu-west-1:111122223333:function:chat-prod-snapshot-pruner"
    }
  }
}

mock_provider "archive" {
  mock_data "archive_file" {
    defaults = {
      output_base64sha256 = "dGVzdGluZy1vbmx5LWhhc2gtb2YtdGhlLWFyY2hpdmUtMDAwMA=="
      output_path         = ".terraform/build/chat-prod-snapshot-pruner.zip"
    }
  }
}

variables {
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/chat-workload-boundary"
  name                     = "chat-prod"
  environment              = "prod"
  alarm_topic_arn          = "arn:aws:sns:eu-west-1:111122223333:chat-prod-alarms"
}

run "function_is_traced_encrypted_single_and_dead_lettered" {
  command = plan

  assert {
    condition     = aws_lambda_function.pruner.tracing_config[0].mode == "Active"
    error_message = "X-Ray tracing must be active"
  }
  assert {
    condition     = aws_lambda_function.pruner.kms_key_arn == "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
    error_message = "the environment must be encrypted with the module's key"
  }
  assert {
    condition     = aws_lambda_function.pruner.reserved_concurrent_executions == 1
    error_message = "one run at a time"
  }
  assert {
    condition     = aws_lambda_function.pruner.dead_letter_config[0].target_arn == aws_sqs_queue.dlq.arn && aws_sqs_queue.dlq.kms_master_key_id == aws_lambda_function.pruner.kms_key_arn
    error_message = "failed runs go to an encrypted DLQ"
  }
  assert {
    condition     = aws_cloudwatch_log_group.pruner.kms_key_id == aws_lambda_function.pruner.kms_key_arn && aws_cloudwatch_log_group.pruner.retention_in_days == 365
    error_message = "the log group must be KMS-encrypted with retention"
  }
  assert {
    condition     = aws_lambda_function.pruner.handler == "snapshot_pruner.handler.lambda_handler" && aws_lambda_function.pruner.timeout == 900
    error_message = "the function runs the snapshot_pruner package with the longest timeout"
  }
}

run "production_defaults_delete_for_real_with_a_cap" {
  command = plan

  assert {
    condition     = aws_lambda_function.pruner.environment[0].variables["RETENTION_POLICY"] == "last=3,hourly=0,daily=7,weekly=4,monthly=12,yearly=0,within=0"
    error_message = "the default policy keeps 3 last, 7 daily, 4 weekly, 12 monthly"
  }
  assert {
    condition     = aws_lambda_function.pruner.environment[0].variables["DRY_RUN"] == "false" && aws_lambda_function.pruner.environment[0].variables["MAX_DELETIONS_PER_RUN"] == "50"
    error_message = "the default deletes, at most 50 per run"
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "cron(30 3 * * ? *)"
    error_message = "the pruner runs daily by default"
  }
  assert {
    condition     = aws_cloudwatch_event_target.schedule.arn == aws_lambda_function.pruner.arn && aws_cloudwatch_event_target.schedule.dead_letter_config[0].arn == aws_sqs_queue.dlq.arn
    error_message = "the schedule invokes the function, dead-lettering what it cannot deliver"
  }
  assert {
    condition     = aws_lambda_permission.schedule.principal == "events.amazonaws.com" && aws_lambda_permission.schedule.source_arn == aws_cloudwatch_event_rule.schedule.arn
    error_message = "only the schedule rule may invoke"
  }
}

run "deletes_only_the_accounts_snapshots_and_never_protected_ones" {
  command = plan

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.pruner.policy).Statement :
    alltrue([for a in flatten([s.Action]) : a != "*" && !endswith(a, ":*")])])
    error_message = "no wildcard actions"
  }
  assert {
    condition     = toset([for s in jsondecode(aws_iam_role_policy.pruner.policy).Statement : s.Sid if contains(flatten([s.Resource]), "*")]) == toset(["SendTraces"])
    error_message = "only X-Ray (no resource-level permissions) may name resource *"
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.pruner.policy).Statement : s.Resource if s.Sid == "DeleteOwnManualSnapshots"]) == [
      "arn:aws:rds:eu-west-1:111122223333:snapshot:*", "arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:*",
    ]
    error_message = "deletes are limited to this account's snapshots in this region"
  }
  assert {
    condition = toset(one([for s in jsondecode(aws_iam_role_policy.pruner.policy).Statement : s.Resource if s.Sid == "NeverDeleteAutomatedBackupOrKeptSnapshots" && s.Effect == "Deny"])) == toset([
      "arn:aws:rds:eu-west-1:111122223333:snapshot:rds:*", "arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:rds:*",
      "arn:aws:rds:eu-west-1:111122223333:snapshot:awsbackup:*", "arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:awsbackup:*",
    ])
    error_message = "automated and AWS Backup snapshots are denied"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.pruner.policy).Statement : s.Condition if s.Sid == "NeverDeleteTaggedToKeep" && s.Effect == "Deny"]) == { Null = { "aws:ResourceTag/keep" = "false" } }
    error_message = "snapshots tagged keep are denied"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.pruner.policy).Statement : s.Condition if s.Sid == "DeleteOwnManualSnapshots" && s.Effect == "Allow"]) == { StringEquals = { "aws:ResourceTag/managed-by" = "chat-snapshot-pruner" } }
    error_message = "the role deletes only snapshots tagged managed-by=chat-snapshot-pruner"
  }
  assert {
    condition     = aws_lambda_function.pruner.environment[0].variables["MANAGED_TAG"] == "managed-by=chat-snapshot-pruner"
    error_message = "the code enforces the same managed tag as the role"
  }
}

run "failures_reach_on_call_through_the_monitoring_topic" {
  command = plan

  assert {
    condition     = toset(aws_cloudwatch_metric_alarm.prune_errors.alarm_actions) == toset([var.alarm_topic_arn]) && toset(aws_cloudwatch_metric_alarm.failed_runs.alarm_actions) == toset([var.alarm_topic_arn])
    error_message = "the pruner's alarms publish to the monitoring topic"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.prune_errors.dimensions["service"] == "snapshot-pruner" && aws_cloudwatch_metric_alarm.prune_errors.dimensions["Env"] == "prod" && length(aws_cloudwatch_metric_alarm.prune_errors.dimensions) == 2
    error_message = "the errors alarm watches the pruner's own EMF metric"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.prune_errors.tags["Severity"] == "warning" && aws_cloudwatch_metric_alarm.prune_errors.tags["Env"] == "prod"
    error_message = "the router reads Env and Severity tags"
  }
}

run "dev_switches_policy_dry_run_and_given_key" {
  command = plan

  variables {
    environment           = "dev"
    retention             = { last = 2, daily = 3, weekly = 0, monthly = 0, within = "2d" }
    dry_run               = true
    max_deletions_per_run = 10
    keep_tag              = "hold"
    kms_key_arn           = "arn:aws:kms:eu-west-1:111122223333:key/99999999-8888-7777-6666-555555555555"
    schedule_expression   = "rate(12 hours)"
  }

  assert {
    condition     = aws_lambda_function.pruner.environment[0].variables["RETENTION_POLICY"] == "last=2,hourly=0,daily=3,weekly=0,monthly=0,yearly=0,within=2d"
    error_message = "the policy is passed to the function as written"
  }
  assert {
    condition     = aws_lambda_function.pruner.environment[0].variables["DRY_RUN"] == "true" && aws_lambda_function.pruner.environment[0].variables["KEEP_TAG"] == "hold"
    error_message = "dry run and the keep tag reach the function"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.pruner.policy).Statement : s.Condition if s.Sid == "NeverDeleteTaggedToKeep"]) == { Null = { "aws:ResourceTag/hold" = "false" } }
    error_message = "the deny follows the keep tag"
  }
  assert {
    condition     = length(module.key) == 0 && aws_lambda_function.pruner.kms_key_arn == var.kms_key_arn
    error_message = "a given key is used instead of a dedicated one"
  }
}

run "rejects_a_policy_that_keeps_nothing" {
  command = plan

  variables {
    retention = { last = 0, daily = 0, weekly = 0, monthly = 0 }
  }

  expect_failures = [var.retention]
}

run "rejects_a_bad_within_duration" {
  command = plan

  variables {
    retention = { within = "a month" }
  }

  expect_failures = [var.retention]
}

run "rejects_a_bad_schedule" {
  command = plan

  variables {
    schedule_expression = "every night"
  }

  expect_failures = [var.schedule_expression]
}

run "rejects_a_bad_name" {
  command = plan

  variables {
    name = "chat-"
  }

  expect_failures = [var.name]
}

run "its_role_carries_the_workload_boundary" {
  command = plan

  assert {
    condition     = aws_iam_role.pruner.permissions_boundary == "arn:aws:iam::123456789012:policy/chat-workload-boundary"
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
