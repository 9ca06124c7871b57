# Where the resources of earlier versions of this module are now: the Lambda plumbing moved into
# modules/lambda-function (module.function), the dedicated key before that into modules/kms-key.
# An existing deployment plans no destroy and no create for them.

moved {
  from = module.key
  to   = module.function.module.key
}

moved {
  from = aws_kms_key.pruner[0]
  to   = module.function.module.key[0].aws_kms_key.this
}

moved {
  from = aws_kms_alias.pruner[0]
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
  from = aws_cloudwatch_log_group.pruner
  to   = module.function.aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.pruner
  to   = module.function.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.pruner
  to   = module.function.aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.pruner
  to   = module.function.aws_lambda_function.this
}

moved {
  from = aws_lambda_function_event_invoke_config.pruner
  to   = module.function.aws_lambda_function_event_invoke_config.this
}

moved {
  from = aws_cloudwatch_event_rule.schedule
  to   = module.function.aws_cloudwatch_event_rule.this["schedule"]
}

moved {
  from = aws_cloudwatch_event_target.schedule
  to   = module.function.aws_cloudwatch_event_target.this["schedule"]
}

moved {
  from = aws_lambda_permission.schedule
  to   = module.function.aws_lambda_permission.this["schedule"]
}

moved {
  from = aws_cloudwatch_metric_alarm.failed_runs
  to   = module.function.aws_cloudwatch_metric_alarm.this["errors"]
}
