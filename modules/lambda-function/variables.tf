variable "name" {
  description = "Name prefix of every resource, such as `chat-prod`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "component" {
  description = "What the function is, such as `alarm-router`: the function and its role are `<name>-<component>`, the DLQ `<name>-<component>-dlq`, the role's inline policy `<component>`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.component))
    error_message = "component must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "description" {
  description = "Description of the function."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource that supports them."
  type        = map(string)
  default     = {}
}

# --- the code ------------------------------------------------------------------------

variable "package_file" {
  description = "Path of the deployment package, a zip built by scripts/build-lambdas.sh (`dist/lambdas/<name>.zip` of the checkout; `make lambdas`). It is read at plan: `source_code_hash` is its SHA-256, so the function is updated exactly when the package's bytes change."
  type        = string

  validation {
    condition     = endswith(var.package_file, ".zip")
    error_message = "package_file must be the path of a .zip file."
  }
}

variable "package_sha256" {
  description = "Hex SHA-256 the package must have (as in the `.sha256` file beside it), to deploy exactly a package recorded elsewhere; the plan fails if the file differs. Null takes the file as it is."
  type        = string
  default     = null

  validation {
    condition     = var.package_sha256 == null || can(regex("^[0-9a-f]{64}$", var.package_sha256))
    error_message = "package_sha256 must be null or 64 lower-case hex digits."
  }
}

variable "handler" {
  description = "Entry point inside the package, such as `alarm_router.handler.lambda_handler`."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.]*\\.[A-Za-z_][A-Za-z0-9_]*$", var.handler))
    error_message = "handler must be a dotted module path and function name."
  }
}

variable "runtime" {
  description = "Lambda runtime; the Powertools layer is chosen to match."
  type        = string
  default     = "python3.11"

  validation {
    condition     = can(regex("^python3\\.[0-9]{2}$", var.runtime))
    error_message = "runtime must be a Python 3 runtime such as python3.11."
  }
}

variable "architecture" {
  description = "Lambda architecture; the Powertools layer is chosen to match."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "powertools_layer_arn" {
  description = "ARN of the Powertools for AWS Lambda (Python) layer. Null uses AWS's public layer `AWSLambdaPowertoolsPythonV3-<runtime without the dot>-<architecture>` at `powertools_layer_version`."
  type        = string
  default     = null

  validation {
    condition     = var.powertools_layer_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.powertools_layer_arn))
    error_message = "powertools_layer_arn must be null or a Lambda layer version ARN."
  }
}

variable "powertools_layer_version" {
  description = "Version of AWS's public Powertools V3 layer; it must carry the Powertools release pinned in the function's requirements.txt."
  type        = number
  default     = 27

  validation {
    condition     = var.powertools_layer_version >= 1 && floor(var.powertools_layer_version) == var.powertools_layer_version
    error_message = "powertools_layer_version must be a positive whole number."
  }
}

variable "environment_variables" {
  description = "Environment of the function (encrypted with the key). No secret belongs here: the function reads those from Secrets Manager."
  type        = map(string)
  default     = {}
}

# --- how it runs -----------------------------------------------------------------------

variable "timeout_seconds" {
  description = "Function timeout."
  type        = number

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be 1-900."
  }
}

variable "memory_mb" {
  description = "Function memory."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240
    error_message = "memory_mb must be 128-10240."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions: the function cannot starve the account, nor the account the function."
  type        = number

  validation {
    condition     = var.reserved_concurrency >= 1 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be a whole number of at least 1."
  }
}

variable "async_retry_attempts" {
  description = "Retries of a failed asynchronous invocation (0-2) before it goes to the dead-letter queue."
  type        = number

  validation {
    condition     = contains([0, 1, 2], var.async_retry_attempts)
    error_message = "async_retry_attempts must be 0, 1 or 2."
  }
}

variable "async_max_event_age_seconds" {
  description = "How long an asynchronous invocation may wait to run before it goes to the dead-letter queue."
  type        = number
  default     = 3600

  validation {
    condition     = var.async_max_event_age_seconds >= 60 && var.async_max_event_age_seconds <= 21600
    error_message = "async_max_event_age_seconds must be 60-21600."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group (a year by default; dev may keep less)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

# --- permissions and encryption --------------------------------------------------------

variable "policy_json" {
  description = "The function's own permissions: an IAM policy document (JSON, from a `data \"aws_iam_policy_document\"` of the caller) merged into the role's inline policy with what every function gets (its log group, X-Ray, the key, the DLQ). Statement sids must differ from those: WriteOwnLogs, SendTraces, UseTheKey, DeadLetter."
  type        = string
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the function's role: the bootstrap's workload boundary (bootstrap/deploy-role.yaml output WorkloadBoundaryArn, policy/<project>-workload-boundary). The deploy role may create no role without it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}

variable "kms_key_arn" {
  description = "KMS key for the log group, environment and DLQ (and whatever else the caller encrypts). Null creates a dedicated key `alias/<name>-<component>` (recommended)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-f0-9-]{36}$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (not an alias)."
  }
}

variable "kms_key_description" {
  description = "Description of the dedicated key: what it encrypts."
  type        = string
  default     = null
}

variable "kms_service_grants" {
  description = "Statements of the dedicated key's policy for AWS services that write to what it encrypts with their own identities (SNS or EventBridge to the DLQ, ...): the kms-key module's `service_grants`."
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
}

# --- what invokes it ---------------------------------------------------------------------

variable "sns_subscriptions" {
  description = "SNS topics the function subscribes to, by key: `sid` (letters and digits; the invoke permission is `<sid>Invokes`, the DLQ statement `<sid>DeadLetters`) and `topic_arn`. What a subscription cannot deliver goes to the DLQ."
  type = map(object({
    sid       = string
    topic_arn = string
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for s in values(var.sns_subscriptions) : can(regex("^[A-Za-z0-9]{1,48}$", s.sid)) && can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", s.topic_arn))])
    error_message = "Each SNS subscription needs an alphanumeric sid and an SNS topic ARN."
  }
}

variable "event_rules" {
  description = "EventBridge rules that invoke the function, by key: `sid` (as for sns_subscriptions), rule `name` and `description`, either a `schedule_expression` or an `event_pattern` (JSON), the target's `input` (JSON, optional) and its retry policy. What a rule cannot deliver goes to the DLQ."
  type = map(object({
    sid                   = string
    name                  = string
    description           = string
    schedule_expression   = optional(string)
    event_pattern         = optional(string)
    input                 = optional(string)
    max_event_age_seconds = number
    retry_attempts        = number
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for r in values(var.event_rules) : can(regex("^[A-Za-z0-9]{1,48}$", r.sid)) && (r.schedule_expression == null) != (r.event_pattern == null)])
    error_message = "Each event rule needs an alphanumeric sid and exactly one of schedule_expression and event_pattern."
  }
  validation {
    condition     = length(setintersection(keys(var.event_rules), keys(var.sns_subscriptions))) == 0
    error_message = "event_rules and sns_subscriptions need keys of their own: each key names one invoke permission."
  }
  validation {
    condition     = alltrue([for r in values(var.event_rules) : r.max_event_age_seconds >= 60 && r.max_event_age_seconds <= 86400 && r.retry_attempts >= 0 && r.retry_attempts <= 185])
    error_message = "An event rule's max_event_age_seconds must be 60-86400 and retry_attempts 0-185."
  }
}

# --- its own health ------------------------------------------------------------------------

variable "alarms" {
  description = "The function's own health alarms, by kind: `errors` (required) on the function's Errors (invocations that failed after Lambda's retries), `dead_letters` (optional) on messages in the DLQ. Each: `name`, `description`, `severity` (its Severity tag, which the alarm router reads), `period_seconds`, `alarm_actions` and `ok_actions`."
  type = map(object({
    name           = string
    description    = string
    severity       = string
    period_seconds = number
    alarm_actions  = list(string)
    ok_actions     = optional(list(string), [])
  }))

  validation {
    condition     = contains(keys(var.alarms), "errors") && alltrue([for k in keys(var.alarms) : contains(["errors", "dead_letters"], k)])
    error_message = "alarms must have an `errors` alarm and may have a `dead_letters` one, nothing else."
  }
  validation {
    condition     = alltrue([for a in values(var.alarms) : contains(["critical", "warning", "info"], a.severity) && length(a.alarm_actions) > 0])
    error_message = "Each alarm needs a severity of critical, warning or info and at least one alarm action."
  }
}
