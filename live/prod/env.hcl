# Sizes and switches of the prod environment: the production setup. Three AZs with no route out of
# the VPC (AWS through endpoints only), Multi-AZ RDS with 30 days of point-in-time recovery, a Redis
# replica with automatic failover in another AZ, deletion protection everywhere, a year of logs.
# Same keys as every env.hcl.
locals {
  env    = "prod"
  domain = "chat.example.com"

  # The public zone of `domain`, made by bootstrap/hosted-zone.yaml: replace this placeholder with
  # the stack's ZoneId output (bootstrap/README.md).
  hosted_zone_id = "Z0000000000000000PROD"

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
    cidr_block                 = "10.30.0.0/16"
    single_nat_gateway         = false
    enable_interface_endpoints = true
    flow_log_retention_days    = 365
  }

  alb = {
    deletion_protection        = true
    access_logs_retention_days = 365
    access_logs_force_destroy  = false
  }

  app = {
    # The release the instances run: dist/chat-<version>.tar.gz in the artifacts bucket. Changing
    # it and applying app-asg is a deployment; reverting it is a rollback (docs/delivery.md).
    version = "0.1.0"
    # sha256 of dist/chat-<version>.tar.gz (its .sha256 file): instances refuse any other bytes.
    sha256                 = "0000000000000000000000000000000000000000000000000000000000000000"
    instance_type          = "c7i.large"
    min_size               = 3
    max_size               = 12
    processes_per_instance = 0
    log_retention_days     = 365
  }

  postgres = {
    instance_class        = "db.m7g.large"
    allocated_storage     = 100
    max_allocated_storage = 1000
    multi_az              = true
    backup_retention_days = 30
    deletion_protection   = true
    skip_final_snapshot   = false
    log_retention_days    = 365
    apply_immediately     = false
  }

  redis = {
    node_type               = "cache.m7g.large"
    num_cache_clusters      = 2
    automatic_failover      = true
    multi_az                = true
    snapshot_retention_days = 7
    log_retention_days      = 365
    apply_immediately       = false
  }

  buckets = {
    force_destroy                     = false
    noncurrent_version_retention_days = 90
    access_log_retention_days         = 365
  }

  site = {
    # PriceClass_100 serves from North American and European edges only; prod serves everyone
    # from the nearest edge.
    price_class        = "PriceClass_All"
    log_retention_days = 365
    force_destroy      = false
  }

  waf = {
    rate_limit         = 2000
    log_retention_days = 365
  }

  ops_lambdas = {
    log_retention_days  = 365
    deletion_protection = true
  }

  monitoring = {
    log_retention_days = 365
    notify_on_ok       = true
  }
}
