mock_provider "aws" {
  # Computed ids are known at plan, so plan-only runs can compare them.
  override_during = plan
}

override_resource {
  target          = aws_route53_health_check.api_primary
  override_during = plan
  values = {
    id = "hc-primary-0001"
  }
}

override_resource {
  target          = aws_route53_health_check.api_secondary
  override_during = plan
  values = {
    id = "hc-secondary-0002"
  }
}

variables {
  name                   = "chat-prod"
  hosted_zone_id         = "Z0123456789ABCDEFGHIJ"
  site_domain_name       = "chat.example.com"
  cloudfront_domain_name = "d111111abcdef8.cloudfront.net"
  api_domain_name        = "api.chat.example.com"
  alb_dns_name           = "chat-prod-123456789.eu-west-1.elb.amazonaws.com"
  alb_zone_id            = "Z32O12XQLNTSW2"
}

run "site_aliases_cloudfront_over_ipv4_and_ipv6" {
  command = plan

  assert {
    condition     = toset(keys(aws_route53_record.site)) == toset(["A", "AAAA"])
    error_message = "the site needs A and AAAA aliases (the distribution is dual-stack)"
  }
  assert {
    condition = alltrue([for r in aws_route53_record.site :
      r.name == "chat.example.com" && r.zone_id == "Z0123456789ABCDEFGHIJ" &&
    r.alias[0].name == "d111111abcdef8.cloudfront.net" && r.alias[0].zone_id == "Z2FDTNDATAQYW2"])
    error_message = "the site records must alias the distribution in CloudFront's zone"
  }
}

run "api_aliases_the_alb_and_follows_its_health" {
  command = plan

  assert {
    condition     = toset(keys(aws_route53_record.api)) == toset(["A"])
    error_message = "a single-stack ALB gets an A alias only"
  }
  assert {
    condition     = aws_route53_record.api["A"].alias[0].name == "chat-prod-123456789.eu-west-1.elb.amazonaws.com" && aws_route53_record.api["A"].alias[0].evaluate_target_health
    error_message = "the API record must alias the ALB and evaluate its target health"
  }
  assert {
    condition = (length(aws_route53_record.api_primary) == 0 && length(aws_route53_record.api_secondary) == 0 &&
    length(aws_route53_health_check.api_primary) == 0 && length(aws_route53_health_check.api_secondary) == 0)
    error_message = "no failover records or per-ALB checks without a standby"
  }
}

run "service_check_requests_healthz_end_to_end" {
  command = plan

  assert {
    condition     = aws_route53_health_check.service.type == "HTTPS" && aws_route53_health_check.service.port == 443 && aws_route53_health_check.service.resource_path == "/healthz"
    error_message = "the service health check must request /healthz over HTTPS"
  }
  assert {
    condition     = aws_route53_health_check.service.fqdn == "chat.example.com" && aws_route53_health_check.service.enable_sni
    error_message = "the service is checked through the site name (CloudFront, WAF, ALB, app), with SNI"
  }
  assert {
    condition     = aws_route53_health_check.service.failure_threshold == 3 && aws_route53_health_check.service.request_interval == 30
    error_message = "standard interval and threshold by default"
  }
}

run "failover_routes_to_the_standby_when_healthz_fails" {
  command = plan

  variables {
    alb_ipv6 = true
    failover = {
      alb_dns_name = "chat-prod-dr-987654321.eu-central-1.elb.amazonaws.com"
      alb_zone_id  = "Z215JYRZR1TBD5"
    }
    health_check_interval_seconds = 10
  }

  assert {
    condition     = length(aws_route53_record.api) == 0
    error_message = "failover replaces the simple record"
  }
  assert {
    condition     = toset(keys(aws_route53_record.api_primary)) == toset(["A", "AAAA"]) && toset(keys(aws_route53_record.api_secondary)) == toset(["A", "AAAA"])
    error_message = "dual-stack failover needs primary and secondary A and AAAA records"
  }
  assert {
    condition = alltrue([for r in aws_route53_record.api_primary :
    r.failover_routing_policy[0].type == "PRIMARY" && r.health_check_id == "hc-primary-0001" && r.alias[0].name == "chat-prod-123456789.eu-west-1.elb.amazonaws.com"])
    error_message = "the primary records must point at the primary ALB and carry its health check"
  }
  assert {
    condition = alltrue([for r in aws_route53_record.api_secondary :
    r.failover_routing_policy[0].type == "SECONDARY" && r.health_check_id == "hc-secondary-0002" && r.alias[0].name == "chat-prod-dr-987654321.eu-central-1.elb.amazonaws.com"])
    error_message = "the secondary records must point at the standby ALB"
  }
  assert {
    condition     = aws_route53_health_check.api_primary[0].fqdn == "chat-prod-123456789.eu-west-1.elb.amazonaws.com" && aws_route53_health_check.api_secondary[0].fqdn == "chat-prod-dr-987654321.eu-central-1.elb.amazonaws.com"
    error_message = "under failover each check must target its own ALB, not the name that fails over"
  }
  assert {
    condition = alltrue([for c in [aws_route53_health_check.api_primary[0], aws_route53_health_check.api_secondary[0], aws_route53_health_check.service] :
    c.resource_path == "/healthz" && c.type == "HTTPS" && c.request_interval == 10])
    error_message = "both ALBs and the service are checked on /healthz over HTTPS at the configured interval"
  }
  assert {
    condition     = output.api_primary_health_check_id == "hc-primary-0001" && output.api_secondary_health_check_id == "hc-secondary-0002"
    error_message = "the per-ALB check ids must be outputs"
  }
}

run "rejects_a_foreign_cloudfront_zone" {
  command = plan

  variables {
    cloudfront_hosted_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  expect_failures = [var.cloudfront_hosted_zone_id]
}

run "rejects_a_relative_health_check_path" {
  command = plan

  variables {
    health_check_path = "healthz"
  }

  expect_failures = [var.health_check_path]
}

run "rejects_a_failover_target_that_is_not_an_alb" {
  command = plan

  variables {
    failover = {
      alb_dns_name = "standby.example.com"
      alb_zone_id  = "Z215JYRZR1TBD5"
    }
  }

  expect_failures = [var.failover]
}

run "rejects_too_few_checker_regions" {
  command = plan

  variables {
    health_check_regions = ["us-east-1", "eu-west-1"]
  }

  expect_failures = [var.health_check_regions]
}
