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
}

variables {
  alias          = "chat-test/example"
  description    = "chat-test: example"
  log_group_arns = ["arn:aws:logs:eu-west-1:123456789012:log-group:/chat-test/example"]
  service_grants = [{
    sid      = "SnsUsesTheKey"
    services = ["sns.amazonaws.com"]
    actions  = ["kms:Decrypt", "kms:GenerateDataKey"]
    conditions = [{
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = ["123456789012"]
    }]
  }]
}

run "rotated_key_with_an_alias" {
  command = apply

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_key.this.deletion_window_in_days == 30
    error_message = "The key must rotate and wait 30 days before deletion."
  }
  assert {
    condition     = aws_kms_alias.this.name == "alias/chat-test/example" && output.alias_name == "alias/chat-test/example"
    error_message = "The alias must be alias/<alias>."
  }
}

run "one_explicit_policy_style" {
  command = plan

  assert {
    condition     = alltrue(flatten([for s in data.aws_iam_policy_document.key.statement : [for a in s.actions : startswith(a, "kms:") && !strcontains(a, "*")]]))
    error_message = "Every action of the key policy must be an explicit kms: action."
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.key.statement : s.sid] == ["AccountAdministersKey", "CloudWatchLogsEncryptsItsLogGroups", "SnsUsesTheKey"]
    error_message = "The account statement, the logs statement and the given grants, in that order."
  }
  assert {
    condition     = toset(one(one([for s in data.aws_iam_policy_document.key.statement : s if s.sid == "AccountAdministersKey"]).principals).identifiers) == toset(["arn:aws:iam::123456789012:root"])
    error_message = "Only this account administers the key."
  }
  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.key.statement : s.sid == "CloudWatchLogsEncryptsItsLogGroups" ? (
        toset(one(s.principals).identifiers) == toset(["logs.eu-west-1.amazonaws.com"]) &&
        one(s.condition).test == "ArnLike" && one(s.condition).variable == "kms:EncryptionContext:aws:logs:arn" &&
        toset(one(s.condition).values) == toset(["arn:aws:logs:eu-west-1:123456789012:log-group:/chat-test/example"])
      ) : true
    ])
    error_message = "CloudWatch Logs of this region may use the key for the given log groups only."
  }
  assert {
    condition     = [for c in one([for s in data.aws_iam_policy_document.key.statement : s if s.sid == "SnsUsesTheKey"]).condition : "${c.test} ${c.variable} ${join(",", c.values)}"] == ["StringEquals aws:SourceAccount 123456789012"]
    error_message = "A grant keeps its conditions."
  }
}

run "no_logs_statement_without_log_groups" {
  command = plan

  variables {
    log_group_arns = []
    service_grants = []
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.key.statement : s.sid] == ["AccountAdministersKey"]
    error_message = "Without log groups or grants the policy is the account statement alone."
  }
}

run "rejects_wildcard_actions" {
  command = plan

  variables {
    service_grants = [{ sid = "Loose", services = ["sns.amazonaws.com"], actions = ["kms:GenerateDataKey*"] }]
  }

  expect_failures = [var.service_grants]
}

run "rejects_an_alias_with_its_prefix" {
  command = plan

  variables {
    alias = "alias/chat-test/example"
  }

  expect_failures = [var.alias]
}
