output "api_url" {
  description = "PUBLIC_BASE_URL of the API."
  value       = "https://${var.api_domain}"
}

output "load_balancer_dns_name" {
  description = "Point api_domain here (CNAME or Route 53 alias)."
  value       = module.compute.load_balancer_dns_name
}

output "load_balancer_zone_id" {
  description = "Hosted zone of the load balancer, for a Route 53 alias."
  value       = module.compute.load_balancer_zone_id
}

output "cluster_name" {
  description = "ECS cluster of the services and the migrate task."
  value       = module.compute.cluster_name
}

output "migrate_task_definition" {
  description = "Run this task once per release before the services update."
  value       = module.compute.migrate_task_definition
}

output "migrate_network" {
  description = "Subnets and security group to run the migrate task in."
  value = {
    subnets         = module.network.compute_subnet_ids
    security_groups = [module.compute.tasks_security_group_id]
  }
}

output "evidence_bucket" {
  description = "S3_BUCKET."
  value       = module.evidence.bucket
}

output "evidence_kms_key_arn" {
  description = "S3_KMS_KEY_ID."
  value       = module.evidence.kms_key_arn
}

output "database_endpoint" {
  description = "host:port of PostgreSQL."
  value       = module.database.endpoint
}

output "database_identifier" {
  description = "RDS instance to restore from (docs/operations.md)."
  value       = module.database.identifier
}

output "secret_arns" {
  description = "Secret per environment variable; put AUTH_SIGNING_KEYS before the first deploy."
  value       = module.secrets.arns
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms: subscribe a pager here."
  value       = module.observability.alarm_topic_arn
}

output "log_group_names" {
  description = "Log group per process."
  value       = module.observability.log_group_names
}
