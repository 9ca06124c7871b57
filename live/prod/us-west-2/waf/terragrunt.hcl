include "root" {
  path = find_in_parent_folders("terragrunt.hcl")
}

include "envcommon" {
  path = "${dirname(find_in_parent_folders("terragrunt.hcl"))}/live/_envcommon/waf.hcl"
}

# Behind CloudFront every connection comes from a CloudFront address: count clients by the
# X-Forwarded-For address CloudFront appends. The CLOUDFRONT-scope ACL in _global/waf limits by
# the real connection address.
inputs = {
  scope = "REGIONAL"
  # Behind CloudFront's VPC origin the ALB sees CloudFront's addresses and an X-Forwarded-For
  # a client can forge: per-client rate limits are the CLOUDFRONT ACL's (_global/waf).
  rate_limit_aggregate_key = "NONE"
}
