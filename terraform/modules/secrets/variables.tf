variable "name" {
  description = "Prefix of the secrets' names (name/VARIABLE)."
  type        = string
}

variable "database_owner" {
  description = "User name of the schema owner in DATABASE_URL."
  type        = string
}

variable "database_name" {
  description = "Database name in DATABASE_URL."
  type        = string
}

variable "database_endpoint" {
  description = "host:port of the database."
  type        = string
}

variable "broker_engine" {
  description = "redis or rabbitmq: which URL form BROKER_URL takes."
  type        = string
}

variable "broker_endpoint" {
  description = "host:port of Redis, or the amqps:// endpoint of Amazon MQ."
  type        = string
}

variable "broker_user" {
  description = "Amazon MQ user name (unused with Redis, whose auth token has no user)."
  type        = string
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once)."
  type        = number
}
