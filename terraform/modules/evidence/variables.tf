variable "bucket_name" {
  description = "Globally unique name of the evidence bucket (S3_BUCKET)."
  type        = string
}

variable "object_lock_days" {
  description = "Object Lock retention in days (S3_OBJECT_LOCK_DAYS), or null for none. Object Lock can only be enabled when the bucket is created."
  type        = number
  default     = null
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted version is kept before it expires."
  type        = number
}

variable "cors_origins" {
  description = "SPA origins allowed to upload and download directly."
  type        = list(string)
}

variable "access_log_bucket" {
  description = "Bucket receiving the server access logs."
  type        = string
}
