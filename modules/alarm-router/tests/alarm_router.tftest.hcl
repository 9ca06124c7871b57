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
      arn = "arn:aws:sqs:eu-west-1:111122223333:chat-prod-alarm-router-dlq"
      url = "https://sqs.eu-west-1.amazonaws.com/111122223333/chat-prod-alarm-router-dlq"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:111122223333:chat-prod-oncall-email"
    }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = {
      arn = "arn:aws:dynamodb:eu-west-1:111122223333:table/chat-prod-alarm-router-idempotency"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/chat-prod-alarm-router"
    }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = {
      arn = "arn:aws:events:eu-west-1:111122223333:rule/chat-prod-alarm-state-change"
    }
  }
  mock_resource "aws_ssm_parameter" {
    defaults = {
      arn = "arn:aws:ssm:eu-west-1:111122223333:parameter/chat-prod/alarm-router/routes"
    }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = {
      arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:chat-prod/alarm-router/receiver-AbCdEf"
    }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn = "arn:aws:lambda:eu-west-1:111122223333:function:chat-prod-alarm-router"
    }
  }
}

mock_provider "archive" {
  mock_data "archive_file" {
    defaults = {
      output_base64sha256 = "dGVzdGluZy1vbmx5LWhhc2gtb2YtdGhlLWFyY2hpdmUtMDAwMA=="
      output_path         = ".terraform/build/chat-prod-alarm-router.zip"
    }
  }
}

variables {
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/chat-workload-boundary"
  name                     = "chat-prod"
  environment              = "prod"
  alarm_topic_arn          = "arn:aws:sns:eu-west-1:111122223333:chat-prod-alarms"
}

run "function_is_traced_encrypted_bounded_and_dead_lettered" {
  command = plan

  assert {
    condition     = aws_lambda_function.router.tracing_config[0].mode == "Active"
    error_message = "X-Ray tracing must be active"
  }
  assert {
    condition     = aws_lambda_function.router.kms_key_arn == "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
    error_message = "the environment must be encrypted with the module's key"
  }
  assert {
    condition     = aws_lambda_function.router.reserved_concurrent_executions == 5
    error_message = "reserved concurrency must be set"
  }
  assert {
    condition     = aws_lambda_function.router.dead_letter_config[0].target_arn == aws_sqs_queue.dlq.arn
    error_message = "failed async invocations must go to the DLQ"
  }
  assert {
    condition     = aws_lambda_function.router.runtime == "python3.11" && aws_lambda_function.router.handler == "alarm_router.handler.lambda_handler"
    error_message = "the function runs the alarm_router package on Python 3.11"
  }
  assert {
    condition     = aws_lambda_function.router.layers[0] == "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-arm64:27"
    error_message = "Powertools comes from AWS's public layer matching the architecture"
  }
  assert {
    condition     = aws_cloudwatch_log_group.router.kms_key_id == aws_lambda_function.router.kms_key_arn && aws_cloudwatch_log_group.router.retention_in_days == 365
    error_message = "the log group must be KMS-encrypted with a year's retention by default"
  }
  assert {
    condition     = aws_cloudwatch_log_group.router.name == "/aws/lambda/chat-prod-alarm-router"
    error_message = "the log group must be the function's own"
  }
}

run "no_secret_or_url_in_plain_environment" {
  command = plan

  assert {
    condition = alltrue([for k, v in aws_lambda_function.router.environment[0].variables :
    !can(regex("(?i)hooks\\.slack\\.com|routing_key|https://events\\.pagerduty", v))])
    error_message = "webhook URLs and keys come from Secrets Manager, never from the environment"
  }
  assert {
    condition     = aws_lambda_function.router.environment[0].variables["SECRET_PREFIX"] == "chat-prod/alarm-router/"
    error_message = "the function reads its receivers' secrets under its own prefix"
  }
  assert {
    condition     = aws_lambda_function.router.environment[0].variables["ROUTES_PARAMETER"] == ""
    error_message = "without an override the shipped rules are used"
  }
  assert {
    condition     = toset(keys(aws_secretsmanager_secret.receiver)) == toset(["slack", "pagerduty", "webhook"])
    error_message = "one secret per receiver"
  }
  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.receiver : s.kms_key_id == aws_lambda_function.router.kms_key_arn])
    error_message = "receiver secrets must be encrypted with the module's key"
  }
}

run "role_names_only_its_own_resources" {
  command = plan

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.router.policy).Statement :
    alltrue([for a in flatten([s.Action]) : a != "*" && !endswith(a, ":*")])])
    error_message = "no wildcard actions"
  }
  assert {
    condition     = toset([for s in jsondecode(aws_iam_role_policy.router.policy).Statement : s.Sid if contains(flatten([s.Resource]), "*")]) == toset(["SendTraces"])
    error_message = "only X-Ray (no resource-level permissions) may name resource *"
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.router.policy).Statement : s.Resource if s.Sid == "ReadOwnReceiverSecrets"]) == [
      for k in ["pagerduty", "slack", "webhook"] : aws_secretsmanager_secret.receiver[k].arn
    ]
    error_message = "secret reads are limited to the router's own secrets"
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.router.policy).Statement : s if s.Sid == "ReadOwnRoutingRules"]) == 0
    error_message = "no parameter read without a parameter"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.router.policy).Statement : s.Resource if s.Sid == "ReadAlarmTags"]) == "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*"
    error_message = "tag reads are limited to the account's alarms in this region"
  }
}

run "subscribes_to_the_monitoring_topic_and_the_eventbridge_rule" {
  command = plan

  assert {
    condition     = aws_sns_topic_subscription.alarm_topic.topic_arn == var.alarm_topic_arn && aws_sns_topic_subscription.alarm_topic.protocol == "lambda"
    error_message = "the router must subscribe to the monitoring topic"
  }
  assert {
    condition     = jsondecode(aws_sns_topic_subscription.alarm_topic.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq.arn
    error_message = "undeliverable SNS notifications must go to the DLQ"
  }
  assert {
    condition     = aws_lambda_permission.alarm_topic.principal == "sns.amazonaws.com" && aws_lambda_permission.alarm_topic.source_arn == var.alarm_topic_arn
    error_message = "only the monitoring topic may invoke through SNS"
  }
  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.alarm_state[0].event_pattern) == {
      source        = ["aws.cloudwatch"]
      "detail-type" = ["CloudWatch Alarm State Change"]
      resources     = [{ prefix = "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:chat-prod-" }]
    }
    error_message = "the rule takes the state changes of this deployment's alarms"
  }
  assert {
    condition     = aws_cloudwatch_event_target.alarm_state[0].dead_letter_config[0].arn == aws_sqs_queue.dlq.arn
    error_message = "undeliverable events must go to the DLQ"
  }
  assert {
    condition     = aws_lambda_permission.alarm_state[0].source_arn == aws_cloudwatch_event_rule.alarm_state[0].arn
    error_message = "only the rule may invoke through EventBridge"
  }
}

run "data_at_rest_is_encrypted" {
  command = plan

  assert {
    condition     = aws_sqs_queue.dlq.kms_master_key_id == aws_lambda_function.router.kms_key_arn
    error_message = "the DLQ must be KMS-encrypted"
  }
  assert {
    condition     = aws_dynamodb_table.idempotency.server_side_encryption[0].enabled && aws_dynamodb_table.idempotency.server_side_encryption[0].kms_key_arn == aws_lambda_function.router.kms_key_arn
    error_message = "the idempotency table must be encrypted with the module's key"
  }
  assert {
    condition     = aws_dynamodb_table.idempotency.ttl[0].enabled && aws_dynamodb_table.idempotency.ttl[0].attribute_name == "expiration"
    error_message = "idempotency records expire through TTL on Powertools' attribute"
  }
  assert {
    condition     = aws_dynamodb_table.idempotency.hash_key == "id" && aws_dynamodb_table.idempotency.deletion_protection_enabled
    error_message = "Powertools' key schema, protected in prod"
  }
  assert {
    condition     = aws_sns_topic.email.kms_master_key_id == aws_lambda_function.router.kms_key_arn
    error_message = "the email topic must be encrypted"
  }
  assert {
    condition     = module.key[0].rotation_enabled
    error_message = "the dedicated key rotates"
  }
  assert {
    condition     = contains([for s in jsondecode(aws_sqs_queue_policy.dlq.policy).Statement : s.Sid if s.Effect == "Deny"], "DenyInsecureTransport")
    error_message = "the DLQ refuses plain-HTTP access"
  }
}

run "group_state_and_the_tick" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.state.hash_key == "pk" && aws_dynamodb_table.state.range_key == "sk" && aws_dynamodb_table.state.deletion_protection_enabled
    error_message = "the state table is keyed pk/sk and protected in prod"
  }
  assert {
    condition     = aws_dynamodb_table.state.ttl[0].enabled && aws_dynamodb_table.state.ttl[0].attribute_name == "expires_at"
    error_message = "groups, firing alarms and silences expire through TTL"
  }
  assert {
    condition     = aws_dynamodb_table.state.server_side_encryption[0].enabled && aws_dynamodb_table.state.server_side_encryption[0].kms_key_arn == aws_lambda_function.router.kms_key_arn
    error_message = "the state table is encrypted with the module's key"
  }
  assert {
    condition     = aws_lambda_function.router.environment[0].variables["STATE_TABLE"] == "chat-prod-alarm-router-state"
    error_message = "the function is given its state table"
  }
  assert {
    condition     = toset(one([for s in jsondecode(aws_iam_role_policy.router.policy).Statement : s.Action if s.Sid == "GroupsSilencesAndFiringAlarms"])) == toset(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"])
    error_message = "state access is item reads, conditional writes and queries only"
  }
  assert {
    condition     = aws_cloudwatch_event_rule.tick.schedule_expression == "rate(1 minute)" && jsondecode(aws_cloudwatch_event_target.tick.input).kind == "alarm-router.tick"
    error_message = "the tick runs every minute with the tick event"
  }
  assert {
    condition     = aws_cloudwatch_event_target.tick.dead_letter_config[0].arn == aws_sqs_queue.dlq.arn
    error_message = "undeliverable ticks are dead-lettered"
  }
}

run "router_health_alarms_bypass_the_router" {
  command = plan

  assert {
    condition     = toset(aws_cloudwatch_metric_alarm.dead_letters.alarm_actions) == toset([aws_sns_topic.email.arn]) && toset(aws_cloudwatch_metric_alarm.errors.alarm_actions) == toset([aws_sns_topic.email.arn])
    error_message = "the router's own alarms go straight to email, not through the router"
  }
}

run "routing_override_given_key_and_dev_switches" {
  command = plan

  variables {
    environment         = "dev"
    kms_key_arn         = "arn:aws:kms:eu-west-1:111122223333:key/99999999-8888-7777-6666-555555555555"
    routing_rules_json  = "{\"receivers\": {\"slack\": {\"type\": \"slack\", \"secret\": \"slack\"}}, \"route\": {\"receivers\": [\"slack\"]}}"
    enable_eventbridge  = false
    receiver_secrets    = ["slack"]
    architecture        = "x86_64"
    deletion_protection = false
    email_addresses     = ["oncall@example.com"]
  }

  assert {
    condition     = length(module.key) == 0 && aws_lambda_function.router.kms_key_arn == var.kms_key_arn
    error_message = "a given key is used instead of a dedicated one"
  }
  assert {
    condition     = aws_ssm_parameter.routes[0].type == "SecureString" && aws_ssm_parameter.routes[0].key_id == var.kms_key_arn
    error_message = "the routing override is an encrypted parameter"
  }
  assert {
    condition     = aws_lambda_function.router.environment[0].variables["ROUTES_PARAMETER"] == "/chat-prod/alarm-router/routes"
    error_message = "the function reads the override"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.router.policy).Statement : s.Resource if s.Sid == "ReadOwnRoutingRules"]) == "arn:aws:ssm:eu-west-1:111122223333:parameter/chat-prod/alarm-router/routes"
    error_message = "the parameter read is limited to the router's own parameter"
  }
  assert {
    condition     = length(aws_cloudwatch_event_rule.alarm_state) == 0 && length(aws_lambda_permission.alarm_state) == 0
    error_message = "EventBridge input can be switched off"
  }
  assert {
    condition     = aws_lambda_function.router.layers[0] == "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:27"
    error_message = "the layer follows the architecture"
  }
  assert {
    condition     = !aws_dynamodb_table.idempotency.deletion_protection_enabled
    error_message = "dev can drop deletion protection"
  }
  assert {
    condition     = aws_sns_topic_subscription.email["oncall@example.com"].protocol == "email"
    error_message = "email addresses subscribe to the on-call topic"
  }
}

run "rejects_a_bad_name" {
  command = plan

  variables {
    name = "Chat_Prod"
  }

  expect_failures = [var.name]
}

run "rejects_a_topic_that_is_not_an_sns_arn" {
  command = plan

  variables {
    alarm_topic_arn = "chat-prod-alarms"
  }

  expect_failures = [var.alarm_topic_arn]
}

run "rejects_routing_rules_without_a_root_receiver" {
  command = plan

  variables {
    routing_rules_json = "{\"route\": {}}"
  }

  expect_failures = [var.routing_rules_json]
}

run "its_role_carries_the_workload_boundary" {
  command = plan

  assert {
    condition     = aws_iam_role.router.permissions_boundary == "arn:aws:iam::123456789012:policy/chat-workload-boundary"
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
