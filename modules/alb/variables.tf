variable "name" {
  description = "Prefix for every resource name, such as chat-prod: lower-case letters, digits and hyphens (at most 24 characters, so the ALB and target group names fit AWS's 32)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

variable "vpc_id" {
  description = "VPC of the target group (network module output vpc_id)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Private subnets the internal ALB spans, at least two AZs (network module output private_subnet_ids). The ALB has no public address: CloudFront reaches it through the VPC origin this module creates."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "subnet_ids needs at least two subnet IDs (subnet-...)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the ALB (security-groups module output alb_security_group_id)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) >= 1 && alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))])
    error_message = "security_group_ids needs at least one security group ID (sg-...)."
  }
}

variable "certificate_arn" {
  description = "ARN of an issued ACM certificate in the ALB's region for the HTTPS listener. Leave null to have the module request one for domain_name, validated through DNS in route53_zone_id."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)."
  }
}

variable "domain_name" {
  description = "Name the module requests a certificate for (such as api.chat.example.com) when certificate_arn is null."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name such as api.chat.example.com."
  }
}

variable "subject_alternative_names" {
  description = "More names on the requested certificate (only with domain_name)."
  type        = list(string)
  default     = []
}

variable "route53_zone_id" {
  description = "Public hosted zone that proves ownership of domain_name (DNS validation records go there)."
  type        = string
  default     = null

  validation {
    condition     = (var.certificate_arn != null) != (var.domain_name != null && var.route53_zone_id != null)
    error_message = "Give either certificate_arn, or domain_name together with route53_zone_id; not both, not neither."
  }
}

variable "ssl_policy" {
  description = "TLS security policy of the HTTPS listener: one of the TLS 1.3 policies."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = startswith(var.ssl_policy, "ELBSecurityPolicy-TLS13-")
    error_message = "ssl_policy must be a TLS 1.3 policy (ELBSecurityPolicy-TLS13-...)."
  }
}

variable "idle_timeout" {
  description = "Seconds an idle connection stays open. WebSockets carry Socket.IO pings every 25 s, but proxies and mobile networks stall longer: at least 120."
  type        = number
  default     = 300

  validation {
    condition     = var.idle_timeout >= 120 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be from 120 to 4000 seconds."
  }
}

variable "app_port" {
  description = "Port the chat service listens on in the instances."
  type        = number
  default     = 8000

  validation {
    condition     = var.app_port >= 1024 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a whole number from 1024 to 65535."
  }
}

variable "health_check_path" {
  description = "Path the target group probes; the chat service answers 200 on /healthz while the process runs."
  type        = string
  default     = "/healthz"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with '/'."
  }
}

variable "stickiness_duration" {
  description = "Seconds the lb_cookie keeps a client on one instance. Socket.IO's long-polling fallback needs every request of a session on the same process."
  type        = number
  default     = 86400

  validation {
    condition     = var.stickiness_duration >= 1 && var.stickiness_duration <= 604800
    error_message = "stickiness_duration must be from 1 to 604800 seconds."
  }
}

variable "deregistration_delay" {
  description = "Seconds a draining instance keeps its connections. Clients reconnect and re-join with `since`, so nothing is lost when this is short."
  type        = number
  default     = 60

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600
    error_message = "deregistration_delay must be from 0 to 3600 seconds."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the ALB (production). Dev turns it off so a stack can be torn down."
  type        = bool
  default     = true
}

variable "access_logs_retention_days" {
  description = "Days the ALB access logs are kept before they expire."
  type        = number
  default     = 365

  validation {
    condition     = var.access_logs_retention_days >= 1 && var.access_logs_retention_days <= 3650
    error_message = "access_logs_retention_days must be from 1 to 3650."
  }
}

variable "access_logs_force_destroy" {
  description = "Let Terraform delete the access-log bucket with its objects (dev only)."
  type        = bool
  default     = false
}

variable "associate_waf" {
  description = "Associate the regional WAF web ACL given in waf_web_acl_arn with the ALB."
  type        = bool
  default     = true
}

variable "waf_web_acl_arn" {
  description = "ARN of a REGIONAL WAFv2 web ACL (waf module output) to attach when associate_waf is true."
  type        = string
  default     = null

  validation {
    condition     = var.waf_web_acl_arn == null || can(regex("^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/.+$", var.waf_web_acl_arn))
    error_message = "waf_web_acl_arn must be a REGIONAL WAFv2 web ACL ARN (arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID)."
  }

  validation {
    condition     = !var.associate_waf || var.waf_web_acl_arn != null
    error_message = "associate_waf is true, so waf_web_acl_arn must be given (set associate_waf = false to run without WAF)."
  }
}

variable "legacy_elb_log_delivery" {
  description = "Also let the region's Elastic Load Balancing account write access logs: needed in regions opened before August 2022 (us-east-1, eu-west-1, ...). Set false in newer regions, where only the log delivery service writes and the provider knows no such account."
  type        = bool
  default     = true
}
