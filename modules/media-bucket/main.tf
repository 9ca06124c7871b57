data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  bucket_name     = coalesce(var.bucket_name, "${var.name}-media-${local.account_id}-${local.region}")
  log_bucket_name = "${var.name}-media-logs-${local.account_id}-${local.region}"
  create_kms_key  = var.kms_key_arn == null
  create_log      = var.access_log_bucket == null
  kms_key_arn     = local.create_kms_key ? module.key[0].arn : var.kms_key_arn
  log_bucket      = local.create_log ? module.access_logs[0].id : var.access_log_bucket

  tags = merge(var.tags, { Name = "${var.name}-media" })
}

# ---------------------------------------------------------------------------
# Encryption key
# ---------------------------------------------------------------------------
module "key" {
  source = "../kms-key"
  count  = local.create_kms_key ? 1 : 0

  # The account administers the key; principals use it only through their IAM policies
  # (the app role gets `app_access_policy_json`).
  alias                   = "${var.name}-media"
  description             = "${var.name} chat media uploads"
  deletion_window_in_days = var.kms_key_deletion_window_days
  tags                    = local.tags
}

moved {
  from = aws_kms_key.media[0]
  to   = module.key[0].aws_kms_key.this
}

moved {
  from = aws_kms_alias.media[0]
  to   = module.key[0].aws_kms_alias.this
}

# ---------------------------------------------------------------------------
# Media bucket: private, versioned, SSE-KMS, TLS-only (modules/private-bucket)
# ---------------------------------------------------------------------------
module "media" {
  source = "../private-bucket"

  bucket        = local.bucket_name
  force_destroy = var.force_destroy
  tags          = local.tags
  kms_key_arn   = local.kms_key_arn

  access_logging = { target_bucket = local.log_bucket }
  # No event_notifications: the service records each upload in PostgreSQL when it issues the
  # presigned POST, so nothing consumes object events.

  lifecycle_rules = [
    {
      id                                 = "expire-noncurrent-versions"
      noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
      expire_object_delete_markers       = true
    },
    {
      id                                     = "abort-incomplete-multipart-uploads"
      abort_incomplete_multipart_upload_days = var.abort_incomplete_multipart_upload_days
    },
  ]
}

resource "aws_s3_bucket_cors_configuration" "media" {
  bucket = module.media.id

  # The browser POSTs the upload form straight to S3 and may fetch attachments through
  # presigned GET redirects; nothing else crosses origins.
  cors_rule {
    id              = "web-client"
    allowed_methods = ["GET", "HEAD", "POST"]
    allowed_origins = var.cors_allowed_origins
    allowed_headers = ["content-type", "content-md5"]
    expose_headers  = ["ETag", "Location"]
    max_age_seconds = var.cors_max_age_seconds
  }
}

# ---------------------------------------------------------------------------
# Access-log bucket (S3 server access logs accept SSE-S3 only, not SSE-KMS). It is the log
# target itself, so it has no access logging of its own.
# ---------------------------------------------------------------------------
module "access_logs" {
  source = "../private-bucket"
  count  = local.create_log ? 1 : 0

  bucket                  = local.log_bucket_name
  force_destroy           = var.force_destroy
  tags                    = merge(local.tags, { Name = "${var.name}-media-access-logs" })
  sse_s3_for_log_delivery = "s3-server-access-logs"

  # The media bucket and the buckets named by log_source_bucket_prefixes deliver their S3 server
  # access logs here, each under s3/<its name>/.
  log_delivery_grants = concat(
    [{
      sid         = "S3ServerAccessLogsFromTheMediaBucket"
      service     = "logging.s3.amazonaws.com"
      key_prefix  = "s3/${local.bucket_name}/"
      source_arns = [module.media.arn]
    }],
    [for i, prefix in var.log_source_bucket_prefixes : {
      sid         = "S3ServerAccessLogsFromOtherBuckets${i}"
      service     = "logging.s3.amazonaws.com"
      key_prefix  = "s3/${prefix}"
      source_arns = ["arn:${local.partition}:s3:::${prefix}*"]
    }],
  )

  log_retention = { days = var.access_log_retention_days }
}

# ---------------------------------------------------------------------------
# Addresses of the resources before modules/private-bucket: an existing deployment keeps its
# buckets and their settings.
# ---------------------------------------------------------------------------
moved {
  from = aws_s3_bucket.media
  to   = module.media.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.media
  to   = module.media.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.media
  to   = module.media.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.media
  to   = module.media.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.media
  to   = module.media.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.media
  to   = module.media.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_logging.media
  to   = module.media.aws_s3_bucket_logging.this[0]
}

moved {
  from = aws_s3_bucket_policy.media
  to   = module.media.aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket.access_logs[0]
  to   = module.access_logs[0].aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.access_logs[0]
  to   = module.access_logs[0].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.access_logs[0]
  to   = module.access_logs[0].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.access_logs[0]
  to   = module.access_logs[0].aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.access_logs[0]
  to   = module.access_logs[0].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.access_logs[0]
  to   = module.access_logs[0].aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.access_logs[0]
  to   = module.access_logs[0].aws_s3_bucket_policy.this
}

# ---------------------------------------------------------------------------
# What the chat service's instance role needs: object read/write/delete and the key,
# only through S3. The app-asg module attaches it.
# ---------------------------------------------------------------------------
data "aws_iam_policy_document" "app_access" {
  statement {
    sid       = "MediaObjects"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    resources = ["${module.media.arn}/*"]
  }

  statement {
    sid       = "MediaKeyThroughS3"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}
