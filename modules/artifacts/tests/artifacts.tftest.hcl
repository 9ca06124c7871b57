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
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name = "chat-test"
}

run "releases_are_encrypted_with_the_module_key" {
  command = apply

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.artifacts.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "The bucket must default to SSE-KMS."
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.artifacts.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == module.key.arn
    error_message = "The bucket must use the module's own KMS key."
  }
  assert {
    condition     = module.key.rotation_enabled
    error_message = "The key must rotate."
  }
  assert {
    condition     = output.kms_key_arn == module.key.arn && output.releases_prefix == "releases/"
    error_message = "Readers need the key ARN and the releases/ prefix."
  }
}

run "releases_are_object_locked" {
  command = plan

  assert {
    condition     = one(aws_s3_bucket_object_lock_configuration.artifacts.rule).default_retention[0].mode == "GOVERNANCE" && one(aws_s3_bucket_object_lock_configuration.artifacts.rule).default_retention[0].days == 365
    error_message = "Every release version is locked for a year (GOVERNANCE: bypass needs a permission the deploy roles are denied)."
  }
}

run "bucket_is_private_versioned_and_tls_only" {
  command = plan

  assert {
    condition = (
      aws_s3_bucket_public_access_block.artifacts.block_public_acls &&
      aws_s3_bucket_public_access_block.artifacts.block_public_policy &&
      aws_s3_bucket_public_access_block.artifacts.ignore_public_acls &&
      aws_s3_bucket_public_access_block.artifacts.restrict_public_buckets
    )
    error_message = "All public access must be blocked."
  }
  assert {
    condition     = aws_s3_bucket_versioning.artifacts.versioning_configuration[0].status == "Enabled"
    error_message = "Releases must be versioned so an overwrite can be undone."
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.artifacts.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled."
  }
  assert {
    condition     = contains([for s in data.aws_iam_policy_document.bucket.statement : s.sid if s.effect == "Deny"], "DenyPlainHttp")
    error_message = "The bucket policy must deny plain HTTP."
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.bucket.statement : s if s.sid == "DenyPlainHttp"]).condition[0].variable == "aws:SecureTransport"
    error_message = "The TLS-only statement must test aws:SecureTransport."
  }
  assert {
    condition     = aws_s3_bucket.artifacts.force_destroy == false
    error_message = "Releases must survive a stray destroy by default."
  }
}

run "no_access_logging_without_a_target_and_publishers_are_optional" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_logging.artifacts) == 0
    error_message = "No logging resource without access_log_bucket."
  }
  assert {
    condition     = length([for s in data.aws_iam_policy_document.bucket.statement : s if s.sid == "PublishersUploadReleases"]) == 0
    error_message = "No publisher statement without publisher_role_arns."
  }
}

run "access_logging_and_publishers_when_given" {
  command = plan

  variables {
    access_log_bucket   = "chat-test-s3-access-logs"
    publisher_role_arns = ["arn:aws:iam::123456789012:role/chat-deploy"]
  }

  assert {
    condition     = aws_s3_bucket_logging.artifacts[0].target_bucket == "chat-test-s3-access-logs"
    error_message = "Server access logs must go to the given bucket."
  }
  assert {
    condition     = toset(one([for s in data.aws_iam_policy_document.bucket.statement : s if s.sid == "PublishersUploadReleases"]).actions) == toset(["s3:PutObject"])
    error_message = "Publishers may only put objects."
  }
}

run "rejects_a_bad_publisher_arn" {
  command = plan

  variables {
    publisher_role_arns = ["arn:aws:iam::123456789012:user/someone"]
  }

  expect_failures = [var.publisher_role_arns]
}

run "rejects_a_name_too_long_for_a_bucket_prefix" {
  command = plan

  variables {
    name = "chat-production-eu-west-1-blue"
  }

  expect_failures = [var.name]
}
