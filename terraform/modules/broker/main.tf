# The job broker, chosen by one variable: ElastiCache Redis (TLS, auth token, Multi-AZ
# failover) or Amazon MQ for RabbitMQ (active/standby). The outbox in PostgreSQL holds every
# job until the broker took it, so a broker failover delays jobs but loses none.

locals {
  redis    = var.engine == "redis"
  rabbitmq = var.engine == "rabbitmq"
  port     = local.redis ? 6379 : 5671
}

data "aws_caller_identity" "current" {}

resource "aws_kms_key" "broker" {
  description             = "${var.name} broker"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

resource "aws_security_group" "broker" {
  name        = "${var.name}-broker"
  description = "Job broker, reachable from the certready tasks only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "from_tasks" {
  security_group_id            = aws_security_group.broker.id
  description                  = "Broker protocol (TLS) from the ECS tasks"
  referenced_security_group_id = var.client_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
}

resource "aws_elasticache_subnet_group" "this" {
  count      = local.redis ? 1 : 0
  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_elasticache_replication_group" "redis" {
  count                      = local.redis ? 1 : 0
  replication_group_id       = var.name
  description                = "certready job broker"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.instance_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  port                       = local.port
  subnet_group_name          = aws_elasticache_subnet_group.this[0].name
  security_group_ids         = [aws_security_group.broker.id]
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.broker.arn
  transit_encryption_enabled = true
  auth_token                 = var.password
  auto_minor_version_upgrade = true
  snapshot_retention_limit   = 1
  apply_immediately          = false
}

resource "aws_mq_broker" "rabbitmq" {
  count                      = local.rabbitmq ? 1 : 0
  broker_name                = var.name
  engine_type                = "RabbitMQ"
  engine_version             = "3.13"
  host_instance_type         = var.instance_type
  deployment_mode            = "CLUSTER_MULTI_AZ"
  subnet_ids                 = var.subnet_ids
  security_groups            = [aws_security_group.broker.id]
  publicly_accessible        = false
  auto_minor_version_upgrade = true
  encryption_options {
    kms_key_id        = aws_kms_key.broker.arn
    use_aws_owned_key = false
  }
  logs {
    general = true
  }
  maintenance_window_start_time {
    day_of_week = "SUNDAY"
    time_of_day = "04:00"
    time_zone   = "UTC"
  }
  user {
    username = var.user
    password = var.password
  }
}
