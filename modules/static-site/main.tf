data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

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
# Web client bucket: private, read by CloudFront through OAC only. Every read goes through
# CloudFront, whose access logs record it (writes are deployments, recorded by CloudTrail), so
# the bucket has no S3 access logging of its own.
# ---------------------------------------------------------------------------
module "site" {
  source = "../private-bucket"

  bucket           = local.site_bucket_name
  force_destroy    = var.force_destroy
  tags             = local.tags
  kms_key_arn      = module.key.arn
  policy_documents = [data.aws_iam_policy_document.site.json]

  # Earlier builds stay a month for a quick rollback, then go.
  lifecycle_rules = [{
    id                                     = "expire-previous-builds"
    noncurrent_version_expiration_days     = 30
    abort_incomplete_multipart_upload_days = 7
  }]
}

data "aws_iam_policy_document" "site" {
  statement {
    sid       = "CloudFrontReadsThroughOac"
    actions   = ["s3:GetObject"]
    resources = ["${module.site.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.site.arn]
    }
  }
}

# ---------------------------------------------------------------------------
# Access-log bucket, the log target itself (no access logging of its own). CloudFront
# standard logs are written through a bucket ACL grant to the awslogsdelivery account, so
# this bucket (alone) keeps ACLs enabled.
# ---------------------------------------------------------------------------
module "logs" {
  source = "../private-bucket"

  bucket                    = local.log_bucket_name
  force_destroy             = var.force_destroy
  tags                      = merge(local.tags, { Name = "${var.name}-web-logs" })
  kms_key_arn               = module.key.arn
  log_delivery_acl_grantees = [local.cloudfront_log_delivery_canonical_id]

  log_retention = { days = var.log_retention_days }
}

# Addresses of the resources before modules/private-bucket: an existing deployment keeps its
# buckets and their settings.
moved {
  from = aws_s3_bucket.site
  to   = module.site.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.site
  to   = module.site.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.site
  to   = module.site.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.site
  to   = module.site.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.site
  to   = module.site.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.site
  to   = module.site.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.site
  to   = module.site.aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket.logs
  to   = module.logs.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_ownership_controls.logs
  to   = module.logs.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_acl.logs
  to   = module.logs.aws_s3_bucket_acl.this[0]
}

moved {
  from = aws_s3_bucket_public_access_block.logs
  to   = module.logs.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.logs
  to   = module.logs.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.logs
  to   = module.logs.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.logs
  to   = module.logs.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.logs
  to   = module.logs.aws_s3_bucket_policy.this
}

# What the role that publishes the web client needs (output deploy_policy_json): write the
# bucket through its key and invalidate the distribution.
data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "ListTheWebClientBucket"
    actions   = ["s3:ListBucket"]
    resources = [module.site.arn]
  }

  statement {
    sid       = "PublishTheWebClient"
    actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    resources = ["${module.site.arn}/*"]
  }

  statement {
    sid       = "UseTheBucketKeyThroughS3"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.key.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "InvalidateTheDistribution"
    actions   = ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"]
    resources = [aws_cloudfront_distribution.site.arn]
  }
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
    domain_name              = module.site.bucket_regional_domain_name
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

  # The logs module gives its domain name once the ACL grant to awslogsdelivery is in place.
  logging_config {
    bucket          = module.logs.bucket_domain_name
    prefix          = "cloudfront/"
    include_cookies = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }
}
