output "endpoint" {
  description = "host:port of the Redis primary, or the amqps:// endpoint of Amazon MQ."
  value = (local.redis
    ? "${one(aws_elasticache_replication_group.redis[*].primary_endpoint_address)}:${local.port}"
  : one(aws_mq_broker.rabbitmq[*].instances[0].endpoints[0]))
}

output "name" {
  description = "Broker name: the dimension of its CloudWatch metrics."
  value       = var.name
}
