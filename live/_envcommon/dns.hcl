# dns: the site's records (alias to CloudFront) in the environment's hosted zone, with a Route 53
# health check of the whole path; the API has no public record (its ALB is internal). Lives in _global with the
# zone; the zone itself comes from bootstrap/hosted-zone.yaml.
locals {
  env       = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
  repo_root = dirname(find_in_parent_folders("terragrunt.hcl"))
}

terraform {
  source = "${local.repo_root}/modules//dns"
}

dependency "static_site" {
  config_path = "${get_terragrunt_dir()}/../static-site"

  mock_outputs_allowed_terraform_commands = ["validate", "plan"]
  mock_outputs = {
    distribution_domain_name    = "d111111abcdef8.cloudfront.net"
    distribution_hosted_zone_id = "Z2FDTNDATAQYW2"
  }
}

inputs = {
  hosted_zone_id = local.env.hosted_zone_id

  site_domain_name          = local.env.domain
  cloudfront_domain_name    = dependency.static_site.outputs.distribution_domain_name
  cloudfront_hosted_zone_id = dependency.static_site.outputs.distribution_hosted_zone_id

  health_check_path              = "/healthz"
  health_check_interval_seconds  = 30
  health_check_failure_threshold = 3
}
