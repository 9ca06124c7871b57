# CloudFront only takes ACM certificates and WAF web ACLs from us-east-1; Route 53 is global and
# its hosted zone is kept here with them.
locals {
  aws_region = "us-east-1"
}
