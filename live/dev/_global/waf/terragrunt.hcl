include "root" {
  path = find_in_parent_folders("terragrunt.hcl")
}

include "envcommon" {
  path = "${dirname(find_in_parent_folders("terragrunt.hcl"))}/live/_envcommon/waf.hcl"
}

# CloudFront takes web ACLs from us-east-1 only (this directory's region.hcl).
inputs = {
  scope                    = "CLOUDFRONT"
  rate_limit_aggregate_key = "IP"
}
