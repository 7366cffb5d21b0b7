variable "region" {
  description = "AWS region of the deployment."
  type        = string
}

variable "image" {
  description = "The certready image: ECR URI with a digest (@sha256:...) or an immutable tag."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository holding that image."
  type        = string
}

variable "api_domain" {
  description = "Host name of the API."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for api_domain."
  type        = string
}

variable "spa_origins" {
  description = "Browser origins of the SPA."
  type        = list(string)
}

variable "alarm_emails" {
  description = "Addresses that receive the alarms."
  type        = list(string)
  default     = []
}
