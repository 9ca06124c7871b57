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

variable "cidr_block" {
  description = "IPv4 range of the VPC, a /16 to /18. Public subnets take /24-sized slices, app subnets /20-sized ones (scaled to the prefix), database subnets /24-sized ones from the top of the range."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition = (
      can(cidrhost(var.cidr_block, 0)) &&
      try(tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 18, false)
    )
    error_message = "cidr_block must be a valid IPv4 CIDR with a prefix length from /16 to /18."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread the subnets over: 2 or 3 names in the region, such as [\"eu-west-1a\", \"eu-west-1b\", \"eu-west-1c\"]."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(var.availability_zones) <= 3 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must hold 2 or 3 distinct zone names."
  }

  validation {
    condition     = alltrue([for az in var.availability_zones : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", az))])
    error_message = "Each availability zone must look like eu-west-1a."
  }
}

variable "egress" {
  description = "How the app subnets reach AWS: \"endpoints\" (staging, prod: no NAT gateway and no route out of the VPC; AWS APIs through the interface endpoints, S3 through the gateway endpoint, each with a policy limiting it to this account's resources) or \"nat\" (dev: NAT gateways and a default route, so AWS APIs need no interface endpoints)."
  type        = string
  default     = "endpoints"
  nullable    = false

  validation {
    condition     = contains(["endpoints", "nat"], var.egress)
    error_message = "egress must be \"endpoints\" or \"nat\"."
  }
}

variable "single_nat_gateway" {
  description = "With egress = \"nat\": one NAT gateway for every AZ instead of one per AZ (the cost saver of dev). An AZ outage then cuts the other AZs' egress. Ignored with egress = \"endpoints\", which has no NAT gateway."
  type        = bool
  default     = false
}

variable "enable_interface_endpoints" {
  description = "Create the interface endpoints the instances call (SSM, Session Manager, Secrets Manager, CloudWatch Logs, CloudWatch monitoring). Required with egress = \"endpoints\"; with egress = \"nat\" they may be off (dev, to save the hourly endpoint cost) and those calls go through NAT."
  type        = bool
  default     = true

  validation {
    condition     = var.enable_interface_endpoints || var.egress == "nat"
    error_message = "egress = \"endpoints\" needs enable_interface_endpoints = true: without NAT the instances reach SSM, Secrets Manager and CloudWatch only through them."
  }
}

variable "postgres_port" {
  description = "Port of the PostgreSQL instance in the database subnets: the database network ACL admits it from the app subnets."
  type        = number
  default     = 5432

  validation {
    condition     = var.postgres_port >= 1150 && var.postgres_port <= 65535 && floor(var.postgres_port) == var.postgres_port
    error_message = "postgres_port must be a whole number from 1150 to 65535 (the range RDS accepts)."
  }
}

variable "redis_port" {
  description = "Port of the ElastiCache replication group in the database subnets: the database network ACL admits it from the app subnets and between the database subnets (replicas)."
  type        = number
  default     = 6379

  validation {
    condition     = var.redis_port >= 1024 && var.redis_port <= 65535 && floor(var.redis_port) == var.redis_port && var.redis_port != var.postgres_port
    error_message = "redis_port must be a whole number from 1024 to 65535, other than postgres_port."
  }
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept in CloudWatch Logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "flow_log_traffic_type" {
  description = "Which traffic the VPC flow log records: ALL, ACCEPT or REJECT."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ALL", "ACCEPT", "REJECT"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ALL, ACCEPT or REJECT."
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
