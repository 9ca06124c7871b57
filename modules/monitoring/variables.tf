variable "name" {
  description = "Name prefix of every resource, such as `chat-prod`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "environment" {
  description = "Environment the alarms belong to; carried in every alarm's name and `Env` tag, which the alarm router reads."
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

# --- what is watched (outputs of the neighbouring modules) ---------------------

variable "alb_arn_suffix" {
  description = "`arn_suffix` of the ALB (the `LoadBalancer` metric dimension, `app/<name>/<id>`)."
  type        = string

  validation {
    condition     = can(regex("^app/[A-Za-z0-9-]+/[a-f0-9]+$", var.alb_arn_suffix))
    error_message = "alb_arn_suffix must look like app/<name>/<id>: the ALB's arn_suffix, not its ARN."
  }
}

variable "target_group_arn_suffix" {
  description = "`arn_suffix` of the app target group (the `TargetGroup` metric dimension, `targetgroup/<name>/<id>`)."
  type        = string

  validation {
    condition     = can(regex("^targetgroup/[A-Za-z0-9-]+/[a-f0-9]+$", var.target_group_arn_suffix))
    error_message = "target_group_arn_suffix must look like targetgroup/<name>/<id>: the target group's arn_suffix, not its ARN."
  }
}

variable "asg_name" {
  description = "Name of the app Auto Scaling group."
  type        = string

  validation {
    condition     = length(var.asg_name) > 0 && length(var.asg_name) <= 255
    error_message = "asg_name must be 1-255 characters."
  }
}

variable "rds_instance_id" {
  description = "Identifier of the RDS PostgreSQL instance (the `DBInstanceIdentifier` dimension)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.rds_instance_id))
    error_message = "rds_instance_id must be an RDS identifier: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "redis_replication_group_id" {
  description = "ID of the ElastiCache replication group."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.redis_replication_group_id))
    error_message = "redis_replication_group_id must be 1-40 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "redis_member_cluster_ids" {
  description = "Member cache clusters of the replication group (its `member_clusters`), the `CacheClusterId` metric dimension. Default: `<group id>-001` ... up to `redis_num_cache_clusters`, the names ElastiCache gives them."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.redis_member_cluster_ids : can(regex("^[a-z][a-z0-9-]{0,49}$", id))])
    error_message = "redis_member_cluster_ids must be cache cluster ids: lower-case letters, digits and hyphens."
  }
}

variable "redis_num_cache_clusters" {
  description = "Number of nodes in the replication group, used to name the members when `redis_member_cluster_ids` is empty."
  type        = number
  default     = 2

  validation {
    condition     = var.redis_num_cache_clusters >= 1 && var.redis_num_cache_clusters <= 6 && floor(var.redis_num_cache_clusters) == var.redis_num_cache_clusters
    error_message = "redis_num_cache_clusters must be a whole number from 1 to 6."
  }
}

variable "app_metrics_namespace" {
  description = "CloudWatch namespace of the chat service's EMF metrics (its `METRICS_NAMESPACE`)."
  type        = string
  default     = "Chat/App"

  validation {
    condition     = can(regex("^[A-Za-z0-9/_.#:-]{1,255}$", var.app_metrics_namespace)) && !startswith(var.app_metrics_namespace, "AWS/")
    error_message = "app_metrics_namespace must be a custom CloudWatch namespace (not AWS/...)."
  }
}

variable "app_metrics_env" {
  description = "Value of the `Env` dimension the chat service writes (its `APP_ENV`). Default: `environment`."
  type        = string
  default     = null

  validation {
    condition     = var.app_metrics_env == null || can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", coalesce(var.app_metrics_env, "x")))
    error_message = "app_metrics_env must be 1-64 letters, digits, '_', '.' or '-'."
  }
}

# --- log groups ------------------------------------------------------------------

variable "log_groups" {
  description = "Log groups to create as `/<name>/<entry>` with this module's KMS key and retention, for log sources that do not create their own (app-asg owns `/<name>/app`; postgres, redis, waf and the Lambda modules own theirs)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for g in var.log_groups : can(regex("^[a-z0-9][a-z0-9_-]{0,63}$", g))]) && !contains(var.log_groups, "app")
    error_message = "log_groups entries must be lower-case letters, digits, _ and -, and must not be app (app-asg creates /<name>/app)."
  }
}

variable "log_retention_days" {
  description = "Days the module's log groups keep their events."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
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

# --- alarms ----------------------------------------------------------------------

variable "alarm_thresholds" {
  description = "Alarm thresholds; any attribute left out keeps its default."
  type = object({
    alb_5xx_rate_percent              = optional(number, 5)
    alb_5xx_min_requests              = optional(number, 50)
    alb_target_response_time_p95_secs = optional(number, 2)
    asg_cpu_percent                   = optional(number, 80)
    rds_cpu_percent                   = optional(number, 80)
    rds_free_storage_bytes            = optional(number, 10737418240)
    rds_connections                   = optional(number, 400)
    redis_engine_cpu_percent          = optional(number, 80)
    redis_memory_percent              = optional(number, 80)
    redis_evictions                   = optional(number, 0)
    redis_replication_lag_secs        = optional(number, 10)
    app_errors_per_5_minutes          = optional(number, 10)
    app_login_failures_per_5_minutes  = optional(number, 200)
  })
  default = {}

  validation {
    condition = alltrue([for p in [
      var.alarm_thresholds.alb_5xx_rate_percent, var.alarm_thresholds.asg_cpu_percent,
      var.alarm_thresholds.rds_cpu_percent, var.alarm_thresholds.redis_engine_cpu_percent,
      var.alarm_thresholds.redis_memory_percent,
    ] : p > 0 && p <= 100])
    error_message = "Percentage thresholds must be greater than 0 and at most 100."
  }

  validation {
    condition = alltrue([for v in [
      var.alarm_thresholds.alb_5xx_min_requests, var.alarm_thresholds.alb_target_response_time_p95_secs,
      var.alarm_thresholds.rds_free_storage_bytes, var.alarm_thresholds.rds_connections,
      var.alarm_thresholds.redis_evictions, var.alarm_thresholds.redis_replication_lag_secs,
      var.alarm_thresholds.app_errors_per_5_minutes, var.alarm_thresholds.app_login_failures_per_5_minutes,
    ] : v >= 0])
    error_message = "Count, time and size thresholds must not be negative."
  }
}

variable "notify_on_ok" {
  description = "Also notify the topic when an alarm returns to OK, so the alarm router can resolve the incident it opened."
  type        = bool
  default     = true
}

variable "alarm_email_addresses" {
  description = "Email addresses subscribed to the alarm topic directly, besides the alarm router (each must confirm its subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alarm_email_addresses must be email addresses."
  }
}

variable "runbook_url" {
  description = "Base URL of the on-call runbook; each alarm's description links `<runbook_url>#<alarm key>`."
  type        = string
  default     = null

  validation {
    condition     = var.runbook_url == null || can(regex("^https://", var.runbook_url))
    error_message = "runbook_url must be an https URL."
  }
}
