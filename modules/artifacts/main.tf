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

module "artifacts" {
  source = "../private-bucket"

  bucket_prefix = "${var.name}-artifacts-"
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Name = "${var.name}-artifacts" })
  kms_key_arn   = module.key.arn

  # Releases cannot be replaced or deleted while their retention runs: a changed object
  # would be a new version, and instances install only the digest Terraform pins.
  object_lock = { mode = "GOVERNANCE", days = var.release_retention_days }

  lifecycle_rules = [{
    id                                     = "expire-noncurrent-releases"
    noncurrent_version_expiration_days     = var.noncurrent_version_retention_days
    abort_incomplete_multipart_upload_days = 1
  }]

  # Every live unit passes the media bucket's log bucket, which admits this bucket by name prefix.
  access_logging = var.access_log_bucket == null ? null : { target_bucket = var.access_log_bucket }

  policy_documents = data.aws_iam_policy_document.publishers[*].json
  # Deployments are driven by Terraform and the ASG's instance refresh, not by bucket events:
  # no event_notifications.
}

data "aws_iam_policy_document" "publishers" {
  count = length(var.publisher_role_arns) > 0 ? 1 : 0

  statement {
    sid       = "PublishersUploadReleases"
    actions   = ["s3:PutObject"]
    resources = ["${module.artifacts.arn}/releases/*"]

    principals {
      type        = "AWS"
      identifiers = var.publisher_role_arns
    }
  }
}

# Addresses of the resources before modules/private-bucket: an existing deployment keeps its
# bucket and its settings.
moved {
  from = aws_s3_bucket.artifacts
  to   = module.artifacts.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.artifacts
  to   = module.artifacts.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.artifacts
  to   = module.artifacts.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.artifacts
  to   = module.artifacts.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_object_lock_configuration.artifacts
  to   = module.artifacts.aws_s3_bucket_object_lock_configuration.this[0]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.artifacts
  to   = module.artifacts.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.artifacts
  to   = module.artifacts.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_logging.artifacts
  to   = module.artifacts.aws_s3_bucket_logging.this
}

moved {
  from = aws_s3_bucket_policy.artifacts
  to   = module.artifacts.aws_s3_bucket_policy.this
}

# What a reader of releases needs, for the roles of other modules to attach.
data "aws_iam_policy_document" "read_releases" {
  statement {
    sid       = "ReadReleases"
    actions   = ["s3:GetObject"]
    resources = ["${module.artifacts.arn}/releases/*"]
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
    resources = ["${module.artifacts.arn}/releases/*"]
  }

  statement {
    sid       = "ListReleases"
    actions   = ["s3:ListBucket"]
    resources = [module.artifacts.arn]

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
