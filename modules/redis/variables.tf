variable "name" {
  description = "Prefix for every resource name, such as chat-prod: lower-case letters, digits and hyphens (at most 32; the replication group ID takes it plus \"-redis\", within ElastiCache's 40)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.name)) && length(var.name) >= 3 && length(var.name) <= 32
    error_message = "name must be 3-32 characters of a-z, 0-9 and single hyphens, starting with a letter and not ending with '-'."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

variable "subnet_ids" {
  description = "Private subnets for the cache subnet group, in at least two AZs (network module output database_subnet_ids)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "subnet_ids needs at least two subnet IDs (subnet-...)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the replication group (security-groups module output redis_security_group_id)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) >= 1 && alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))])
    error_message = "security_group_ids needs at least one security group ID (sg-...)."
  }
}

variable "engine" {
  description = "Cache engine: redis (OSS Redis 7) or valkey (its drop-in successor, cheaper on ElastiCache). python-socketio speaks to both."
  type        = string
  default     = "redis"

  validation {
    condition     = contains(["redis", "valkey"], var.engine)
    error_message = "engine must be redis or valkey."
  }
}

variable "engine_version" {
  description = "Engine version: 7.0 or 7.1 for redis; 7.2 or 8.0 for valkey."
  type        = string
  default     = "7.1"

  validation {
    condition     = can(regex("^[78]\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must look like 7.1 (major 7 or 8; AUTH with TLS needs at least 6)."
  }
}

variable "node_type" {
  description = "Cache node type."
  type        = string
  default     = "cache.m7g.large"

  validation {
    condition     = can(regex("^cache\\.[a-z0-9]+\\.[a-z0-9]+$", var.node_type))
    error_message = "node_type must look like cache.m7g.large."
  }
}

variable "num_cache_clusters" {
  description = "Nodes in the group: one primary plus replicas. Automatic failover needs at least 2."
  type        = number
  default     = 2

  validation {
    condition     = var.num_cache_clusters >= 1 && var.num_cache_clusters <= 6 && floor(var.num_cache_clusters) == var.num_cache_clusters
    error_message = "num_cache_clusters must be a whole number from 1 to 6."
  }
}

variable "automatic_failover" {
  description = "Promote a replica when the primary fails (production). Needs num_cache_clusters >= 2."
  type        = bool
  default     = true

  validation {
    condition     = !var.automatic_failover || var.num_cache_clusters >= 2
    error_message = "automatic_failover needs num_cache_clusters >= 2."
  }
}

variable "multi_az" {
  description = "Place the replicas in other AZs than the primary (production). Needs automatic_failover."
  type        = bool
  default     = true

  validation {
    condition     = !var.multi_az || var.automatic_failover
    error_message = "multi_az needs automatic_failover."
  }
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots kept. Redis holds no data that PostgreSQL cannot rebuild, but a snapshot restores sessions and rate limits after a loss."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retention_days >= 1 && var.snapshot_retention_days <= 35
    error_message = "snapshot_retention_days must be from 1 to 35."
  }
}

variable "snapshot_window" {
  description = "Daily UTC window for snapshots (hh24:mi-hh24:mi), outside maintenance_window."
  type        = string
  default     = "03:00-04:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.snapshot_window))
    error_message = "snapshot_window must look like 03:00-04:00."
  }
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window (ddd:hh24:mi-ddd:hh24:mi)."
  type        = string
  default     = "sun:05:00-sun:06:00"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must look like sun:05:00-sun:06:00."
  }
}

variable "authentication" {
  description = "How the service logs in: \"iam\" (an ElastiCache user with IAM authentication, the default: the instances sign a 15-minute token per connection and no password exists anywhere, not in state either) or \"auth-token\" (a shared AUTH token in Secrets Manager, whose random value passes through Terraform's state: for an existing group being moved to IAM, see the README)."
  type        = string
  default     = "iam"
  nullable    = false

  validation {
    condition     = contains(["iam", "auth-token"], var.authentication)
    error_message = "authentication must be \"iam\" or \"auth-token\"."
  }
}

variable "key_prefix" {
  description = "The service's SOCKETIO_CHANNEL: the prefix of every key and channel it uses. With IAM authentication its user may touch only these (~<prefix>:* and &<prefix>*)."
  type        = string
  default     = "chat"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,64}$", var.key_prefix))
    error_message = "key_prefix must be 1-64 letters, digits, '_', '.' or '-'."
  }
}

variable "auth_token_version" {
  description = "Bump to rotate the AUTH token: a new random token is written to the secret and to ElastiCache (ROTATE strategy: the old one stays valid until the instances have restarted with the new one; then apply again with auth_token_update_strategy = SET)."
  type        = number
  default     = 1

  validation {
    condition     = var.auth_token_version >= 1 && floor(var.auth_token_version) == var.auth_token_version
    error_message = "auth_token_version must be a whole number >= 1."
  }
}

variable "auth_token_update_strategy" {
  description = "How a new AUTH token replaces the old one: ROTATE keeps both valid, SET drops the old one."
  type        = string
  default     = "ROTATE"

  validation {
    condition     = contains(["ROTATE", "SET"], var.auth_token_update_strategy)
    error_message = "auth_token_update_strategy must be ROTATE or SET."
  }
}

variable "maxmemory_policy" {
  description = "Eviction policy. Sessions and rate-limit counters carry TTLs, so volatile-lru evicts only what expires anyway."
  type        = string
  default     = "volatile-lru"

  validation {
    condition     = contains(["volatile-lru", "volatile-lfu", "volatile-ttl", "volatile-random", "noeviction"], var.maxmemory_policy)
    error_message = "maxmemory_policy must be a volatile-* policy or noeviction: allkeys-* would evict live sessions."
  }
}

variable "log_retention_days" {
  description = "Days the slow log and engine log are kept in CloudWatch Logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...)."
  }
}

variable "apply_immediately" {
  description = "Apply modifications at once instead of in the next maintenance window (dev)."
  type        = bool
  default     = false
}
