mock_provider "aws" {
  # Computed ARNs are known at plan, so plan-only runs can compare them.
  override_during = plan
  # The account, region, policy documents and the function's ARNs every ops Lambda's tests share.
  source = "../lambda-function/tests/mocks"

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
}

variables {
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/chat-workload-boundary"
  name                     = "chat-prod"
  environment              = "prod"
  alarm_topic_arn          = "arn:aws:sns:eu-west-1:111122223333:chat-prod-alarms"
  # Any zip will do: the tests plan, nothing is uploaded.
  package_file = "../lambda-function/tests/fixtures/package.zip"
}

run "function_is_encrypted_and_bounded" {
  command = plan

  assert {
    condition     = module.function.configuration.kms_key_arn == "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
    error_message = "the environment must be encrypted with the module's key"
  }
  assert {
    condition     = module.function.configuration.reserved_concurrency == 5
    error_message = "reserved concurrency must be set"
  }
  assert {
    condition     = module.function.configuration.runtime == "python3.11" && module.function.configuration.handler == "alarm_router.handler.lambda_handler"
    error_message = "the function runs the alarm_router package on Python 3.11"
  }
  assert {
    condition     = module.function.configuration.layers[0] == "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-arm64:27"
    error_message = "Powertools comes from AWS's public layer matching the architecture"
  }
  assert {
    condition     = module.function.log_group_name == "/aws/lambda/chat-prod-alarm-router"
    error_message = "the log group must be the function's own"
  }
}

run "no_secret_or_url_in_plain_environment" {
  command = plan

  assert {
    condition = alltrue([for k, v in module.function.configuration.environment :
    !can(regex("(?i)hooks\\.slack\\.com|routing_key|https://events\\.pagerduty", v))])
    error_message = "webhook URLs and keys come from Secrets Manager, never from the environment"
  }
  assert {
    condition     = module.function.configuration.environment["SECRET_PREFIX"] == "chat-prod/alarm-router/"
    error_message = "the function reads its receivers' secrets under its own prefix"
  }
  assert {
    condition     = module.function.configuration.environment["ROUTES_PARAMETER"] == ""
    error_message = "without an override the shipped rules are used"
  }
  assert {
    condition     = toset(keys(aws_secretsmanager_secret.receiver)) == toset(["slack", "pagerduty", "webhook"])
    error_message = "one secret per receiver"
  }
  assert {
    condition     = alltrue([for s in aws_secretsmanager_secret.receiver : s.kms_key_id == module.function.configuration.kms_key_arn])
    error_message = "receiver secrets must be encrypted with the module's key"
  }
}

run "role_names_only_its_own_resources" {
  command = plan

  assert {
    condition     = alltrue(flatten([for s in data.aws_iam_policy_document.function.statement : [for a in s.actions : a != "*" && !endswith(a, ":*")]]))
    error_message = "no wildcard actions"
  }
  assert {
    condition     = length([for s in data.aws_iam_policy_document.function.statement : s.sid if contains(s.resources, "*")]) == 0
    error_message = "the router's own statements name their resources (X-Ray's resource * is modules/lambda-function's)"
  }
  assert {
    condition = sort(one([for s in data.aws_iam_policy_document.function.statement : s.resources if s.sid == "ReadOwnReceiverSecrets"])) == sort([
      for k in ["pagerduty", "slack", "webhook"] : aws_secretsmanager_secret.receiver[k].arn
    ])
    error_message = "secret reads are limited to the router's own secrets"
  }
  assert {
    condition     = length([for s in data.aws_iam_policy_document.function.statement : s if s.sid == "ReadOwnRoutingRules"]) == 0
    error_message = "no parameter read without a parameter"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.function.statement : s.resources if s.sid == "ReadAlarmTags"]) == tolist(["arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*"])
    error_message = "tag reads are limited to the account's alarms in this region"
  }
}

run "subscribes_to_the_monitoring_topic_and_the_eventbridge_rule" {
  command = plan

  assert {
    condition     = module.function.sns_subscriptions["alarm_topic"].topic_arn == var.alarm_topic_arn && module.function.sns_subscriptions["alarm_topic"].protocol == "lambda"
    error_message = "the router must subscribe to the monitoring topic"
  }
  assert {
    condition     = jsondecode(module.function.sns_subscriptions["alarm_topic"].redrive_policy).deadLetterTargetArn == module.function.dlq_arn
    error_message = "undeliverable SNS notifications must go to the DLQ"
  }
  assert {
    condition     = module.function.sns_subscriptions["alarm_topic"].permission_principal == "sns.amazonaws.com" && module.function.sns_subscriptions["alarm_topic"].permission_source == var.alarm_topic_arn
    error_message = "only the monitoring topic may invoke through SNS"
  }
  assert {
    condition = jsondecode(module.function.event_rules["alarm_state"].event_pattern) == {
      source        = ["aws.cloudwatch"]
      "detail-type" = ["CloudWatch Alarm State Change"]
      resources     = [{ prefix = "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:chat-prod-" }]
    }
    error_message = "the rule takes the state changes of this deployment's alarms"
  }
  assert {
    condition     = module.function.event_rules["alarm_state"].dead_letter_arn == module.function.dlq_arn
    error_message = "undeliverable events must go to the DLQ"
  }
  assert {
    condition     = module.function.event_rules["alarm_state"].permission_source == module.function.event_rule_arns["alarm_state"]
    error_message = "only the rule may invoke through EventBridge"
  }
}

run "data_at_rest_is_encrypted" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.idempotency.server_side_encryption[0].enabled && aws_dynamodb_table.idempotency.server_side_encryption[0].kms_key_arn == module.function.configuration.kms_key_arn
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
    condition     = aws_sns_topic.email.kms_master_key_id == module.function.configuration.kms_key_arn
    error_message = "the email topic must be encrypted"
  }
  assert {
    condition     = module.function.kms_key_rotation_enabled
    error_message = "the dedicated key rotates"
  }
  assert {
    condition     = one([for s in module.function.dlq_policy_statements : s.effect if s.sid == "DenyInsecureTransport"]) == "Deny"
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
    condition     = aws_dynamodb_table.state.server_side_encryption[0].enabled && aws_dynamodb_table.state.server_side_encryption[0].kms_key_arn == module.function.configuration.kms_key_arn
    error_message = "the state table is encrypted with the module's key"
  }
  assert {
    condition     = module.function.configuration.environment["STATE_TABLE"] == "chat-prod-alarm-router-state"
    error_message = "the function is given its state table"
  }
  assert {
    condition     = toset(one([for s in data.aws_iam_policy_document.function.statement : s.actions if s.sid == "GroupsSilencesAndFiringAlarms"])) == toset(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"])
    error_message = "state access is item reads, conditional writes and queries only"
  }
  assert {
    condition     = module.function.event_rules["tick"].schedule_expression == "rate(1 minute)" && jsondecode(module.function.event_rules["tick"].input).kind == "alarm-router.tick"
    error_message = "the tick runs every minute with the tick event"
  }
  assert {
    condition     = module.function.event_rules["tick"].dead_letter_arn == module.function.dlq_arn
    error_message = "undeliverable ticks are dead-lettered"
  }
}

run "router_health_alarms_bypass_the_router" {
  command = plan

  assert {
    condition     = alltrue([for a in ["errors", "dead_letters"] : toset(module.function.alarms[a].alarm_actions) == toset([aws_sns_topic.email.arn])])
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
    condition     = module.function.kms_key_rotation_enabled == null && module.function.configuration.kms_key_arn == var.kms_key_arn && aws_dynamodb_table.state.server_side_encryption[0].kms_key_arn == var.kms_key_arn
    error_message = "a given key is used instead of a dedicated one"
  }
  assert {
    condition     = aws_ssm_parameter.routes[0].type == "SecureString" && aws_ssm_parameter.routes[0].key_id == var.kms_key_arn
    error_message = "the routing override is an encrypted parameter"
  }
  assert {
    condition     = module.function.configuration.environment["ROUTES_PARAMETER"] == "/chat-prod/alarm-router/routes"
    error_message = "the function reads the override"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.function.statement : s.resources if s.sid == "ReadOwnRoutingRules"]) == tolist(["arn:aws:ssm:eu-west-1:111122223333:parameter/chat-prod/alarm-router/routes"])
    error_message = "the parameter read is limited to the router's own parameter"
  }
  assert {
    condition     = keys(module.function.event_rules) == ["tick"]
    error_message = "EventBridge input can be switched off"
  }
  assert {
    condition     = module.function.configuration.layers[0] == "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:27"
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
