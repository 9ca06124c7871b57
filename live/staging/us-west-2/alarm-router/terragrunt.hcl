include "root" {
  path = find_in_parent_folders("terragrunt.hcl")
}

include "envcommon" {
  path = "${dirname(find_in_parent_folders("terragrunt.hcl"))}/live/_envcommon/alarm-router.hcl"
}
