mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_region" {
    defaults = {
      region = "eu-west-1"
      name   = "eu-west-1"
    }
  }
  mock_data "aws_ssm_parameter" {
    defaults = {
      insecure_value = "ami-0123456789abcdef0"
      value          = "ami-0123456789abcdef0"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = {
      arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat-test/app/secret-key-abc"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/chat-test/app"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:123456789012:key/app-key"
    }
  }
}

variables {
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/chat-workload-boundary"
  name                     = "chat-test"
  environment              = "test"
  app_version              = "1.4.2"
  app_sha256               = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
  artifacts_bucket_name    = "chat-test-artifacts-abc"
  artifacts_kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:key/artifacts"
  private_subnet_ids       = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_ids       = ["sg-0123456789abcdef0"]
  target_group_arn         = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/chat-test-app/0123456789abcdef"
  alb_arn_suffix           = "app/chat-test-alb/0123456789abcdef"
  target_group_arn_suffix  = "targetgroup/chat-test-app/0123456789abcdef"
  database_host            = "chat-test-postgres.abc.eu-west-1.rds.amazonaws.com"
  database_secret_arn      = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234"
  database_resource_id     = "db-ABCDEFGHIJKLMNOPQRSTUV0123"
  redis_url                = "rediss://master.chat-test-redis.abc.euw1.cache.amazonaws.com:6379/0"
  redis_auth_secret_arn    = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat-test/redis/auth-token-abc"
  redis_iam = {
    user                  = "chat-test-app"
    user_arn              = "arn:aws:elasticache:eu-west-1:123456789012:user:chat-test-app"
    replication_group_id  = "chat-test-redis"
    replication_group_arn = "arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:chat-test-redis"
  }
  secret_kms_key_arns = ["arn:aws:kms:eu-west-1:123456789012:key/postgres", "arn:aws:kms:eu-west-1:123456789012:key/redis"]
  media_bucket_name   = "chat-test-media-abc"
  media_bucket_arn    = "arn:aws:s3:::chat-test-media-abc"
  media_kms_key_arn   = "arn:aws:kms:eu-west-1:123456789012:key/media"
  cors_origins        = ["https://chat.example.com"]
}

run "instances_are_locked_down" {
  command = plan

  assert {
    condition     = aws_launch_template.app.metadata_options[0].http_tokens == "required" && aws_launch_template.app.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "IMDSv2 must be required with a hop limit of 1."
  }
  assert {
    condition     = aws_launch_template.app.network_interfaces[0].associate_public_ip_address == "false"
    error_message = "Instances must never get a public IP."
  }
  assert {
    condition     = aws_launch_template.app.block_device_mappings[0].ebs[0].encrypted == "true" && aws_launch_template.app.block_device_mappings[0].ebs[0].volume_type == "gp3"
    error_message = "The root volume must be encrypted gp3."
  }
  assert {
    condition     = aws_launch_template.app.image_id == "ami-0123456789abcdef0"
    error_message = "The AMI must come from the SSM public parameter."
  }
  assert {
    condition     = data.aws_ssm_parameter.ami.name == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    error_message = "Amazon Linux 2023 (x86_64) by default."
  }
}

run "user_data_installs_the_release_and_runs_the_service_under_systemd" {
  command = plan

  assert {
    condition     = strcontains(output.user_data, "s3://$BUCKET/releases/chat-$VERSION.tar.gz") && strcontains(output.user_data, "VERSION='1.4.2'") && strcontains(output.user_data, "BUCKET='chat-test-artifacts-abc'") && strcontains(output.user_data, "SHA256='9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'")
    error_message = "User data must download releases/chat-<version>.tar.gz from the artifacts bucket."
  }
  assert {
    condition     = strcontains(output.user_data, "python3.11 -m venv") && strcontains(output.user_data, "pip\" install --no-index --require-hashes --find-links") && strcontains(output.user_data, "sha256sum --quiet --strict --check SHA256SUMS")
    error_message = "The release must be installed into a python3.11 venv from its own wheels, checked against SHA256SUMS and the lock's hashes."
  }
  assert {
    condition     = strcontains(output.user_data, "install -m 0644 \"$ca_bundle\" /opt/chat/rds-ca-bundle.pem") && strcontains(output.user_data, "certs/rds-ca-bundle.pem\" \"$root/SHA256SUMS\"") && !strcontains(output.user_data, "https://")
    error_message = "The RDS CA bundle must come from the release, listed in its SHA256SUMS: the boot downloads nothing from the internet."
  }
  assert {
    condition     = strcontains(output.user_data, "-m app serve --host $BIND --port %i") && strcontains(output.user_data, "/etc/systemd/system/chat@.service")
    error_message = "The service must run as `python -m app serve` in a systemd template unit."
  }
  assert {
    condition     = strcontains(output.user_data, "-m app migrate")
    error_message = "Migrations must run before the service starts."
  }
  assert {
    condition     = strcontains(output.user_data, "SSM_PATH='/chat-test/app/'") && strcontains(output.user_data, "chat_config.py --path")
    error_message = "Configuration must be read from the module's SSM path at every start."
  }
  assert {
    condition     = strcontains(output.user_data, "amazon-cloudwatch-agent-ctl") && strcontains(output.user_data, "\"log_group_name\":\"/chat-test/app\"")
    error_message = "The CloudWatch agent must ship the service's log to its log group."
  }
  assert {
    condition     = strcontains(output.user_data, "PROCESSES=0") && strcontains(output.user_data, "PROCESSES=$(nproc)")
    error_message = "One process per vCPU by default."
  }
  assert {
    condition     = length(aws_launch_template.app.user_data) * 3 / 4 < 16384 && length(aws_launch_template.app.user_data) < length(base64encode(output.user_data))
    error_message = "User data must be compressed and fit EC2's 16 KB limit."
  }
}

run "settings_are_stored_encrypted_under_the_app_path" {
  command = apply

  assert {
    condition = toset(keys(aws_ssm_parameter.app)) == toset([
      "APP_ENV", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME",
      "DATABASE_IAM_AUTH", "DATABASE_USER", "DATABASE_MIGRATE_USER",
      "REDIS_URL", "REDIS_IAM_AUTH", "REDIS_IAM_CACHE_NAME", "SECRET_KEY_SECRET_ARN", "SECRET_KEY_GENERATION", "MEDIA_BUCKET",
      "CORS_ORIGINS", "PROXY_HOPS", "SOCKETIO_CHANNEL", "METRICS_NAMESPACE", "BREACHED_PASSWORD_CHECK",
    ])
    error_message = "Unexpected set of settings: ${jsonencode(keys(aws_ssm_parameter.app))}"
  }
  assert {
    condition     = alltrue([for k, p in aws_ssm_parameter.app : p.name == "/chat-test/app/${k}" && p.type == "SecureString" && p.key_id == module.key.arn])
    error_message = "Every setting must be a SecureString under /<name>/app/ encrypted with the module's key."
  }
  assert {
    condition     = aws_ssm_parameter.app["PROXY_HOPS"].value == "2" && aws_ssm_parameter.app["SOCKETIO_CHANNEL"].value == "chat" && aws_ssm_parameter.app["APP_ENV"].value == "test"
    error_message = "PROXY_HOPS=2 (CloudFront + ALB), SOCKETIO_CHANNEL and APP_ENV must reach the service."
  }
  assert {
    condition     = aws_ssm_parameter.app["REDIS_URL"].value == var.redis_url && aws_ssm_parameter.app["MEDIA_BUCKET"].value == "chat-test-media-abc" && aws_ssm_parameter.app["CORS_ORIGINS"].value == "https://chat.example.com"
    error_message = "REDIS_URL, MEDIA_BUCKET and CORS_ORIGINS must be passed on."
  }
  assert {
    condition     = aws_ssm_parameter.app["SECRET_KEY_SECRET_ARN"].value == aws_secretsmanager_secret.secret_key.arn && aws_secretsmanager_secret.secret_key.kms_key_id == module.key.arn
    error_message = "SECRET_KEY must live in a KMS-encrypted secret referenced by ARN."
  }
  assert {
    condition     = aws_cloudwatch_log_group.app.name == "/chat-test/app" && aws_cloudwatch_log_group.app.kms_key_id == module.key.arn
    error_message = "The app log group must be encrypted with the module's key."
  }
}

run "the_group_spreads_over_private_subnets_behind_the_alb" {
  command = plan

  assert {
    condition     = toset(aws_autoscaling_group.app.vpc_zone_identifier) == toset(var.private_subnet_ids)
    error_message = "Instances must run in the private app subnets."
  }
  assert {
    condition     = aws_autoscaling_group.app.health_check_type == "ELB"
    error_message = "The group must use the ALB's health checks."
  }
  assert {
    condition     = toset(aws_autoscaling_group.app.target_group_arns) == toset([var.target_group_arn])
    error_message = "Instances must register with the target group."
  }
  assert {
    condition     = aws_autoscaling_group.app.instance_refresh[0].strategy == "Rolling" && aws_autoscaling_group.app.instance_refresh[0].preferences[0].min_healthy_percentage == 90
    error_message = "A launch template change must roll the fleet with 90% kept healthy."
  }
  assert {
    condition     = aws_autoscaling_group.app.min_size == 2
    error_message = "Two instances at least by default."
  }
}

run "scaling_tracks_requests_and_open_connections" {
  command = apply

  assert {
    condition     = aws_autoscaling_policy.request_count.target_tracking_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ALBRequestCountPerTarget"
    error_message = "One policy must track ALB requests per target."
  }
  assert {
    condition     = aws_autoscaling_policy.request_count.target_tracking_configuration[0].predefined_metric_specification[0].resource_label == "app/chat-test-alb/0123456789abcdef/targetgroup/chat-test-app/0123456789abcdef"
    error_message = "The request-count label must be <alb suffix>/<target group suffix>."
  }
  assert {
    condition = one([
      for m in aws_autoscaling_policy.active_connections.target_tracking_configuration[0].customized_metric_specification[0].metrics :
      m.metric_stat[0].metric[0] if m.id == "connections"
      ]).metric_name == "ActiveConnections" && one([
      for m in aws_autoscaling_policy.active_connections.target_tracking_configuration[0].customized_metric_specification[0].metrics :
      m.metric_stat[0].metric[0] if m.id == "connections"
    ]).namespace == "Chat/App"
    error_message = "The other policy must track the service's ActiveConnections in Chat/App."
  }
  assert {
    condition = one(one([
      for m in aws_autoscaling_policy.active_connections.target_tracking_configuration[0].customized_metric_specification[0].metrics :
      m.metric_stat[0].metric[0] if m.id == "connections"
    ]).dimensions).value == "test"
    error_message = "ActiveConnections must be read for this environment's Env dimension."
  }
  assert {
    condition = one([
      for m in aws_autoscaling_policy.active_connections.target_tracking_configuration[0].customized_metric_specification[0].metrics :
      m if m.return_data == true
    ]).expression == "connections / instances"
    error_message = "The tracked value must be connections per instance."
  }
}

run "instance_role_grants_only_what_the_service_does" {
  command = apply

  assert {
    condition     = alltrue(flatten([for s in data.aws_iam_policy_document.app.statement : [for a in s.actions : a != "*" && !endswith(a, ":*")]]))
    error_message = "No wildcard actions in the instance policy."
  }
  assert {
    condition     = toset([for s in data.aws_iam_policy_document.app.statement : s.sid if contains(s.resources, "*")]) == toset(["PutMetricsInOwnNamespace", "SessionManagerAgent"])
    error_message = "\"*\" resources are allowed only where AWS requires them (PutMetricData, Session Manager)."
  }
  assert {
    condition     = toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "PutMetricsInOwnNamespace"]).condition[0].values) == toset(["Chat/App"])
    error_message = "PutMetricData must be limited to the service's namespace."
  }
  assert {
    condition     = toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "ReadOwnParameters"]).resources) == toset(["arn:aws:ssm:eu-west-1:123456789012:parameter/chat-test/app", "arn:aws:ssm:eu-west-1:123456789012:parameter/chat-test/app/*"])
    error_message = "The role may read only its own parameters."
  }
  assert {
    condition = toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "ReadOwnSecrets"]).resources) == toset([
      aws_secretsmanager_secret.secret_key.arn,
    ])
    error_message = "With IAM authentication to the database and Redis the role may read only the SECRET_KEY secret: never the master secret or a Redis token."
  }
  assert {
    condition = toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "ConnectToRedisAsServiceUser"]).resources) == toset([
      "arn:aws:elasticache:eu-west-1:123456789012:replicationgroup:chat-test-redis",
      "arn:aws:elasticache:eu-west-1:123456789012:user:chat-test-app",
    ]) && toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "ConnectToRedisAsServiceUser"]).actions) == toset(["elasticache:Connect"])
    error_message = "elasticache:Connect must name this replication group and the service's user only."
  }
  assert {
    condition     = toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "WriteSecretKeyGenerations"]).resources) == toset([aws_secretsmanager_secret.secret_key.arn]) && toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "WriteSecretKeyGenerations"]).actions) == toset(["secretsmanager:PutSecretValue"])
    error_message = "The instances may write only the SECRET_KEY secret (its generations)."
  }
  assert {
    condition     = aws_ssm_parameter.app["SECRET_KEY_GENERATION"].value == "1"
    error_message = "The SECRET_KEY generation reaches the instances; its value never passes through Terraform."
  }
  assert {
    condition     = aws_ssm_parameter.app["REDIS_IAM_AUTH"].value == "1" && aws_ssm_parameter.app["REDIS_IAM_CACHE_NAME"].value == "chat-test-redis"
    error_message = "The service signs Redis tokens for its replication group."
  }
  assert {
    condition = toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "ConnectAsServiceDatabaseUsers"]).resources) == toset([
      "arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUV0123/chat_app",
      "arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFGHIJKLMNOPQRSTUV0123/chat_migrate",
    ]) && toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "ConnectAsServiceDatabaseUsers"]).actions) == toset(["rds-db:connect"])
    error_message = "rds-db:connect must name this database's chat_app and chat_migrate users only."
  }
  assert {
    condition     = aws_ssm_parameter.app["DATABASE_IAM_AUTH"].value == "1" && aws_ssm_parameter.app["DATABASE_USER"].value == "chat_app" && aws_ssm_parameter.app["DATABASE_MIGRATE_USER"].value == "chat_migrate"
    error_message = "The service must log in as chat_app and migrate as chat_migrate, with IAM tokens."
  }
  assert {
    condition     = toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "MediaObjects"]).resources) == toset(["arn:aws:s3:::chat-test-media-abc/*"])
    error_message = "Media access must be limited to the media bucket's objects."
  }
  assert {
    condition     = toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "WriteOwnLogs"]).resources) == toset([aws_cloudwatch_log_group.app.arn, "${aws_cloudwatch_log_group.app.arn}:log-stream:*"])
    error_message = "The role may write only to its own log group."
  }
  assert {
    condition     = toset(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "ReadRelease"]).resources) == toset(["arn:aws:s3:::chat-test-artifacts-abc/releases/*"])
    error_message = "The role may read only releases from the artifacts bucket."
  }
}

run "dev_sizes_and_a_single_process_layout" {
  command = plan

  variables {
    min_size               = 1
    max_size               = 2
    instance_type          = "t3.small"
    processes_per_instance = 1
    extra_environment      = { AUTH_RATE_LIMIT = "50/minute" }
  }

  assert {
    condition     = aws_autoscaling_group.app.min_size == 1 && aws_autoscaling_group.app.max_size == 2 && aws_launch_template.app.instance_type == "t3.small"
    error_message = "Dev may run one small instance."
  }
  assert {
    condition     = strcontains(output.user_data, "PROCESSES=1")
    error_message = "The process layout must follow processes_per_instance."
  }
  assert {
    condition     = aws_ssm_parameter.app["AUTH_RATE_LIMIT"].value == "50/minute"
    error_message = "Extra settings must be stored beside the others."
  }
  assert {
    condition     = aws_launch_template.app.metadata_options[0].http_tokens == "required"
    error_message = "IMDSv2 is not a dev switch."
  }
}

run "rejects_a_plain_redis_url" {
  command = plan

  variables {
    redis_url = "redis://master.chat-test-redis.abc.euw1.cache.amazonaws.com:6379/0"
  }

  expect_failures = [var.redis_url]
}

run "rejects_a_version_with_a_path" {
  command = plan

  variables {
    app_version = "../1.0"
  }

  expect_failures = [var.app_version]
}

run "rejects_overriding_a_managed_setting" {
  command = plan

  variables {
    extra_environment = { DATABASE_URL = "postgresql://elsewhere/chat" }
  }

  expect_failures = [var.extra_environment]
}

run "rejects_max_below_min" {
  command = plan

  variables {
    min_size = 4
    max_size = 2
  }

  expect_failures = [var.max_size]
}

run "master_secret_mode_for_the_first_deploy_or_break_glass" {
  command = apply

  variables {
    database_iam_auth = false
    redis_iam         = null
  }

  assert {
    condition     = aws_ssm_parameter.app["REDIS_AUTH_SECRET_ARN"].value == var.redis_auth_secret_arn && !contains(keys(aws_ssm_parameter.app), "REDIS_IAM_AUTH") && contains(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "ReadOwnSecrets"]).resources, var.redis_auth_secret_arn)
    error_message = "Without redis_iam the instances read the Redis AUTH token by ARN."
  }

  assert {
    condition     = aws_ssm_parameter.app["DATABASE_SECRET_ARN"].value == var.database_secret_arn && !contains(keys(aws_ssm_parameter.app), "DATABASE_IAM_AUTH")
    error_message = "Without IAM authentication the instances read the master secret by ARN."
  }
  assert {
    condition     = contains(one([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "ReadOwnSecrets"]).resources, var.database_secret_arn) && length([for s in data.aws_iam_policy_document.app.statement : s if s.sid == "ConnectAsServiceDatabaseUsers"]) == 0
    error_message = "Without IAM authentication: the master secret is readable and no rds-db:connect is granted."
  }
}

run "iam_auth_needs_the_database_resource_id" {
  command = plan

  variables {
    database_resource_id = null
  }

  expect_failures = [aws_launch_template.app]
}

run "master_secret_mode_needs_the_secret" {
  command = plan

  variables {
    database_iam_auth   = false
    database_secret_arn = null
  }

  expect_failures = [aws_launch_template.app]
}

run "redis_needs_iam_or_a_token" {
  command = plan

  variables {
    redis_iam             = null
    redis_auth_secret_arn = null
  }

  expect_failures = [aws_launch_template.app]
}

run "rejects_a_digest_that_is_not_sha256" {
  command = plan

  variables {
    app_sha256 = "sha256:9F86D081"
  }

  expect_failures = [var.app_sha256]
}

run "its_role_carries_the_workload_boundary" {
  command = plan

  assert {
    condition     = aws_iam_role.app.permissions_boundary == "arn:aws:iam::123456789012:policy/chat-workload-boundary"
    error_message = "Every role the module creates must carry the workload boundary."
  }
}

run "rejects_a_boundary_that_is_not_a_policy" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:role/chat-workload-boundary"
  }

  expect_failures = [var.permissions_boundary_arn]
}
