# Sizes and switches of the staging environment: prod's shape at a smaller size, so that a release
# meets the same topology (three AZs, egress through endpoints only, Multi-AZ RDS, Redis failover,
# deletion protection) before it reaches prod. Same keys as every env.hcl.
# Logs here are kept 90 days, not a year: enough to compare a release with the ones before it,
# a deliberate cost choice; prod keeps a year.
# checkov:skip=CKV_AWS_338:staging keeps its logs 90 days on purpose (cost); prod keeps them a year
locals {
  env    = "staging"
  domain = "staging.chat.example.com"

  # The public zone of `domain`, made by bootstrap/hosted-zone.yaml: replace this placeholder with
  # the stack's ZoneId output (bootstrap/README.md).
  hosted_zone_id = "Z000000000000000STAGING"

  # Terragrunt refuses `destroy` of the units holding data (database, uploads, releases); the
  # resources' own deletion protection stays on top of it.
  prevent_destroy = true

  # Where the regional units live (live/<env>/<primary_region>/); _global units reach them there.
  primary_region = "us-west-2"

  # The first az_count zones of region.hcl's list.
  az_count = 3

  network = {
    # No NAT and no route out of the VPC: AWS only through the endpoints, each limited to this
    # account (docs/network.md).
    egress                     = "endpoints"
    cidr_block                 = "10.20.0.0/16"
    single_nat_gateway         = false
    enable_interface_endpoints = true
    flow_log_retention_days    = 90
  }

  alb = {
    deletion_protection        = true
    access_logs_retention_days = 90
    access_logs_force_destroy  = false
  }

  app = {
    # The release the instances run: dist/chat-<version>.tar.gz in the artifacts bucket. Changing
    # it and applying app-asg is a deployment; reverting it is a rollback (docs/delivery.md).
    version = "0.1.0"
    # sha256 of dist/chat-<version>.tar.gz (its .sha256 file): instances refuse any other bytes.
    sha256                 = "0000000000000000000000000000000000000000000000000000000000000000"
    instance_type          = "t3.medium"
    min_size               = 2
    max_size               = 4
    processes_per_instance = 0
    log_retention_days     = 90
  }

  postgres = {
    instance_class        = "db.t4g.medium"
    allocated_storage     = 20
    max_allocated_storage = 100
    multi_az              = true
    backup_retention_days = 7
    deletion_protection   = true
    skip_final_snapshot   = false
    log_retention_days    = 90
    apply_immediately     = false
  }

  redis = {
    node_type               = "cache.t4g.small"
    num_cache_clusters      = 2
    automatic_failover      = true
    multi_az                = true
    snapshot_retention_days = 3
    log_retention_days      = 90
    apply_immediately       = false
  }

  buckets = {
    force_destroy                     = false
    noncurrent_version_retention_days = 30
    access_log_retention_days         = 90
  }

  site = {
    # PriceClass_100 serves from North American and European edges only; prod serves everyone
    # from the nearest edge.
    price_class        = "PriceClass_100"
    log_retention_days = 90
    force_destroy      = false
  }

  waf = {
    rate_limit         = 2000
    log_retention_days = 90
  }

  ops_lambdas = {
    log_retention_days  = 90
    deletion_protection = true
  }

  monitoring = {
    log_retention_days = 90
    notify_on_ok       = true
  }
}
