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

variable "scope" {
  description = "Where the web ACL attaches: `CLOUDFRONT` (created in us-east-1: pass a us-east-1 provider) or `REGIONAL` (ALB)."
  type        = string
  default     = "REGIONAL"

  validation {
    condition     = contains(["REGIONAL", "CLOUDFRONT"], var.scope)
    error_message = "scope must be REGIONAL or CLOUDFRONT."
  }
}

variable "rate_limit" {
  description = "Requests one client IP may send in `rate_limit_window_seconds` before the rate-based rule blocks it."
  type        = number
  default     = 2000

  validation {
    # AWS WAF accepts 10 to 2,000,000,000 requests per evaluation window.
    condition     = var.rate_limit >= 10 && var.rate_limit <= 2000000000 && floor(var.rate_limit) == var.rate_limit
    error_message = "rate_limit must be a whole number between 10 and 2000000000."
  }
}

variable "auth_rate_limit" {
  description = "Requests one client IP may send to /api/login and /api/register in `rate_limit_window_seconds` before WAF blocks it: a credential-stuffing brake at the edge, in front of the service's own AUTH_RATE_LIMIT. null removes the rule."
  type        = number
  default     = 100

  validation {
    condition     = var.auth_rate_limit == null || (try(var.auth_rate_limit >= 10 && var.auth_rate_limit <= 2000000000 && floor(var.auth_rate_limit) == var.auth_rate_limit, false))
    error_message = "auth_rate_limit must be null or a whole number between 10 and 2000000000."
  }
}

variable "rate_limit_window_seconds" {
  description = "Evaluation window of the rate-based rule, in seconds."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 120, 300, 600], var.rate_limit_window_seconds)
    error_message = "rate_limit_window_seconds must be one of 60, 120, 300 or 600."
  }
}

variable "rate_limit_aggregate_key" {
  description = "How the rate-based rules identify a client: `IP` (the connection's source address; right for CLOUDFRONT scope and for an ALB reached directly), `FORWARDED_IP` (the first address of X-Forwarded-For, which clients can forge: only for a proxy that replaces the header) or `NONE` (no rate-based rule: a regional ACL behind CloudFront's VPC origin sees only CloudFront's addresses, and the CLOUDFRONT ACL is the per-client limit)."
  type        = string
  default     = "IP"

  validation {
    condition     = contains(["IP", "FORWARDED_IP", "NONE"], var.rate_limit_aggregate_key)
    error_message = "rate_limit_aggregate_key must be IP, FORWARDED_IP or NONE."
  }
}

variable "rule_action_overrides" {
  description = "Rules of the AWS managed rule groups switched from their own action to COUNT, by rule group name. The defaults keep chat traffic working: Socket.IO long-polling batches message bodies above 8 KB and users legitimately type markup in messages (the service stores and renders bodies as text), and Route 53 health checkers come from hosting-provider addresses."
  type        = map(list(string))
  default = {
    AWSManagedRulesCommonRuleSet   = ["SizeRestrictions_BODY", "CrossSiteScripting_BODY"]
    AWSManagedRulesAnonymousIpList = ["HostingProviderIPList"]
  }

  validation {
    condition = alltrue([for group in keys(var.rule_action_overrides) : contains([
      "AWSManagedRulesCommonRuleSet",
      "AWSManagedRulesKnownBadInputsRuleSet",
      "AWSManagedRulesAmazonIpReputationList",
      "AWSManagedRulesAnonymousIpList",
    ], group)])
    error_message = "rule_action_overrides keys must name one of the module's managed rule groups: AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet, AWSManagedRulesAmazonIpReputationList, AWSManagedRulesAnonymousIpList."
  }
}

variable "redacted_headers" {
  description = "Request headers replaced by REDACTED in the WAF logs. Must include `authorization`, which carries the users' bearer tokens."
  type        = list(string)
  default     = ["authorization"]

  validation {
    condition     = contains([for h in var.redacted_headers : lower(h)], "authorization")
    error_message = "redacted_headers must include authorization: bearer tokens must never reach the logs."
  }

  validation {
    # AWS WAF accepts at most 100 redacted fields.
    condition     = length(var.redacted_headers) <= 100 && alltrue([for h in var.redacted_headers : can(regex("^[A-Za-z0-9-]+$", h))])
    error_message = "redacted_headers must be at most 100 header names made of letters, digits and hyphens."
  }
}

variable "log_retention_days" {
  description = "Days the WAF log group keeps its events."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "log_blocked_and_counted_only" {
  description = "Cost saver: log only requests a rule blocked or counted, and drop plain allowed traffic from the logs."
  type        = bool
  default     = false
}

variable "kms_key_deletion_window_days" {
  description = "Waiting period before the log group's KMS key is deleted after it leaves the configuration."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30
    error_message = "kms_key_deletion_window_days must be between 7 and 30."
  }
}
