output "task_role_arns" {
  description = "Task role per process."
  value       = { for key, role in aws_iam_role.task : key => role.arn }
}

output "execution_role_arns" {
  description = "Execution role per process."
  value       = { for key, role in aws_iam_role.execution : key => role.arn }
}

output "flow_log_role_arn" {
  description = "Role of the VPC flow logs."
  value       = aws_iam_role.flow_logs.arn
}
