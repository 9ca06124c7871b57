data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}

module "key" {
  source = "../kms-key"

  alias       = "${var.name}/artifacts"
  description = "${var.name}: release artifacts"
  tags        = var.tags
}

moved {
  from = aws_kms_key.artifacts
  to   = module.key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.artifacts
  to   = module.key.aws_kms_alias.this
}

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_144:Releases are rebuilt from the tagged source by `make package`; a second region adds cost, not recoverability.
  #checkov:skip=CKV2_AWS_62:Deployments are driven by Terraform and the ASG's instance refresh, not by bucket events.
  #checkov:skip=CKV_AWS_18:Access logging is on whenever access_log_bucket is given (every live unit passes the media bucket's log bucket); the log bucket belongs to another module.
  bucket_prefix = "${var.name}-artifacts-"
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = "${var.name}-artifacts" })
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

# Releases cannot be replaced or deleted while their retention runs: a changed object
# would be a new version, and instances install only the digest Terraform pins.
resource "aws_s3_bucket_object_lock_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    default_retention {
      mode = "GOVERNANCE"
      days = var.release_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.key.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    id     = "expire-noncurrent-releases"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

resource "aws_s3_bucket_logging" "artifacts" {
  count = var.access_log_bucket == null ? 0 : 1

  bucket        = aws_s3_bucket.artifacts.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3/${aws_s3_bucket.artifacts.id}/"
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid     = "DenyPlainHttp"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.artifacts.arn,
      "${aws_s3_bucket.artifacts.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyUnencryptedUploads"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }

  dynamic "statement" {
    for_each = length(var.publisher_role_arns) > 0 ? [1] : []

    content {
      sid       = "PublishersUploadReleases"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.artifacts.arn}/releases/*"]

      principals {
        type        = "AWS"
        identifiers = var.publisher_role_arns
      }
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = data.aws_iam_policy_document.bucket.json

  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

# What a reader of releases needs, for the roles of other modules to attach.
data "aws_iam_policy_document" "read_releases" {
  statement {
    sid       = "ReadReleases"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/releases/*"]
  }

  statement {
    sid       = "DecryptReleases"
    actions   = ["kms:Decrypt"]
    resources = [module.key.arn]
  }
}

# What the CI deploy role needs to publish a release.
data "aws_iam_policy_document" "publish_releases" {
  statement {
    sid       = "UploadReleases"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/releases/*"]
  }

  statement {
    sid       = "ListReleases"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.artifacts.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["releases/*"]
    }
  }

  statement {
    sid       = "EncryptReleases"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [module.key.arn]
  }
}
