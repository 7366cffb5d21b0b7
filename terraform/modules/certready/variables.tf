variable "name" {
  description = "Deployment name (e.g. certready-production): prefix of every resource."
  type        = string
}

variable "image" {
  description = "The certready image for every process: ECR URI with a tag or, better, a digest."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository the image comes from."
  type        = string
}

variable "api_domain" {
  description = "Host name clients use for the API (PUBLIC_BASE_URL is https:// and this)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for api_domain, in the deployment's region."
  type        = string
}

variable "spa_origins" {
  description = "Browser origins of the SPA: CORS_ALLOW_ORIGINS and the evidence bucket's CORS."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "Address block of the VPC (a /16)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones used (2 or 3)."
  type        = number
  default     = 2
}

variable "nat_per_zone" {
  description = "One NAT gateway per zone instead of one for all."
  type        = bool
  default     = true
}

variable "database_engine_major_version" {
  description = "PostgreSQL major version, 16 or later."
  type        = number
  default     = 17
}

variable "database_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.m7g.large"
}

variable "database_storage_gb" {
  description = "Initial RDS storage in GB."
  type        = number
  default     = 50
}

variable "database_max_storage_gb" {
  description = "RDS storage autoscaling ceiling in GB."
  type        = number
  default     = 500
}

variable "database_name" {
  description = "Name of the database."
  type        = string
  default     = "certready"
}

variable "database_owner" {
  description = "RDS master user: owns the schema, runs migrations (DATABASE_URL's user)."
  type        = string
  default     = "certready"
}

variable "database_backup_retention_days" {
  description = "Automated backup retention, which bounds point-in-time recovery."
  type        = number
  default     = 14
}

variable "database_slow_query_ms" {
  description = "Statements slower than this many milliseconds are logged by PostgreSQL."
  type        = number
  default     = 500
}

variable "api_database_pool_size" {
  description = "DATABASE_POOL_SIZE of each API task: tasks x pool must stay below max_connections."
  type        = number
  default     = 10
}

variable "job_worker_threads" {
  description = "JOB_WORKER_THREADS: jobs one worker task runs at once."
  type        = number
  default     = 4
}

variable "evidence_bucket_name" {
  description = "Globally unique name of the evidence bucket."
  type        = string
}

variable "evidence_prefix" {
  description = "S3_PREFIX: key prefix of every evidence object, and the limit of the API's S3 rights."
  type        = string
  default     = "evidence/"
}

variable "object_lock_days" {
  description = "S3_OBJECT_LOCK_DAYS: Object Lock retention in days, or null for none (decided when the bucket is created)."
  type        = number
  default     = null
}

variable "evidence_noncurrent_version_days" {
  description = "Days a replaced or deleted evidence object version is kept."
  type        = number
  default     = 365
}

variable "broker_engine" {
  description = "Job broker: redis (ElastiCache) or rabbitmq (Amazon MQ)."
  type        = string
  default     = "redis"
}

variable "broker_instance_type" {
  description = "Broker node type: cache.* for redis, mq.* for rabbitmq."
  type        = string
  default     = "cache.t4g.small"
}

variable "broker_user" {
  description = "Amazon MQ user (ignored by Redis)."
  type        = string
  default     = "certready"
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can be restored."
  type        = number
  default     = 30
}

variable "task_sizes" {
  description = "Fargate cpu units and memory MiB per process."
  type        = map(object({ cpu = number, memory = number }))
  default = {
    api       = { cpu = 512, memory = 1024 }
    worker    = { cpu = 512, memory = 1024 }
    scheduler = { cpu = 256, memory = 512 }
    migrate   = { cpu = 256, memory = 512 }
  }
}

variable "scaling" {
  description = "Minimum and maximum tasks per service."
  type        = map(object({ min = number, max = number }))
  default = {
    api       = { min = 2, max = 10 }
    worker    = { min = 1, max = 10 }
    scheduler = { min = 1, max = 2 }
  }
}

variable "cpu_target_percent" {
  description = "Average CPU the api and worker services scale to hold."
  type        = number
  default     = 60
}

variable "queue_depth_target" {
  description = "Jobs waiting in the broker that the worker service scales to hold."
  type        = number
  default     = 100
}

variable "waf_rate_limit_per_5min" {
  description = "Requests per client address per five minutes before the WAF blocks it."
  type        = number
  default     = 2000
}

variable "log_level" {
  description = "LOG_LEVEL of every process."
  type        = string
  default     = "INFO"
}

variable "log_retention_days" {
  description = "Days logs are kept."
  type        = number
  default     = 365
}

variable "access_log_bucket_name" {
  description = "Globally unique name of the access-log bucket."
  type        = string
}

variable "alarm_emails" {
  description = "Addresses that receive the alarms."
  type        = list(string)
  default     = []
}

variable "alarm_5xx_per_5min" {
  description = "5xx answers in five minutes that fire the 5xx alarms."
  type        = number
  default     = 10
}

variable "alarm_latency_p95_seconds" {
  description = "p95 API response time that fires the latency alarm."
  type        = number
  default     = 1.5
}

variable "alarm_queue_depth" {
  description = "Jobs waiting for 15 minutes that fire the queue-depth alarm."
  type        = number
  default     = 1000
}
