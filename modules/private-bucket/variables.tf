variable "bucket" {
  description = "Name of the bucket. Give this or `bucket_prefix`, not both."
  type        = string
  default     = null

  validation {
    condition     = var.bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket))
    error_message = "bucket must be a valid S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens."
  }
}

variable "bucket_prefix" {
  description = "Name prefix of the bucket; AWS appends a unique suffix. Give this or `bucket`, not both."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_prefix == null || can(regex("^[a-z0-9][a-z0-9.-]{0,35}[a-z0-9-]$", var.bucket_prefix))
    error_message = "bucket_prefix must be 2-37 lower-case letters, digits, dots and hyphens (S3 appends 26 characters)."
  }

  validation {
    condition     = (var.bucket == null) != (var.bucket_prefix == null)
    error_message = "Give exactly one of bucket and bucket_prefix."
  }
}

variable "force_destroy" {
  description = "Dev switch: let `terraform destroy` delete the bucket with its objects. Leave false wherever the data matters."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags of the bucket."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key (modules/kms-key) that encrypts the objects by default; uploads naming another algorithm or key are refused. Required unless `sse_s3_for_log_delivery` names why the bucket cannot use one."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "sse_s3_for_log_delivery" {
  description = "The log delivery that writes into this bucket and accepts SSE-S3 targets only, making the bucket use SSE-S3 (AES256) instead of a KMS key: `s3-server-access-logs` or `elb-access-logs`. Null (the default) for every other bucket, which then needs `kms_key_arn`."
  type        = string
  default     = null

  validation {
    condition     = var.sse_s3_for_log_delivery == null || contains(["s3-server-access-logs", "elb-access-logs"], coalesce(var.sse_s3_for_log_delivery, "-"))
    error_message = "sse_s3_for_log_delivery must be s3-server-access-logs or elb-access-logs: the deliveries AWS refuses to send to an SSE-KMS bucket."
  }

  validation {
    condition     = (var.kms_key_arn == null) != (var.sse_s3_for_log_delivery == null)
    error_message = "Give exactly one of kms_key_arn and sse_s3_for_log_delivery: every bucket uses a KMS key unless AWS refuses one for its log delivery."
  }
}

variable "log_delivery_acl_grantees" {
  description = "Canonical user IDs that write through a bucket ACL (FULL_CONTROL), such as CloudFront standard logging's `awslogsdelivery` account. Empty (the default): ACLs are disabled (BucketOwnerEnforced); otherwise the bucket keeps ACLs enabled (BucketOwnerPreferred) for them alone."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for g in var.log_delivery_acl_grantees : can(regex("^[0-9a-f]{64}$", g))])
    error_message = "log_delivery_acl_grantees must be canonical user IDs (64 hexadecimal characters)."
  }
}

variable "policy_documents" {
  description = "JSON policy documents (`aws_iam_policy_document` ... `.json`) whose statements join the bucket policy: the caller's own grants, such as the OAC read of a CloudFront distribution. The module's own statements (TLS only, TLS 1.2 or later, with a KMS key no other encryption, and `log_delivery_grants`) are always there and win over a caller's statement with the same sid."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "log_delivery_grants" {
  description = "For a log bucket: the AWS services that deliver logs into it. Each grant (`sid`, the `service` principal such as logging.s3.amazonaws.com, the `key_prefix` it writes under, and optionally the `source_arns` it must deliver for) allows s3:PutObject under that prefix only, from this account only (aws:SourceAccount)."
  type = list(object({
    sid         = string
    service     = string
    key_prefix  = string
    source_arns = optional(list(string), [])
  }))
  default  = []
  nullable = false

  validation {
    condition = alltrue([for g in var.log_delivery_grants :
      can(regex("^[A-Za-z0-9]+$", g.sid)) && can(regex("^[a-z0-9.-]+\\.amazonaws\\.com$", g.service)) &&
      can(regex("^[A-Za-z0-9!_.*'()/-]+$", g.key_prefix)) && !startswith(g.key_prefix, "/") &&
      alltrue([for a in g.source_arns : startswith(a, "arn:")])
    ])
    error_message = "Each log delivery grant needs an alphanumeric sid, a service principal (<name>.amazonaws.com), a key prefix without a leading '/', and source ARNs (arn:...)."
  }
}

variable "access_logging" {
  description = "S3 server access logging: the bucket that receives the logs (it must admit them from logging.s3.amazonaws.com), the key prefix (default `s3/<this bucket>/`), and whether log keys are partitioned by event date. Null: no access logging, for a bucket that is itself a log target or whose reads are logged elsewhere (say why in the calling module)."
  type = object({
    target_bucket             = string
    target_prefix             = optional(string)
    partitioned_by_event_time = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.access_logging == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_logging.target_bucket))
    error_message = "access_logging.target_bucket must be a valid S3 bucket name."
  }

  validation {
    condition     = var.access_logging == null || try(var.access_logging.target_prefix == null || endswith(var.access_logging.target_prefix, "/"), true)
    error_message = "access_logging.target_prefix must end with '/'."
  }
}

variable "lifecycle_rules" {
  description = "Lifecycle rules, each enabled, on the whole bucket or under `prefix`: `expiration_days` (current objects), `expire_object_delete_markers` (remove delete markers with no versions left), `noncurrent_version_expiration_days`, `abort_incomplete_multipart_upload_days`. At least one rule must abort incomplete multipart uploads. Null (the default): one rule expiring noncurrent versions after 90 days and aborting incomplete uploads after 7; a log bucket gives `log_retention` instead."
  type = list(object({
    id                                     = string
    prefix                                 = optional(string)
    expiration_days                        = optional(number)
    expire_object_delete_markers           = optional(bool, false)
    noncurrent_version_expiration_days     = optional(number)
    abort_incomplete_multipart_upload_days = optional(number)
  }))
  default = null

  validation {
    condition     = var.lifecycle_rules == null || try(length(var.lifecycle_rules) > 0 && length(distinct([for r in var.lifecycle_rules : r.id])) == length(var.lifecycle_rules), false)
    error_message = "lifecycle_rules needs at least one rule, and rule ids must be unique."
  }

  validation {
    condition     = var.lifecycle_rules == null || try(anytrue([for r in var.lifecycle_rules : r.abort_incomplete_multipart_upload_days != null]), false)
    error_message = "One lifecycle rule must abort incomplete multipart uploads: their parts are stored and billed but never listed."
  }

  validation {
    condition = var.lifecycle_rules == null || try(alltrue([for r in var.lifecycle_rules : alltrue([
      for d in [r.expiration_days, r.noncurrent_version_expiration_days, r.abort_incomplete_multipart_upload_days] : d == null ? true : d >= 1 && floor(d) == d
    ])]), false)
    error_message = "Lifecycle days must be whole numbers, at least 1."
  }

  validation {
    condition = var.lifecycle_rules == null || try(alltrue([for r in var.lifecycle_rules :
      !(r.expiration_days != null && r.expire_object_delete_markers) &&
      (r.expiration_days != null || r.expire_object_delete_markers || r.noncurrent_version_expiration_days != null || r.abort_incomplete_multipart_upload_days != null)
    ]), false)
    error_message = "Each lifecycle rule needs an action, and expiration_days and expire_object_delete_markers cannot share a rule (S3 refuses it)."
  }

  validation {
    condition     = var.lifecycle_rules == null || try(alltrue([for r in var.lifecycle_rules : can(regex("^[A-Za-z0-9._-]{1,255}$", r.id))]), false)
    error_message = "Lifecycle rule ids must be 1-255 letters, digits, '.', '_' and '-'."
  }
}

variable "log_retention" {
  description = "For a log bucket, its whole lifecycle in one rule (`expire-access-logs`): every object expires `days` after delivery, noncurrent versions `noncurrent_days` (1) after that, incomplete uploads are aborted after a day. Give this or `lifecycle_rules`, not both."
  type = object({
    days            = number
    noncurrent_days = optional(number, 1)
  })
  default = null

  validation {
    condition     = var.log_retention == null || try(alltrue([for d in [var.log_retention.days, var.log_retention.noncurrent_days] : d >= 1 && floor(d) == d]), false)
    error_message = "log_retention days and noncurrent_days must be whole numbers, at least 1."
  }

  validation {
    condition     = var.log_retention == null || var.lifecycle_rules == null
    error_message = "Give log_retention or lifecycle_rules, not both."
  }
}

variable "object_lock" {
  description = "Object Lock default retention of every new object version: `mode` (GOVERNANCE, the default, or COMPLIANCE) and `days`. Null: no Object Lock."
  type = object({
    mode = optional(string, "GOVERNANCE")
    days = number
  })
  default = null

  validation {
    condition     = var.object_lock == null || try(contains(["GOVERNANCE", "COMPLIANCE"], var.object_lock.mode), false)
    error_message = "object_lock.mode must be GOVERNANCE or COMPLIANCE."
  }

  validation {
    condition     = var.object_lock == null || try(var.object_lock.days >= 1 && var.object_lock.days <= 36500 && floor(var.object_lock.days) == var.object_lock.days, false)
    error_message = "object_lock.days must be a whole number from 1 to 36500."
  }
}

variable "event_notifications" {
  description = "Object event notifications: `eventbridge` (send every event to EventBridge), and `topics`, `queues`, `lambda_functions` (each an ARN with its events, such as `s3:ObjectCreated:*`, and optional key filters). The destination's own policy must admit s3.amazonaws.com. Null: none."
  type = object({
    eventbridge = optional(bool, false)
    topics = optional(list(object({
      arn           = string
      events        = list(string)
      filter_prefix = optional(string)
      filter_suffix = optional(string)
    })), [])
    queues = optional(list(object({
      arn           = string
      events        = list(string)
      filter_prefix = optional(string)
      filter_suffix = optional(string)
    })), [])
    lambda_functions = optional(list(object({
      arn           = string
      events        = list(string)
      filter_prefix = optional(string)
      filter_suffix = optional(string)
    })), [])
  })
  default = null

  validation {
    condition = var.event_notifications == null || try(alltrue([
      for n in concat(var.event_notifications.topics, var.event_notifications.queues, var.event_notifications.lambda_functions) :
      length(n.events) > 0 && alltrue([for e in n.events : startswith(e, "s3:")])
    ]), false)
    error_message = "Each notification needs at least one S3 event name (s3:ObjectCreated:*, s3:ObjectRemoved:Delete, ...)."
  }

  validation {
    condition = var.event_notifications == null || try(
      var.event_notifications.eventbridge || length(concat(var.event_notifications.topics, var.event_notifications.queues, var.event_notifications.lambda_functions)) > 0,
    false)
    error_message = "event_notifications needs eventbridge = true or at least one destination; leave it null for none."
  }
}
