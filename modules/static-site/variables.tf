variable "name" {
  description = "Name prefix of every resource, such as `chat-prod`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  description = "Tags added to every resource that supports them."
  type        = map(string)
  default     = {}
}

variable "domain_name" {
  description = "Host name the web client is served on, such as `chat.example.com`; the site's origin is `https://<domain_name>`."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name such as chat.example.com."
  }
}

variable "additional_aliases" {
  description = "Further host names the distribution answers to (each must be covered by the certificate)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.additional_aliases : can(regex("^([a-z0-9*]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", a))])
    error_message = "additional_aliases must be lower-case DNS names."
  }
}

variable "api_origin_domain_name" {
  description = "The name CloudFront presents to the internal ALB through the VPC origin, such as `api.chat.example.com` (Host header and TLS server name): the ALB's certificate must cover it. No public DNS record points at the ALB."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.api_origin_domain_name))
    error_message = "api_origin_domain_name must be a lower-case DNS name."
  }
}

variable "api_vpc_origin_id" {
  description = "CloudFront VPC origin of the internal ALB (alb module output vpc_origin_id): the only way the API is reached."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{4,64}$", var.api_vpc_origin_id))
    error_message = "api_vpc_origin_id must be a CloudFront VPC origin id."
  }
}

variable "api_origin_read_timeout" {
  description = "Seconds CloudFront waits for the ALB to answer an API or long-polling request. Socket.IO's long-polling holds a request up to its ping interval (25 s); values above 60 need a CloudFront quota increase."
  type        = number
  default     = 60

  validation {
    condition     = var.api_origin_read_timeout >= 30 && var.api_origin_read_timeout <= 180
    error_message = "api_origin_read_timeout must be between 30 and 180 seconds (Socket.IO long-polling needs at least 30)."
  }
}

variable "acm_certificate_arn" {
  description = "ARN of an existing ACM certificate in us-east-1 covering `domain_name` (and the aliases). Default: the module requests one, validated by DNS in `hosted_zone_id`."
  type        = string
  default     = null

  validation {
    condition     = var.acm_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[a-f0-9-]+$", var.acm_certificate_arn))
    error_message = "acm_certificate_arn must be an ACM certificate ARN in us-east-1: CloudFront accepts no other region."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone holding `domain_name`, used to validate the certificate the module requests. Required unless `acm_certificate_arn` is given."
  type        = string
  default     = null

  validation {
    condition     = var.hosted_zone_id != null || var.acm_certificate_arn != null
    error_message = "hosted_zone_id is required when no acm_certificate_arn is given: the module validates its certificate through DNS."
  }

  validation {
    condition     = var.hosted_zone_id == null || can(regex("^Z[A-Z0-9]{1,31}$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ."
  }
}

variable "web_acl_arn" {
  description = "ARN of the CLOUDFRONT-scope WAFv2 web ACL (the waf module in us-east-1) protecting the distribution."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/[A-Za-z0-9_-]+/[a-f0-9-]+$", var.web_acl_arn))
    error_message = "web_acl_arn must be the ARN of a CLOUDFRONT-scope (global) WAFv2 web ACL, arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>."
  }
}

variable "price_class" {
  description = "CloudFront price class. `PriceClass_100` (North America and Europe edges) is the dev cost saver."
  type        = string
  default     = "PriceClass_All"

  validation {
    condition     = contains(["PriceClass_All", "PriceClass_200", "PriceClass_100"], var.price_class)
    error_message = "price_class must be PriceClass_All, PriceClass_200 or PriceClass_100."
  }
}

variable "csp_extra_sources" {
  description = "Origins added to the Content-Security-Policy's connect-src, img-src, media-src and form-action: the media bucket's `upload_origins`, so presigned uploads and downloads work."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.csp_extra_sources : can(regex("^https://[a-z0-9.-]+(:[0-9]{1,5})?$", s))])
    error_message = "csp_extra_sources must be https origins (scheme://host[:port]) without paths."
  }
}

variable "content_security_policy" {
  description = "Replaces the whole Content-Security-Policy header. Default: a strict policy built from `domain_name` and `csp_extra_sources`."
  type        = string
  default     = null

  validation {
    condition     = var.content_security_policy == null || (length(coalesce(var.content_security_policy, "x")) <= 1783 && !strcontains(coalesce(var.content_security_policy, ""), "'unsafe-eval'"))
    error_message = "content_security_policy must be at most 1783 characters (CloudFront's limit) and must not allow 'unsafe-eval'."
  }
}

variable "log_retention_days" {
  description = "Days the access-log bucket keeps CloudFront's access logs."
  type        = number
  default     = 365

  validation {
    condition     = var.log_retention_days >= 1 && floor(var.log_retention_days) == var.log_retention_days
    error_message = "log_retention_days must be a whole number of days, at least 1."
  }
}

variable "force_destroy" {
  description = "Dev switch: let `terraform destroy` delete the site and log buckets with their objects."
  type        = bool
  default     = false
}

variable "kms_key_deletion_window_days" {
  description = "Waiting period before the module's KMS key is deleted after it leaves the configuration."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30
    error_message = "kms_key_deletion_window_days must be between 7 and 30."
  }
}
