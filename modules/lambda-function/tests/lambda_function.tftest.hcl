mock_provider "aws" {
  # Computed ARNs are known at plan, so plan-only runs can compare them.
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  name                     = "chat-test"
  component                = "probe"
  description              = "A probe"
  package_file             = "tests/fixtures/package.zip"
  handler                  = "probe.handler.lambda_handler"
  timeout_seconds          = 30
  reserved_concurrency     = 2
  async_retry_attempts     = 1
  policy_json              = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  permissions_boundary_arn = "arn:aws:iam::111122223333:policy/chat-workload-boundary"
  environment_variables    = { ENV = "test" }
  tags                     = { Env = "test", Component = "probe" }
  alarms = {
    errors = {
      name           = "chat-test-warning-probe-errors"
      description    = "The probe failed"
      severity       = "warning"
      period_seconds = 300
      alarm_actions  = ["arn:aws:sns:eu-west-1:111122223333:chat-test-alarms"]
    }
  }
}

run "the_function_runs_the_built_package_traced_encrypted_bounded_and_dead_lettered" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.filename == "tests/fixtures/package.zip" && aws_lambda_function.this.source_code_hash == filebase64sha256("tests/fixtures/package.zip")
    error_message = "the function deploys the package file, redeployed when its bytes change"
  }
  assert {
    condition     = aws_lambda_function.this.function_name == "chat-test-probe" && aws_lambda_function.this.handler == "probe.handler.lambda_handler" && aws_lambda_function.this.runtime == "python3.11"
    error_message = "the function is <name>-<component> on Python 3.11 with the given handler"
  }
  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "X-Ray tracing must be active"
  }
  assert {
    condition     = aws_lambda_function.this.kms_key_arn == "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
    error_message = "the environment must be encrypted with the dedicated key"
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 2
    error_message = "reserved concurrency must be set"
  }
  assert {
    condition     = aws_lambda_function.this.dead_letter_config[0].target_arn == aws_sqs_queue.dlq.arn && aws_sqs_queue.dlq.kms_master_key_id == aws_lambda_function.this.kms_key_arn
    error_message = "failed asynchronous invocations go to an encrypted DLQ"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 1 && aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 3600
    error_message = "the asynchronous retries are the caller's"
  }
  assert {
    condition     = aws_lambda_function.this.layers[0] == "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-arm64:27"
    error_message = "Powertools comes from AWS's public layer matching the runtime and architecture"
  }
  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_format == "JSON" && aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/chat-test-probe"
    error_message = "the function logs JSON to its own log group"
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == aws_lambda_function.this.kms_key_arn && aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "the log group must be KMS-encrypted with a year's retention by default"
  }
  assert {
    condition     = output.configuration.environment == tomap({ ENV = "test" }) && output.configuration.source_code_hash == filebase64sha256("tests/fixtures/package.zip")
    error_message = "the configuration output reports the planned function"
  }
}

run "the_role_carries_the_boundary_and_names_its_own_resources" {
  command = plan

  assert {
    condition     = aws_iam_role.this.permissions_boundary == var.permissions_boundary_arn && aws_iam_role.this.name == "chat-test-probe"
    error_message = "the role carries the workload boundary"
  }
  assert {
    condition     = sort(one(one(data.aws_iam_policy_document.assume.statement).principals).identifiers) == tolist(["lambda.amazonaws.com"])
    error_message = "only Lambda assumes the role"
  }
  assert {
    condition     = one(one(data.aws_iam_policy_document.assume.statement).condition).variable == "aws:SourceAccount"
    error_message = "only for this account (variable)"
  }
  assert {
    condition     = one(one(data.aws_iam_policy_document.assume.statement).condition).values == tolist(["111122223333"])
    error_message = "only for this account"
  }
  assert {
    condition     = data.aws_iam_policy_document.role.source_policy_documents == tolist([var.policy_json]) && aws_iam_role_policy.this.name == "probe"
    error_message = "the caller's document is merged into the role's one inline policy"
  }
  assert {
    condition     = alltrue(flatten([for s in data.aws_iam_policy_document.role.statement : [for a in s.actions : a != "*" && !endswith(a, ":*")]]))
    error_message = "no wildcard actions"
  }
  assert {
    condition     = toset([for s in data.aws_iam_policy_document.role.statement : s.sid if contains(s.resources, "*")]) == toset(["SendTraces"])
    error_message = "only X-Ray (no resource-level permissions) may name resource *"
  }
  assert {
    condition = { for s in data.aws_iam_policy_document.role.statement : s.sid => join(" ", sort(s.resources)) } == {
      WriteOwnLogs = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/function:*"
      SendTraces   = "*"
      UseTheKey    = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
      DeadLetter   = "arn:aws:sqs:eu-west-1:111122223333:function-dlq"
    }
    error_message = "the common statements name the function's own log group, key and queue"
  }
}

run "triggers_invoke_only_from_their_source_and_dead_letter_to_the_queue" {
  command = plan

  variables {
    sns_subscriptions = {
      alarms = { sid = "AlarmTopic", topic_arn = "arn:aws:sns:eu-west-1:111122223333:chat-test-alarms" }
    }
    event_rules = {
      tick = {
        sid                   = "TickSchedule"
        name                  = "chat-test-probe-tick"
        description           = "Ticks"
        schedule_expression   = "rate(1 minute)"
        input                 = "{\"kind\":\"tick\"}"
        max_event_age_seconds = 120
        retry_attempts        = 2
      }
      changes = {
        sid                   = "StateChanges"
        name                  = "chat-test-probe-changes"
        description           = "Changes"
        event_pattern         = "{\"source\":[\"aws.cloudwatch\"]}"
        max_event_age_seconds = 3600
        retry_attempts        = 10
      }
    }
  }

  assert {
    condition     = aws_lambda_permission.this["alarms"].statement_id == "AlarmTopicInvokes" && aws_lambda_permission.this["alarms"].principal == "sns.amazonaws.com" && aws_lambda_permission.this["alarms"].source_arn == "arn:aws:sns:eu-west-1:111122223333:chat-test-alarms"
    error_message = "only the topic may invoke through SNS"
  }
  assert {
    condition     = jsondecode(aws_sns_topic_subscription.this["alarms"].redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq.arn && aws_sns_topic_subscription.this["alarms"].protocol == "lambda"
    error_message = "undeliverable SNS notifications go to the DLQ"
  }
  assert {
    condition     = aws_cloudwatch_event_rule.this["tick"].schedule_expression == "rate(1 minute)" && aws_cloudwatch_event_rule.this["changes"].event_pattern == "{\"source\":[\"aws.cloudwatch\"]}"
    error_message = "a rule is a schedule or an event pattern"
  }
  assert {
    condition     = aws_cloudwatch_event_target.this["tick"].input == "{\"kind\":\"tick\"}" && aws_cloudwatch_event_target.this["tick"].retry_policy[0].maximum_retry_attempts == 2 && aws_cloudwatch_event_target.this["changes"].retry_policy[0].maximum_event_age_in_seconds == 3600
    error_message = "targets carry their input and retry policy"
  }
  assert {
    condition     = alltrue([for t in aws_cloudwatch_event_target.this : t.dead_letter_config[0].arn == aws_sqs_queue.dlq.arn])
    error_message = "undeliverable events go to the DLQ"
  }
  assert {
    condition     = aws_lambda_permission.this["tick"].statement_id == "TickScheduleInvokes" && aws_lambda_permission.this["tick"].source_arn == aws_cloudwatch_event_rule.this["tick"].arn && aws_lambda_permission.this["tick"].principal == "events.amazonaws.com"
    error_message = "only the rule may invoke through EventBridge"
  }
  assert {
    condition = { for s in data.aws_iam_policy_document.dlq.statement : s.sid => join(" ", sort(one(s.principals).identifiers)) } == {
      AlarmTopicDeadLetters   = "sns.amazonaws.com"
      TickScheduleDeadLetters = "events.amazonaws.com"
      StateChangesDeadLetters = "events.amazonaws.com"
      DenyInsecureTransport   = "*"
    }
    error_message = "the DLQ takes messages from its own topic and rules only"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.dlq.statement : "${s.effect} ${join(",", s.actions)} ${one(s.condition).test} ${one(s.condition).variable} ${join(",", one(s.condition).values)}" if s.sid == "DenyInsecureTransport"]) == "Deny sqs:* Bool aws:SecureTransport false"
    error_message = "the DLQ refuses plain HTTP"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.dlq.statement : one(s.condition).values if s.sid == "TickScheduleDeadLetters"]) == tolist(["arn:aws:events:eu-west-1:111122223333:rule/function-rule"])
    error_message = "a rule dead-letters only as itself"
  }
}

run "health_alarms_on_errors_and_dead_letters" {
  command = plan

  variables {
    alarms = {
      errors = {
        name           = "chat-test-warning-probe-errors"
        description    = "The probe failed"
        severity       = "warning"
        period_seconds = 300
        alarm_actions  = ["arn:aws:sns:eu-west-1:111122223333:chat-test-alarms"]
      }
      dead_letters = {
        name           = "chat-test-critical-probe-dead-letters"
        description    = "Dead letters"
        severity       = "critical"
        period_seconds = 60
        alarm_actions  = ["arn:aws:sns:eu-west-1:111122223333:chat-test-email"]
      }
    }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["errors"].metric_name == "Errors" && aws_cloudwatch_metric_alarm.this["errors"].dimensions == tomap({ FunctionName = "chat-test-probe" }) && aws_cloudwatch_metric_alarm.this["errors"].period == 300
    error_message = "the errors alarm watches the function"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["errors"].tags["Severity"] == "warning" && aws_cloudwatch_metric_alarm.this["errors"].tags["Env"] == "test"
    error_message = "alarms carry the Severity and Env tags the router reads"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["dead_letters"].namespace == "AWS/SQS" && aws_cloudwatch_metric_alarm.this["dead_letters"].dimensions == tomap({ QueueName = "chat-test-probe-dlq" })
    error_message = "the dead-letters alarm watches the DLQ"
  }
  assert {
    condition     = toset(aws_cloudwatch_metric_alarm.this["dead_letters"].alarm_actions) == toset(["arn:aws:sns:eu-west-1:111122223333:chat-test-email"])
    error_message = "each alarm goes where the caller says"
  }
}

run "a_given_key_a_pinned_digest_and_other_settings" {
  command = plan

  variables {
    kms_key_arn          = "arn:aws:kms:eu-west-1:111122223333:key/99999999-8888-7777-6666-555555555555"
    package_sha256       = "5da17ac95486fe30bd824db15ba9f3f137aa90cf7a186d74f82f9e130677ec4e"
    architecture         = "x86_64"
    log_retention_days   = 30
    powertools_layer_arn = "arn:aws:lambda:eu-west-1:111122223333:layer:powertools:3"
  }

  assert {
    condition     = length(module.key) == 0 && aws_lambda_function.this.kms_key_arn == var.kms_key_arn && aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn
    error_message = "a given key is used instead of a dedicated one"
  }
  assert {
    condition     = aws_lambda_function.this.layers == tolist(["arn:aws:lambda:eu-west-1:111122223333:layer:powertools:3"]) && aws_lambda_function.this.architectures == tolist(["x86_64"])
    error_message = "a layer of one's own and the other architecture"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 1 && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "no DLQ alarm unless asked for; retention as given"
  }
}

run "refuses_a_package_with_another_digest" {
  command = plan

  variables {
    package_sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
  }

  expect_failures = [aws_lambda_function.this]
}

run "refuses_a_package_that_is_not_built" {
  command = plan

  variables {
    package_file = "tests/fixtures/not-built.zip"
  }

  expect_failures = [aws_lambda_function.this]
}

run "rejects_a_package_that_is_not_a_zip" {
  command = plan

  variables {
    package_file = "lambdas/probe"
  }

  expect_failures = [var.package_file]
}

run "rejects_a_rule_with_both_a_schedule_and_a_pattern" {
  command = plan

  variables {
    event_rules = {
      both = {
        sid                   = "Both"
        name                  = "chat-test-probe-both"
        description           = "Both"
        schedule_expression   = "rate(1 hour)"
        event_pattern         = "{}"
        max_event_age_seconds = 3600
        retry_attempts        = 1
      }
    }
  }

  expect_failures = [var.event_rules]
}

run "rejects_a_topic_and_a_rule_of_the_same_key" {
  command = plan

  variables {
    sns_subscriptions = {
      alarms = { sid = "AlarmTopic", topic_arn = "arn:aws:sns:eu-west-1:111122223333:chat-test-alarms" }
    }
    event_rules = {
      alarms = {
        sid                   = "Alarms"
        name                  = "chat-test-probe-alarms"
        description           = "Alarms"
        schedule_expression   = "rate(1 hour)"
        max_event_age_seconds = 3600
        retry_attempts        = 1
      }
    }
  }

  expect_failures = [var.event_rules]
}

run "rejects_alarms_without_the_errors_alarm" {
  command = plan

  variables {
    alarms = {
      dead_letters = {
        name           = "chat-test-critical-probe-dead-letters"
        description    = "Dead letters"
        severity       = "critical"
        period_seconds = 60
        alarm_actions  = ["arn:aws:sns:eu-west-1:111122223333:chat-test-email"]
      }
    }
  }

  expect_failures = [var.alarms]
}

run "rejects_a_boundary_that_is_not_a_policy" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::111122223333:role/chat-workload-boundary"
  }

  expect_failures = [var.permissions_boundary_arn]
}
