variable "name" {
  description = "Prefix of the role names."
  type        = string
}

variable "account_id" {
  description = "The AWS account: only its ECS tasks may assume the roles."
  type        = string
}

variable "region" {
  description = "The AWS region of the log groups."
  type        = string
}

variable "secrets_by_service" {
  description = "Environment variables each process reads from Secrets Manager."
  type        = map(list(string))
}

variable "secret_arns" {
  description = "Secret ARN per environment variable."
  type        = map(string)
}

variable "secrets_kms_key_arn" {
  description = "Key the secrets are encrypted with."
  type        = string
}

variable "log_group_names" {
  description = "Log group per process."
  type        = map(string)
}

variable "ecr_repository_arn" {
  description = "The image repository the tasks pull from."
  type        = string
}

variable "evidence_bucket_arn" {
  description = "The evidence bucket."
  type        = string
}

variable "evidence_prefix" {
  description = "S3_PREFIX: the API's objects live under it and nowhere else."
  type        = string
}

variable "evidence_kms_key_arn" {
  description = "Key of the evidence objects."
  type        = string
}

variable "object_lock" {
  description = "Whether uploads carry Object Lock retention (the API then sets it)."
  type        = bool
}

variable "flow_log_group_arn" {
  description = "Log group of the VPC flow logs."
  type        = string
}
