output "endpoint" {
  description = "host:port of the primary."
  value       = aws_db_instance.this.endpoint
}

output "identifier" {
  description = "Instance identifier, for alarms and restores."
  value       = aws_db_instance.this.identifier
}
