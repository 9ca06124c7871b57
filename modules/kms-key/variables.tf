variable "alias" {
  description = "Alias of the key without the alias/ prefix, e.g. chat-prod/app."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_-]{1,200}$", var.alias)) && !startswith(var.alias, "aws/") && !startswith(var.alias, "alias/")
    error_message = "alias must be letters, digits, '/', '_' and '-', without the alias/ prefix, and not under aws/."
  }
}

variable "description" {
  description = "What the key encrypts."
  type        = string
}

variable "log_group_arns" {
  description = "CloudWatch Logs log group ARNs (wildcards as in ArnLike) whose data CloudWatch Logs may encrypt with the key, through the logs service of this region only."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "service_grants" {
  description = "Further statements for AWS service principals: sid, the services (e.g. sns.amazonaws.com), the explicit kms: actions (no wildcards) and the conditions that narrow them (test, variable, values)."
  type = list(object({
    sid      = string
    services = list(string)
    actions  = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue(flatten([for g in var.service_grants : [for a in g.actions : startswith(a, "kms:") && !strcontains(a, "*")]]))
    error_message = "service_grants actions must be explicit kms: actions: no wildcards."
  }
  validation {
    condition     = alltrue([for g in var.service_grants : length(g.services) > 0 && length(g.actions) > 0 && can(regex("^[A-Za-z0-9]+$", g.sid))])
    error_message = "Each service grant needs an alphanumeric sid, at least one service and at least one action."
  }
}

variable "deletion_window_in_days" {
  description = "Days between scheduling the key's deletion and its deletion (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags of the key."
  type        = map(string)
  default     = {}
}
