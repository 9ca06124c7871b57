# Sizes and switches of the dev environment: the cost-effective setup. One NAT gateway, two AZs,
# single-AZ RDS, one small Redis node, small burstable instances, short retention, and everything
# deletable so the environment can be torn down. Every environment's env.hcl has the same keys;
# live/_envcommon maps them onto the modules' inputs (tests/environments checks they agree).
# Logs here are kept 14 days, not a year: a deliberate cost choice for an environment that
# holds no user data worth auditing. prod keeps a year.
# checkov:skip=CKV_AWS_338:dev keeps its logs 14 days on purpose (cost); prod keeps them a year
locals {
  env    = "dev"
  domain = "dev.chat.example.com"

  # The public zone of `domain`, made by bootstrap/hosted-zone.yaml: replace this placeholder with
  # the stack's ZoneId output (bootstrap/README.md).
  hosted_zone_id = "Z00000000000000000DEV"

  # Terragrunt refuses `destroy` of the units holding data (database, uploads, releases); the
  # resources' own deletion protection stays on top of it.
  prevent_destroy = false

  # Where the regional units live (live/<env>/<primary_region>/); _global units reach them there.
  primary_region = "us-west-2"

  # The first az_count zones of region.hcl's list.
  az_count = 2

  network = {
    # NAT, and no interface endpoints: $33 a month instead of $88 of endpoints (docs/network.md).
    # Nothing here needs the internet; the S3 endpoint policy and the database ACL are the same
    # as in prod.
    egress                     = "nat"
    cidr_block                 = "10.10.0.0/16"
    single_nat_gateway         = true
    enable_interface_endpoints = false
    flow_log_retention_days    = 14
  }

  alb = {
    deletion_protection        = false
    access_logs_retention_days = 14
    access_logs_force_destroy  = true
  }

  app = {
    # The release the instances run: dist/chat-<version>.tar.gz in the artifacts bucket. Changing
    # it and applying app-asg is a deployment; reverting it is a rollback (docs/delivery.md).
    version = "0.1.0"
    # sha256 of dist/chat-<version>.tar.gz (its .sha256 file): instances refuse any other bytes.
    sha256                 = "0000000000000000000000000000000000000000000000000000000000000000"
    instance_type          = "t3.small"
    min_size               = 1
    max_size               = 2
    processes_per_instance = 0
    log_retention_days     = 14
  }

  postgres = {
    instance_class        = "db.t4g.micro"
    allocated_storage     = 20
    max_allocated_storage = 50
    multi_az              = false
    backup_retention_days = 1
    deletion_protection   = false
    skip_final_snapshot   = true
    log_retention_days    = 14
    apply_immediately     = true
  }

  redis = {
    node_type               = "cache.t4g.micro"
    num_cache_clusters      = 1
    automatic_failover      = false
    multi_az                = false
    snapshot_retention_days = 1
    log_retention_days      = 14
    apply_immediately       = true
  }

  buckets = {
    force_destroy                     = true
    noncurrent_version_retention_days = 30
    access_log_retention_days         = 30
  }

  site = {
    # PriceClass_100 serves from North American and European edges only; prod serves everyone
    # from the nearest edge.
    price_class        = "PriceClass_100"
    log_retention_days = 14
    force_destroy      = true
  }

  waf = {
    rate_limit         = 2000
    log_retention_days = 14
  }

  ops_lambdas = {
    log_retention_days  = 14
    deletion_protection = false
  }

  monitoring = {
    log_retention_days = 14
    notify_on_ok       = false
  }
}
