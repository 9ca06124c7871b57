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
    condition     = var.egress == "endpoints" && output.egress == "endpoints"
    error_message = "The default egress is through the endpoints only."
  }
  assert {
    condition     = length(aws_vpc_endpoint.interface) == 6
    error_message = "Interface endpoints are on by default."
  }
}

run "endpoints_mode_has_no_route_out_of_the_app_subnets" {
  command = apply

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_eip.nat) == 0 && output.nat_public_ips == [] && output.nat_gateway_ids == []
    error_message = "egress = \"endpoints\" must create no NAT gateway and no Elastic IP."
  }
  assert {
    condition     = length(aws_route.private_nat) == 0
    error_message = "egress = \"endpoints\": the app route tables must have no default route."
  }
  assert {
    condition     = length(aws_route_table.private) == 3 && toset(aws_vpc_endpoint.s3.route_table_ids) == toset(aws_route_table.private[*].id)
    error_message = "Each app route table keeps its S3 gateway endpoint route."
  }
  assert {
    condition     = aws_route.public_internet.route_table_id == aws_route_table.public.id
    error_message = "The only default route is the public route table's (the internet gateway CloudFront's VPC origin needs), which no app subnet uses."
  }
  assert {
    condition     = alltrue([for a in aws_route_table_association.private : a.route_table_id != aws_route_table.public.id])
    error_message = "No app subnet may use the public route table."
  }
}

run "every_endpoint_admits_only_this_accounts_principals_and_resources" {
  command = plan

  assert {
    condition     = aws_vpc_endpoint.s3.policy == data.aws_iam_policy_document.s3_endpoint.json && alltrue([for k, e in aws_vpc_endpoint.interface : e.policy == data.aws_iam_policy_document.interface_endpoint[k].json])
    error_message = "Every endpoint must carry its policy document."
  }
  assert {
    condition     = toset(keys(data.aws_iam_policy_document.interface_endpoint)) == toset(keys(aws_vpc_endpoint.interface))
    error_message = "One policy per interface endpoint."
  }
  assert {
    condition = alltrue([
      for k, d in data.aws_iam_policy_document.interface_endpoint : alltrue([
        for st in d.statement : (
          toset([for c in st.condition : c.variable if c.test == "StringEquals" && toset(c.values) == toset(["123456789012"])]) == toset(["aws:ResourceAccount", "aws:PrincipalAccount"]) &&
          st.effect == "Allow"
        )
      ])
    ])
    error_message = "Every interface endpoint statement must require aws:ResourceAccount and aws:PrincipalAccount = the account."
  }
  assert {
    condition = alltrue(flatten([
      for k, d in data.aws_iam_policy_document.interface_endpoint : [
        for st in d.statement : [for a in st.actions : a != "*" && !endswith(a, ":*") && startswith(a, "${k == "monitoring" ? "cloudwatch" : k}:")]
      ]
    ]))
    error_message = "Interface endpoint policies must name their own service's actions, never a wildcard."
  }
  assert {
    condition = toset(data.aws_iam_policy_document.interface_endpoint["secretsmanager"].statement[0].actions) == toset([
      "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
      ]) && toset(data.aws_iam_policy_document.interface_endpoint["ssm"].statement[0].actions) == toset([
      "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:UpdateInstanceInformation",
    ])
    error_message = "Secrets Manager and SSM endpoints must allow exactly what the instance role does."
  }
  assert {
    condition = toset([
      for st in data.aws_iam_policy_document.s3_endpoint.statement : st.sid
      if toset([for c in st.condition : c.variable if toset(c.values) == toset(["123456789012"])]) == toset(["aws:ResourceAccount", "aws:PrincipalAccount"])
    ]) == toset(["OwnAccountObjects"])
    error_message = "S3 through the endpoint: this account's principals on this account's buckets."
  }
  assert {
    condition = jsonencode([
      for st in data.aws_iam_policy_document.s3_endpoint.statement : [st.actions, st.resources] if st.sid == "AmazonLinuxRepositories"
      ]) == jsonencode([
      [["s3:GetObject"], ["arn:aws:s3:::al2023-repos-eu-west-1-de612dc2/*"]],
    ]) && length(data.aws_iam_policy_document.s3_endpoint.statement) == 2
    error_message = "The only AWS-owned bucket readable through the S3 endpoint is the region's Amazon Linux 2023 repository, read-only."
  }
  assert {
    condition     = alltrue(flatten([for st in data.aws_iam_policy_document.s3_endpoint.statement : [for a in st.actions : a != "*" && !endswith(a, ":*")]]))
    error_message = "No wildcard action in the S3 endpoint policy."
  }
}

run "database_subnets_admit_only_postgres_and_redis_from_the_app_subnets" {
  command = apply

  assert {
    condition     = toset(aws_network_acl.database.subnet_ids) == toset(aws_subnet.database[*].id)
    error_message = "The database network ACL must cover every database subnet."
  }
  assert {
    condition = jsonencode(output.database_network_acl_rules) == jsonencode({
      app_0_to_postgres       = { direction = "ingress", rule_number = 100, cidr = "10.0.16.0/20", ports = "5432" }
      app_0_to_redis          = { direction = "ingress", rule_number = 101, cidr = "10.0.16.0/20", ports = "6379" }
      app_1_to_postgres       = { direction = "ingress", rule_number = 110, cidr = "10.0.32.0/20", ports = "5432" }
      app_1_to_redis          = { direction = "ingress", rule_number = 111, cidr = "10.0.32.0/20", ports = "6379" }
      app_2_to_postgres       = { direction = "ingress", rule_number = 120, cidr = "10.0.48.0/20", ports = "5432" }
      app_2_to_redis          = { direction = "ingress", rule_number = 121, cidr = "10.0.48.0/20", ports = "6379" }
      database_0_to_redis     = { direction = "ingress", rule_number = 200, cidr = "10.0.240.0/24", ports = "6379" }
      database_1_to_redis     = { direction = "ingress", rule_number = 201, cidr = "10.0.241.0/24", ports = "6379" }
      database_2_to_redis     = { direction = "ingress", rule_number = 202, cidr = "10.0.242.0/24", ports = "6379" }
      redis_to_database_0     = { direction = "egress", rule_number = 200, cidr = "10.0.240.0/24", ports = "6379" }
      redis_to_database_1     = { direction = "egress", rule_number = 201, cidr = "10.0.241.0/24", ports = "6379" }
      redis_to_database_2     = { direction = "egress", rule_number = 202, cidr = "10.0.242.0/24", ports = "6379" }
      replies_from_database_0 = { direction = "ingress", rule_number = 300, cidr = "10.0.240.0/24", ports = "1024-65535" }
      replies_from_database_1 = { direction = "ingress", rule_number = 301, cidr = "10.0.241.0/24", ports = "1024-65535" }
      replies_from_database_2 = { direction = "ingress", rule_number = 302, cidr = "10.0.242.0/24", ports = "1024-65535" }
      replies_to_app_0        = { direction = "egress", rule_number = 100, cidr = "10.0.16.0/20", ports = "1024-65535" }
      replies_to_app_1        = { direction = "egress", rule_number = 101, cidr = "10.0.32.0/20", ports = "1024-65535" }
      replies_to_app_2        = { direction = "egress", rule_number = 102, cidr = "10.0.48.0/20", ports = "1024-65535" }
      replies_to_database_0   = { direction = "egress", rule_number = 300, cidr = "10.0.240.0/24", ports = "1024-65535" }
      replies_to_database_1   = { direction = "egress", rule_number = 301, cidr = "10.0.241.0/24", ports = "1024-65535" }
      replies_to_database_2   = { direction = "egress", rule_number = 302, cidr = "10.0.242.0/24", ports = "1024-65535" }
    })
    error_message = "Unexpected database ACL rules: ${jsonencode(output.database_network_acl_rules)}"
  }
  assert {
    condition = alltrue([
      for k, r in aws_network_acl_rule.database : r.network_acl_id == aws_network_acl.database.id && r.rule_action == "allow" && r.protocol == "tcp" &&
      r.cidr_block == output.database_network_acl_rules[k].cidr && r.egress == (output.database_network_acl_rules[k].direction == "egress")
    ])
    error_message = "Every rule must be an allow of TCP on the database ACL, as listed (the ACL's own last rule denies the rest)."
  }
  assert {
    condition     = length([for r in aws_network_acl_rule.database : r if r.cidr_block == "0.0.0.0/0" || r.protocol == "-1"]) == 0
    error_message = "Nothing may be admitted from anywhere or on every protocol."
  }
  assert {
    condition     = length(distinct([for r in aws_network_acl_rule.database : "${r.egress}-${r.rule_number}"])) == length(aws_network_acl_rule.database)
    error_message = "Rule numbers must be unique per direction."
  }
}

run "database_ports_follow_the_variables" {
  command = plan

  variables {
    postgres_port = 5433
    redis_port    = 6380
  }

  assert {
    condition     = aws_network_acl_rule.database["app_0_to_postgres"].from_port == 5433 && aws_network_acl_rule.database["app_0_to_redis"].to_port == 6380 && aws_network_acl_rule.database["database_2_to_redis"].from_port == 6380
    error_message = "The ACL must open the ports the database tier uses."
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

  variables {
    egress = "nat"
  }

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

run "nat_mode_routes_each_az_through_its_own_nat_gateway" {
  command = apply

  variables {
    egress = "nat"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3 && length(aws_eip.nat) == 3
    error_message = "egress = \"nat\" without single_nat_gateway: one NAT gateway per AZ."
  }
  assert {
    condition     = [for r in aws_route.private_nat : r.nat_gateway_id] == aws_nat_gateway.this[*].id && alltrue([for r in aws_route.private_nat : r.destination_cidr_block == "0.0.0.0/0"])
    error_message = "Each AZ's app route table must use the NAT gateway of its own AZ."
  }
  assert {
    condition     = aws_vpc_endpoint.s3.policy == data.aws_iam_policy_document.s3_endpoint.json && length(aws_network_acl_rule.database) == 21
    error_message = "The S3 endpoint policy and the database ACL do not depend on the egress mode."
  }
}

run "dev_switches_single_nat_and_no_interface_endpoints" {
  command = apply

  variables {
    egress                     = "nat"
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

run "rejects_endpoints_egress_without_interface_endpoints" {
  command = plan

  variables {
    egress                     = "endpoints"
    enable_interface_endpoints = false
  }

  expect_failures = [var.enable_interface_endpoints]
}

run "rejects_an_unknown_egress_mode" {
  command = plan

  variables {
    egress = "internet"
  }

  expect_failures = [var.egress]
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
