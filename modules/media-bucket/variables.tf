variable "name" {
  description = "Name prefix of every resource, such as `chat-prod`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  description = "Tags added to every resource that supports them."
  type        = map(string)
  default     = {}
}

variable "bucket_name" {
  description = "Name of the media bucket. Default: `<name>-media-<account id>-<region>`, unique across AWS."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens."
  }
}

variable "cors_allowed_origins" {
  description = "Origins of the web client allowed to upload with presigned POST and to read through CORS, e.g. `[\"https://chat.example.com\"]`. The site's own origin only: no wildcards."
  type        = list(string)

  validation {
    condition     = length(var.cors_allowed_origins) > 0 && length(var.cors_allowed_origins) <= 10
    error_message = "cors_allowed_origins must list 1 to 10 origins."
  }

  validation {
    # https only, except a loopback origin for a developer's own machine.
    condition = alltrue([for o in var.cors_allowed_origins :
      can(regex("^(https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?|http://(localhost|127\\.0\\.0\\.1)(:[0-9]{1,5})?)$", o))
    ])
    error_message = "Each CORS origin must be scheme://host[:port] with https (http only for localhost), lower-case, with no path, trailing slash or wildcard."
  }
}

variable "kms_key_arn" {
  description = "ARN of an existing KMS key to encrypt the objects with. Default: the module creates a key with rotation."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "access_log_bucket" {
  description = "Name of an existing bucket receiving the S3 server access logs (it must accept them from logging.s3.amazonaws.com). Default: the module creates one."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket))
    error_message = "access_log_bucket must be a valid S3 bucket name."
  }
}

variable "access_log_retention_days" {
  description = "Days the module's own access-log bucket keeps the logs (unused with `access_log_bucket`)."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number of days, at least 1."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted upload stays recoverable as a noncurrent version before it is removed."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which an unfinished multipart upload is aborted and its parts deleted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of days, at least 1."
  }
}

variable "cors_max_age_seconds" {
  description = "How long browsers may cache a CORS preflight answer."
  type        = number
  default     = 3000

  validation {
    condition     = var.cors_max_age_seconds >= 0 && var.cors_max_age_seconds <= 86400
    error_message = "cors_max_age_seconds must be between 0 and 86400."
  }
}

variable "force_destroy" {
  description = "Dev switch: let `terraform destroy` delete the buckets with their objects. Leave false wherever uploads matter."
  type        = bool
  default     = false
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

variable "log_source_bucket_prefixes" {
  description = "Name prefixes of other buckets of this account whose S3 server access logs the log bucket accepts, each under s3/<its name>/ (the artifacts bucket: \"<name>-artifacts-\")."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for p in var.log_source_bucket_prefixes : can(regex("^[a-z0-9][a-z0-9.-]{2,62}$", p))])
    error_message = "log_source_bucket_prefixes must be bucket name prefixes (a-z, 0-9, '.', '-')."
  }
}
