variable "name" {
  description = "Prefix for every resource name, such as chat-prod: lower-case letters, digits and hyphens (at most 26, so that the bucket name prefix fits S3's 37-character limit for prefixes)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,24}[a-z0-9]$", var.name))
    error_message = "name must be 3-26 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

variable "access_log_bucket" {
  description = "Name of an existing bucket that receives this bucket's S3 server access logs under s3/<this bucket>/ (the live units pass the media bucket's log bucket, which admits them). Null leaves access logging off."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "access_log_bucket must be a valid S3 bucket name."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days an overwritten or deleted release stays recoverable as a noncurrent version."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && var.noncurrent_version_retention_days <= 3650
    error_message = "noncurrent_version_retention_days must be from 1 to 3650."
  }
}

variable "publisher_role_arns" {
  description = "IAM roles (the CI deploy roles) allowed to upload releases under releases/. Readers are granted through their own role policies (app-asg)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.publisher_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", a))])
    error_message = "publisher_role_arns must be IAM role ARNs."
  }
}

variable "force_destroy" {
  description = "Let Terraform delete the bucket with its releases (dev only)."
  type        = bool
  default     = false
}

variable "release_retention_days" {
  description = "Object Lock retention of every release object (GOVERNANCE mode): for this many days after upload no one can overwrite or delete that version without s3:BypassGovernanceRetention, which the deploy roles' boundary denies."
  type        = number
  default     = 365

  validation {
    condition     = var.release_retention_days >= 1 && var.release_retention_days <= 3650 && floor(var.release_retention_days) == var.release_retention_days
    error_message = "release_retention_days must be a whole number from 1 to 3650."
  }
}
