mock_provider "aws" {
  # Computed ARNs are known at plan, so plan-only runs can compare them.
  override_during = plan
  # The account, region, policy documents and the function's ARNs every ops Lambda's tests share.
  source = "../lambda-function/tests/mocks"
}

variables {
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/chat-workload-boundary"
  name                     = "chat-prod"
  environment              = "prod"
  alarm_topic_arn          = "arn:aws:sns:eu-west-1:111122223333:chat-prod-alarms"
  # Any zip will do: the tests plan, nothing is uploaded.
  package_file = "../lambda-function/tests/fixtures/package.zip"
}

run "function_is_encrypted_and_single" {
  command = plan

  assert {
    condition     = module.function.configuration.kms_key_arn == "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
    error_message = "the environment must be encrypted with the module's key"
  }
  assert {
    condition     = module.function.configuration.reserved_concurrency == 1
    error_message = "one run at a time"
  }
  assert {
    condition     = module.function.log_group_name == "/aws/lambda/chat-prod-snapshot-pruner" && module.function.kms_key_rotation_enabled
    error_message = "the function logs to its own group, under a dedicated rotating key"
  }
  assert {
    condition     = module.function.configuration.handler == "snapshot_pruner.handler.lambda_handler" && module.function.configuration.timeout == 900
    error_message = "the function runs the snapshot_pruner package with the longest timeout"
  }
}

run "production_defaults_delete_for_real_with_a_cap" {
  command = plan

  assert {
    condition     = module.function.configuration.environment["RETENTION_POLICY"] == "last=3,hourly=0,daily=7,weekly=4,monthly=12,yearly=0,within=0"
    error_message = "the default policy keeps 3 last, 7 daily, 4 weekly, 12 monthly"
  }
  assert {
    condition     = module.function.configuration.environment["DRY_RUN"] == "false" && module.function.configuration.environment["MAX_DELETIONS_PER_RUN"] == "50"
    error_message = "the default deletes, at most 50 per run"
  }
  assert {
    condition     = module.function.event_rules["schedule"].schedule_expression == "cron(30 3 * * ? *)"
    error_message = "the pruner runs daily by default"
  }
  assert {
    condition     = jsondecode(module.function.event_rules["schedule"].input) == { source = "schedule" } && module.function.event_rules["schedule"].dead_letter_arn == module.function.dlq_arn
    error_message = "the schedule invokes the function, dead-lettering what it cannot deliver"
  }
  assert {
    condition     = module.function.event_rules["schedule"].permission_source == module.function.event_rule_arns["schedule"]
    error_message = "only the schedule rule may invoke"
  }
}

run "deletes_only_the_accounts_snapshots_and_never_protected_ones" {
  command = plan

  assert {
    condition     = alltrue(flatten([for s in data.aws_iam_policy_document.function.statement : [for a in s.actions : a != "*" && !endswith(a, ":*")]]))
    error_message = "no wildcard actions"
  }
  assert {
    condition     = length([for s in data.aws_iam_policy_document.function.statement : s.sid if contains(s.resources, "*")]) == 0
    error_message = "the pruner's own statements name their resources (X-Ray's resource * is modules/lambda-function's)"
  }
  assert {
    condition = sort(one([for s in data.aws_iam_policy_document.function.statement : s.resources if s.sid == "DeleteOwnManualSnapshots"])) == sort([
      "arn:aws:rds:eu-west-1:111122223333:snapshot:*", "arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:*",
    ])
    error_message = "deletes are limited to this account's snapshots in this region"
  }
  assert {
    condition = toset(one([for s in data.aws_iam_policy_document.function.statement : s.resources if s.sid == "NeverDeleteAutomatedBackupOrKeptSnapshots" && s.effect == "Deny"])) == toset([
      "arn:aws:rds:eu-west-1:111122223333:snapshot:rds:*", "arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:rds:*",
      "arn:aws:rds:eu-west-1:111122223333:snapshot:awsbackup:*", "arn:aws:rds:eu-west-1:111122223333:cluster-snapshot:awsbackup:*",
    ])
    error_message = "automated and AWS Backup snapshots are denied"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.function.statement : join(";", [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]) if s.sid == "NeverDeleteTaggedToKeep" && s.effect == "Deny"]) == "Null aws:ResourceTag/keep false"
    error_message = "snapshots tagged keep are denied"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.function.statement : join(";", [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]) if s.sid == "DeleteOwnManualSnapshots"]) == "StringEquals aws:ResourceTag/managed-by chat-snapshot-pruner"
    error_message = "the role deletes only snapshots tagged managed-by=chat-snapshot-pruner"
  }
  assert {
    condition     = module.function.configuration.environment["MANAGED_TAG"] == "managed-by=chat-snapshot-pruner"
    error_message = "the code enforces the same managed tag as the role"
  }
}

run "failures_reach_on_call_through_the_monitoring_topic" {
  command = plan

  assert {
    condition     = toset(aws_cloudwatch_metric_alarm.prune_errors.alarm_actions) == toset([var.alarm_topic_arn]) && toset(module.function.alarms["errors"].alarm_actions) == toset([var.alarm_topic_arn]) && toset(module.function.alarms["errors"].ok_actions) == toset([var.alarm_topic_arn])
    error_message = "the pruner's alarms publish to the monitoring topic"
  }
  assert {
    condition     = toset(keys(module.function.alarms)) == toset(["errors", "dead_letters"]) && toset(module.function.alarms["dead_letters"].alarm_actions) == toset([var.alarm_topic_arn])
    error_message = "a scheduled run lost to the DLQ raises an alarm on the monitoring topic"
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
    condition     = module.function.configuration.environment["RETENTION_POLICY"] == "last=2,hourly=0,daily=3,weekly=0,monthly=0,yearly=0,within=2d"
    error_message = "the policy is passed to the function as written"
  }
  assert {
    condition     = module.function.configuration.environment["DRY_RUN"] == "true" && module.function.configuration.environment["KEEP_TAG"] == "hold"
    error_message = "dry run and the keep tag reach the function"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.function.statement : one(s.condition).variable if s.sid == "NeverDeleteTaggedToKeep"]) == "aws:ResourceTag/hold"
    error_message = "the deny follows the keep tag"
  }
  assert {
    condition     = module.function.kms_key_rotation_enabled == null && module.function.configuration.kms_key_arn == var.kms_key_arn
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
    condition     = module.function.role_permissions_boundary == "arn:aws:iam::123456789012:policy/chat-workload-boundary"
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
