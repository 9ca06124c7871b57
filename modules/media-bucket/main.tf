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
  log_bucket      = local.create_log ? aws_s3_bucket.access_logs[0].id : var.access_log_bucket

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
# Media bucket
# ---------------------------------------------------------------------------
resource "aws_s3_bucket" "media" {
  #checkov:skip=CKV_AWS_144:Uploads are recoverable through versioning; cross-region replication is a disaster-recovery choice made per environment, not a module default.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events: the service records each upload in PostgreSQL when it issues the presigned POST.
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
  tags          = local.tags
}

resource "aws_s3_bucket_ownership_controls" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket = aws_s3_bucket.media.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "media" {
  bucket = aws_s3_bucket.media.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    # One data key per bucket instead of per object: far fewer KMS requests for many small uploads.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_cors_configuration" "media" {
  bucket = aws_s3_bucket.media.id

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

resource "aws_s3_bucket_lifecycle_configuration" "media" {
  bucket = aws_s3_bucket.media.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.media]
}

resource "aws_s3_bucket_logging" "media" {
  bucket        = aws_s3_bucket.media.id
  target_bucket = local.log_bucket
  target_prefix = "s3/${local.bucket_name}/"

  target_object_key_format {
    partitioned_prefix {
      partition_date_source = "EventTime"
    }
  }
}

resource "aws_s3_bucket_policy" "media" {
  bucket = aws_s3_bucket.media.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "DenyTlsOlderThan12"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.media.arn, "${aws_s3_bucket.media.arn}/*"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
      },
      {
        # Uploads without an encryption header get the bucket default (the KMS key); an upload
        # that asks for another algorithm or key is refused.
        Sid       = "DenyOtherEncryptionAlgorithms"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.media.arn}/*"
        Condition = {
          Null            = { "s3:x-amz-server-side-encryption" = "false" }
          StringNotEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" }
        }
      },
      {
        Sid       = "DenyOtherKmsKeys"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.media.arn}/*"
        Condition = {
          Null            = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = "false" }
          StringNotEquals = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = local.kms_key_arn }
        }
      },
    ]
  })

  # A bucket policy written before the public access block could be refused as public.
  depends_on = [aws_s3_bucket_public_access_block.media]
}

# ---------------------------------------------------------------------------
# Access-log bucket (S3 server access logs accept SSE-S3 only, not SSE-KMS)
# ---------------------------------------------------------------------------
resource "aws_s3_bucket" "access_logs" {
  count = local.create_log ? 1 : 0

  #checkov:skip=CKV_AWS_145:S3 server access logging delivers only to buckets whose default encryption is SSE-S3; SSE-KMS targets are not supported.
  #checkov:skip=CKV_AWS_18:This is the access-log bucket itself; logging it to itself would loop.
  #checkov:skip=CKV_AWS_144:Access logs are audit data kept for a bounded time in the account's region; replication is not required.
  #checkov:skip=CKV2_AWS_62:No consumer needs events for log delivery objects.
  bucket        = local.log_bucket_name
  force_destroy = var.force_destroy
  tags          = merge(local.tags, { Name = "${var.name}-media-access-logs" })
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  count  = local.create_log ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  count  = local.create_log ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  count  = local.create_log ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  count  = local.create_log ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count  = local.create_log ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

resource "aws_s3_bucket_policy" "access_logs" {
  count  = local.create_log ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.access_logs[0].arn, "${aws_s3_bucket.access_logs[0].arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "S3ServerAccessLogsFromTheMediaBucket"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.access_logs[0].arn}/s3/${local.bucket_name}/*"
        Condition = {
          ArnLike      = { "aws:SourceArn" = aws_s3_bucket.media.arn }
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
      ], [
      for i, prefix in var.log_source_bucket_prefixes : {
        Sid       = "S3ServerAccessLogsFromOtherBuckets${i}"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.access_logs[0].arn}/s3/${prefix}*"
        Condition = {
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:s3:::${prefix}*" }
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      }
    ])
  })

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

# ---------------------------------------------------------------------------
# What the chat service's instance role needs: object read/write/delete and the key,
# only through S3. The app-asg module attaches it.
# ---------------------------------------------------------------------------
locals {
  app_access_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "MediaObjects"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
        Resource = "${aws_s3_bucket.media.arn}/*"
      },
      {
        Sid      = "MediaKeyThroughS3"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = local.kms_key_arn
        Condition = {
          StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" }
        }
      },
    ]
  }
}
