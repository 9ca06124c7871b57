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
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
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
    condition     = module.artifacts.sse_algorithm == "aws:kms"
    error_message = "The bucket must default to SSE-KMS."
  }
  assert {
    condition     = module.artifacts.kms_key_arn == module.key.arn
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
    condition     = module.artifacts.object_lock_default_retention.mode == "GOVERNANCE" && module.artifacts.object_lock_default_retention.days == 365
    error_message = "Every release version is locked for a year (GOVERNANCE: bypass needs a permission the deploy roles are denied)."
  }
}

run "bucket_is_private_versioned_and_tls_only" {
  command = plan

  assert {
    condition     = module.artifacts.public_access_blocked
    error_message = "All public access must be blocked."
  }
  assert {
    condition     = module.artifacts.versioning_status == "Enabled"
    error_message = "Releases must be versioned so an overwrite can be undone."
  }
  assert {
    condition     = module.artifacts.object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled."
  }
  assert {
    condition     = contains([for s in module.artifacts.policy_statements : s.sid if s.effect == "Deny"], "DenyInsecureTransport")
    error_message = "The bucket policy must deny plain HTTP."
  }
  assert {
    condition     = one([for s in module.artifacts.policy_statements : s if s.sid == "DenyInsecureTransport"]).condition[0].variable == "aws:SecureTransport"
    error_message = "The TLS-only statement must test aws:SecureTransport."
  }
  assert {
    condition     = contains([for s in module.artifacts.policy_statements : s.sid if s.effect == "Deny"], "DenyOtherEncryptionAlgorithms")
    error_message = "Uploads asking for another encryption than the release key must be refused."
  }
  assert {
    condition     = module.artifacts.force_destroy == false
    error_message = "Releases must survive a stray destroy by default."
  }
}

run "no_access_logging_without_a_target_and_publishers_are_optional" {
  command = plan

  assert {
    condition     = module.artifacts.access_log_target == null
    error_message = "No logging resource without access_log_bucket."
  }
  assert {
    condition     = length(data.aws_iam_policy_document.publishers) == 0
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
    condition     = module.artifacts.access_log_target.target_bucket == "chat-test-s3-access-logs" && startswith(module.artifacts.access_log_target.target_prefix, "s3/")
    error_message = "Server access logs must go to the given bucket."
  }
  assert {
    condition     = toset(one([for s in data.aws_iam_policy_document.publishers[0].statement : s if s.sid == "PublishersUploadReleases"]).actions) == toset(["s3:PutObject"])
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
