# Root Terragrunt configuration: every unit under live/ includes it.
#
# What it gives each unit: remote state in the S3 bucket of the unit's account and region (created
# by bootstrap/state-backend.yaml) with native lock files, a generated AWS provider that assumes the
# environment's deploy role (bootstrap/deploy-role.yaml) with default tags, pinned Terraform and
# Terragrunt versions, and the inputs every module shares (name, tags).
#
# The file keeps the design's name, terragrunt.hcl. Terragrunt 0.93 (pinned below) warns that a
# root named terragrunt.hcl is deprecated in favour of root.hcl, and that `run-all` is deprecated in
# favour of `run --all`; both still work in every version the constraint admits. Renaming the root
# means changing every unit's include to find_in_parent_folders("root.hcl"): do it together with
# lifting the constraint to a Terragrunt release that refuses the old name (docs/runbook.md).
#
# Run from live/<env> (never from the repository root, where this file would itself look like a
# unit):
#   terragrunt run-all apply       # the classic spelling
#   terragrunt run --all apply     # the current spelling of the same command

terragrunt_version_constraint = ">= 0.93.0, < 1.0.0"
terraform_version_constraint  = ">= 1.11.0, < 2.0.0"

locals {
  account = read_terragrunt_config(find_in_parent_folders("account.hcl"))
  env     = read_terragrunt_config(find_in_parent_folders("env.hcl"))
  region  = read_terragrunt_config(find_in_parent_folders("region.hcl"))

  project    = "chat"
  env_name   = local.env.locals.env
  account_id = local.account.locals.account_id
  aws_region = local.region.locals.aws_region

  # The role every session assumes in the environment account: its deploy role, or, with
  # CHAT_DEPLOY_ROLE_NAME (the pipeline's plans: chat-plan), another role it names there.
  deploy_role_name = coalesce(get_env("CHAT_DEPLOY_ROLE_NAME", ""), local.account.locals.deploy_role_name)
  deploy_role_arn  = "arn:aws:iam::${local.account_id}:role/${local.deploy_role_name}"

  # Who is deploying, carried into every session on the deploy role (the role's trust requires
  # it, and CloudTrail records it on every call made with the session, through role chains
  # too): CHAT_SOURCE_IDENTITY (CI sets the run's identity), else the login name. STS takes
  # 2-64 characters of letters, digits and +=,.@_-.
  source_identity = substr(
    replace(coalesce(get_env("CHAT_SOURCE_IDENTITY", ""), get_env("USER", ""), "unknown-operator"), "/[^A-Za-z0-9+=,.@_-]/", "-"),
    0, 64,
  )

  # One bucket per account and region: the name bootstrap/state-backend.yaml gives it.
  state_bucket = "${local.project}-tfstate-${local.account_id}-${local.aws_region}"

  default_tags = {
    project       = local.project
    env           = local.env_name
    owner         = local.account.locals.owner
    "cost-centre" = local.account.locals.cost_centre
    "managed-by"  = "terragrunt"
  }
}

remote_state {
  backend = "s3"
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
  config = {
    bucket = local.state_bucket
    # The unit's path below live/ (e.g. prod/us-west-2/postgres) names its state: moving a unit
    # directory moves its state key, so move state with it (docs/runbook.md).
    key          = "${path_relative_to_include()}/terraform.tfstate"
    region       = local.aws_region
    encrypt      = true
    kms_key_id   = "arn:aws:kms:${local.aws_region}:${local.account_id}:alias/${local.project}-tfstate"
    use_lockfile = true
    assume_role = {
      role_arn        = local.deploy_role_arn
      session_name    = "terragrunt-state-${local.env_name}"
      source_identity = local.source_identity
    }
    # The bucket belongs to the bootstrap stack: Terragrunt must neither create nor reconfigure it.
    disable_bucket_update = true
  }
}

generate "provider" {
  path      = "provider.tf"
  if_exists = "overwrite_terragrunt"
  contents  = <<-EOF
    provider "aws" {
      region              = "${local.aws_region}"
      allowed_account_ids = ["${local.account_id}"]

      assume_role {
        role_arn        = "${local.deploy_role_arn}"
        session_name    = "terragrunt-${local.env_name}"
        source_identity = "${local.source_identity}"
      }

      default_tags {
        tags = ${jsonencode(local.default_tags)}
      }
    }

    # CloudFront only takes ACM certificates and WAF web ACLs from us-east-1; modules that need one
    # declare the aws.us_east_1 configuration alias.
    provider "aws" {
      alias               = "us_east_1"
      region              = "us-east-1"
      allowed_account_ids = ["${local.account_id}"]

      assume_role {
        role_arn        = "${local.deploy_role_arn}"
        session_name    = "terragrunt-${local.env_name}"
        source_identity = "${local.source_identity}"
      }

      default_tags {
        tags = ${jsonencode(local.default_tags)}
      }
    }
  EOF
}

# What every module takes. A unit's own inputs (through live/_envcommon) come on top.
inputs = {
  name = "${local.project}-${local.env_name}"
  tags = {
    "terragrunt-unit" = path_relative_to_include()
  }
}
