# alb: the internal HTTPS load balancer in front of the app instances (CloudFront's API and
# Socket.IO origin, reached only through its VPC origin), with its own certificate for api.<domain>, lb_cookie stickiness for Socket.IO's
# long-polling fallback, a long idle timeout for WebSockets and the regional WAF.
locals {
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//alb"
}

dependency "network" {
  config_path = "${get_terragrunt_dir()}/../network"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    vpc_id             = "vpc-0123456789abcdef0"
    private_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"]
  }
}

dependency "security_groups" {
  config_path = "${get_terragrunt_dir()}/../security-groups"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    alb_security_group_id = "sg-0ccccccccccccccc1"
  }
}

dependency "waf" {
  config_path = "${get_terragrunt_dir()}/../waf"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    web_acl_arn = "arn:aws:wafv2:us-west-2:123456789012:regional/webacl/chat-mock/00000000-0000-0000-0000-000000000000"
  }
}

inputs = {
  vpc_id             = dependency.network.outputs.vpc_id
  subnet_ids         = dependency.network.outputs.private_subnet_ids
  security_group_ids = [dependency.security_groups.outputs.alb_security_group_id]

  # CloudFront reaches the internal ALB through its VPC origin as api.<domain> (the static-site's
  # api_origin_domain_name; no public record has that name): the ALB's certificate carries it.
  domain_name     = "api.${local.env.domain}"
  route53_zone_id = local.env.hosted_zone_id

  associate_waf   = true
  waf_web_acl_arn = dependency.waf.outputs.web_acl_arn

  idle_timeout         = 300
  app_port             = 8000
  health_check_path    = "/healthz"
  stickiness_duration  = 86400
  deregistration_delay = 60

  deletion_protection        = local.env.alb.deletion_protection
  access_logs_retention_days = local.env.alb.access_logs_retention_days
  access_logs_force_destroy  = local.env.alb.access_logs_force_destroy
}
