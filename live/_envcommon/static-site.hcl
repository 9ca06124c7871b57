# static-site: the CloudFront distribution serving the web client from its private bucket (OAC)
# and sending /api/* and /socket.io/* uncached to the internal ALB through its VPC origin, with its us-east-1 certificate and the
# CLOUDFRONT-scope WAF. Lives in _global: the certificate and the web ACL must be in us-east-1.
locals {
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//static-site"
}

dependency "waf" {
  config_path = "${get_terragrunt_dir()}/../waf"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    web_acl_arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat-mock/00000000-0000-0000-0000-000000000000"
  }
}

dependency "media_bucket" {
  config_path = "${get_terragrunt_dir()}/../../${local.env.primary_region}/media-bucket"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    upload_origins = [
      "https://chat-mock-media.s3.amazonaws.com",
      "https://chat-mock-media.s3.us-west-2.amazonaws.com",
    ]
  }
}

# The internal ALB's VPC origin: CloudFront's only way to the API.
dependency "alb" {
  config_path = "${get_terragrunt_dir()}/../../${local.env.primary_region}/alb"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    vpc_origin_id = "vo_MOCK0123456789abcdef"
  }
}

inputs = {
  domain_name            = local.env.domain
  api_origin_domain_name = "api.${local.env.domain}"
  api_vpc_origin_id      = dependency.alb.outputs.vpc_origin_id
  hosted_zone_id         = local.env.hosted_zone_id
  web_acl_arn            = dependency.waf.outputs.web_acl_arn
  # Presigned uploads and downloads go from the browser straight to the media bucket.
  csp_extra_sources = dependency.media_bucket.outputs.upload_origins

  # Socket.IO's long-polling holds a request up to its 25 s ping interval.
  api_origin_read_timeout = 60

  price_class        = local.env.site.price_class
  log_retention_days = local.env.site.log_retention_days
  force_destroy      = local.env.site.force_destroy
}
