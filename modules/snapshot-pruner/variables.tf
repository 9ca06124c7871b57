variable "name" {
  description = "Name prefix of every resource, such as `chat-prod`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod): the `Env` dimension of the pruner's metrics."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,15}$", var.environment))
    error_message = "env must be 2-16 lower-case letters and digits, such as dev, staging or prod."
  }
}

variable "tags" {
  description = "Tags added to every resource that supports them."
  type        = map(string)
  default     = {}
}

# --- what the router listens to ------------------------------------------------

# --- the retention policy ----------------------------------------------------------

variable "retention" {
  description = "Default retention policy, in the spirit of `restic forget`: keep the `last` N snapshots, the newest of each of the last N hours/days/ISO weeks/months/years, and all taken strictly after the newest one's time minus `within` (`30d`, `1y6m`, `12h`; `0` for none; months and years are calendar months and years, as restic counts them). A DB instance or cluster overrides any of these with its `retention_tag`."
  type = object({
    last    = optional(number, 3)
    hourly  = optional(number, 0)
    daily   = optional(number, 7)
    weekly  = optional(number, 4)
    monthly = optional(number, 12)
    yearly  = optional(number, 0)
    within  = optional(string, "0")
  })
  default = {}

  validation {
    condition = alltrue([for n in [var.retention.last, var.retention.hourly, var.retention.daily, var.retention.weekly, var.retention.monthly, var.retention.yearly] :
    n >= 0 && floor(n) == n]) && can(regex("^(0|([0-9]+[ymwdh])+)$", var.retention.within))
    error_message = "retention counts must be whole numbers >= 0 and within a duration such as 30d, 1y6m or 0."
  }
  validation {
    condition     = var.retention.last + var.retention.hourly + var.retention.daily + var.retention.weekly + var.retention.monthly + var.retention.yearly > 0 || var.retention.within != "0"
    error_message = "retention must keep something: set at least one count or a within duration."
  }
}

variable "retention_tag" {
  description = "Tag on a DB instance or cluster overriding the policy for its snapshots, e.g. `daily=14,monthly=24`. An unreadable value leaves that source's snapshots alone (and says so in the report)."
  type        = string
  default     = "snapshot-retention"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.:/=+@-]{1,128}$", var.retention_tag))
    error_message = "retention_tag must be a valid tag key."
  }
}

variable "keep_tag" {
  description = "A snapshot carrying this tag key (any value) is never deleted; the role's policy denies it too."
  type        = string
  default     = "keep"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.:/=+@-]{1,128}$", var.keep_tag))
    error_message = "keep_tag must be a valid tag key."
  }
}

variable "managed_tag" {
  description = "Only snapshots carrying this tag (key and value) are ever pruned; the role may delete no other. Tag the snapshots the pruner manages when creating them (`--tags Key=managed-by,Value=chat-snapshot-pruner`)."
  type = object({
    key   = optional(string, "managed-by")
    value = optional(string, "chat-snapshot-pruner")
  })
  default = {}

  validation {
    condition     = can(regex("^[A-Za-z0-9_.:/=+@-]{1,128}$", var.managed_tag.key)) && can(regex("^[A-Za-z0-9_.:/+@ -]{1,256}$", var.managed_tag.value)) && var.managed_tag.key != var.keep_tag
    error_message = "managed_tag must be a valid tag key and value, and its key must differ from keep_tag."
  }
}

variable "max_deletions_per_run" {
  description = "At most this many snapshots are deleted per run, the oldest first; the rest wait for the next run."
  type        = number
  default     = 50

  validation {
    condition     = var.max_deletions_per_run >= 0 && var.max_deletions_per_run <= 1000 && floor(var.max_deletions_per_run) == var.max_deletions_per_run
    error_message = "max_deletions_per_run must be a whole number 0-1000."
  }
}

variable "dry_run" {
  description = "Report what would be deleted and delete nothing (a first week in a new account, for instance)."
  type        = bool
  default     = false
}

variable "schedule_expression" {
  description = "When the pruner runs (EventBridge schedule expression, UTC)."
  type        = string
  default     = "cron(30 3 * * ? *)"

  validation {
    condition     = can(regex("^(cron\\(.+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$", var.schedule_expression))
    error_message = "schedule_expression must be cron(...) or rate(N unit)."
  }
}

variable "alarm_topic_arn" {
  description = "ARN of the monitoring module's SNS topic (`alarm_topic_arn` output): the pruner's failure alarms publish there, so the alarm router takes them to on-call."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the log group, environment and DLQ. Null creates a dedicated key with the service grants these need (recommended)."
  type        = string
  default     = null
}

variable "package_file" {
  description = "Path of the function's deployment package: `dist/lambdas/snapshot_pruner.zip` of the checkout, built by `make lambdas` (scripts/build-lambdas.sh; the Terragrunt unit builds it before each plan and apply). Read at plan: the function is updated when the package's bytes change."
  type        = string
}

variable "package_sha256" {
  description = "Hex SHA-256 the package must have (its `.sha256` file), to deploy exactly a package recorded elsewhere; null takes the file as it is."
  type        = string
  default     = null
}

variable "architecture" {
  description = "Lambda architecture; the Powertools layer is chosen to match."
  type        = string
  default     = "arm64"
}

variable "powertools_layer_arn" {
  description = "ARN of the Powertools for AWS Lambda (Python) layer. Null uses AWS's public layer `AWSLambdaPowertoolsPythonV3-python311-<architecture>` at `powertools_layer_version`."
  type        = string
  default     = null
}

variable "powertools_layer_version" {
  description = "Version of AWS's public Powertools V3 layer; it must carry the Powertools release pinned in lambdas/snapshot_pruner/requirements.txt."
  type        = number
  default     = 27
}

variable "timeout_seconds" {
  description = "Function timeout; deletions stop 20 s before it so the report is always written."
  type        = number
  default     = 900

  validation {
    condition     = var.timeout_seconds >= 60 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be 60-900."
  }
}

variable "memory_mb" {
  description = "Function memory."
  type        = number
  default     = 256
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; 1 means two runs never prune at the same time."
  type        = number
  default     = 1

  validation {
    condition     = var.reserved_concurrency >= 1 && var.reserved_concurrency <= 10
    error_message = "reserved_concurrency must be 1-10."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group (a year by default; dev may keep less)."
  type        = number
  default     = 365
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every IAM role this module creates: the bootstrap's workload boundary (bootstrap/deploy-role.yaml output WorkloadBoundaryArn, policy/<project>-workload-boundary). The deploy role may create no role without it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}
