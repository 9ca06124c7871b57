data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_canonical_user_id" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  site_origin        = "https://${var.domain_name}"
  aliases            = concat([var.domain_name], var.additional_aliases)
  create_certificate = var.acm_certificate_arn == null
  certificate_arn    = local.create_certificate ? aws_acm_certificate_validation.site[0].certificate_arn : var.acm_certificate_arn

  site_bucket_name = "${var.name}-web-${local.account_id}-${local.region}"
  log_bucket_name  = "${var.name}-web-logs-${local.account_id}-${local.region}"

  s3_origin_id      = "web-client"
  api_origin_id     = "chat-api"
  api_path_patterns = ["/api/*", "/socket.io/*", "/healthz"]

  # AWS managed policies (global ids, documented by CloudFront).
  cache_policy_caching_optimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  cache_policy_caching_disabled  = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  # Every viewer header (Authorization, the Sec-WebSocket-* upgrade headers, Origin), cookie
  # (the ALB's stickiness cookie) and query string (Socket.IO's sid and transport), except Host:
  # the ALB's certificate covers the origin name, not the site name.
  origin_request_policy_all_viewer_except_host = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

  # The awslogsdelivery account that writes CloudFront standard logs (CloudFront docs).
  cloudfront_log_delivery_canonical_id = "c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0"

  extra_sources = join("", [for s in var.csp_extra_sources : " ${s}"])
  default_csp = join("; ", [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:${local.extra_sources}",
    "media-src 'self' blob:${local.extra_sources}",
    "connect-src 'self' wss://${var.domain_name}${local.extra_sources}",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'${local.extra_sources}",
    "frame-ancestors 'none'",
    "upgrade-insecure-requests",
  ])
  content_security_policy = coalesce(var.content_security_policy, local.default_csp)

  tags = merge(var.tags, { Name = "${var.name}-web" })
}

# ---------------------------------------------------------------------------
# Encryption key of the site and log buckets
# ---------------------------------------------------------------------------
module "key" {
  source = "../kms-key"

  alias                   = "${var.name}-web"
  description             = "${var.name} web client bucket and CloudFront access logs"
  deletion_window_in_days = var.kms_key_deletion_window_days
  service_grants = [
    {
      # OAC signs requests as CloudFront; it must decrypt the objects it reads, for this distribution only.
      sid        = "CloudFrontReadsTheSiteThroughOac"
      services   = ["cloudfront.amazonaws.com"]
      actions    = ["kms:Decrypt"]
      conditions = [{ test = "StringEquals", variable = "AWS:SourceArn", values = [aws_cloudfront_distribution.site.arn] }]
    },
    {
      # CloudFront's access logs are written by the log delivery service, for this account only.
      sid        = "CloudFrontWritesEncryptedAccessLogs"
      services   = ["delivery.logs.amazonaws.com"]
      actions    = ["kms:GenerateDataKey"]
      conditions = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [local.account_id] }]
    },
  ]
  tags = local.tags
}

moved {
  from = aws_kms_key.site
  to   = module.key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.site
  to   = module.key.aws_kms_alias.this
}

# ---------------------------------------------------------------------------
# Web client bucket: private, read by CloudFront through OAC only
# ---------------------------------------------------------------------------
resource "aws_s3_bucket" "site" {
  #checkov:skip=CKV_AWS_18:Every read goes through CloudFront, whose access logs record it; writes are deployments, recorded by CloudTrail.
  #checkov:skip=CKV_AWS_144:The bucket holds build output that the deployment pipeline can publish again; replication adds nothing.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to web client uploads; deployments invalidate CloudFront themselves.
  bucket        = local.site_bucket_name
  force_destroy = var.force_destroy
  tags          = local.tags
}

resource "aws_s3_bucket_ownership_controls" "site" {
  bucket = aws_s3_bucket.site.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket = aws_s3_bucket.site.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "site" {
  bucket = aws_s3_bucket.site.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "site" {
  bucket = aws_s3_bucket.site.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.key.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "site" {
  bucket = aws_s3_bucket.site.id

  # Earlier builds stay a month for a quick rollback, then go.
  rule {
    id     = "expire-previous-builds"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.site]
}

resource "aws_s3_bucket_policy" "site" {
  bucket = aws_s3_bucket.site.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.site.arn, "${aws_s3_bucket.site.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "CloudFrontReadsThroughOac"
        Effect    = "Allow"
        Principal = { Service = "cloudfront.amazonaws.com" }
        Action    = "s3:GetObject"
        Resource  = "${aws_s3_bucket.site.arn}/*"
        Condition = { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.site.arn } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.site]
}

# ---------------------------------------------------------------------------
# Access-log bucket. CloudFront standard logs are written through a bucket ACL grant to the
# awslogsdelivery account, so this bucket (alone) keeps ACLs enabled.
# ---------------------------------------------------------------------------
resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log bucket itself; logging it to itself would loop.
  #checkov:skip=CKV_AWS_144:Access logs are audit data kept for a bounded time in the account's region; replication is not required.
  #checkov:skip=CKV2_AWS_62:No consumer needs events for log delivery objects.
  #checkov:skip=CKV2_AWS_65:CloudFront standard logging delivers through an ACL grant to the awslogsdelivery account; it cannot write to a bucket with ACLs disabled.
  bucket        = local.log_bucket_name
  force_destroy = var.force_destroy
  tags          = merge(local.tags, { Name = "${var.name}-web-logs" })
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  #checkov:skip=CKV2_AWS_65:CloudFront standard logging delivers through an ACL grant to the awslogsdelivery account; it cannot write to a bucket with ACLs disabled.
  bucket = aws_s3_bucket.logs.id

  rule {
    object_ownership = "BucketOwnerPreferred"
  }
}

resource "aws_s3_bucket_acl" "logs" {
  bucket = aws_s3_bucket.logs.id

  access_control_policy {
    owner {
      id = data.aws_canonical_user_id.current.id
    }

    grant {
      permission = "FULL_CONTROL"
      grantee {
        type = "CanonicalUser"
        id   = data.aws_canonical_user_id.current.id
      }
    }

    grant {
      permission = "FULL_CONTROL"
      grantee {
        type = "CanonicalUser"
        id   = local.cloudfront_log_delivery_canonical_id
      }
    }
  }

  depends_on = [aws_s3_bucket_ownership_controls.logs]
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket = aws_s3_bucket.logs.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.key.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.logs]
}

# ---------------------------------------------------------------------------
# Certificate (us-east-1, the only region CloudFront reads certificates from)
# ---------------------------------------------------------------------------
resource "aws_acm_certificate" "site" {
  count    = local.create_certificate ? 1 : 0
  provider = aws.us_east_1

  domain_name               = var.domain_name
  subject_alternative_names = var.additional_aliases
  validation_method         = "DNS"
  key_algorithm             = "RSA_2048"
  tags                      = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "certificate_validation" {
  # Keyed by the names asked for (known at plan), not by ACM's answer (known after apply).
  for_each = local.create_certificate ? toset(local.aliases) : toset([])

  zone_id         = var.hosted_zone_id
  name            = one([for o in aws_acm_certificate.site[0].domain_validation_options : o.resource_record_name if o.domain_name == each.key])
  type            = one([for o in aws_acm_certificate.site[0].domain_validation_options : o.resource_record_type if o.domain_name == each.key])
  records         = [one([for o in aws_acm_certificate.site[0].domain_validation_options : o.resource_record_value if o.domain_name == each.key])]
  ttl             = 300
  allow_overwrite = true # a name and its wildcard share one validation record
}

resource "aws_acm_certificate_validation" "site" {
  count    = local.create_certificate ? 1 : 0
  provider = aws.us_east_1

  certificate_arn         = aws_acm_certificate.site[0].arn
  validation_record_fqdns = [for r in aws_route53_record.certificate_validation : r.fqdn]
}

# ---------------------------------------------------------------------------
# CloudFront
# ---------------------------------------------------------------------------
resource "aws_cloudfront_origin_access_control" "site" {
  name                              = "${var.name}-web"
  description                       = "${var.name}: CloudFront reads the web client bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "security" {
  name    = "${var.name}-security-headers"
  comment = "${var.name}: HSTS, CSP, no framing, no sniffing"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }

    content_security_policy {
      content_security_policy = local.content_security_policy
      override                = true
    }

    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }

    xss_protection {
      protection = true
      mode_block = true
      override   = true
    }
  }

  custom_headers_config {
    items {
      header   = "Permissions-Policy"
      value    = "camera=(), microphone=(), geolocation=(), payment=()"
      override = true
    }
  }

  remove_headers_config {
    items {
      header = "Server"
    }
  }
}

resource "aws_cloudfront_distribution" "site" {
  #checkov:skip=CKV_AWS_310:The API origin is the ALB of one region; regional failover is Route 53's job (dns module), and an origin group cannot fail over POST or WebSocket requests.
  #checkov:skip=CKV2_AWS_47:The web ACL comes from the waf module, whose AWSManagedRulesKnownBadInputsRuleSet covers Log4j; checkov cannot follow an ARN input.
  #checkov:skip=CKV_AWS_374:Chat is offered worldwide; abuse is handled by the WAF rate limit and IP reputation rules, not by geography.
  enabled             = true
  comment             = "${var.name}: web client and chat API"
  aliases             = local.aliases
  default_root_object = "index.html"
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = var.price_class
  web_acl_id          = var.web_acl_arn
  tags                = local.tags

  origin {
    origin_id                = local.s3_origin_id
    domain_name              = aws_s3_bucket.site.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.site.id
  }

  origin {
    origin_id   = local.api_origin_id
    domain_name = var.api_origin_domain_name

    # The internal ALB through its VPC origin (alb module): CloudFront connects over HTTPS to
    # the interfaces it placed in the VPC and checks the ALB's certificate for this name; no
    # public address or DNS record exists to reach the ALB any other way.
    vpc_origin_config {
      vpc_origin_id            = var.api_vpc_origin_id
      origin_read_timeout      = var.api_origin_read_timeout
      origin_keepalive_timeout = 60
    }
  }

  default_cache_behavior {
    target_origin_id           = local.s3_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = local.cache_policy_caching_optimized
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  # The chat API, Socket.IO (WebSocket and long-polling) and the liveness probe go to the ALB
  # uncached; /healthz through CloudFront lets Route 53 check the whole path a user takes.
  dynamic "ordered_cache_behavior" {
    for_each = local.api_path_patterns
    content {
      path_pattern               = ordered_cache_behavior.value
      target_origin_id           = local.api_origin_id
      viewer_protocol_policy     = "https-only"
      allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
      cached_methods             = ["GET", "HEAD"]
      compress                   = true
      cache_policy_id            = local.cache_policy_caching_disabled
      origin_request_policy_id   = local.origin_request_policy_all_viewer_except_host
      response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
    }
  }

  viewer_certificate {
    acm_certificate_arn      = local.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  logging_config {
    bucket          = aws_s3_bucket.logs.bucket_domain_name
    prefix          = "cloudfront/"
    include_cookies = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  depends_on = [aws_s3_bucket_acl.logs]
}
