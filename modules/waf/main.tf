data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # The name prefix is required by AWS WAF for a CloudWatch Logs destination.
  log_group_name = "aws-waf-logs-${var.name}-${lower(var.scope)}"
  metric_prefix  = replace("${var.name}-${lower(var.scope)}", "-", "_")

  # Priorities leave gaps so a rule can be added between two without renumbering.
  managed_rule_groups = [
    { name = "AWSManagedRulesAmazonIpReputationList", priority = 10 },
    { name = "AWSManagedRulesAnonymousIpList", priority = 20 },
    { name = "AWSManagedRulesKnownBadInputsRuleSet", priority = 30 },
    { name = "AWSManagedRulesCommonRuleSet", priority = 40 },
  ]

  tags = merge(var.tags, { Name = "${var.name}-${lower(var.scope)}" })
}

module "key" {
  source = "../kms-key"

  alias                   = "${var.name}-waf-${lower(var.scope)}-logs"
  description             = "${var.name} WAF (${var.scope}) request logs"
  deletion_window_in_days = var.kms_key_deletion_window_days
  log_group_arns          = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"]
  tags                    = local.tags
}

moved {
  from = aws_kms_key.logs
  to   = module.key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.logs
  to   = module.key.aws_kms_alias.this
}

resource "aws_cloudwatch_log_group" "waf" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = module.key.arn
  tags              = local.tags
}

resource "aws_wafv2_web_acl" "this" {
  name        = "${var.name}-${lower(var.scope)}"
  description = "${var.name}: AWS managed rule groups and a per-client rate limit"
  scope       = var.scope
  tags        = local.tags

  lifecycle {
    precondition {
      condition     = var.scope != "CLOUDFRONT" || local.region == "us-east-1"
      error_message = "A CLOUDFRONT-scope web ACL must be created in us-east-1: give this module a us-east-1 provider."
    }
  }

  default_action {
    allow {}
  }

  # Evaluated first: a flooding client is cut off before the managed rule groups spend WCUs on it.
  dynamic "rule" {
    for_each = var.rate_limit_aggregate_key == "NONE" ? [] : [var.rate_limit]
    content {
      name     = "rate-limit-per-client"
      priority = 1

      action {
        block {}
      }

      statement {
        rate_based_statement {
          limit                 = rule.value
          evaluation_window_sec = var.rate_limit_window_seconds
          aggregate_key_type    = var.rate_limit_aggregate_key

          dynamic "forwarded_ip_config" {
            for_each = var.rate_limit_aggregate_key == "FORWARDED_IP" ? [1] : []
            content {
              header_name       = "X-Forwarded-For"
              fallback_behavior = "MATCH"
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.metric_prefix}_rate_limit"
        sampled_requests_enabled   = true
      }
    }
  }

  dynamic "rule" {
    for_each = var.auth_rate_limit == null || var.rate_limit_aggregate_key == "NONE" ? [] : [var.auth_rate_limit]
    content {
      name     = "rate-limit-auth-per-client"
      priority = 2

      action {
        block {}
      }

      statement {
        rate_based_statement {
          limit                 = rule.value
          evaluation_window_sec = var.rate_limit_window_seconds
          aggregate_key_type    = var.rate_limit_aggregate_key

          dynamic "forwarded_ip_config" {
            for_each = var.rate_limit_aggregate_key == "FORWARDED_IP" ? [1] : []
            content {
              header_name       = "X-Forwarded-For"
              fallback_behavior = "MATCH"
            }
          }

          scope_down_statement {
            regex_match_statement {
              regex_string = "^/api/(login|register)$"

              field_to_match {
                uri_path {}
              }

              text_transformation {
                priority = 0
                type     = "NONE"
              }
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.metric_prefix}_rate_limit_auth"
        sampled_requests_enabled   = true
      }
    }
  }

  dynamic "rule" {
    for_each = local.managed_rule_groups
    content {
      name     = rule.value.name
      priority = rule.value.priority

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.value.name

          dynamic "rule_action_override" {
            for_each = lookup(var.rule_action_overrides, rule.value.name, [])
            content {
              name = rule_action_override.value
              action_to_use {
                count {}
              }
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.metric_prefix}_${rule.value.name}"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = local.metric_prefix
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  dynamic "redacted_fields" {
    for_each = toset([for h in var.redacted_headers : lower(h)])
    content {
      single_header {
        name = redacted_fields.value
      }
    }
  }

  dynamic "logging_filter" {
    for_each = var.log_blocked_and_counted_only ? [1] : []
    content {
      default_behavior = "DROP"

      filter {
        behavior    = "KEEP"
        requirement = "MEETS_ANY"
        condition {
          action_condition {
            action = "BLOCK"
          }
        }
        condition {
          action_condition {
            action = "COUNT"
          }
        }
      }
    }
  }
}
