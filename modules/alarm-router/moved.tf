# Where the resources of earlier versions of this module are now: the Lambda plumbing moved into
# modules/lambda-function (module.function), the dedicated key before that into modules/kms-key.
# An existing deployment plans no destroy and no create for them.

moved {
  from = module.key
  to   = module.function.module.key
}

moved {
  from = aws_kms_key.router[0]
  to   = module.function.module.key[0].aws_kms_key.this
}

moved {
  from = aws_kms_alias.router[0]
  to   = module.function.module.key[0].aws_kms_alias.this
}

moved {
  from = aws_sqs_queue.dlq
  to   = module.function.aws_sqs_queue.dlq
}

moved {
  from = aws_sqs_queue_policy.dlq
  to   = module.function.aws_sqs_queue_policy.dlq
}

moved {
  from = aws_cloudwatch_log_group.router
  to   = module.function.aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.router
  to   = module.function.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.router
  to   = module.function.aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.router
  to   = module.function.aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.router
  to   = module.function.aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_lambda_permission.alarm_topic
  to   = module.function.aws_lambda_permission.this["alarm_topic"]
}

moved {
  from = aws_sns_topic_subscription.alarm_topic
  to   = module.function.aws_sns_topic_subscription.this["alarm_topic"]
}

moved {
  from = aws_cloudwatch_event_rule.alarm_state[0]
  to   = module.function.aws_cloudwatch_event_rule.this["alarm_state"]
}

moved {
  from = aws_cloudwatch_event_target.alarm_state[0]
  to   = module.function.aws_cloudwatch_event_target.this["alarm_state"]
}

moved {
  from = aws_lambda_permission.alarm_state[0]
  to   = module.function.aws_lambda_permission.this["alarm_state"]
}

moved {
  from = aws_cloudwatch_event_rule.tick
  to   = module.function.aws_cloudwatch_event_rule.this["tick"]
}

moved {
  from = aws_cloudwatch_event_target.tick
  to   = module.function.aws_cloudwatch_event_target.this["tick"]
}

moved {
  from = aws_lambda_permission.tick
  to   = module.function.aws_lambda_permission.this["tick"]
}

moved {
  from = aws_cloudwatch_metric_alarm.errors
  to   = module.function.aws_cloudwatch_metric_alarm.this["errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dead_letters
  to   = module.function.aws_cloudwatch_metric_alarm.this["dead_letters"]
}
