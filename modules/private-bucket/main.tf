locals {
  kms = var.kms_key_arn != null
  # ACLs stay disabled unless a log delivery can write only through an ACL grant.
  acl_enabled = length(var.log_delivery_acl_grantees) > 0

  bucket_and_objects = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

  lifecycle_rules = var.log_retention != null ? [{
    id                                     = "expire-access-logs"
    prefix                                 = null
    expiration_days                        = var.log_retention.days
    expire_object_delete_markers           = false
    noncurrent_version_expiration_days     = var.log_retention.noncurrent_days
    abort_incomplete_multipart_upload_days = 1
    }] : var.lifecycle_rules != null ? var.lifecycle_rules : [{
    id                                     = "expire-noncurrent-versions-and-incomplete-uploads"
    prefix                                 = null
    expiration_days                        = null
    expire_object_delete_markers           = false
    noncurrent_version_expiration_days     = 90
    abort_incomplete_multipart_upload_days = 7
  }]
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice per environment, not part of every private bucket; versioning makes objects recoverable in place.
  #checkov:skip=CKV2_AWS_62:Event notifications are the input event_notifications; none of the project's buckets has a consumer for object events today.
  #checkov:skip=CKV_AWS_18:Access logging is the input access_logging: on for every bucket whose requests are not logged elsewhere; log buckets themselves (logging them would loop) and the CloudFront-read site bucket leave it off, each module says why.
  #checkov:skip=CKV_AWS_145:SSE-KMS with kms_key_arn unless sse_s3_for_log_delivery names a log delivery (S3 server access logs, ELB access logs) that AWS refuses to send to SSE-KMS buckets; a validation requires one of the two.
  #checkov:skip=CKV2_AWS_65:ACLs are disabled (BucketOwnerEnforced) unless log_delivery_acl_grantees names a delivery that writes only through an ACL grant (CloudFront standard logs).
  bucket        = var.bucket
  bucket_prefix = var.bucket_prefix
  force_destroy = var.force_destroy
  tags          = var.tags

  # No object_lock_enabled here: it replaces the bucket when it changes. Object Lock is turned on
  # for the existing bucket by aws_s3_bucket_object_lock_configuration below.
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  #checkov:skip=CKV2_AWS_65:ACLs are disabled (BucketOwnerEnforced) unless log_delivery_acl_grantees names a delivery that writes only through an ACL grant (CloudFront standard logs).
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = local.acl_enabled ? "BucketOwnerPreferred" : "BucketOwnerEnforced"
  }
}

data "aws_canonical_user_id" "current" {
  count = local.acl_enabled ? 1 : 0
}

resource "aws_s3_bucket_acl" "this" {
  count  = local.acl_enabled ? 1 : 0
  bucket = aws_s3_bucket.this.id

  access_control_policy {
    owner {
      id = data.aws_canonical_user_id.current[0].id
    }

    grant {
      permission = "FULL_CONTROL"
      grantee {
        type = "CanonicalUser"
        id   = data.aws_canonical_user_id.current[0].id
      }
    }

    dynamic "grant" {
      for_each = var.log_delivery_acl_grantees
      content {
        permission = "FULL_CONTROL"
        grantee {
          type = "CanonicalUser"
          id   = grant.value
        }
      }
    }
  }

  depends_on = [aws_s3_bucket_ownership_controls.this]
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = local.kms ? "aws:kms" : "AES256"
      kms_master_key_id = var.kms_key_arn
    }
    # One data key per bucket instead of per object: far fewer KMS requests for many small objects.
    bucket_key_enabled = local.kms ? true : null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  #checkov:skip=CKV_AWS_300:The rules come from lifecycle_rules or log_retention through dynamic blocks checkov does not expand; the default and log_retention rules abort incomplete multipart uploads, a validation requires that of lifecycle_rules, and tests/private_bucket.tftest.hcl checks the planned rules.
  bucket = aws_s3_bucket.this.id

  dynamic "rule" {
    for_each = local.lifecycle_rules
    content {
      id     = rule.value.id
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }

      dynamic "expiration" {
        for_each = rule.value.expiration_days != null || rule.value.expire_object_delete_markers ? [rule.value] : []
        content {
          days                         = expiration.value.expiration_days
          expired_object_delete_marker = expiration.value.expire_object_delete_markers ? true : null
        }
      }

      dynamic "noncurrent_version_expiration" {
        for_each = rule.value.noncurrent_version_expiration_days == null ? [] : [rule.value.noncurrent_version_expiration_days]
        content {
          noncurrent_days = noncurrent_version_expiration.value
        }
      }

      dynamic "abort_incomplete_multipart_upload" {
        for_each = rule.value.abort_incomplete_multipart_upload_days == null ? [] : [rule.value.abort_incomplete_multipart_upload_days]
        content {
          days_after_initiation = abort_incomplete_multipart_upload.value
        }
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_object_lock_configuration" "this" {
  count  = var.object_lock == null ? 0 : 1
  bucket = aws_s3_bucket.this.id

  rule {
    default_retention {
      mode = var.object_lock.mode
      days = var.object_lock.days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count  = var.access_logging == null ? 0 : 1
  bucket = aws_s3_bucket.this.id

  target_bucket = var.access_logging.target_bucket
  target_prefix = coalesce(var.access_logging.target_prefix, "s3/${aws_s3_bucket.this.id}/")

  dynamic "target_object_key_format" {
    for_each = var.access_logging.partitioned_by_event_time ? [1] : []
    content {
      partitioned_prefix {
        partition_date_source = "EventTime"
      }
    }
  }
}

resource "aws_s3_bucket_notification" "this" {
  count  = var.event_notifications == null ? 0 : 1
  bucket = aws_s3_bucket.this.id

  eventbridge = var.event_notifications.eventbridge

  dynamic "topic" {
    for_each = var.event_notifications.topics
    content {
      topic_arn     = topic.value.arn
      events        = topic.value.events
      filter_prefix = topic.value.filter_prefix
      filter_suffix = topic.value.filter_suffix
    }
  }

  dynamic "queue" {
    for_each = var.event_notifications.queues
    content {
      queue_arn     = queue.value.arn
      events        = queue.value.events
      filter_prefix = queue.value.filter_prefix
      filter_suffix = queue.value.filter_suffix
    }
  }

  dynamic "lambda_function" {
    for_each = var.event_notifications.lambda_functions
    content {
      lambda_function_arn = lambda_function.value.arn
      events              = lambda_function.value.events
      filter_prefix       = lambda_function.value.filter_prefix
      filter_suffix       = lambda_function.value.filter_suffix
    }
  }
}

# ---------------------------------------------------------------------------
# Bucket policy: the module's denies and log delivery grants, then the caller's statements. A
# statement of this document replaces a caller's statement with the same sid, so no caller can
# drop the denies. Conditions are [test, variable, values].
# ---------------------------------------------------------------------------
data "aws_caller_identity" "current" {
  count = length(var.log_delivery_grants) > 0 ? 1 : 0
}

locals {
  deny_everyone = { effect = "Deny", principal_type = "*", principals = ["*"] }

  policy_statements = concat(
    [
      merge(local.deny_everyone, {
        sid        = "DenyInsecureTransport"
        actions    = ["s3:*"]
        resources  = local.bucket_and_objects
        conditions = [["Bool", "aws:SecureTransport", ["false"]]]
      }),
      merge(local.deny_everyone, {
        sid        = "DenyTlsOlderThan12"
        actions    = ["s3:*"]
        resources  = local.bucket_and_objects
        conditions = [["NumericLessThan", "s3:TlsVersion", ["1.2"]]]
      }),
    ],
    # Uploads without an encryption header get the bucket default (the KMS key); an upload
    # that asks for another algorithm or key is refused.
    local.kms ? [
      merge(local.deny_everyone, {
        sid       = "DenyOtherEncryptionAlgorithms"
        actions   = ["s3:PutObject"]
        resources = ["${aws_s3_bucket.this.arn}/*"]
        conditions = [
          ["Null", "s3:x-amz-server-side-encryption", ["false"]],
          ["StringNotEquals", "s3:x-amz-server-side-encryption", ["aws:kms"]],
        ]
      }),
      merge(local.deny_everyone, {
        sid       = "DenyOtherKmsKeys"
        actions   = ["s3:PutObject"]
        resources = ["${aws_s3_bucket.this.arn}/*"]
        conditions = [
          ["Null", "s3:x-amz-server-side-encryption-aws-kms-key-id", ["false"]],
          ["StringNotEquals", "s3:x-amz-server-side-encryption-aws-kms-key-id", [var.kms_key_arn]],
        ]
      }),
    ] : [],
    # A log delivery service writes objects under its prefix, for this account (and, when
    # named, these sources) only.
    [for g in var.log_delivery_grants : {
      sid            = g.sid
      effect         = "Allow"
      principal_type = "Service"
      principals     = [g.service]
      actions        = ["s3:PutObject"]
      resources      = ["${aws_s3_bucket.this.arn}/${g.key_prefix}*"]
      conditions = concat(
        length(g.source_arns) > 0 ? [["ArnLike", "aws:SourceArn", g.source_arns]] : [],
        [["StringEquals", "aws:SourceAccount", [data.aws_caller_identity.current[0].account_id]]],
      )
    }],
  )
}

data "aws_iam_policy_document" "this" {
  source_policy_documents = var.policy_documents

  dynamic "statement" {
    for_each = local.policy_statements
    content {
      sid       = statement.value.sid
      effect    = statement.value.effect
      actions   = statement.value.actions
      resources = statement.value.resources

      principals {
        type        = statement.value.principal_type
        identifiers = statement.value.principals
      }

      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value[0]
          variable = condition.value[1]
          values   = condition.value[2]
        }
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.this.json

  # A bucket policy written before the public access block could be refused as public.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
