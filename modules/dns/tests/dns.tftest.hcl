mock_provider "aws" {
  # Computed ids are known at plan, so plan-only runs can compare them.
  override_during = plan
}

variables {
  name                   = "chat-prod"
  hosted_zone_id         = "Z0123456789ABCDEFGHIJ"
  site_domain_name       = "chat.example.com"
  cloudfront_domain_name = "d111111abcdef8.cloudfront.net"
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

run "no_public_name_leads_to_the_alb" {
  command = plan

  assert {
    condition     = toset([for r in aws_route53_record.site : r.name]) == toset(["chat.example.com"]) && length(aws_route53_record.site) == 2
    error_message = "The zone gets the site's records only: the API has no public name (CloudFront reaches the internal ALB through its VPC origin)."
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

run "rejects_too_few_checker_regions" {
  command = plan

  variables {
    health_check_regions = ["us-east-1", "eu-west-1"]
  }

  expect_failures = [var.health_check_regions]
}
