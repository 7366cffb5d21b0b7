output "cluster_name" {
  description = "The ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "tasks_security_group_id" {
  description = "Security group of every task: the database and broker admit it."
  value       = aws_security_group.tasks.id
}

output "load_balancer_dns_name" {
  description = "Point the API's DNS name (CNAME or alias) here."
  value       = aws_lb.api.dns_name
}

output "load_balancer_zone_id" {
  description = "Hosted zone of the load balancer, for a Route 53 alias."
  value       = aws_lb.api.zone_id
}

output "load_balancer_arn_suffix" {
  description = "LoadBalancer dimension of its metrics."
  value       = aws_lb.api.arn_suffix
}

output "target_group_arn_suffix" {
  description = "TargetGroup dimension of the API's metrics."
  value       = aws_lb_target_group.api.arn_suffix
}

output "migrate_task_definition" {
  description = "Task definition of `certready migrate`, run once per release before the services update."
  value       = aws_ecs_task_definition.this["migrate"].arn
}
