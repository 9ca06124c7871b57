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

variable "hosted_zone_id" {
  description = "Route 53 hosted zone that holds the site and API names."
  type        = string

  validation {
    condition     = can(regex("^Z[A-Z0-9]{1,31}$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ."
  }
}

# --- site (CloudFront) -------------------------------------------------------

variable "site_domain_name" {
  description = "Name of the web client, such as `chat.example.com`, aliased to the CloudFront distribution."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.site_domain_name))
    error_message = "site_domain_name must be a lower-case DNS name."
  }
}

variable "cloudfront_domain_name" {
  description = "Domain name of the distribution (static-site `distribution_domain_name`, `dxxxx.cloudfront.net`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+\\.cloudfront\\.net$", var.cloudfront_domain_name))
    error_message = "cloudfront_domain_name must be a distribution domain such as d111111abcdef8.cloudfront.net."
  }
}

variable "cloudfront_hosted_zone_id" {
  description = "Route 53 zone id of CloudFront alias targets (static-site `distribution_hosted_zone_id`); the same fixed id everywhere."
  type        = string
  default     = "Z2FDTNDATAQYW2"

  validation {
    condition     = var.cloudfront_hosted_zone_id == "Z2FDTNDATAQYW2"
    error_message = "cloudfront_hosted_zone_id must be Z2FDTNDATAQYW2, the zone of every CloudFront alias target."
  }
}

# --- health checks -----------------------------------------------------------

variable "health_check_path" {
  description = "Path the health checks request; the chat service answers 200 on /healthz while its process runs (static-site routes /healthz to the ALB)."
  type        = string
  default     = "/healthz"

  validation {
    condition     = can(regex("^/[A-Za-z0-9/._-]*$", var.health_check_path)) && length(var.health_check_path) <= 255
    error_message = "health_check_path must be an absolute path such as /healthz."
  }
}

variable "health_check_interval_seconds" {
  description = "Seconds between two checks from each checker: 30 (standard) or 10 (fast, costs more)."
  type        = number
  default     = 30

  validation {
    condition     = contains([10, 30], var.health_check_interval_seconds)
    error_message = "health_check_interval_seconds must be 10 or 30."
  }
}

variable "health_check_failure_threshold" {
  description = "Consecutive failures before a target counts as unhealthy."
  type        = number
  default     = 3

  validation {
    condition     = var.health_check_failure_threshold >= 1 && var.health_check_failure_threshold <= 10 && floor(var.health_check_failure_threshold) == var.health_check_failure_threshold
    error_message = "health_check_failure_threshold must be a whole number from 1 to 10."
  }
}

variable "health_check_regions" {
  description = "Regions the Route 53 checkers run from (at least 3). Empty: Route 53's default set."
  type        = list(string)
  default     = []

  validation {
    condition = length(var.health_check_regions) == 0 || (length(var.health_check_regions) >= 3 && alltrue([for r in var.health_check_regions : contains([
      "us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1",
    ], r)]))
    error_message = "health_check_regions must be empty or list at least 3 of: us-east-1, us-west-1, us-west-2, eu-west-1, ap-southeast-1, ap-southeast-2, ap-northeast-1, sa-east-1."
  }
}
