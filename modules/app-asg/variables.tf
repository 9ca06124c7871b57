variable "name" {
  description = "Prefix for every resource name, such as chat-prod: lower-case letters, digits and hyphens. Also the SSM path: parameters live under /<name>/app/."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags (and propagated to the instances)."
  type        = map(string)
  default     = {}
}

variable "environment" {
  description = "Environment name the service reports as APP_ENV: the Env dimension of its metrics (dev, staging, prod)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.environment))
    error_message = "environment must be 2-16 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

variable "app_version" {
  description = "Release to run: the instances install releases/chat-<app_version>.tar.gz from the artifacts bucket. Changing it rolls the fleet through an instance refresh."
  type        = string

  validation {
    condition     = can(regex("^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$", var.app_version))
    error_message = "app_version must be 1-64 characters of letters, digits, '.', '+', '_' and '-' (as in chat-<version>.tar.gz)."
  }
}

variable "app_sha256" {
  description = "The sha256 of releases/chat-<app_version>.tar.gz, as `make package` writes it beside the tarball (dist/chat-<version>.tar.gz.sha256). The instances refuse a release with another digest before extracting anything: a replaced or corrupted object in the bucket never runs."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.app_sha256))
    error_message = "app_sha256 must be 64 lower-case hex digits (the first field of dist/chat-<version>.tar.gz.sha256)."
  }
}

variable "artifacts_bucket_name" {
  description = "Bucket holding the release tarballs (artifacts module output bucket_name)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_name))
    error_message = "artifacts_bucket_name must be a valid S3 bucket name."
  }
}

variable "artifacts_kms_key_arn" {
  description = "KMS key of the artifacts bucket (artifacts module output kms_key_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.artifacts_kms_key_arn))
    error_message = "artifacts_kms_key_arn must be a KMS key ARN."
  }
}

variable "private_subnet_ids" {
  description = "App subnets the instances run in, at least two AZs (network module output private_subnet_ids)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "private_subnet_ids needs at least two subnet IDs (subnet-...)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the instances (security-groups module output app_security_group_id)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) >= 1 && alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))])
    error_message = "security_group_ids needs at least one security group ID (sg-...)."
  }
}

variable "target_group_arn" {
  description = "ALB target group the instances register with (alb module output target_group_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/.+$", var.target_group_arn))
    error_message = "target_group_arn must be an ELB target group ARN."
  }
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the ALB (alb module output alb_arn_suffix), for the request-count scaling metric."
  type        = string

  validation {
    condition     = can(regex("^app/[^/]+/[0-9a-f]+$", var.alb_arn_suffix))
    error_message = "alb_arn_suffix must look like app/<name>/<id>."
  }
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (alb module output target_group_arn_suffix), for the request-count scaling metric."
  type        = string

  validation {
    condition     = can(regex("^targetgroup/[^/]+/[0-9a-f]+$", var.target_group_arn_suffix))
    error_message = "target_group_arn_suffix must look like targetgroup/<name>/<id>."
  }
}

variable "instance_type" {
  description = "EC2 instance type. x86_64 by default because `make package` builds the release's wheels on x86_64; an arm64 (Graviton) type needs an arm64 release and the arm64 AMI parameter."
  type        = string
  default     = "c7i.large"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like c7i.large."
  }
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter naming the AMI (Amazon Linux 2023, which ships python3.11). A new AMI behind it rolls the fleet on the next apply."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

  validation {
    condition     = startswith(var.ami_ssm_parameter, "/aws/service/")
    error_message = "ami_ssm_parameter must be a public AWS parameter under /aws/service/."
  }
}

variable "min_size" {
  description = "Fewest instances; two keep the service up through an AZ or instance loss."
  type        = number
  default     = 2

  validation {
    condition     = var.min_size >= 1 && floor(var.min_size) == var.min_size
    error_message = "min_size must be a whole number >= 1."
  }
}

variable "max_size" {
  description = "Most instances the scaling policies may run."
  type        = number
  default     = 8

  validation {
    condition     = var.max_size >= var.min_size && var.max_size <= 100 && floor(var.max_size) == var.max_size
    error_message = "max_size must be a whole number from min_size to 100."
  }
}

variable "app_port" {
  description = "Port the instances accept ALB traffic on (the target group's port)."
  type        = number
  default     = 8000

  validation {
    condition     = var.app_port >= 1024 && var.app_port <= 65000 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a whole number from 1024 to 65000 (the processes take the ports just above it)."
  }
}

variable "processes_per_instance" {
  description = "Server processes per instance; 0 means one per vCPU. With more than one, a local nginx on app_port spreads clients over them by client IP (so a Socket.IO session stays on one process) and keeps X-Forwarded-For unchanged."
  type        = number
  default     = 0

  validation {
    condition     = var.processes_per_instance >= 0 && var.processes_per_instance <= 64 && floor(var.processes_per_instance) == var.processes_per_instance
    error_message = "processes_per_instance must be a whole number from 0 to 64."
  }
}

variable "database_host" {
  description = "PostgreSQL host (postgres module output address)."
  type        = string

  validation {
    condition     = length(var.database_host) > 0
    error_message = "database_host must not be empty."
  }
}

variable "database_port" {
  description = "PostgreSQL port (postgres module output port)."
  type        = number
  default     = 5432

  validation {
    condition     = var.database_port >= 1150 && var.database_port <= 65535
    error_message = "database_port must be from 1150 to 65535."
  }
}

variable "database_name" {
  description = "PostgreSQL database (postgres module output database_name)."
  type        = string
  default     = "chat"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must start with a letter and hold only a-z, 0-9 and '_'."
  }
}

variable "database_iam_auth" {
  description = "Connect to PostgreSQL with RDS IAM authentication tokens: the service as chat_app (rows only), migrations as chat_migrate (the schema's owner), and the instances cannot read the master secret. Needs database_resource_id and the roles created once with `python -m app roles` (docs/runbook.md). false: connect as the user of database_secret_arn (the master user), for the first deploy before the roles exist or for break-glass."
  type        = bool
  default     = true
  nullable    = false
}

variable "database_resource_id" {
  description = "RDS instance resource ID (postgres module output instance_resource_id): names the database users the instances may connect as (rds-db:connect). Required when database_iam_auth is true."
  type        = string
  default     = null

  validation {
    condition     = var.database_resource_id == null || can(regex("^db-[A-Z0-9]+$", var.database_resource_id))
    error_message = "database_resource_id must be an RDS resource ID such as db-ABCDEFGHIJKLMNOPQRSTUVWXYZ."
  }
}

variable "database_secret_arn" {
  description = "Secret with the database credentials as JSON {username, password}: the RDS-managed master secret (postgres module output master_user_secret_arn). Used only when database_iam_auth is false; required then."
  type        = string
  default     = null

  validation {
    condition     = var.database_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.database_secret_arn))
    error_message = "database_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "redis_url" {
  description = "rediss:// URL of the Redis primary without credentials (redis module output redis_url)."
  type        = string

  validation {
    condition     = startswith(var.redis_url, "rediss://")
    error_message = "redis_url must use TLS (rediss://)."
  }
}

variable "redis_iam" {
  description = "IAM authentication to Redis (redis module output iam): the service's ElastiCache user and ARN, the replication group's id and ARN. The instances sign a token per connection and read no Redis secret. Null: the AUTH token of redis_auth_secret_arn."
  type = object({
    user                  = string
    user_arn              = string
    replication_group_id  = string
    replication_group_arn = string
  })
  default = null

  validation {
    condition     = var.redis_iam == null || (can(regex("^arn:aws[a-z-]*:elasticache:[a-z0-9-]+:[0-9]{12}:user:.+$", var.redis_iam.user_arn)) && can(regex("^arn:aws[a-z-]*:elasticache:[a-z0-9-]+:[0-9]{12}:replicationgroup:.+$", var.redis_iam.replication_group_arn)))
    error_message = "redis_iam needs an ElastiCache user ARN and a replication group ARN."
  }
}

variable "redis_auth_secret_arn" {
  description = "Secret with the Redis AUTH token as a plain string (redis module output auth_token_secret_arn, with its authentication = \"auth-token\"). Used only when redis_iam is null; required then."
  type        = string
  default     = null

  validation {
    condition     = var.redis_auth_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.redis_auth_secret_arn))
    error_message = "redis_auth_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "secret_kms_key_arns" {
  description = "KMS keys of the database and Redis secrets (postgres and redis module outputs kms_key_arn): the instances may decrypt with them, through Secrets Manager only."
  type        = list(string)

  validation {
    condition     = length(var.secret_kms_key_arns) >= 1 && alltrue([for k in var.secret_kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", k))])
    error_message = "secret_kms_key_arns must be a non-empty list of KMS key ARNs."
  }
}

variable "media_bucket_name" {
  description = "Bucket for uploads (media-bucket module output bucket_id), passed to the service as MEDIA_BUCKET."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.media_bucket_name))
    error_message = "media_bucket_name must be a valid S3 bucket name."
  }
}

variable "media_bucket_arn" {
  description = "ARN of the media bucket (media-bucket module output bucket_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.media_bucket_arn))
    error_message = "media_bucket_arn must be an S3 bucket ARN."
  }
}

variable "media_kms_key_arn" {
  description = "KMS key of the media bucket (media-bucket module output kms_key_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.media_kms_key_arn))
    error_message = "media_kms_key_arn must be a KMS key ARN."
  }
}

variable "cors_origins" {
  description = "Origins allowed to call the API from a browser (CORS_ORIGINS), such as [\"https://chat.example.com\"]."
  type        = list(string)

  validation {
    condition     = length(var.cors_origins) >= 1 && alltrue([for o in var.cors_origins : can(regex("^https://[a-z0-9.-]+(:[0-9]+)?$", o))])
    error_message = "cors_origins must list at least one https:// origin without a path."
  }
}

variable "proxy_hops" {
  description = "Proxies in front of the service that append to X-Forwarded-For (PROXY_HOPS): CloudFront + ALB = 2."
  type        = number
  default     = 2

  validation {
    condition     = var.proxy_hops >= 1 && var.proxy_hops <= 10 && floor(var.proxy_hops) == var.proxy_hops
    error_message = "proxy_hops must be a whole number from 1 to 10 (the ALB alone is one hop)."
  }
}

variable "socketio_channel" {
  description = "Redis channel of the Socket.IO message queue (SOCKETIO_CHANNEL); deployments sharing a Redis need different ones."
  type        = string
  default     = "chat"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.:-]{1,64}$", var.socketio_channel))
    error_message = "socketio_channel must be 1-64 of [A-Za-z0-9_.:-]."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the service's EMF metrics (METRICS_NAMESPACE); the instance role may publish only there."
  type        = string
  default     = "Chat/App"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9/_.#:-]{0,254}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be a custom CloudWatch namespace (not AWS/...)."
  }
}

variable "extra_environment" {
  description = "More settings for the service, stored as SSM parameters beside the others (for example AUTH_RATE_LIMIT, ASYNC_MODE, DB_POOL_SIZE)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.extra_environment) : can(regex("^[A-Z][A-Z0-9_]{0,63}$", k)) && !endswith(k, "_SECRET_ARN")])
    error_message = "extra_environment keys must be upper-case environment variable names and must not end in _SECRET_ARN."
  }

  validation {
    condition     = length(setintersection(keys(var.extra_environment), ["DATABASE_URL", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "REDIS_URL", "SECRET_KEY", "MEDIA_BUCKET", "CORS_ORIGINS", "PROXY_HOPS", "SOCKETIO_CHANNEL", "APP_ENV", "METRICS_NAMESPACE", "AWS_REGION"])) == 0
    error_message = "extra_environment must not override a setting the module manages (DATABASE_*, REDIS_URL, SECRET_KEY, MEDIA_BUCKET, CORS_ORIGINS, PROXY_HOPS, SOCKETIO_CHANNEL, APP_ENV, METRICS_NAMESPACE, AWS_REGION)."
  }
}

variable "secret_key_version" {
  description = "The SECRET_KEY generation (SSM parameter SECRET_KEY_GENERATION). Bump to replace the service's SECRET_KEY with a new random one, made by the first instance that reads the new generation (signs tokens: every session ends)."
  type        = number
  default     = 1

  validation {
    condition     = var.secret_key_version >= 1 && floor(var.secret_key_version) == var.secret_key_version
    error_message = "secret_key_version must be a whole number >= 1."
  }
}

variable "log_retention_days" {
  description = "Days the service's logs are kept in CloudWatch Logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...)."
  }
}

variable "request_count_per_target" {
  description = "Target of the request-count scaling policy: ALB requests per instance per minute."
  type        = number
  default     = 1000

  validation {
    condition     = var.request_count_per_target >= 10
    error_message = "request_count_per_target must be at least 10."
  }
}

variable "connections_per_instance" {
  description = "Target of the connection scaling policy: open Socket.IO connections (the service's ActiveConnections metric) per instance."
  type        = number
  default     = 2000

  validation {
    condition     = var.connections_per_instance >= 10
    error_message = "connections_per_instance must be at least 10."
  }
}

variable "health_check_grace_period" {
  description = "Seconds after launch before failed ELB health checks count (boot installs Python, the release and the agent)."
  type        = number
  default     = 300

  validation {
    condition     = var.health_check_grace_period >= 60 && var.health_check_grace_period <= 1800
    error_message = "health_check_grace_period must be from 60 to 1800 seconds."
  }
}

variable "instance_refresh_min_healthy_percentage" {
  description = "Share of capacity that stays in service during an instance refresh."
  type        = number
  default     = 90

  validation {
    condition     = var.instance_refresh_min_healthy_percentage >= 0 && var.instance_refresh_min_healthy_percentage <= 100
    error_message = "instance_refresh_min_healthy_percentage must be from 0 to 100."
  }
}

variable "root_volume_size" {
  description = "Root EBS volume size in GiB (gp3, encrypted)."
  type        = number
  default     = 20

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 1024
    error_message = "root_volume_size must be from 8 to 1024 GiB."
  }
}

variable "ebs_kms_key_arn" {
  description = "Customer managed KMS key for the root volume. Null uses the account's aws/ebs key (a customer key must grant the Auto Scaling service-linked role)."
  type        = string
  default     = null

  validation {
    condition     = var.ebs_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.ebs_kms_key_arn))
    error_message = "ebs_kms_key_arn must be a KMS key ARN or null."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of every IAM role this module creates: the bootstrap's workload boundary (bootstrap/deploy-role.yaml output WorkloadBoundaryArn, policy/<project>-workload-boundary). The deploy role may create no role without it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}
