# The primary region: everything but the us-east-1-only pieces in ../_global.
locals {
  aws_region = "us-west-2"

  # env.hcl's az_count takes the first ones. Zone names map to different physical zones in each
  # account; that is fine, nothing crosses accounts by zone.
  availability_zones = ["us-west-2a", "us-west-2b", "us-west-2c"]
}
