variable "name" {
  description = "Cluster name and prefix of its companions."
  type        = string
}

variable "region" {
  description = "AWS region of the log groups."
  type        = string
}

variable "image" {
  description = "The certready image (repository URI with a tag or digest), one for all processes."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "vpc_cidr" {
  description = "The VPC's block: where the database and the broker listen."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the load balancer."
  type        = list(string)
}

variable "compute_subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate of the API's host name."
  type        = string
}

variable "access_log_bucket" {
  description = "Bucket of the load balancer's access logs."
  type        = string
}

variable "waf_log_group_arn" {
  description = "Log group of the WAF."
  type        = string
}

variable "waf_rate_limit_per_5min" {
  description = "Requests per client address in five minutes before the WAF blocks it."
  type        = number
}

variable "sizes" {
  description = "Fargate cpu and memory per process (api, worker, scheduler, migrate)."
  type        = map(object({ cpu = number, memory = number }))
}

variable "scaling" {
  description = "Minimum and maximum task count per service (api, worker, scheduler)."
  type        = map(object({ min = number, max = number }))
}

variable "cpu_target_percent" {
  description = "Average CPU the api and worker services scale to hold."
  type        = number
}

variable "queue_depth_target" {
  description = "Jobs waiting in the broker that the worker service scales to hold."
  type        = number
}

variable "queue_depth_metric" {
  description = "CloudWatch metric of the queue depth (from the observability module)."
  type        = object({ namespace = string, name = string, dimensions = map(string) })
}

variable "environment" {
  description = "Plain environment variables every process gets."
  type        = map(string)
}

variable "environment_by_service" {
  description = "Plain environment variables of one process only (api, worker, scheduler, migrate)."
  type        = map(map(string))
}

variable "secrets_by_service" {
  description = "Environment variables each process reads from Secrets Manager."
  type        = map(list(string))
}

variable "secret_arns" {
  description = "Secret ARN per environment variable."
  type        = map(string)
}

variable "task_role_arns" {
  description = "Task role per process."
  type        = map(string)
}

variable "execution_role_arns" {
  description = "Execution role per process."
  type        = map(string)
}

variable "log_group_names" {
  description = "Log group per process."
  type        = map(string)
}
