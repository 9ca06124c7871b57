mock_provider "aws" {
  # Computed values (the bucket's id and ARN) are known at plan, so plan-only runs can compare them.
  override_during = plan

  mock_resource "aws_s3_bucket" {
    defaults = {
      id  = "chat-test-example-111122223333-eu-west-1"
      arn = "arn:aws:s3:::chat-test-example-111122223333-eu-west-1"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }
  mock_data "aws_canonical_user_id" {
    defaults = {
      id = "1111111111111111111111111111111111111111111111111111111111111111"
    }
  }
}

variables {
  bucket      = "chat-test-example-111122223333-eu-west-1"
  kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
}

run "private_versioned_and_kms_encrypted_by_default" {
  command = plan

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this.block_public_acls,
      aws_s3_bucket_public_access_block.this.block_public_policy,
      aws_s3_bucket_public_access_block.this.ignore_public_acls,
      aws_s3_bucket_public_access_block.this.restrict_public_buckets,
    ]) && output.public_access_blocked
    error_message = "All public access must be blocked."
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced" && length(aws_s3_bucket_acl.this) == 0
    error_message = "ACLs must be disabled (BucketOwnerEnforced), with no ACL resource."
  }
  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled" && output.versioning_status == "Enabled"
    error_message = "Versioning must be on."
  }
  assert {
    condition = (
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" &&
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == var.kms_key_arn &&
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled
    )
    error_message = "Objects must be encrypted with the given KMS key, with an S3 bucket key."
  }
  assert {
    condition     = output.sse_algorithm == "aws:kms" && output.kms_key_arn == var.kms_key_arn
    error_message = "The encryption outputs must report the planned configuration."
  }
  assert {
    condition     = aws_s3_bucket.this.bucket == "chat-test-example-111122223333-eu-west-1" && aws_s3_bucket.this.force_destroy == false
    error_message = "The bucket keeps its name and survives a stray destroy by default."
  }
  assert {
    condition     = length(aws_s3_bucket_logging.this) == 0 && length(aws_s3_bucket_object_lock_configuration.this) == 0 && length(aws_s3_bucket_notification.this) == 0
    error_message = "Logging, Object Lock and notifications are off unless asked for."
  }
  assert {
    condition = [for r in aws_s3_bucket_lifecycle_configuration.this.rule :
      "${r.id} ${r.status} ${r.noncurrent_version_expiration[0].noncurrent_days} ${r.abort_incomplete_multipart_upload[0].days_after_initiation} ${length(r.expiration)}"
    ] == ["expire-noncurrent-versions-and-incomplete-uploads Enabled 90 7 0"]
    error_message = "The default lifecycle rule expires noncurrent versions after 90 days and aborts uploads after 7."
  }
}

run "policy_denies_plain_http_old_tls_and_other_encryption" {
  command = plan

  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["DenyInsecureTransport", "DenyTlsOlderThan12", "DenyOtherEncryptionAlgorithms", "DenyOtherKmsKeys"]
    error_message = "The module's policy is the TLS and encryption denies, in that order."
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.this.statement : s.effect == "Deny" && one(s.principals).type == "*"])
    error_message = "The module's own statements deny; they grant nothing."
  }
  assert {
    condition = toset(one([for s in data.aws_iam_policy_document.this.statement : s if s.sid == "DenyInsecureTransport"]).resources) == toset([
      "arn:aws:s3:::chat-test-example-111122223333-eu-west-1", "arn:aws:s3:::chat-test-example-111122223333-eu-west-1/*",
    ])
    error_message = "Plain HTTP must be denied on the bucket and its objects."
  }
  assert {
    condition = [for c in one([for s in data.aws_iam_policy_document.this.statement : s if s.sid == "DenyInsecureTransport"]).condition :
    "${c.test} ${c.variable} ${join(",", c.values)}"] == ["Bool aws:SecureTransport false"]
    error_message = "The TLS-only statement must test aws:SecureTransport."
  }
  assert {
    condition = [for c in one([for s in data.aws_iam_policy_document.this.statement : s if s.sid == "DenyTlsOlderThan12"]).condition :
    "${c.test} ${c.variable} ${join(",", c.values)}"] == ["NumericLessThan s3:TlsVersion 1.2"]
    error_message = "TLS older than 1.2 must be denied."
  }
  assert {
    condition = [for c in one([for s in data.aws_iam_policy_document.this.statement : s if s.sid == "DenyOtherKmsKeys"]).condition :
      "${c.test} ${c.variable} ${join(",", c.values)}"] == [
      "Null s3:x-amz-server-side-encryption-aws-kms-key-id false",
      "StringNotEquals s3:x-amz-server-side-encryption-aws-kms-key-id ${var.kms_key_arn}",
    ]
    error_message = "Uploads naming another KMS key must be refused."
  }
  assert {
    condition     = length(data.aws_iam_policy_document.this.source_policy_documents) == 0
    error_message = "No caller documents join the policy unless given."
  }
  assert {
    condition     = length(output.policy_statements) == 4
    error_message = "The policy_statements output must carry the module's statements."
  }
}

run "caller_statements_join_the_policy" {
  command = plan

  variables {
    policy_documents = ["{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"CallerGrant\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"logging.s3.amazonaws.com\"},\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::chat-test-example-111122223333-eu-west-1/*\"}]}"]
  }

  assert {
    condition     = data.aws_iam_policy_document.this.source_policy_documents == var.policy_documents
    error_message = "The caller's documents must be merged into the one bucket policy."
  }
  assert {
    condition     = contains([for s in data.aws_iam_policy_document.this.statement : s.sid], "DenyInsecureTransport")
    error_message = "The TLS-only deny stays when the caller adds statements."
  }
}

run "log_delivery_grants_allow_put_under_their_prefix_for_this_account" {
  command = plan

  variables {
    kms_key_arn             = null
    sse_s3_for_log_delivery = "s3-server-access-logs"
    log_delivery_grants = [
      { sid = "S3LogsFromMedia", service = "logging.s3.amazonaws.com", key_prefix = "s3/chat-test-media/", source_arns = ["arn:aws:s3:::chat-test-media"] },
      { sid = "ElbLogs", service = "logdelivery.elasticloadbalancing.amazonaws.com", key_prefix = "alb/AWSLogs/111122223333/" },
    ]
  }

  assert {
    condition = [for s in data.aws_iam_policy_document.this.statement :
      "${s.effect} ${one(s.principals).type} ${join(",", one(s.principals).identifiers)} ${join(",", s.actions)} ${join(",", s.resources)}"
      if !startswith(s.sid, "Deny")] == [
      "Allow Service logging.s3.amazonaws.com s3:PutObject arn:aws:s3:::chat-test-example-111122223333-eu-west-1/s3/chat-test-media/*",
      "Allow Service logdelivery.elasticloadbalancing.amazonaws.com s3:PutObject arn:aws:s3:::chat-test-example-111122223333-eu-west-1/alb/AWSLogs/111122223333/*",
    ]
    error_message = "Each delivery service may only put objects under its own prefix."
  }
  assert {
    condition = [for s in data.aws_iam_policy_document.this.statement : [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]
      if !startswith(s.sid, "Deny")] == [
      ["ArnLike aws:SourceArn arn:aws:s3:::chat-test-media", "StringEquals aws:SourceAccount 111122223333"],
      ["StringEquals aws:SourceAccount 111122223333"],
    ]
    error_message = "Deliveries are limited to this account, and to the named sources when given."
  }
}

run "sse_s3_only_for_a_log_delivery_that_refuses_kms" {
  command = plan

  variables {
    kms_key_arn             = null
    sse_s3_for_log_delivery = "elb-access-logs"
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256" && output.sse_algorithm == "AES256"
    error_message = "A log bucket for a delivery that refuses KMS uses SSE-S3."
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["DenyInsecureTransport", "DenyTlsOlderThan12"]
    error_message = "Without a KMS key the policy keeps the TLS denies and has no key statements."
  }
}

run "acl_grantees_keep_acls_for_them_alone" {
  command = plan

  variables {
    log_delivery_acl_grantees = ["c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0"]
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerPreferred" && output.object_ownership == "BucketOwnerPreferred"
    error_message = "A log delivery writing through ACLs needs ACLs enabled (BucketOwnerPreferred)."
  }
  assert {
    condition = [for g in aws_s3_bucket_acl.this[0].access_control_policy[0].grant : "${g.permission} ${g.grantee[0].type} ${g.grantee[0].id}"] == [
      "FULL_CONTROL CanonicalUser 1111111111111111111111111111111111111111111111111111111111111111",
      "FULL_CONTROL CanonicalUser c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0",
    ]
    error_message = "The ACL grants the owner and the named delivery account, nobody else."
  }
  assert {
    condition     = aws_s3_bucket_acl.this[0].access_control_policy[0].owner[0].id == "1111111111111111111111111111111111111111111111111111111111111111"
    error_message = "The account owns the ACL."
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.ignore_public_acls
    error_message = "Public ACLs stay blocked even with ACLs enabled."
  }
}

run "access_logs_go_under_the_bucket_name_partitioned_by_date" {
  command = plan

  variables {
    access_logging = { target_bucket = "chat-test-logs-111122223333-eu-west-1" }
  }

  assert {
    condition     = aws_s3_bucket_logging.this[0].target_bucket == "chat-test-logs-111122223333-eu-west-1" && aws_s3_bucket_logging.this[0].target_prefix == "s3/chat-test-example-111122223333-eu-west-1/"
    error_message = "Access logs go to the target bucket under s3/<this bucket>/."
  }
  assert {
    condition     = aws_s3_bucket_logging.this[0].target_object_key_format[0].partitioned_prefix[0].partition_date_source == "EventTime"
    error_message = "Log keys are partitioned by event date by default."
  }
  assert {
    condition     = output.access_log_target == { target_bucket = "chat-test-logs-111122223333-eu-west-1", target_prefix = "s3/chat-test-example-111122223333-eu-west-1/" }
    error_message = "The access_log_target output must report the logging configuration."
  }
}

run "access_logs_with_a_prefix_and_simple_keys" {
  command = plan

  variables {
    access_logging = { target_bucket = "org-s3-access-logs", target_prefix = "chat/", partitioned_by_event_time = false }
  }

  assert {
    condition     = aws_s3_bucket_logging.this[0].target_prefix == "chat/" && length(aws_s3_bucket_logging.this[0].target_object_key_format) == 0
    error_message = "The given prefix and the simple key format must be used."
  }
}

run "lifecycle_rules_as_given" {
  command = plan

  variables {
    lifecycle_rules = [
      { id = "expire-noncurrent-versions", noncurrent_version_expiration_days = 30, expire_object_delete_markers = true },
      { id = "abort-incomplete-multipart-uploads", abort_incomplete_multipart_upload_days = 3 },
      { id = "expire-tmp", prefix = "tmp/", expiration_days = 2 },
    ]
  }

  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.id] == ["expire-noncurrent-versions", "abort-incomplete-multipart-uploads", "expire-tmp"]
    error_message = "Every given rule, in order."
  }
  assert {
    condition = (
      aws_s3_bucket_lifecycle_configuration.this.rule[0].noncurrent_version_expiration[0].noncurrent_days == 30 &&
      aws_s3_bucket_lifecycle_configuration.this.rule[0].expiration[0].expired_object_delete_marker &&
      length(aws_s3_bucket_lifecycle_configuration.this.rule[0].abort_incomplete_multipart_upload) == 0
    )
    error_message = "The first rule expires noncurrent versions and orphaned delete markers only."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this.rule[1].abort_incomplete_multipart_upload[0].days_after_initiation == 3 && length(aws_s3_bucket_lifecycle_configuration.this.rule[1].expiration) == 0
    error_message = "The second rule aborts incomplete uploads only."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.this.rule[2].filter[0].prefix == "tmp/" && aws_s3_bucket_lifecycle_configuration.this.rule[2].expiration[0].days == 2
    error_message = "A rule with a prefix expires only the objects under it."
  }
  assert {
    condition     = alltrue([for r in aws_s3_bucket_lifecycle_configuration.this.rule : r.status == "Enabled"])
    error_message = "Every lifecycle rule is enabled."
  }
}

run "a_log_bucket_expires_its_logs_in_one_rule" {
  command = plan

  variables {
    log_retention = { days = 30 }
  }

  assert {
    condition = [for r in aws_s3_bucket_lifecycle_configuration.this.rule :
      "${r.id} ${r.expiration[0].days} ${r.noncurrent_version_expiration[0].noncurrent_days} ${r.abort_incomplete_multipart_upload[0].days_after_initiation}"
    ] == ["expire-access-logs 30 1 1"]
    error_message = "Logs expire after the retention, noncurrent versions a day later, incomplete uploads after a day."
  }
}

run "object_lock_and_notifications_when_asked" {
  command = plan

  variables {
    object_lock = { days = 365 }
    event_notifications = {
      eventbridge = true
      queues      = [{ arn = "arn:aws:sqs:eu-west-1:111122223333:uploads", events = ["s3:ObjectCreated:*"], filter_prefix = "uploads/" }]
    }
  }

  assert {
    condition     = aws_s3_bucket_object_lock_configuration.this[0].rule[0].default_retention[0].mode == "GOVERNANCE" && aws_s3_bucket_object_lock_configuration.this[0].rule[0].default_retention[0].days == 365
    error_message = "Object Lock defaults to GOVERNANCE retention for the given days."
  }
  assert {
    condition     = output.object_lock_default_retention.mode == "GOVERNANCE" && output.object_lock_default_retention.days == 365
    error_message = "The object lock output must report the retention."
  }
  assert {
    condition = aws_s3_bucket_notification.this[0].eventbridge && [for q in aws_s3_bucket_notification.this[0].queue :
    "${q.queue_arn} ${join(",", q.events)} ${q.filter_prefix}"] == ["arn:aws:sqs:eu-west-1:111122223333:uploads s3:ObjectCreated:* uploads/"]
    error_message = "EventBridge and the queue receive the events asked for."
  }
}

run "bucket_prefix_and_dev_destroy" {
  command = plan

  variables {
    bucket        = null
    bucket_prefix = "chat-test-artifacts-"
    force_destroy = true
  }

  assert {
    condition     = aws_s3_bucket.this.bucket_prefix == "chat-test-artifacts-" && aws_s3_bucket.this.force_destroy && output.force_destroy
    error_message = "The prefix and the dev destroy switch must reach the bucket."
  }
}

run "rejects_both_name_and_prefix" {
  command = plan

  variables {
    bucket_prefix = "chat-test-"
  }

  expect_failures = [var.bucket_prefix]
}

run "rejects_a_bucket_without_a_kms_key_or_a_reason" {
  command = plan

  variables {
    kms_key_arn = null
  }

  expect_failures = [var.sse_s3_for_log_delivery]
}

run "rejects_sse_s3_for_an_unknown_reason" {
  command = plan

  variables {
    kms_key_arn             = null
    sse_s3_for_log_delivery = "cheaper"
  }

  expect_failures = [var.sse_s3_for_log_delivery]
}

run "rejects_lifecycle_rules_that_never_abort_uploads" {
  command = plan

  variables {
    lifecycle_rules = [{ id = "expire", expiration_days = 30 }]
  }

  expect_failures = [var.lifecycle_rules]
}

run "rejects_expiration_days_with_delete_markers" {
  command = plan

  variables {
    lifecycle_rules = [{ id = "both", expiration_days = 30, expire_object_delete_markers = true, abort_incomplete_multipart_upload_days = 1 }]
  }

  expect_failures = [var.lifecycle_rules]
}

run "rejects_log_retention_with_lifecycle_rules" {
  command = plan

  variables {
    log_retention   = { days = 30 }
    lifecycle_rules = [{ id = "abort", abort_incomplete_multipart_upload_days = 1 }]
  }

  expect_failures = [var.log_retention]
}

run "rejects_a_malformed_acl_grantee" {
  command = plan

  variables {
    log_delivery_acl_grantees = ["awslogsdelivery"]
  }

  expect_failures = [var.log_delivery_acl_grantees]
}

run "rejects_a_log_delivery_grant_to_a_non_service_principal" {
  command = plan

  variables {
    log_delivery_grants = [{ sid = "Anyone", service = "*", key_prefix = "logs/" }]
  }

  expect_failures = [var.log_delivery_grants]
}

run "rejects_an_unknown_object_lock_mode" {
  command = plan

  variables {
    object_lock = { mode = "LEGAL_HOLD", days = 1 }
  }

  expect_failures = [var.object_lock]
}
