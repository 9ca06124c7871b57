# security-groups: one group per tier, with rules named after the flows between them
# (CloudFront -> ALB -> app -> PostgreSQL / Redis).
locals {
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//security-groups"
}

dependency "network" {
  config_path = "${get_terragrunt_dir()}/../network"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    vpc_id = "vpc-0123456789abcdef0"
  }
}

inputs = {
  vpc_id = dependency.network.outputs.vpc_id
  # The ALB is internal: only CloudFront's VPC origin reaches it (the alb unit adds that one
  # rule); the WAF in front of CloudFront and the regional one on the ALB both see every request.
  alb_ingress_source = "vpc-origin"
  app_port           = 8000
  postgres_port      = 5432
  redis_port         = 6379
}
