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

output "nat_gateway_ids" {
  description = "NAT gateways: one, or one per AZ."
  value       = aws_nat_gateway.this[*].id
}

output "nat_public_ips" {
  description = "Public addresses the app's outbound traffic leaves from (for allow-lists of third parties)."
  value       = aws_eip.nat[*].public_ip
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint (for bucket policies with aws:SourceVpce)."
  value       = aws_vpc_endpoint.s3.id
}

output "s3_prefix_list_id" {
  description = "Prefix list of S3 behind the gateway endpoint."
  value       = aws_vpc_endpoint.s3.prefix_list_id
}

output "interface_endpoint_ids" {
  description = "Interface endpoint IDs by service short name (empty when enable_interface_endpoints is false)."
  value       = { for k, v in aws_vpc_endpoint.interface : k => v.id }
}

output "endpoints_security_group_id" {
  description = "Security group of the interface endpoints, or null when they are off."
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
