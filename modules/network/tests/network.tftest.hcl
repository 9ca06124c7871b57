mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      region = "eu-west-1"
      name   = "eu-west-1"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/chat-workload-boundary"
  name                     = "chat-test"
  availability_zones       = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  tags                     = { Environment = "test" }
}

run "production_defaults_spread_everything_over_three_azs" {
  command = apply

  assert {
    condition     = length(aws_subnet.public) == 3 && length(aws_subnet.private) == 3 && length(aws_subnet.database) == 3
    error_message = "Three AZs given: three public, three app and three database subnets expected."
  }
  assert {
    condition     = toset(aws_subnet.private[*].availability_zone) == toset(var.availability_zones)
    error_message = "App subnets must cover every given AZ."
  }
  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "Production default is one NAT gateway per AZ."
  }
  assert {
    condition     = [for r in aws_route.private_nat : r.nat_gateway_id] == aws_nat_gateway.this[*].id
    error_message = "Each AZ's app route table must use the NAT gateway of its own AZ."
  }
  assert {
    condition     = length(aws_vpc_endpoint.interface) == 6
    error_message = "Interface endpoints are on by default."
  }
}

run "no_public_ip_on_launch_in_any_subnet" {
  command = plan

  assert {
    condition = alltrue(concat(
      [for s in aws_subnet.public : s.map_public_ip_on_launch == false],
      [for s in aws_subnet.private : s.map_public_ip_on_launch == false],
      [for s in aws_subnet.database : s.map_public_ip_on_launch == false],
    ))
    error_message = "No subnet may hand out public IPs on launch."
  }
}

run "subnet_ranges_do_not_overlap" {
  command = plan

  assert {
    condition     = aws_subnet.public[*].cidr_block == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    error_message = "Unexpected public subnet ranges."
  }
  assert {
    condition     = aws_subnet.private[*].cidr_block == ["10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"]
    error_message = "Unexpected app subnet ranges."
  }
  assert {
    condition     = aws_subnet.database[*].cidr_block == ["10.0.240.0/24", "10.0.241.0/24", "10.0.242.0/24"]
    error_message = "Unexpected database subnet ranges."
  }
}

run "default_security_group_is_closed" {
  command = plan

  assert {
    condition     = length(aws_default_security_group.closed.ingress) == 0 && length(aws_default_security_group.closed.egress) == 0
    error_message = "The default security group must have no rules."
  }
}

run "database_subnets_have_no_route_out" {
  command = apply

  assert {
    condition     = alltrue([for r in aws_route.private_nat : r.route_table_id != aws_route_table.database.id]) && alltrue([for a in aws_route_table_association.database : a.route_table_id == aws_route_table.database.id])
    error_message = "Database subnets must use the database route table, which has no default route."
  }
  assert {
    condition     = aws_route.public_internet.route_table_id == aws_route_table.public.id
    error_message = "Only the public route table routes to the internet gateway."
  }
}

run "flow_logs_go_to_an_encrypted_log_group" {
  command = apply

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id == module.key.arn
    error_message = "Flow log group must be encrypted with the module's KMS key."
  }
  assert {
    condition     = module.key.rotation_enabled == true
    error_message = "The flow log key must rotate."
  }
  assert {
    condition     = aws_flow_log.vpc.log_destination == aws_cloudwatch_log_group.flow_logs.arn && aws_flow_log.vpc.traffic_type == "ALL"
    error_message = "Flow log must record ALL traffic into the encrypted group."
  }
  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.retention_in_days == 365
    error_message = "Flow logs are kept a year by default."
  }
}

run "endpoints_cover_the_services_the_instances_call" {
  command = plan

  assert {
    condition = toset([for e in aws_vpc_endpoint.interface : e.service_name]) == toset([
      "com.amazonaws.eu-west-1.ssm",
      "com.amazonaws.eu-west-1.ssmmessages",
      "com.amazonaws.eu-west-1.ec2messages",
      "com.amazonaws.eu-west-1.secretsmanager",
      "com.amazonaws.eu-west-1.logs",
      "com.amazonaws.eu-west-1.monitoring",
    ])
    error_message = "Interface endpoints must be SSM (+ Session Manager), Secrets Manager, Logs and monitoring."
  }
  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.s3.service_name == "com.amazonaws.eu-west-1.s3"
    error_message = "S3 must be reached through a gateway endpoint."
  }
  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled])
    error_message = "Interface endpoints must use private DNS so SDKs pick them up unchanged."
  }
}

run "endpoint_security_group_admits_only_https_from_app_subnets" {
  command = plan

  assert {
    condition     = toset([for r in aws_vpc_security_group_ingress_rule.app_subnets_to_endpoints : r.cidr_ipv4]) == toset(["10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"])
    error_message = "Endpoint ingress must come from the app subnets only."
  }
  assert {
    condition     = alltrue([for r in aws_vpc_security_group_ingress_rule.app_subnets_to_endpoints : r.from_port == 443 && r.to_port == 443 && r.ip_protocol == "tcp"])
    error_message = "Endpoint ingress must be TCP 443 only."
  }
}

run "dev_switches_single_nat_and_no_interface_endpoints" {
  command = apply

  variables {
    availability_zones         = ["eu-west-1a", "eu-west-1b"]
    single_nat_gateway         = true
    enable_interface_endpoints = false
    flow_log_retention_days    = 30
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_eip.nat) == 1
    error_message = "single_nat_gateway must create exactly one NAT gateway."
  }
  assert {
    condition     = alltrue([for r in aws_route.private_nat : r.nat_gateway_id == aws_nat_gateway.this[0].id]) && length(aws_route.private_nat) == 2
    error_message = "Every AZ must route through the single NAT gateway."
  }
  assert {
    condition     = length(aws_vpc_endpoint.interface) == 0 && length(aws_security_group.endpoints) == 0 && length(aws_vpc_security_group_ingress_rule.app_subnets_to_endpoints) == 0
    error_message = "Interface endpoints and their security group must be gone when switched off."
  }
  assert {
    condition     = length(aws_subnet.private) == 2 && output.endpoints_security_group_id == null
    error_message = "Two AZs: two app subnets; no endpoint security group output."
  }
}

run "rejects_a_single_availability_zone" {
  command = plan

  variables {
    availability_zones = ["eu-west-1a"]
  }

  expect_failures = [var.availability_zones]
}

run "rejects_a_too_small_vpc_range" {
  command = plan

  variables {
    cidr_block = "10.0.0.0/24"
  }

  expect_failures = [var.cidr_block]
}

run "rejects_a_bad_name" {
  command = plan

  variables {
    name = "Chat_Prod"
  }

  expect_failures = [var.name]
}

run "its_role_carries_the_workload_boundary" {
  command = plan

  assert {
    condition     = aws_iam_role.flow_logs.permissions_boundary == "arn:aws:iam::123456789012:policy/chat-workload-boundary"
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
