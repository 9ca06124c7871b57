include "root" {
  path = find_in_parent_folders("terragrunt.hcl")
}

include "envcommon" {
  path = "${dirname(find_in_parent_folders("terragrunt.hcl"))}/live/_envcommon/dns.hcl"
}

# The site record is an alias of the CloudFront distribution made by the static-site unit, a
# different state: checkov sees only the distribution's name here, not the resource.
# checkov:skip=CKV2_AWS_23:the alias target is the static-site unit's CloudFront distribution
