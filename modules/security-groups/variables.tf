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

variable "vpc_id" {
  description = "VPC the security groups belong to (network module output vpc_id)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "alb_ingress_source" {
  description = "Who may reach the ALB: \"vpc-origin\" (the production path: an internal ALB that only CloudFront's VPC origin reaches; the alb module adds that one rule) or \"internet\" (the CIDR ranges in alb_ingress_cidr_blocks, for an internet-facing ALB of another composition)."
  type        = string
  default     = "vpc-origin"

  validation {
    condition     = contains(["vpc-origin", "internet"], var.alb_ingress_source)
    error_message = "alb_ingress_source must be \"vpc-origin\" or \"internet\"."
  }
}

variable "alb_ingress_cidr_blocks" {
  description = "IPv4 ranges allowed to the ALB when alb_ingress_source is \"internet\"."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.alb_ingress_cidr_blocks) > 0 && alltrue([for c in var.alb_ingress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "alb_ingress_cidr_blocks must be a non-empty list of IPv4 CIDR ranges."
  }
}

variable "enable_http_redirect" {
  description = "Open port 80 on the ALB (internet source only) so the listener can redirect plain HTTP to HTTPS. CloudFront always speaks HTTPS to the origin, so port 80 stays closed for it."
  type        = bool
  default     = true
}

variable "app_port" {
  description = "Port the chat service listens on behind the ALB."
  type        = number
  default     = 8000

  validation {
    condition     = var.app_port >= 1024 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a whole number from 1024 to 65535 (the service runs unprivileged)."
  }
}

variable "postgres_port" {
  description = "Port of the PostgreSQL instance."
  type        = number
  default     = 5432

  validation {
    condition     = var.postgres_port >= 1150 && var.postgres_port <= 65535 && floor(var.postgres_port) == var.postgres_port
    error_message = "postgres_port must be a whole number from 1150 to 65535 (the range RDS accepts)."
  }
}

variable "redis_port" {
  description = "Port of the ElastiCache replication group."
  type        = number
  default     = 6379

  validation {
    condition     = var.redis_port >= 1024 && var.redis_port <= 65535 && floor(var.redis_port) == var.redis_port
    error_message = "redis_port must be a whole number from 1024 to 65535."
  }
}

variable "egress" {
  description = "Where the chat service's HTTPS may go (network module output egress): \"endpoints\" (staging, prod: only the interface endpoints' security group and the S3 gateway endpoint's prefix list, nothing on the internet) or \"nat\" (dev: any address on 443, through the NAT gateway)."
  type        = string
  default     = "endpoints"
  nullable    = false

  validation {
    condition     = contains(["endpoints", "nat"], var.egress)
    error_message = "egress must be \"endpoints\" or \"nat\"."
  }
}

variable "endpoints_security_group_id" {
  description = "Security group of the VPC's interface endpoints (network module output endpoints_security_group_id): the app's HTTPS to SSM, Secrets Manager and CloudWatch. Required with egress = \"endpoints\"."
  type        = string
  default     = null

  validation {
    condition     = var.endpoints_security_group_id == null || can(regex("^sg-[0-9a-f]{8,17}$", var.endpoints_security_group_id))
    error_message = "endpoints_security_group_id must look like sg-0123456789abcdef0."
  }

  validation {
    condition     = var.egress == "nat" || var.endpoints_security_group_id != null
    error_message = "egress = \"endpoints\" needs endpoints_security_group_id (network module output endpoints_security_group_id)."
  }
}

variable "s3_prefix_list_id" {
  description = "Managed prefix list of S3 in the region (network module output s3_prefix_list_id, the gateway endpoint's): the app's HTTPS to S3 (releases, media, the Amazon Linux repositories). Required with egress = \"endpoints\"."
  type        = string
  default     = null

  validation {
    condition     = var.s3_prefix_list_id == null || can(regex("^pl-[0-9a-f]{8,17}$", var.s3_prefix_list_id))
    error_message = "s3_prefix_list_id must look like pl-63a5400a."
  }

  validation {
    condition     = var.egress == "nat" || var.s3_prefix_list_id != null
    error_message = "egress = \"endpoints\" needs s3_prefix_list_id (network module output s3_prefix_list_id)."
  }
}
