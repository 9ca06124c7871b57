# security-groups: one group per tier, with rules named after the flows between them
# (CloudFront -> ALB -> app -> PostgreSQL / Redis, and the app's HTTPS to AWS as the network's
# egress allows).
locals {
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//security-groups"
}

dependency "network" {
  config_path = "${get_terragrunt_dir()}/../network"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    vpc_id                      = "vpc-0123456789abcdef0"
    endpoints_security_group_id = "sg-0eeeeeeeeeeeeeee1"
    s3_prefix_list_id           = "pl-0123456789abcdef0"
  }
}

inputs = {
  vpc_id = dependency.network.outputs.vpc_id
  # The app's HTTPS follows the network's egress: "endpoints" allows only the interface endpoints'
  # group and S3's prefix list, "nat" (dev) any address on 443.
  egress                      = local.env.network.egress
  endpoints_security_group_id = dependency.network.outputs.endpoints_security_group_id
  s3_prefix_list_id           = dependency.network.outputs.s3_prefix_list_id
  # The ALB is internal: only CloudFront's VPC origin reaches it (the alb unit adds that one
  # rule); the WAF in front of CloudFront and the regional one on the ALB both see every request.
  alb_ingress_source = "vpc-origin"
  app_port           = 8000
  postgres_port      = 5432
  redis_port         = 6379
}
