mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_elb_service_account" {
    defaults = {
      arn = "arn:aws:iam::156460612806:root"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_security_group" {
    defaults = {
      id = "sg-0cf0cf0cf0cf0cf00"
    }
  }
  mock_resource "aws_lb" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/chat-test-alb/0123456789abcdef"
    }
  }
}

variables {
  name               = "chat-test"
  vpc_id             = "vpc-0123456789abcdef0"
  subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_ids = ["sg-0123456789abcdef0"]
  certificate_arn    = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  waf_web_acl_arn    = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/chat-test/abcd"
}

run "websockets_and_socketio_get_what_they_need" {
  command = plan

  assert {
    condition     = aws_lb.this.idle_timeout >= 120
    error_message = "Idle timeout must be at least 120 s for WebSockets."
  }
  assert {
    condition     = aws_lb_target_group.app.stickiness[0].type == "lb_cookie" && aws_lb_target_group.app.stickiness[0].enabled
    error_message = "lb_cookie stickiness must be on for the polling fallback."
  }
  assert {
    condition     = aws_lb_target_group.app.health_check[0].path == "/healthz" && aws_lb_target_group.app.health_check[0].matcher == "200"
    error_message = "Health checks must expect 200 from /healthz."
  }
  assert {
    condition     = aws_lb_target_group.app.port == 8000 && aws_lb_target_group.app.protocol == "HTTP"
    error_message = "Targets are the chat service on its app port."
  }
  assert {
    condition     = aws_lb.this.xff_header_processing_mode == "append"
    error_message = "X-Forwarded-For must be appended: the service counts PROXY_HOPS=2."
  }
}

run "tls_and_header_hygiene" {
  command = plan

  assert {
    condition     = aws_lb_listener.https.protocol == "HTTPS" && aws_lb_listener.https.port == 443
    error_message = "The forwarding listener must be HTTPS on 443."
  }
  assert {
    condition     = startswith(aws_lb_listener.https.ssl_policy, "ELBSecurityPolicy-TLS13-")
    error_message = "The HTTPS listener must use a TLS 1.3 policy."
  }
  assert {
    condition     = aws_lb_listener.https.certificate_arn == var.certificate_arn
    error_message = "The given ACM certificate must be served."
  }
  assert {
    condition     = aws_lb_listener.https.default_action[0].type == "forward"
    error_message = "HTTPS must forward to the app."
  }
  assert {
    condition = (
      aws_lb_listener.http_redirect.port == 80 &&
      aws_lb_listener.http_redirect.default_action[0].type == "redirect" &&
      aws_lb_listener.http_redirect.default_action[0].redirect[0].protocol == "HTTPS" &&
      aws_lb_listener.http_redirect.default_action[0].redirect[0].status_code == "HTTP_301"
    )
    error_message = "Port 80 must only redirect to HTTPS."
  }
  assert {
    condition     = aws_lb.this.drop_invalid_header_fields == true
    error_message = "Invalid header fields must be dropped."
  }
  assert {
    condition     = aws_lb.this.internal == true && aws_lb.this.load_balancer_type == "application" && toset(aws_lb.this.subnets) == toset(var.subnet_ids)
    error_message = "Expected an internal application load balancer in the given private subnets: no public address to bypass CloudFront with."
  }
}

run "cloudfront_reaches_it_through_a_vpc_origin_only" {
  command = apply

  assert {
    condition     = aws_cloudfront_vpc_origin.api.vpc_origin_endpoint_config[0].arn == aws_lb.this.arn && aws_cloudfront_vpc_origin.api.vpc_origin_endpoint_config[0].origin_protocol_policy == "https-only"
    error_message = "The VPC origin must point at this ALB, over HTTPS only."
  }
  assert {
    condition     = aws_cloudfront_vpc_origin.api.vpc_origin_endpoint_config[0].origin_ssl_protocols[0].items == tolist(["TLSv1.2"])
    error_message = "CloudFront must speak TLS 1.2 or later to the ALB."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.from_cloudfront_vpc_origin.referenced_security_group_id == "sg-0cf0cf0cf0cf0cf00" && aws_vpc_security_group_ingress_rule.from_cloudfront_vpc_origin.from_port == 443 && aws_vpc_security_group_ingress_rule.from_cloudfront_vpc_origin.security_group_id == "sg-0123456789abcdef0"
    error_message = "The ALB admits HTTPS from CloudFront's VPC origin security group only."
  }
  assert {
    condition     = output.vpc_origin_id == aws_cloudfront_vpc_origin.api.id
    error_message = "The site's distribution needs the VPC origin's id."
  }
}

run "access_logs_go_to_an_encrypted_private_bucket" {
  command = apply

  assert {
    condition     = aws_lb.this.access_logs[0].enabled && aws_lb.this.access_logs[0].bucket == module.access_logs.id
    error_message = "Access logs must be on, into the module's bucket."
  }
  assert {
    condition     = module.access_logs.sse_algorithm == "AES256"
    error_message = "The access-log bucket must be encrypted (SSE-S3, the only kind ALB delivery accepts)."
  }
  assert {
    condition     = module.access_logs.public_access_blocked
    error_message = "All public access to the log bucket must be blocked."
  }
  assert {
    condition     = module.access_logs.object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled on the log bucket."
  }
  assert {
    condition     = one(module.access_logs.lifecycle_rules).expiration[0].days == 365
    error_message = "Access logs expire after the retention period."
  }
  assert {
    condition = toset(concat([for s in data.aws_iam_policy_document.regional_elb_account[0].statement : s.sid], [for s in module.access_logs.policy_statements : s.sid])) == toset([
      "RegionalElbAccountWritesLogs", "LogDeliveryServiceWritesLogs", "DenyInsecureTransport", "DenyTlsOlderThan12",
    ])
    error_message = "Only ELB log delivery may write; plain HTTP is denied."
  }
}

run "production_defaults_protect_and_attach_waf" {
  command = apply

  assert {
    condition     = aws_lb.this.enable_deletion_protection == true
    error_message = "Deletion protection is the default."
  }
  assert {
    condition     = length(aws_wafv2_web_acl_association.this) == 1 && aws_wafv2_web_acl_association.this[0].web_acl_arn == var.waf_web_acl_arn && aws_wafv2_web_acl_association.this[0].resource_arn == aws_lb.this.arn
    error_message = "The WAF web ACL must be associated with the ALB."
  }
  assert {
    condition     = length(aws_acm_certificate.this) == 0
    error_message = "No certificate is requested when one is given."
  }
}

run "dev_turns_protection_and_waf_off" {
  command = plan

  variables {
    deletion_protection       = false
    associate_waf             = false
    waf_web_acl_arn           = null
    access_logs_force_destroy = true
  }

  assert {
    condition     = aws_lb.this.enable_deletion_protection == false && length(aws_wafv2_web_acl_association.this) == 0
    error_message = "Dev switches must turn deletion protection and the WAF association off."
  }
  assert {
    condition     = module.access_logs.force_destroy == true
    error_message = "Dev may let the log bucket be destroyed with its objects."
  }
}

run "newer_regions_deliver_logs_only_through_the_service" {
  command = plan

  variables {
    legacy_elb_log_delivery = false
  }

  assert {
    condition     = length(data.aws_elb_service_account.current) == 0
    error_message = "No ELB account lookup where the provider knows none."
  }
  assert {
    condition     = length(data.aws_iam_policy_document.regional_elb_account) == 0 && [for s in module.access_logs.policy_statements : s.sid if s.effect == "Allow"] == ["LogDeliveryServiceWritesLogs"]
    error_message = "Only the log delivery service may write in newer regions."
  }
}

run "requests_and_validates_a_certificate_when_none_is_given" {
  command = apply

  override_resource {
    target = aws_acm_certificate.this[0]
    values = {
      arn = "arn:aws:acm:eu-west-1:123456789012:certificate/99999999-2222-3333-4444-555555555555"
      domain_validation_options = [{
        domain_name           = "api.chat.example.com"
        resource_record_name  = "_x1.api.chat.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_x2.acm-validations.aws."
      }]
    }
  }

  variables {
    certificate_arn = null
    domain_name     = "api.chat.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = aws_acm_certificate.this[0].domain_name == "api.chat.example.com" && aws_acm_certificate.this[0].validation_method == "DNS"
    error_message = "A DNS-validated certificate must be requested for domain_name."
  }
  assert {
    condition     = aws_lb_listener.https.certificate_arn == aws_acm_certificate_validation.this[0].certificate_arn
    error_message = "The listener must wait for the validated certificate."
  }
  assert {
    condition     = aws_route53_record.certificate_validation["api.chat.example.com"].name == "_x1.api.chat.example.com." && aws_route53_record.certificate_validation["api.chat.example.com"].zone_id == "Z0123456789ABCDEFGHIJ"
    error_message = "The validation record must go into the given zone."
  }
}

run "rejects_a_short_idle_timeout" {
  command = plan

  variables {
    idle_timeout = 60
  }

  expect_failures = [var.idle_timeout]
}

run "rejects_a_tls12_only_policy" {
  command = plan

  variables {
    ssl_policy = "ELBSecurityPolicy-2016-08"
  }

  expect_failures = [var.ssl_policy]
}

run "rejects_neither_certificate_nor_domain" {
  command = plan

  variables {
    certificate_arn = null
  }

  expect_failures = [var.route53_zone_id]
}

run "rejects_waf_association_without_an_acl" {
  command = plan

  variables {
    waf_web_acl_arn = null
  }

  expect_failures = [var.waf_web_acl_arn]
}
