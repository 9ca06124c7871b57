variable "name" {
  description = "Prefix for every resource name, such as chat-prod: lower-case letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

variable "database_subnet_ids" {
  description = "Private subnets for the DB subnet group, in at least two AZs (network module output database_subnet_ids)."
  type        = list(string)

  validation {
    condition     = length(var.database_subnet_ids) >= 2 && alltrue([for s in var.database_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "database_subnet_ids needs at least two subnet IDs (subnet-...)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the instance (security-groups module output postgres_security_group_id)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) >= 1 && alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))])
    error_message = "security_group_ids needs at least one security group ID (sg-...)."
  }
}

variable "engine_version" {
  description = "PostgreSQL version: a major (16 or 17, RDS picks the newest minor) or major.minor such as 17.6."
  type        = string
  default     = "17"

  validation {
    condition     = can(regex("^1[67](\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be PostgreSQL 16 or 17, as \"17\" or \"17.6\"."
  }
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.m7g.large"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like db.m7g.large."
  }
}

variable "allocated_storage" {
  description = "Initial storage in GiB (gp3)."
  type        = number
  default     = 50

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536
    error_message = "allocated_storage must be from 20 to 65536 GiB."
  }
}

variable "max_allocated_storage" {
  description = "Upper bound for storage autoscaling in GiB; must be above allocated_storage."
  type        = number
  default     = 500

  validation {
    condition     = var.max_allocated_storage > var.allocated_storage && var.max_allocated_storage <= 65536
    error_message = "max_allocated_storage must be above allocated_storage and at most 65536 GiB."
  }
}

variable "database_name" {
  description = "Name of the database the chat service uses."
  type        = string
  default     = "chat"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must start with a letter and hold only a-z, 0-9 and '_' (at most 63)."
  }
}

variable "master_username" {
  description = "Master user name; its password is generated and kept by RDS in Secrets Manager."
  type        = string
  default     = "chat"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.master_username)) && !contains(["postgres", "admin", "rdsadmin"], var.master_username)
    error_message = "master_username must start with a letter, hold a-z, 0-9, '_' and not be a reserved name (postgres, admin, rdsadmin)."
  }
}

variable "multi_az" {
  description = "Run a synchronous standby in another AZ (production). Dev turns it off to halve the cost."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of automated backups and point-in-time recovery."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be from 1 to 35 (0 would turn backups off)."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (production). Dev turns it off."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot (dev only). Production keeps a final snapshot."
  type        = bool
  default     = false
}

variable "performance_insights_retention_days" {
  description = "Days Performance Insights keeps its data: 7 (free tier) or a multiple of 31 up to 731."
  type        = number
  default     = 7

  validation {
    condition     = var.performance_insights_retention_days == 7 || var.performance_insights_retention_days == 731 || (var.performance_insights_retention_days % 31 == 0 && var.performance_insights_retention_days <= 713 && var.performance_insights_retention_days > 0)
    error_message = "performance_insights_retention_days must be 7, 731 or a multiple of 31 up to 713."
  }
}

variable "monitoring_interval" {
  description = "Seconds between enhanced monitoring samples."
  type        = number
  default     = 60

  validation {
    condition     = contains([1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be 1, 5, 10, 15, 30 or 60 (enhanced monitoring stays on)."
  }
}

variable "log_min_duration_statement_ms" {
  description = "Statements slower than this many milliseconds are logged (exported to CloudWatch Logs)."
  type        = number
  default     = 500

  validation {
    condition     = var.log_min_duration_statement_ms >= 0 && var.log_min_duration_statement_ms <= 600000
    error_message = "log_min_duration_statement_ms must be from 0 to 600000."
  }
}

variable "log_retention_days" {
  description = "Days the exported PostgreSQL logs are kept in CloudWatch Logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...)."
  }
}

variable "max_connections" {
  description = "max_connections of the server. Null keeps RDS's memory-based default. Size it for instances x processes x (3 x DB_POOL_SIZE + 10) plus headroom (docs/operations.md)."
  type        = number
  default     = null

  validation {
    condition     = var.max_connections == null || try(var.max_connections >= 20 && var.max_connections <= 5000, false)
    error_message = "max_connections must be from 20 to 5000, or null."
  }
}

variable "backup_window" {
  description = "Daily UTC window for automated backups (hh24:mi-hh24:mi), outside maintenance_window."
  type        = string
  default     = "02:00-03:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window))
    error_message = "backup_window must look like 02:00-03:00."
  }
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window (ddd:hh24:mi-ddd:hh24:mi)."
  type        = string
  default     = "sun:03:30-sun:04:30"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must look like sun:03:30-sun:04:30."
  }
}

variable "apply_immediately" {
  description = "Apply modifications at once instead of in the next maintenance window (dev)."
  type        = bool
  default     = false
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every IAM role this module creates: the bootstrap's workload boundary (bootstrap/deploy-role.yaml output WorkloadBoundaryArn, policy/<project>-workload-boundary). The deploy role may create no role without it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}
