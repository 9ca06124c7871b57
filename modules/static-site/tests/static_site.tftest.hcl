mock_provider "aws" {
  # Computed values (ARNs, ids) are known at plan, so plan-only runs can compare them.
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
  mock_resource "aws_cloudfront_distribution" {
    defaults = {
      arn            = "arn:aws:cloudfront::111122223333:distribution/E1EXAMPLE"
      domain_name    = "d111111abcdef8.cloudfront.net"
      hosted_zone_id = "Z2FDTNDATAQYW2"
    }
  }
  mock_resource "aws_cloudfront_response_headers_policy" {
    defaults = {
      id = "rhp-security-example"
    }
  }
  mock_resource "aws_cloudfront_origin_access_control" {
    defaults = {
      id = "E2OACEXAMPLE"
    }
  }
}

mock_provider "aws" {
  alias           = "us_east_1"
  override_during = plan

  mock_resource "aws_acm_certificate" {
    defaults = {
      arn = "arn:aws:acm:us-east-1:111122223333:certificate/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
      domain_validation_options = [{
        domain_name           = "chat.example.com"
        resource_record_name  = "_a1b2c3.chat.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_d4e5f6.acm-validations.aws."
      }]
    }
  }
}

override_resource {
  target          = module.site.aws_s3_bucket.this
  override_during = plan
  values = {
    id                          = "chat-prod-web-111122223333-eu-west-1"
    arn                         = "arn:aws:s3:::chat-prod-web-111122223333-eu-west-1"
    bucket_regional_domain_name = "chat-prod-web-111122223333-eu-west-1.s3.eu-west-1.amazonaws.com"
  }
}

override_resource {
  target          = module.logs.aws_s3_bucket.this
  override_during = plan
  values = {
    id                 = "chat-prod-web-logs-111122223333-eu-west-1"
    arn                = "arn:aws:s3:::chat-prod-web-logs-111122223333-eu-west-1"
    bucket_domain_name = "chat-prod-web-logs-111122223333-eu-west-1.s3.amazonaws.com"
  }
}

variables {
  name                   = "chat-prod"
  domain_name            = "chat.example.com"
  api_origin_domain_name = "api.chat.example.com"
  api_vpc_origin_id      = "vo_0123456789abcdefEXAMPLE"
  hosted_zone_id         = "Z0123456789ABCDEFGHIJ"
  web_acl_arn            = "arn:aws:wafv2:us-east-1:111122223333:global/webacl/chat-prod-cloudfront/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
  csp_extra_sources      = ["https://chat-prod-media-111122223333-eu-west-1.s3.amazonaws.com"]
}

run "s3_is_read_through_oac_only" {
  command = plan

  assert {
    condition     = one([for o in aws_cloudfront_distribution.site.origin : o.origin_access_control_id if o.origin_id == "web-client"]) == "E2OACEXAMPLE"
    error_message = "the S3 origin must use the origin access control"
  }
  assert {
    condition     = alltrue([for o in aws_cloudfront_distribution.site.origin : length(o.s3_origin_config) == 0])
    error_message = "no origin may use a legacy origin access identity (OAI)"
  }
  assert {
    condition     = aws_cloudfront_origin_access_control.site.signing_behavior == "always" && aws_cloudfront_origin_access_control.site.signing_protocol == "sigv4" && aws_cloudfront_origin_access_control.site.origin_access_control_origin_type == "s3"
    error_message = "OAC must always sign S3 requests with SigV4"
  }
  assert {
    condition = [for s in data.aws_iam_policy_document.site.statement :
      "${one(one(s.principals).identifiers)} ${join(",", s.actions)} ${one(s.resources)} ${one(s.condition).variable}=${one(one(s.condition).values)}"
      ] == [
      "cloudfront.amazonaws.com s3:GetObject arn:aws:s3:::chat-prod-web-111122223333-eu-west-1/* AWS:SourceArn=arn:aws:cloudfront::111122223333:distribution/E1EXAMPLE",
    ]
    error_message = "the bucket policy must allow exactly this distribution to read the objects"
  }
  assert {
    condition     = module.site.public_access_blocked && module.site.object_ownership == "BucketOwnerEnforced"
    error_message = "the site bucket must be private with ACLs disabled"
  }
  assert {
    condition = length([for s in module.site.policy_statements : s
    if s.effect == "Deny" && contains([for c in s.condition : "${c.variable}=${join(",", c.values)}"], "aws:SecureTransport=false")]) == 1
    error_message = "the site bucket must refuse requests without TLS"
  }
}

run "buckets_are_kms_encrypted" {
  command = plan

  assert {
    condition     = module.site.sse_algorithm == "aws:kms" && module.site.kms_key_arn == module.key.arn
    error_message = "the site bucket must be encrypted with the module's KMS key"
  }
  assert {
    condition     = module.logs.sse_algorithm == "aws:kms" && module.logs.kms_key_arn == module.key.arn
    error_message = "the log bucket must be encrypted with KMS"
  }
  assert {
    condition     = one(module.site.lifecycle_rules).noncurrent_version_expiration[0].noncurrent_days == 30 && one(module.logs.lifecycle_rules).expiration[0].days == 365
    error_message = "previous builds stay 30 days for a rollback; access logs expire after log_retention_days"
  }
  assert {
    condition = [for c in one([for s in module.key.policy_statements : s if s.sid == "CloudFrontReadsTheSiteThroughOac"]).condition :
    join(",", c.values) if c.variable == "AWS:SourceArn"] == ["arn:aws:cloudfront::111122223333:distribution/E1EXAMPLE"]
    error_message = "only this distribution may decrypt the site through CloudFront"
  }
  assert {
    condition = [for c in one([for s in module.key.policy_statements : s if s.sid == "CloudFrontWritesEncryptedAccessLogs"]).condition :
    "${c.test} ${c.variable} ${join(",", c.values)}"] == ["StringEquals aws:SourceAccount 111122223333"]
    error_message = "the log delivery service may use the key for this account only"
  }
  assert {
    condition     = module.key.rotation_enabled
    error_message = "the KMS key must rotate"
  }
}

run "api_and_socketio_go_to_the_alb_uncached_with_websocket_headers" {
  command = plan

  assert {
    condition     = toset([for b in aws_cloudfront_distribution.site.ordered_cache_behavior : b.path_pattern]) == toset(["/api/*", "/socket.io/*", "/healthz"])
    error_message = "/api/*, /socket.io/* and /healthz (and nothing else) must have their own behaviors"
  }
  assert {
    condition     = alltrue([for b in aws_cloudfront_distribution.site.ordered_cache_behavior : b.target_origin_id == "chat-api"])
    error_message = "API and Socket.IO paths must go to the ALB origin"
  }
  assert {
    condition     = alltrue([for b in aws_cloudfront_distribution.site.ordered_cache_behavior : b.cache_policy_id == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"])
    error_message = "API and Socket.IO must use the managed CachingDisabled policy"
  }
  assert {
    condition     = alltrue([for b in aws_cloudfront_distribution.site.ordered_cache_behavior : b.origin_request_policy_id == "b689b0a8-53d0-40ab-baf2-68738e2966ac"])
    error_message = "API and Socket.IO must forward every viewer header (Sec-WebSocket-*, Authorization), cookie and query string"
  }
  assert {
    condition     = alltrue([for b in aws_cloudfront_distribution.site.ordered_cache_behavior : toset(b.allowed_methods) == toset(["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"])])
    error_message = "the API needs every HTTP method"
  }
  assert {
    condition     = alltrue([for b in aws_cloudfront_distribution.site.ordered_cache_behavior : b.viewer_protocol_policy == "https-only"])
    error_message = "API calls must never be answered over plain HTTP"
  }
  assert {
    condition = one([for o in aws_cloudfront_distribution.site.origin :
      o.domain_name == "api.chat.example.com" && length(o.custom_origin_config) == 0 &&
      o.vpc_origin_config[0].vpc_origin_id == "vo_0123456789abcdefEXAMPLE"
    if o.origin_id == "chat-api"])
    error_message = "CloudFront must reach the ALB through its VPC origin only, under the API origin name its certificate covers"
  }
  assert {
    condition     = one([for o in aws_cloudfront_distribution.site.origin : o.vpc_origin_config[0].origin_read_timeout if o.origin_id == "chat-api"]) == 60
    error_message = "the origin read timeout must outlast Socket.IO's 25 s long-poll"
  }
}

run "web_client_from_s3_is_cached_and_compressed" {
  command = plan

  assert {
    condition     = aws_cloudfront_distribution.site.default_cache_behavior[0].target_origin_id == "web-client" && aws_cloudfront_distribution.site.default_cache_behavior[0].cache_policy_id == "658327ea-f89d-4fab-a63d-7e88639e58f6"
    error_message = "everything else must come from the S3 origin with CachingOptimized"
  }
  assert {
    condition     = aws_cloudfront_distribution.site.default_cache_behavior[0].viewer_protocol_policy == "redirect-to-https"
    error_message = "plain HTTP visitors must be redirected to HTTPS"
  }
  assert {
    condition     = toset(aws_cloudfront_distribution.site.default_cache_behavior[0].allowed_methods) == toset(["GET", "HEAD", "OPTIONS"])
    error_message = "the static origin must be read-only"
  }
}

run "tls_certificate_waf_and_logging" {
  command = plan

  assert {
    condition     = aws_cloudfront_distribution.site.viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021" && aws_cloudfront_distribution.site.viewer_certificate[0].ssl_support_method == "sni-only"
    error_message = "viewers need TLS 1.2 (2021 ciphers) at least"
  }
  assert {
    condition     = aws_cloudfront_distribution.site.viewer_certificate[0].acm_certificate_arn == "arn:aws:acm:us-east-1:111122223333:certificate/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    error_message = "the distribution must serve the validated us-east-1 certificate"
  }
  assert {
    condition     = aws_acm_certificate.site[0].domain_name == "chat.example.com" && aws_acm_certificate.site[0].validation_method == "DNS"
    error_message = "the certificate must be requested for the site and validated by DNS"
  }
  assert {
    condition     = aws_route53_record.certificate_validation["chat.example.com"].zone_id == "Z0123456789ABCDEFGHIJ" && aws_route53_record.certificate_validation["chat.example.com"].name == "_a1b2c3.chat.example.com." && aws_route53_record.certificate_validation["chat.example.com"].type == "CNAME"
    error_message = "validation records must go to the given hosted zone"
  }
  assert {
    condition     = aws_cloudfront_distribution.site.web_acl_id == "arn:aws:wafv2:us-east-1:111122223333:global/webacl/chat-prod-cloudfront/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    error_message = "the CLOUDFRONT-scope web ACL must protect the distribution"
  }
  assert {
    condition     = aws_cloudfront_distribution.site.logging_config[0].prefix == "cloudfront/" && aws_cloudfront_distribution.site.logging_config[0].include_cookies == false
    error_message = "access logs must be written, without cookies (session material)"
  }
  assert {
    condition     = aws_cloudfront_distribution.site.logging_config[0].bucket == "chat-prod-web-logs-111122223333-eu-west-1.s3.amazonaws.com"
    error_message = "access logs must go to the module's log bucket"
  }
  assert {
    # CloudFront standard logging writes through an ACL grant: the log bucket alone keeps ACLs.
    condition     = module.logs.object_ownership == "BucketOwnerPreferred" && module.logs.public_access_blocked
    error_message = "the log bucket keeps ACLs for the awslogsdelivery grant, with public access blocked"
  }
  assert {
    condition     = toset(aws_cloudfront_distribution.site.aliases) == toset(["chat.example.com"])
    error_message = "the distribution must answer to the site's name"
  }
  assert {
    condition     = aws_cloudfront_distribution.site.price_class == "PriceClass_All"
    error_message = "production default: every edge location"
  }
}

run "security_headers" {
  command = plan

  assert {
    condition     = aws_cloudfront_response_headers_policy.security.security_headers_config[0].strict_transport_security[0].access_control_max_age_sec >= 31536000
    error_message = "HSTS must last at least a year"
  }
  assert {
    condition     = aws_cloudfront_response_headers_policy.security.security_headers_config[0].frame_options[0].frame_option == "DENY"
    error_message = "the client must not be framed"
  }
  assert {
    condition     = strcontains(aws_cloudfront_response_headers_policy.security.security_headers_config[0].content_security_policy[0].content_security_policy, "connect-src 'self' wss://chat.example.com https://chat-prod-media-111122223333-eu-west-1.s3.amazonaws.com")
    error_message = "the CSP must allow the WebSocket to the site and the media bucket for uploads"
  }
  assert {
    condition     = strcontains(aws_cloudfront_response_headers_policy.security.security_headers_config[0].content_security_policy[0].content_security_policy, "frame-ancestors 'none'")
    error_message = "the CSP must forbid framing"
  }
  assert {
    condition = alltrue([for b in concat(aws_cloudfront_distribution.site.default_cache_behavior, aws_cloudfront_distribution.site.ordered_cache_behavior) :
    b.response_headers_policy_id == "rhp-security-example"])
    error_message = "every behavior must send the security headers"
  }
}

run "outputs_for_neighbours" {
  command = plan

  assert {
    condition     = output.site_origin == "https://chat.example.com"
    error_message = "the site origin feeds the media bucket CORS and CORS_ORIGINS"
  }
  assert {
    condition     = output.distribution_hosted_zone_id == "Z2FDTNDATAQYW2" && output.distribution_domain_name == "d111111abcdef8.cloudfront.net"
    error_message = "the dns module needs the distribution's alias target"
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.deploy.statement : alltrue([for a in s.actions : !strcontains(a, "*")]) && !contains(s.resources, "*")])
    error_message = "the deploy policy must name its actions and resources"
  }
  assert {
    condition     = toset(flatten([for s in data.aws_iam_policy_document.deploy.statement : s.resources])) == toset(["arn:aws:s3:::chat-prod-web-111122223333-eu-west-1", "arn:aws:s3:::chat-prod-web-111122223333-eu-west-1/*", "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555", "arn:aws:cloudfront::111122223333:distribution/E1EXAMPLE"])
    error_message = "the deploy policy reaches the site bucket, its key and the distribution, nothing else"
  }
}

run "existing_certificate_and_dev_price_class" {
  command = plan

  variables {
    acm_certificate_arn = "arn:aws:acm:us-east-1:111122223333:certificate/12345678-1234-1234-1234-123456789012"
    hosted_zone_id      = null
    price_class         = "PriceClass_100"
    force_destroy       = true
  }

  assert {
    condition     = length(aws_acm_certificate.site) == 0 && length(aws_route53_record.certificate_validation) == 0
    error_message = "no certificate is requested when one is given"
  }
  assert {
    condition     = aws_cloudfront_distribution.site.viewer_certificate[0].acm_certificate_arn == "arn:aws:acm:us-east-1:111122223333:certificate/12345678-1234-1234-1234-123456789012"
    error_message = "the given certificate must be served"
  }
  assert {
    condition     = aws_cloudfront_distribution.site.price_class == "PriceClass_100" && module.site.force_destroy && module.logs.force_destroy
    error_message = "the dev cost switches must apply"
  }
}

run "rejects_a_certificate_outside_us_east_1" {
  command = plan

  variables {
    acm_certificate_arn = "arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012"
  }

  expect_failures = [var.acm_certificate_arn]
}

run "rejects_no_certificate_and_no_zone" {
  command = plan

  variables {
    hosted_zone_id = null
  }

  expect_failures = [var.hosted_zone_id]
}

run "rejects_a_regional_web_acl" {
  command = plan

  variables {
    web_acl_arn = "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/chat-prod-regional/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
  }

  expect_failures = [var.web_acl_arn]
}

run "rejects_a_short_origin_read_timeout" {
  command = plan

  variables {
    api_origin_read_timeout = 10
  }

  expect_failures = [var.api_origin_read_timeout]
}
