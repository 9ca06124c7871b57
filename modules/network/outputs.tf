output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 range of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "availability_zones" {
  description = "The zones the subnets are spread over, in subnet order."
  value       = var.availability_zones
}

output "public_subnet_ids" {
  description = "Public subnets (ALB, NAT gateways), one per AZ."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private app subnets (the ASG's instances), one per AZ."
  value       = aws_subnet.private[*].id
}

output "private_subnet_cidr_blocks" {
  description = "IPv4 ranges of the app subnets."
  value       = aws_subnet.private[*].cidr_block
}

output "database_subnet_ids" {
  description = "Isolated database subnets (RDS, ElastiCache), one per AZ, with no route out of the VPC."
  value       = aws_subnet.database[*].id
}

output "public_route_table_id" {
  description = "Route table of the public subnets."
  value       = aws_route_table.public.id
}

output "private_route_table_ids" {
  description = "Route tables of the app subnets, one per AZ."
  value       = aws_route_table.private[*].id
}

output "database_route_table_id" {
  description = "Route table of the database subnets."
  value       = aws_route_table.database.id
}

output "egress" {
  description = "How the app subnets reach AWS: \"endpoints\" (no route out of the VPC) or \"nat\" (security-groups module input egress)."
  value       = var.egress
}

output "database_subnet_cidr_blocks" {
  description = "IPv4 ranges of the database subnets."
  value       = aws_subnet.database[*].cidr_block
}

output "database_network_acl_id" {
  description = "Network ACL of the database subnets (PostgreSQL and Redis from the app subnets, Redis between the database subnets, and their replies)."
  value       = aws_network_acl.database.id
}

output "database_network_acl_rules" {
  description = "Every rule of the database subnets' network ACL, by name: direction, rule number, range and ports. For reviews and drift checks."
  value = {
    for k, r in local.database_nacl_rules : k => {
      direction   = r.egress ? "egress" : "ingress"
      rule_number = r.rule_number
      cidr        = r.cidr
      ports       = r.from_port == r.to_port ? tostring(r.from_port) : "${r.from_port}-${r.to_port}"
    }
  }
}

output "nat_gateway_ids" {
  description = "NAT gateways: one, or one per AZ, with egress = \"nat\"; empty with \"endpoints\"."
  value       = aws_nat_gateway.this[*].id
}

output "nat_public_ips" {
  description = "Public addresses the app's outbound traffic leaves from with egress = \"nat\" (for allow-lists of third parties); empty with \"endpoints\", where nothing leaves."
  value       = aws_eip.nat[*].public_ip
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint (for bucket policies with aws:SourceVpce)."
  value       = aws_vpc_endpoint.s3.id
}

output "s3_prefix_list_id" {
  description = "Prefix list of S3 behind the gateway endpoint (security-groups module input s3_prefix_list_id: the app's HTTPS to S3)."
  value       = aws_vpc_endpoint.s3.prefix_list_id
}

output "interface_endpoint_ids" {
  description = "Interface endpoint IDs by service short name (empty when enable_interface_endpoints is false)."
  value       = { for k, v in aws_vpc_endpoint.interface : k => v.id }
}

output "endpoints_security_group_id" {
  description = "Security group of the interface endpoints (security-groups module input endpoints_security_group_id), or null when they are off."
  value       = one(aws_security_group.endpoints[*].id)
}

output "flow_log_group_name" {
  description = "CloudWatch log group of the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "flow_log_kms_key_arn" {
  description = "KMS key encrypting the flow logs."
  value       = module.key.arn
}
