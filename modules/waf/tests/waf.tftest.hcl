mock_provider "aws" {
  # Computed values (key ARNs) are known at plan, so plan-only runs can compare them.
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
      arn = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
    }
  }
}

variables {
  name = "chat-prod"
}

run "regional_defaults" {
  command = plan

  assert {
    condition     = aws_wafv2_web_acl.this.scope == "REGIONAL"
    error_message = "the default scope must be REGIONAL (the ALB)"
  }
  assert {
    condition     = length(aws_wafv2_web_acl.this.default_action[0].allow) == 1
    error_message = "requests that no rule blocks must be allowed"
  }
  assert {
    condition = toset([for r in aws_wafv2_web_acl.this.rule : r.name]) == toset([
      "rate-limit-per-client",
      "rate-limit-auth-per-client",
      "AWSManagedRulesCommonRuleSet",
      "AWSManagedRulesKnownBadInputsRuleSet",
      "AWSManagedRulesAmazonIpReputationList",
      "AWSManagedRulesAnonymousIpList",
    ])
    error_message = "the web ACL must hold exactly the two rate rules and the four AWS managed rule groups"
  }
  assert {
    condition     = length(distinct([for r in aws_wafv2_web_acl.this.rule : r.priority])) == 6
    error_message = "rule priorities must be unique"
  }
  assert {
    condition = alltrue([for r in aws_wafv2_web_acl.this.rule :
      r.statement[0].managed_rule_group_statement[0].vendor_name == "AWS" && length(r.override_action[0].none) == 1
    if !startswith(r.name, "rate-limit-")])
    error_message = "managed rule groups must be AWS's and keep their own (blocking) actions"
  }
  assert {
    condition = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0].aggregate_key_type
    if r.name == "rate-limit-per-client"]) == "IP"
    error_message = "the rate limit must count per client IP by default"
  }
  assert {
    condition = one([for r in aws_wafv2_web_acl.this.rule : length(r.action[0].block)
    if r.name == "rate-limit-per-client"]) == 1
    error_message = "the rate-based rule must block"
  }
  assert {
    condition     = min([for r in aws_wafv2_web_acl.this.rule : r.priority]...) == one([for r in aws_wafv2_web_acl.this.rule : r.priority if r.name == "rate-limit-per-client"])
    error_message = "the rate-based rule must be evaluated before the managed rule groups"
  }
  assert {
    condition = toset(flatten([for r in aws_wafv2_web_acl.this.rule : [
      for o in r.statement[0].managed_rule_group_statement[0].rule_action_override : o.name
    ] if r.name == "AWSManagedRulesCommonRuleSet"])) == toset(["SizeRestrictions_BODY", "CrossSiteScripting_BODY"])
    error_message = "the common rule set must count (not block) large and markup-bearing chat bodies"
  }
  assert {
    condition = length(flatten([for r in aws_wafv2_web_acl.this.rule :
      r.statement[0].managed_rule_group_statement[0].rule_action_override
    if r.name == "AWSManagedRulesKnownBadInputsRuleSet"])) == 0
    error_message = "known bad inputs (Log4j, ...) must keep blocking"
  }
  assert {
    condition     = startswith(aws_cloudwatch_log_group.waf.name, "aws-waf-logs-")
    error_message = "AWS WAF only logs to log groups named aws-waf-logs-*"
  }
  assert {
    condition     = aws_cloudwatch_log_group.waf.kms_key_id == module.key.arn
    error_message = "the WAF log group must be encrypted with the module's KMS key"
  }
  assert {
    condition     = aws_cloudwatch_log_group.waf.retention_in_days == 365
    error_message = "WAF logs must be kept a year by default"
  }
  assert {
    condition     = module.key.rotation_enabled == true
    error_message = "the KMS key must rotate"
  }
  assert {
    condition     = [for f in aws_wafv2_web_acl_logging_configuration.this.redacted_fields : f.single_header[0].name] == ["authorization"]
    error_message = "the Authorization header must be redacted from the logs"
  }
  assert {
    condition     = length(aws_wafv2_web_acl_logging_configuration.this.logging_filter) == 0
    error_message = "by default every request is logged"
  }
  assert {
    condition     = alltrue(flatten([for s in module.key.policy_statements : [for a in s.actions : startswith(a, "kms:") && !strcontains(a, "*")]]))
    error_message = "the key policy must grant explicit actions only"
  }
  assert {
    condition = [for c in one([for s in module.key.policy_statements : s if s.sid == "CloudWatchLogsEncryptsItsLogGroups"]).condition :
    join(",", c.values) if c.variable == "kms:EncryptionContext:aws:logs:arn"] == ["arn:aws:logs:eu-west-1:111122223333:log-group:aws-waf-logs-chat-prod-regional"]
    error_message = "CloudWatch Logs may use the key for the WAF log group only"
  }
}

run "auth_endpoints_have_their_own_stricter_limit" {
  command = plan

  assert {
    condition = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0].limit
    if r.name == "rate-limit-auth-per-client"]) == 100
    error_message = "login and register must be limited to 100 requests per client per window by default"
  }
  assert {
    condition = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0].scope_down_statement[0].regex_match_statement[0].regex_string
    if r.name == "rate-limit-auth-per-client"]) == "^/api/(login|register)$"
    error_message = "the auth limit must apply to /api/login and /api/register only"
  }
  assert {
    condition = one([for r in aws_wafv2_web_acl.this.rule : length(r.action[0].block)
    if r.name == "rate-limit-auth-per-client"]) == 1
    error_message = "the auth rate rule must block"
  }
}

run "rate_limit_and_client_key_follow_the_variables" {
  command = plan

  variables {
    rate_limit               = 500
    rate_limit_aggregate_key = "FORWARDED_IP"
    auth_rate_limit          = null
  }

  assert {
    condition = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0].limit
    if r.name == "rate-limit-per-client"]) == 500
    error_message = "the rate-based rule must use the configured limit"
  }
  assert {
    condition = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0].forwarded_ip_config[0].header_name
    if r.name == "rate-limit-per-client"]) == "X-Forwarded-For"
    error_message = "FORWARDED_IP must read X-Forwarded-For"
  }
  assert {
    condition = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0].aggregate_key_type
    if r.name == "rate-limit-per-client"]) == "FORWARDED_IP"
    error_message = "the client key must follow the variable"
  }
  assert {
    condition     = !contains([for r in aws_wafv2_web_acl.this.rule : r.name], "rate-limit-auth-per-client")
    error_message = "auth_rate_limit = null must remove the auth rule"
  }
}

run "behind_a_vpc_origin_the_regional_acl_has_no_rate_rule" {
  command = plan

  variables {
    rate_limit_aggregate_key = "NONE"
    auth_rate_limit          = 100
  }

  assert {
    condition     = length([for r in aws_wafv2_web_acl.this.rule : r if length(r.statement[0].rate_based_statement) > 0]) == 0
    error_message = "With NONE no rate-based rule is made: the ALB sees CloudFront's addresses only, and X-Forwarded-For can be forged"
  }
  assert {
    condition     = length([for r in aws_wafv2_web_acl.this.rule : r if length(r.statement[0].managed_rule_group_statement) > 0]) >= 4
    error_message = "the managed rule groups stay"
  }
}

run "cost_saver_logs_only_blocked_and_counted" {
  command = plan

  variables {
    log_blocked_and_counted_only = true
    log_retention_days           = 30
  }

  assert {
    condition     = aws_wafv2_web_acl_logging_configuration.this.logging_filter[0].default_behavior == "DROP"
    error_message = "the cost saver must drop allowed requests from the logs"
  }
  assert {
    condition     = aws_cloudwatch_log_group.waf.retention_in_days == 30
    error_message = "retention must follow the variable"
  }
}

run "cloudfront_scope_in_us_east_1" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = {
      region = "us-east-1"
    }
  }

  variables {
    scope = "CLOUDFRONT"
  }

  assert {
    condition     = aws_wafv2_web_acl.this.scope == "CLOUDFRONT"
    error_message = "scope must follow the variable"
  }
  assert {
    condition     = aws_cloudwatch_log_group.waf.name == "aws-waf-logs-chat-prod-cloudfront"
    error_message = "the CloudFront ACL logs to its own log group"
  }
}

run "cloudfront_scope_outside_us_east_1_is_refused" {
  command = plan

  variables {
    scope = "CLOUDFRONT"
  }

  expect_failures = [aws_wafv2_web_acl.this]
}

run "rejects_bad_values" {
  command = plan

  variables {
    rate_limit       = 5
    auth_rate_limit  = 2.5
    redacted_headers = ["cookie"]
    scope            = "GLOBAL"
    name             = "Chat_Prod"
  }

  # A rate limit below AWS's minimum, a fractional auth limit, logs without Authorization
  # redacted, an unknown scope, a bad name.
  expect_failures = [var.rate_limit, var.auth_rate_limit, var.redacted_headers, var.scope, var.name]
}
