mock_provider "aws" {
  # Computed values (bucket and key ARNs) are known at plan, so plan-only runs can compare them.
  override_during = plan

  mock_data "aws_region" {
    defaults = {
      region = "eu-west-1"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::chat-prod-media-111122223333-eu-west-1"
      id  = "chat-prod-media-111122223333-eu-west-1"
    }
  }
}

variables {
  name                 = "chat-prod"
  cors_allowed_origins = ["https://chat.example.com"]
}

run "private_kms_encrypted_and_versioned" {
  command = plan

  assert {
    condition     = module.media.id == "chat-prod-media-111122223333-eu-west-1"
    error_message = "the bucket name must carry the account and region to be unique"
  }
  assert {
    condition     = module.media.public_access_blocked
    error_message = "all public access must be blocked"
  }
  assert {
    condition     = module.media.object_ownership == "BucketOwnerEnforced"
    error_message = "Object Ownership must be enforced (ACLs disabled)"
  }
  assert {
    condition     = module.media.sse_algorithm == "aws:kms"
    error_message = "uploads must be encrypted with KMS"
  }
  assert {
    condition     = module.media.kms_key_arn == module.key[0].arn
    error_message = "the default encryption must use the module's key"
  }
  assert {
    condition     = module.key[0].rotation_enabled
    error_message = "the KMS key must rotate"
  }
  assert {
    condition     = module.media.versioning_status == "Enabled"
    error_message = "versioning must be on"
  }
  assert {
    condition     = module.media.force_destroy == false
    error_message = "production default: destroy must never delete uploads"
  }
}

run "bucket_policy_refuses_plain_http_and_old_tls" {
  command = plan

  assert {
    condition = toset(one([for s in module.media.policy_statements : s.resources
      if s.effect == "Deny" && contains([for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"], "Bool aws:SecureTransport false")
    ])) == toset(["arn:aws:s3:::chat-prod-media-111122223333-eu-west-1", "arn:aws:s3:::chat-prod-media-111122223333-eu-west-1/*"])
    error_message = "requests without TLS must be denied on the bucket and its objects"
  }
  assert {
    condition = length([for s in module.media.policy_statements : s
    if s.effect == "Deny" && contains([for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"], "NumericLessThan s3:TlsVersion 1.2")]) == 1
    error_message = "TLS older than 1.2 must be denied"
  }
  assert {
    condition     = alltrue([for s in module.media.policy_statements : s.effect == "Deny"])
    error_message = "the bucket policy must grant nothing: access comes from IAM policies only"
  }
  assert {
    condition = one([for s in module.media.policy_statements : join(",", flatten([for c in s.condition : c.values if c.test == "StringNotEquals"]))
    if s.sid == "DenyOtherKmsKeys"]) == module.key[0].arn
    error_message = "uploads naming another KMS key must be refused"
  }
}

run "cors_allows_the_site_origin_only" {
  command = plan

  assert {
    condition     = toset(aws_s3_bucket_cors_configuration.media.cors_rule[0].allowed_origins) == toset(["https://chat.example.com"])
    error_message = "CORS must allow exactly the site's origin"
  }
  assert {
    condition     = length(aws_s3_bucket_cors_configuration.media.cors_rule) == 1
    error_message = "one CORS rule only"
  }
  assert {
    condition     = toset(aws_s3_bucket_cors_configuration.media.cors_rule[0].allowed_methods) == toset(["GET", "HEAD", "POST"])
    error_message = "CORS must allow presigned POST uploads and reads, and no PUT or DELETE"
  }
}

run "lifecycle_cleans_noncurrent_versions_and_multipart_uploads" {
  command = plan

  variables {
    noncurrent_version_expiration_days     = 30
    abort_incomplete_multipart_upload_days = 3
  }

  assert {
    condition = one([for r in module.media.lifecycle_rules : r.noncurrent_version_expiration[0].noncurrent_days
    if r.id == "expire-noncurrent-versions"]) == 30
    error_message = "noncurrent versions must expire after the configured days"
  }
  assert {
    condition = one([for r in module.media.lifecycle_rules : r.abort_incomplete_multipart_upload[0].days_after_initiation
    if r.id == "abort-incomplete-multipart-uploads"]) == 3
    error_message = "incomplete multipart uploads must be aborted after the configured days"
  }
  assert {
    condition     = alltrue([for r in module.media.lifecycle_rules : r.status == "Enabled"])
    error_message = "every lifecycle rule must be enabled"
  }
}

run "access_logs_go_to_a_private_log_bucket" {
  command = plan

  assert {
    condition     = module.media.access_log_target.target_bucket == module.access_logs[0].id && module.media.access_log_target.target_prefix == "s3/chat-prod-media-111122223333-eu-west-1/"
    error_message = "access logs must go to the module's log bucket under s3/<media bucket>/"
  }
  assert {
    condition     = module.access_logs[0].public_access_blocked && module.access_logs[0].object_ownership == "BucketOwnerEnforced"
    error_message = "the log bucket must block public access, with ACLs disabled"
  }
  assert {
    # S3 server access logging refuses SSE-KMS targets.
    condition     = module.access_logs[0].sse_algorithm == "AES256"
    error_message = "the log bucket must be encrypted with SSE-S3"
  }
  assert {
    condition     = one([for r in module.access_logs[0].lifecycle_rules : r.expiration[0].days if r.id == "expire-access-logs"]) == 365
    error_message = "access logs expire after the retention period"
  }
  assert {
    condition = [for s in module.access_logs[0].policy_statements : join(",", flatten([for c in s.condition : c.values if c.variable == "aws:SourceArn"]))
    if s.effect == "Allow"] == ["arn:aws:s3:::chat-prod-media-111122223333-eu-west-1"]
    error_message = "only the media bucket may deliver logs"
  }
  assert {
    condition     = [for s in module.access_logs[0].policy_statements : s.sid if s.effect == "Deny"] == ["DenyInsecureTransport", "DenyTlsOlderThan12"]
    error_message = "the log bucket must refuse requests without TLS 1.2"
  }
}

run "the_log_bucket_admits_the_named_buckets_under_their_own_prefix" {
  command = plan

  variables {
    log_source_bucket_prefixes = ["chat-prod-artifacts-"]
  }

  assert {
    condition = [for s in module.access_logs[0].policy_statements :
      "${one(s.resources)} ${one([for c in s.condition : one(c.values) if c.variable == "aws:SourceArn"])} ${one([for c in s.condition : one(c.values) if c.variable == "aws:SourceAccount"])}"
    if s.sid == "S3ServerAccessLogsFromOtherBuckets0"] == ["${module.access_logs[0].arn}/s3/chat-prod-artifacts-* arn:aws:s3:::chat-prod-artifacts-* 111122223333"]
    error_message = "another bucket of the account may write only under s3/<its name>/"
  }
}

run "app_policy_is_least_privilege" {
  command = plan

  assert {
    condition     = toset(flatten([for s in data.aws_iam_policy_document.app_access.statement : s.actions])) == toset(["s3:DeleteObject", "s3:GetObject", "s3:PutObject", "kms:Decrypt", "kms:GenerateDataKey"])
    error_message = "the app gets object read/write/delete and the key, nothing more"
  }
  assert {
    condition     = toset(one([for s in data.aws_iam_policy_document.app_access.statement : s.resources if s.sid == "MediaObjects"])) == toset(["arn:aws:s3:::chat-prod-media-111122223333-eu-west-1/*"])
    error_message = "object access must be limited to the media bucket"
  }
  assert {
    condition     = one([for s in data.aws_iam_policy_document.app_access.statement : "${one(s.condition).test} ${one(s.condition).variable} ${join(",", one(s.condition).values)}" if s.sid == "MediaKeyThroughS3"]) == "StringEquals kms:ViaService s3.eu-west-1.amazonaws.com"
    error_message = "the key must be usable through S3 only"
  }
  assert {
    condition     = output.upload_origins[0] == "https://chat-prod-media-111122223333-eu-west-1.s3.amazonaws.com"
    error_message = "the upload origin must name the bucket's endpoint"
  }
  assert {
    condition     = output.app_access_policy_json == data.aws_iam_policy_document.app_access.json
    error_message = "the app policy output is the policy document"
  }
}

run "existing_key_and_log_bucket" {
  command = plan

  variables {
    kms_key_arn       = "arn:aws:kms:eu-west-1:111122223333:key/99999999-2222-3333-4444-555555555555"
    access_log_bucket = "org-s3-access-logs"
    force_destroy     = true
  }

  assert {
    condition     = length(module.key) == 0 && length(module.access_logs) == 0
    error_message = "no key or log bucket is created when they are given"
  }
  assert {
    condition     = module.media.kms_key_arn == "arn:aws:kms:eu-west-1:111122223333:key/99999999-2222-3333-4444-555555555555"
    error_message = "the given key must encrypt the bucket"
  }
  assert {
    condition     = module.media.access_log_target.target_bucket == "org-s3-access-logs"
    error_message = "logs must go to the given bucket"
  }
  assert {
    condition     = module.media.force_destroy
    error_message = "the dev switch must allow destroying the bucket"
  }
}

run "rejects_a_wildcard_origin" {
  command = plan

  variables {
    cors_allowed_origins = ["*"]
  }

  expect_failures = [var.cors_allowed_origins]
}

run "rejects_plain_http_origins_and_paths" {
  command = plan

  variables {
    cors_allowed_origins = ["http://chat.example.com", "https://chat.example.com/app/"]
  }

  expect_failures = [var.cors_allowed_origins]
}

run "rejects_a_malformed_key_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/chat"
  }

  expect_failures = [var.kms_key_arn]
}
