variable "name" {
  description = "Name prefix of every resource, such as `chat-prod`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod): the router's default `Env` for alarms that carry no `Env` tag."
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

variable "alarm_topic_arn" {
  description = "ARN of the monitoring module's SNS topic every CloudWatch alarm publishes to (`alarm_topic_arn` output); the router subscribes to it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

variable "enable_eventbridge" {
  description = "Also receive 'CloudWatch Alarm State Change' events from EventBridge (metric, composite and anomaly alarms, even those without SNS actions). A state change seen on both paths is delivered once."
  type        = bool
  default     = true
}

variable "eventbridge_alarm_name_prefixes" {
  description = "Only alarms whose names start with one of these reach the router through EventBridge. Null means `<name>-`, the monitoring module's alarms."
  type        = list(string)
  default     = null

  validation {
    condition     = var.eventbridge_alarm_name_prefixes == null || try(length(var.eventbridge_alarm_name_prefixes) > 0 && alltrue([for p in var.eventbridge_alarm_name_prefixes : length(p) > 0 && length(p) <= 255]), false)
    error_message = "eventbridge_alarm_name_prefixes must be null or a non-empty list of non-empty prefixes."
  }
}

# --- where alarms go ------------------------------------------------------------

variable "receiver_secrets" {
  description = "Receivers that read a URL or key from Secrets Manager; one secret `<name>/alarm-router/<receiver>` each, created empty: put its JSON value in by hand (see docs/oncall.md). The routing rules name these receivers' `secret`."
  type        = list(string)
  default     = ["slack", "pagerduty", "webhook"]

  validation {
    condition     = alltrue([for s in var.receiver_secrets : can(regex("^[a-z0-9][a-z0-9_-]{0,62}$", s))]) && length(distinct(var.receiver_secrets)) == length(var.receiver_secrets)
    error_message = "receiver_secrets must be distinct names of lower-case letters, digits, '-' and '_' (at most 63)."
  }
}

variable "routing_rules_json" {
  description = "Routing rules (JSON, the format of lambdas/alarm_router/alarm_router/routes.json) stored in SSM as `/<name>/alarm-router/routes` and read instead of the rules shipped with the function. Null keeps the shipped rules."
  type        = string
  default     = null

  validation {
    condition     = var.routing_rules_json == null || can(jsondecode(var.routing_rules_json).route.receivers)
    error_message = "routing_rules_json must be JSON with a root `route` that names its `receivers`."
  }
}

variable "email_addresses" {
  description = "Addresses subscribed to the on-call email topic (each confirms by email). The `email` receiver publishes there; the router's own health alarms go there too."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "email_addresses must be email addresses."
  }
}

# --- the function -----------------------------------------------------------------

variable "kms_key_arn" {
  description = "KMS key for the log group, environment, DLQ, idempotency table, secrets, parameter and email topic. Null creates a dedicated key with the service grants these need (recommended)."
  type        = string
  default     = null
}

variable "package_file" {
  description = "Path of the function's deployment package: `dist/lambdas/alarm_router.zip` of the checkout, built by `make lambdas` (scripts/build-lambdas.sh; the Terragrunt unit builds it before each plan and apply). Read at plan: the function is updated when the package's bytes change."
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
  description = "Version of AWS's public Powertools V3 layer; it must carry the Powertools release pinned in lambdas/alarm_router/requirements.txt."
  type        = number
  default     = 27
}

variable "timeout_seconds" {
  description = "Function timeout. Each receiver call has its own HTTP timeout and retries stop before this runs out."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout_seconds >= 15 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be 15-900."
  }
}

variable "memory_mb" {
  description = "Function memory."
  type        = number
  default     = 256
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions: an alarm storm cannot starve the account, and the account cannot starve the router."
  type        = number
  default     = 5

  validation {
    condition     = var.reserved_concurrency >= 1 && var.reserved_concurrency <= 100
    error_message = "reserved_concurrency must be 1-100."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group (a year by default; dev may keep less)."
  type        = number
  default     = 365
}

variable "http_timeout_seconds" {
  description = "Timeout of each HTTP call to Slack, PagerDuty or a webhook."
  type        = number
  default     = 5

  validation {
    condition     = var.http_timeout_seconds > 0 && var.http_timeout_seconds <= 30
    error_message = "http_timeout_seconds must be above 0 and at most 30."
  }
}

variable "http_max_attempts" {
  description = "Attempts per receiver call (retries on 429, 5xx and timeouts, with backoff and jitter) before the notification is dead-lettered."
  type        = number
  default     = 4

  validation {
    condition     = var.http_max_attempts >= 1 && var.http_max_attempts <= 10
    error_message = "http_max_attempts must be 1-10."
  }
}

variable "idempotency_ttl_seconds" {
  description = "How long a delivered alarm state is remembered, so a repeated notification of it is not delivered again."
  type        = number
  default     = 604800

  validation {
    condition     = var.idempotency_ttl_seconds >= 3600 && var.idempotency_ttl_seconds <= 2592000
    error_message = "idempotency_ttl_seconds must be between one hour and 30 days."
  }
}

variable "tick_schedule_expression" {
  description = "How often the router flushes due notification groups (group_wait, group_interval and repeat_interval are rounded up to it)."
  type        = string
  default     = "rate(1 minute)"

  validation {
    condition     = can(regex("^rate\\(([1-5] minutes?)\\)$", var.tick_schedule_expression))
    error_message = "tick_schedule_expression must be rate(1 minute) to rate(5 minutes): group timings are rounded up to it."
  }
}

variable "deletion_protection" {
  description = "Protect the idempotency and state tables from deletion (prod); dev turns it off to tear down freely."
  type        = bool
  default     = true
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every IAM role this module creates: the bootstrap's workload boundary (bootstrap/deploy-role.yaml output WorkloadBoundaryArn, policy/<project>-workload-boundary). The deploy role may create no role without it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}
