output "log_group_names" {
  description = "Log group per process (api, worker, scheduler, migrate)."
  value       = { for key, group in aws_cloudwatch_log_group.service : key => group.name }
}

output "flow_log_group_arn" {
  description = "Log group of the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow.arn
}

output "waf_log_group_arn" {
  description = "Log group of the WAF."
  value       = aws_cloudwatch_log_group.waf.arn
}

output "access_log_bucket" {
  description = "Bucket of the load balancer's and the evidence bucket's access logs."
  value       = aws_s3_bucket.access_logs.id
}

output "queue_depth_metric" {
  description = "Namespace, name and dimensions of the queue-depth metric (for autoscaling)."
  value       = local.queue_depth
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}
