mock_provider "aws" {}

variables {
  name                        = "chat-test"
  vpc_id                      = "vpc-0123456789abcdef0"
  endpoints_security_group_id = "sg-0e0e0e0e0e0e0e0e0"
  s3_prefix_list_id           = "pl-68a54001"
}

run "vpc_origin_fronted_alb_allows_exactly_these_flows" {
  command = apply

  assert {
    condition = toset(keys(aws_vpc_security_group_ingress_rule.flow)) == toset([
      "alb_to_app", "app_to_postgres", "app_to_redis",
    ])
    error_message = "Unexpected ingress rule set: ${jsonencode(keys(aws_vpc_security_group_ingress_rule.flow))}"
  }
  assert {
    condition = toset(keys(aws_vpc_security_group_egress_rule.flow)) == toset([
      "alb_to_app", "app_to_postgres", "app_to_redis", "app_to_aws_api_endpoints", "app_to_s3_gateway_endpoint",
    ])
    error_message = "Unexpected egress rule set: ${jsonencode(keys(aws_vpc_security_group_egress_rule.flow))}"
  }
  assert {
    condition = jsonencode(output.ingress_rules) == jsonencode({
      alb_to_app      = { security_group = "app", port = 8000, source = "alb" }
      app_to_postgres = { security_group = "postgres", port = 5432, source = "app" }
      app_to_redis    = { security_group = "redis", port = 6379, source = "app" }
    })
    error_message = "Unexpected ingress flows: ${jsonencode(output.ingress_rules)}"
  }
  assert {
    condition = jsonencode(output.egress_rules) == jsonencode({
      alb_to_app                 = { security_group = "alb", port = 8000, destination = "app" }
      app_to_aws_api_endpoints   = { security_group = "app", port = 443, destination = "endpoints" }
      app_to_postgres            = { security_group = "app", port = 5432, destination = "postgres" }
      app_to_redis               = { security_group = "app", port = 6379, destination = "redis" }
      app_to_s3_gateway_endpoint = { security_group = "app", port = 443, destination = "pl-68a54001" }
    })
    error_message = "Unexpected egress flows: ${jsonencode(output.egress_rules)}"
  }
  assert {
    condition = jsonencode({
      for k, r in aws_vpc_security_group_ingress_rule.flow : k => [r.security_group_id, r.ip_protocol, r.from_port, r.to_port]
      }) == jsonencode({
      alb_to_app      = [aws_security_group.app.id, "tcp", 8000, 8000]
      app_to_postgres = [aws_security_group.postgres.id, "tcp", 5432, 5432]
      app_to_redis    = [aws_security_group.redis.id, "tcp", 6379, 6379]
    })
    error_message = "An ingress rule is on the wrong group or port."
  }
  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.flow["alb_to_app"].referenced_security_group_id == aws_security_group.alb.id &&
      aws_vpc_security_group_ingress_rule.flow["app_to_postgres"].referenced_security_group_id == aws_security_group.app.id &&
      aws_vpc_security_group_ingress_rule.flow["app_to_redis"].referenced_security_group_id == aws_security_group.app.id
    )
    error_message = "An ingress rule admits the wrong source."
  }
  assert {
    condition = jsonencode({
      for k, r in aws_vpc_security_group_egress_rule.flow : k => [r.security_group_id, r.ip_protocol, r.from_port, r.to_port]
      }) == jsonencode({
      alb_to_app                 = [aws_security_group.alb.id, "tcp", 8000, 8000]
      app_to_aws_api_endpoints   = [aws_security_group.app.id, "tcp", 443, 443]
      app_to_postgres            = [aws_security_group.app.id, "tcp", 5432, 5432]
      app_to_redis               = [aws_security_group.app.id, "tcp", 6379, 6379]
      app_to_s3_gateway_endpoint = [aws_security_group.app.id, "tcp", 443, 443]
    })
    error_message = "An egress rule is on the wrong group or port."
  }
  assert {
    condition = (
      aws_vpc_security_group_egress_rule.flow["alb_to_app"].referenced_security_group_id == aws_security_group.app.id &&
      aws_vpc_security_group_egress_rule.flow["app_to_postgres"].referenced_security_group_id == aws_security_group.postgres.id &&
      aws_vpc_security_group_egress_rule.flow["app_to_redis"].referenced_security_group_id == aws_security_group.redis.id &&
      aws_vpc_security_group_egress_rule.flow["app_to_aws_api_endpoints"].referenced_security_group_id == "sg-0e0e0e0e0e0e0e0e0" &&
      aws_vpc_security_group_egress_rule.flow["app_to_s3_gateway_endpoint"].prefix_list_id == "pl-68a54001"
    )
    error_message = "An egress rule reaches the wrong destination."
  }
  assert {
    condition     = alltrue([for r in output.egress_rules : !can(cidrhost(r.destination, 0))]) && !contains([for r in output.egress_rules : r.destination], "0.0.0.0/0")
    error_message = "egress = \"endpoints\": no egress rule may name an address range, least of all 0.0.0.0/0."
  }
  assert {
    condition     = alltrue([for r in concat(values(aws_vpc_security_group_ingress_rule.flow), values(aws_vpc_security_group_egress_rule.flow)) : length(r.description) > 10])
    error_message = "Every rule needs a description."
  }
}

run "nat_mode_keeps_https_to_any_address_for_dev" {
  command = apply

  variables {
    egress                      = "nat"
    endpoints_security_group_id = null
    s3_prefix_list_id           = null
  }

  assert {
    condition = jsonencode(output.egress_rules) == jsonencode({
      alb_to_app            = { security_group = "alb", port = 8000, destination = "app" }
      app_to_aws_apis_https = { security_group = "app", port = 443, destination = "0.0.0.0/0" }
      app_to_postgres       = { security_group = "app", port = 5432, destination = "postgres" }
      app_to_redis          = { security_group = "app", port = 6379, destination = "redis" }
    })
    error_message = "Unexpected egress flows with NAT: ${jsonencode(output.egress_rules)}"
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.flow["app_to_aws_apis_https"].security_group_id == aws_security_group.app.id && aws_vpc_security_group_egress_rule.flow["app_to_aws_apis_https"].from_port == 443 && aws_vpc_security_group_egress_rule.flow["app_to_aws_apis_https"].to_port == 443
    error_message = "With NAT the app's only open-ended rule is HTTPS."
  }
}

run "endpoints_egress_needs_the_endpoints_group" {
  command = plan

  variables {
    endpoints_security_group_id = null
  }

  expect_failures = [var.endpoints_security_group_id]
}

run "endpoints_egress_needs_the_s3_prefix_list" {
  command = plan

  variables {
    s3_prefix_list_id = null
  }

  expect_failures = [var.s3_prefix_list_id]
}

run "rejects_an_unknown_egress_mode" {
  command = plan

  variables {
    egress = "internet"
  }

  expect_failures = [var.egress]
}

run "no_ssh_and_no_port_range_anywhere" {
  command = plan

  assert {
    condition = alltrue([
      for r in concat(values(aws_vpc_security_group_ingress_rule.flow), values(aws_vpc_security_group_egress_rule.flow)) :
      r.from_port == r.to_port && r.from_port != 22 && r.ip_protocol == "tcp"
    ])
    error_message = "Rules must open single TCP ports, never SSH."
  }
}

run "internet_source_opens_443_and_80_for_the_redirect" {
  command = apply

  variables {
    alb_ingress_source      = "internet"
    alb_ingress_cidr_blocks = ["0.0.0.0/0"]
    app_port                = 8080
  }

  assert {
    condition = toset(keys(aws_vpc_security_group_ingress_rule.flow)) == toset([
      "internet_to_alb_https_0", "internet_to_alb_http_redirect_0", "alb_to_app", "app_to_postgres", "app_to_redis",
    ])
    error_message = "Unexpected ingress rule set: ${jsonencode(keys(aws_vpc_security_group_ingress_rule.flow))}"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.flow["internet_to_alb_https_0"].from_port == 443 && aws_vpc_security_group_ingress_rule.flow["internet_to_alb_https_0"].cidr_ipv4 == "0.0.0.0/0"
    error_message = "HTTPS must be open to the configured range."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.flow["internet_to_alb_http_redirect_0"].from_port == 80 && aws_vpc_security_group_ingress_rule.flow["internet_to_alb_http_redirect_0"].security_group_id == aws_security_group.alb.id
    error_message = "Port 80 must be open on the ALB only."
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.flow["alb_to_app"].from_port == 8080 && aws_vpc_security_group_egress_rule.flow["alb_to_app"].to_port == 8080
    error_message = "The app port must follow var.app_port on both sides."
  }
}

run "internet_source_without_redirect_keeps_80_closed" {
  command = plan

  variables {
    alb_ingress_source      = "internet"
    alb_ingress_cidr_blocks = ["198.51.100.0/24", "203.0.113.0/24"]
    enable_http_redirect    = false
  }

  assert {
    condition     = length([for k, r in aws_vpc_security_group_ingress_rule.flow : k if r.from_port == 80]) == 0 && length(aws_vpc_security_group_ingress_rule.flow) == 5
    error_message = "Port 80 must stay closed when the redirect is off."
  }
  assert {
    condition     = toset([for k, r in aws_vpc_security_group_ingress_rule.flow : r.cidr_ipv4 if r.from_port == 443]) == toset(["198.51.100.0/24", "203.0.113.0/24"])
    error_message = "HTTPS must be open to exactly the configured ranges."
  }
}

run "rejects_an_unknown_ingress_source" {
  command = plan

  variables {
    alb_ingress_source = "anywhere"
  }

  expect_failures = [var.alb_ingress_source]
}

run "rejects_a_privileged_app_port" {
  command = plan

  variables {
    app_port = 80
  }

  expect_failures = [var.app_port]
}

run "rejects_a_malformed_cidr" {
  command = plan

  variables {
    alb_ingress_source      = "internet"
    alb_ingress_cidr_blocks = ["10.0.0.300/8"]
  }

  expect_failures = [var.alb_ingress_cidr_blocks]
}
