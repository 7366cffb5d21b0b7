variable "name" {
  description = "Prefix of log groups, alarms and the topic."
  type        = string
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps logs (and the access-log bucket keeps its objects)."
  type        = number
}

variable "log_bucket_name" {
  description = "Globally unique name of the access-log bucket."
  type        = string
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each confirms by mail)."
  type        = list(string)
}

variable "broker_engine" {
  description = "redis or rabbitmq: where the queue depth is read from."
  type        = string
}

variable "broker_name" {
  description = "Amazon MQ broker name (a dimension of its metrics)."
  type        = string
}

variable "queue_name" {
  description = "The broker queue the workers consume."
  type        = string
}

variable "load_balancer_arn_suffix" {
  description = "ARN suffix of the load balancer (the LoadBalancer dimension)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the API target group (the TargetGroup dimension)."
  type        = string
}

variable "alarm_5xx_per_5min" {
  description = "5xx answers in five minutes above which the 5xx alarms fire."
  type        = number
}

variable "alarm_latency_p95_seconds" {
  description = "p95 response time above which the latency alarm fires."
  type        = number
}

variable "alarm_queue_depth" {
  description = "Jobs waiting in the queue above which the queue-depth alarm fires."
  type        = number
}
