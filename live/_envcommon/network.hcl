# network: the VPC, its public / app / database subnets over env.hcl's az_count zones, the egress
# env.hcl names ("endpoints": no NAT and no route out; "nat": NAT per AZ or a single one), gateway
# and interface endpoints limited to the account, the database subnets' network ACL, flow logs.
locals {
  account   = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  region    = read_terragrunt_config(find_in_parent_folders("region.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//network"
}

inputs = {
  # The workload boundary from bootstrap/deploy-role.yaml: the deploy role creates no role without it.
  permissions_boundary_arn = "arn:aws:iam::${local.account.account_id}:policy/chat-workload-boundary"

  egress                     = local.env.network.egress
  cidr_block                 = local.env.network.cidr_block
  availability_zones         = slice(local.region.availability_zones, 0, local.env.az_count)
  single_nat_gateway         = local.env.network.single_nat_gateway
  enable_interface_endpoints = local.env.network.enable_interface_endpoints
  flow_log_retention_days    = local.env.network.flow_log_retention_days
  flow_log_traffic_type      = "ALL"
  # the database network ACL opens these: the same ports as security-groups
  postgres_port = 5432
  redis_port    = 6379
}
