data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  ssm_path       = "/${var.name}/app/"
  ssm_path_arn   = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${var.name}/app"
  log_group_name = "/${var.name}/app"

  # The database roles of app/storage/roles.sql; with IAM authentication the
  # instances log in as these users with tokens and never see a password.
  database_users = { serve = "chat_app", migrate = "chat_migrate" }
  database_login = var.database_iam_auth ? {
    DATABASE_IAM_AUTH     = "1"
    DATABASE_USER         = local.database_users.serve
    DATABASE_MIGRATE_USER = local.database_users.migrate
    } : var.database_secret_arn == null ? {} : {
    DATABASE_SECRET_ARN = var.database_secret_arn
  }
  database_user_arns = var.database_iam_auth && var.database_resource_id != null ? [
    for user in values(local.database_users) :
    "arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:${var.database_resource_id}/${user}"
  ] : []
  readable_secrets = compact([
    var.database_iam_auth ? "" : var.database_secret_arn,
    var.redis_iam != null ? "" : var.redis_auth_secret_arn,
  ])
  redis_login = var.redis_iam != null ? {
    REDIS_IAM_AUTH       = "1"
    REDIS_IAM_CACHE_NAME = var.redis_iam.replication_group_id
    } : var.redis_auth_secret_arn == null ? {} : {
    REDIS_AUTH_SECRET_ARN = var.redis_auth_secret_arn
  }

  # Everything the service reads at boot. Secrets are referenced by ARN
  # (<X>_SECRET_ARN) and resolved on the instance, never stored here.
  app_config = merge(var.extra_environment, local.database_login, local.redis_login, {
    APP_ENV               = var.environment
    DATABASE_HOST         = var.database_host
    DATABASE_PORT         = tostring(var.database_port)
    DATABASE_NAME         = var.database_name
    REDIS_URL             = var.redis_url
    SECRET_KEY_SECRET_ARN = aws_secretsmanager_secret.secret_key.arn
    SECRET_KEY_GENERATION = tostring(var.secret_key_version)
    MEDIA_BUCKET          = var.media_bucket_name
    CORS_ORIGINS          = join(",", var.cors_origins)
    PROXY_HOPS            = tostring(var.proxy_hops)
    SOCKETIO_CHANNEL      = var.socketio_channel
    METRICS_NAMESPACE     = var.metrics_namespace
    # new passwords against the bundled list of leaked ones (off in the embedded default)
    BREACHED_PASSWORD_CHECK = "1"
  })

  cloudwatch_agent_config = jsonencode({
    agent = { run_as_user = "root" }
    logs = {
      logs_collected = {
        files = {
          collect_list = [
            {
              file_path       = "/var/log/chat/app.log"
              log_group_name  = local.log_group_name
              log_stream_name = "{instance_id}/app"
              timezone        = "UTC"
            },
            {
              file_path       = "/var/log/chat-bootstrap.log"
              log_group_name  = local.log_group_name
              log_stream_name = "{instance_id}/bootstrap"
              timezone        = "UTC"
            },
          ]
        }
      }
    }
  })

  user_data = templatefile("${path.module}/templates/user-data.sh.tftpl", {
    region                  = local.region
    artifacts_bucket        = var.artifacts_bucket_name
    app_version             = var.app_version
    app_sha256              = var.app_sha256
    app_port                = var.app_port
    processes_per_instance  = var.processes_per_instance
    proxy_hops              = var.proxy_hops
    ssm_path                = local.ssm_path
    config_script_b64       = filebase64("${path.module}/templates/chat_config.py")
    cloudwatch_agent_config = local.cloudwatch_agent_config
  })

  # ALB request count per target: label is "<alb arn suffix>/<target group arn suffix>".
  request_count_label = "${var.alb_arn_suffix}/${var.target_group_arn_suffix}"
}

# --- KMS: the app's parameters, its SECRET_KEY and its log group -------------

module "key" {
  source = "../kms-key"

  alias          = "${var.name}/app"
  description    = "${var.name}: chat service parameters, SECRET_KEY and logs"
  log_group_arns = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"]
  tags           = var.tags
}

moved {
  from = aws_kms_key.app
  to   = module.key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.app
  to   = module.key.aws_kms_alias.this
}

resource "aws_cloudwatch_log_group" "app" {
  #checkov:skip=CKV_AWS_338:Retention is the variable log_retention_days, whose default (365 days) passes this check and is asserted by the module tests; an environment may keep logs for less to save cost.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = module.key.arn

  tags = var.tags
}

# --- Configuration: SSM parameters and the SECRET_KEY secret ------------------

resource "aws_secretsmanager_secret" "secret_key" {
  #checkov:skip=CKV2_AWS_57:Rotating SECRET_KEY ends every session; it is rotated deliberately through secret_key_version, not on a schedule.
  name_prefix             = "${var.name}/app/secret-key-"
  description             = "${var.name}: SECRET_KEY of the chat service (signs tokens)"
  kms_key_id              = module.key.arn
  recovery_window_in_days = 7

  tags = var.tags
}

# The value is made on the instances, never here: the first to boot with a new
# SECRET_KEY_GENERATION writes it as the version whose id derives from the secret
# and the generation, and every other instance reads that same version
# (templates/chat_config.py). Terraform never sees it, so its state cannot hold it.
removed {
  from = aws_secretsmanager_secret_version.secret_key

  lifecycle {
    destroy = false
  }
}

resource "aws_ssm_parameter" "app" {
  for_each = toset(keys(local.app_config))

  name        = "${local.ssm_path}${each.key}"
  description = "${var.name}: chat service setting ${each.key}"
  type        = "SecureString"
  key_id      = module.key.arn
  value       = local.app_config[each.key]
  tier        = "Standard"

  tags = var.tags
}

# --- Instance role ------------------------------------------------------------

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app" {
  name                 = "${var.name}-app"
  permissions_boundary = var.permissions_boundary_arn
  description          = "Chat service instances: their own config, secrets, media objects, logs and metrics"
  assume_role_policy   = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "app" {
  #checkov:skip=CKV_AWS_356:Only cloudwatch:PutMetricData (narrowed by a namespace condition) and the Session Manager agent calls (ssm:UpdateInstanceInformation, ssmmessages, ec2messages) use "*": AWS offers no resource-level permissions for them.
  #checkov:skip=CKV_AWS_111:The unconstrained writes are the Session Manager agent's channel calls (ssmmessages, ec2messages), which accept no resource ARN; every other write names its bucket, log group or key.
  statement {
    sid       = "ReadOwnParameters"
    actions   = ["ssm:GetParametersByPath", "ssm:GetParameters", "ssm:GetParameter"]
    resources = [local.ssm_path_arn, "${local.ssm_path_arn}/*"]
  }

  statement {
    sid       = "ReadOwnSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = concat(local.readable_secrets, [aws_secretsmanager_secret.secret_key.arn])
  }

  # SECRET_KEY is generated on the instances (one version per generation): they
  # write it to its own secret, encrypted with the module's key through Secrets Manager.
  statement {
    sid       = "WriteSecretKeyGenerations"
    actions   = ["secretsmanager:PutSecretValue"]
    resources = [aws_secretsmanager_secret.secret_key.arn]
  }

  statement {
    sid       = "EncryptSecretKeyGenerations"
    actions   = ["kms:GenerateDataKey"]
    resources = [module.key.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }

  # ElastiCache IAM authentication: a token for the service's user, on this group only.
  dynamic "statement" {
    for_each = var.redis_iam != null ? [1] : []
    content {
      sid       = "ConnectToRedisAsServiceUser"
      actions   = ["elasticache:Connect"]
      resources = [var.redis_iam.replication_group_arn, var.redis_iam.user_arn]
    }
  }

  # IAM database authentication: a token for the service's two database users,
  # on this database only. Absent when the master secret is used instead.
  dynamic "statement" {
    for_each = var.database_iam_auth ? [1] : []
    content {
      sid       = "ConnectAsServiceDatabaseUsers"
      actions   = ["rds-db:connect"]
      resources = local.database_user_arns
    }
  }

  statement {
    sid       = "DecryptOwnParametersAndSecrets"
    actions   = ["kms:Decrypt"]
    resources = concat([module.key.arn], var.secret_kms_key_arns)

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${local.region}.amazonaws.com", "secretsmanager.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "ReadRelease"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${var.artifacts_bucket_name}/releases/*"]
  }

  statement {
    sid       = "DecryptRelease"
    actions   = ["kms:Decrypt"]
    resources = [var.artifacts_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  # Uploads are presigned POSTs and downloads presigned GETs: signed with this
  # role, so it needs what the browser will do with them.
  statement {
    sid       = "MediaObjects"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    resources = ["${var.media_bucket_arn}/*"]
  }

  statement {
    sid       = "MediaEncryption"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.media_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [aws_cloudwatch_log_group.app.arn, "${aws_cloudwatch_log_group.app.arn}:log-stream:*"]
  }

  # cloudwatch:PutMetricData has no resource-level permissions: "*" is the only
  # resource AWS accepts; the namespace condition does the narrowing.
  statement {
    sid       = "PutMetricsInOwnNamespace"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace]
    }
  }

  # Session Manager instead of SSH. ssm:UpdateInstanceInformation,
  # ssmmessages:* channel calls and ec2messages:* have no resource-level
  # permissions: AWS accepts only "*" for them.
  statement {
    sid = "SessionManagerAgent"
    actions = [
      "ssm:UpdateInstanceInformation",
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "app" {
  name   = "chat-service"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app.json
}

resource "aws_iam_instance_profile" "app" {
  name = "${var.name}-app"
  role = aws_iam_role.app.name

  tags = var.tags
}

# --- Launch template and Auto Scaling group -----------------------------------

resource "aws_launch_template" "app" {
  name_prefix            = "${var.name}-app-"
  description            = "Chat service ${var.app_version}"
  image_id               = data.aws_ssm_parameter.ami.insecure_value
  instance_type          = var.instance_type
  update_default_version = true
  ebs_optimized          = true
  # Gzipped (cloud-init unpacks it): the plain script with the embedded
  # configuration fetcher is larger than EC2's 16 KB user data limit.
  user_data = base64gzip(local.user_data)

  iam_instance_profile {
    arn = aws_iam_instance_profile.app.arn
  }

  # No key pair and no public address: operators use Session Manager.
  network_interfaces {
    associate_public_ip_address = false
    delete_on_termination       = true
    security_groups             = var.security_group_ids
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size
      encrypted             = true
      kms_key_id            = var.ebs_kms_key_arn
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-app", AppVersion = var.app_version })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = "${var.name}-app" })
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = !var.database_iam_auth || var.database_resource_id != null
      error_message = "database_iam_auth needs database_resource_id (postgres module output instance_resource_id)."
    }
    precondition {
      condition     = var.redis_iam != null || var.redis_auth_secret_arn != null
      error_message = "Redis needs redis_iam (redis module output iam) or redis_auth_secret_arn."
    }
    precondition {
      condition     = var.database_iam_auth || var.database_secret_arn != null
      error_message = "database_iam_auth = false needs database_secret_arn (postgres module output master_user_secret_arn)."
    }
  }

  depends_on = [aws_ssm_parameter.app]
}

resource "aws_autoscaling_group" "app" {
  name                = "${var.name}-app"
  vpc_zone_identifier = var.private_subnet_ids
  min_size            = var.min_size
  max_size            = var.max_size
  target_group_arns   = [var.target_group_arn]

  health_check_type         = "ELB"
  health_check_grace_period = var.health_check_grace_period
  default_instance_warmup   = var.health_check_grace_period
  capacity_rebalance        = true
  termination_policies      = ["OldestLaunchTemplate", "Default"]
  wait_for_capacity_timeout = "15m"

  metrics_granularity = "1Minute"
  enabled_metrics = [
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupMaxSize",
    "GroupMinSize",
    "GroupPendingInstances",
    "GroupTerminatingInstances",
    "GroupTotalInstances",
  ]

  launch_template {
    id      = aws_launch_template.app.id
    version = aws_launch_template.app.latest_version
  }

  # A new launch template version (release, AMI, settings) replaces the fleet a
  # few instances at a time, never below the healthy share.
  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = var.instance_refresh_min_healthy_percentage
      max_healthy_percentage = 200
      instance_warmup        = var.health_check_grace_period
      auto_rollback          = true
      skip_matching          = true
    }
  }

  dynamic "tag" {
    for_each = merge(var.tags, { Name = "${var.name}-app" })

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    # The scaling policies own the desired capacity.
    ignore_changes = [desired_capacity]
  }
}

resource "aws_autoscaling_policy" "request_count" {
  name                   = "${var.name}-app-requests-per-target"
  autoscaling_group_name = aws_autoscaling_group.app.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value = var.request_count_per_target

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = local.request_count_label
    }
  }
}

# WebSocket connections are long-lived and send few requests, so request count
# alone under-scales a fleet full of idle sockets. The service reports its open
# connections once a minute per process; summed and divided by the instances in
# service, that is connections per instance.
resource "aws_autoscaling_policy" "active_connections" {
  name                   = "${var.name}-app-connections-per-instance"
  autoscaling_group_name = aws_autoscaling_group.app.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value = var.connections_per_instance

    customized_metric_specification {
      metrics {
        id          = "connections"
        label       = "Open Socket.IO connections"
        return_data = false

        metric_stat {
          stat   = "Sum"
          period = 60

          metric {
            namespace   = var.metrics_namespace
            metric_name = "ActiveConnections"

            dimensions {
              name  = "Env"
              value = var.environment
            }
          }
        }
      }

      metrics {
        id          = "instances"
        label       = "Instances in service"
        return_data = false

        metric_stat {
          stat   = "Average"
          period = 60

          metric {
            namespace   = "AWS/AutoScaling"
            metric_name = "GroupInServiceInstances"

            dimensions {
              name  = "AutoScalingGroupName"
              value = aws_autoscaling_group.app.name
            }
          }
        }
      }

      metrics {
        id          = "per_instance"
        label       = "Open connections per instance"
        expression  = "connections / instances"
        return_data = true
      }
    }
  }
}
