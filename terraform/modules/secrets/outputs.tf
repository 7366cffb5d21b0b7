output "database_owner_password" {
  description = "Master password for RDS."
  value       = random_password.database_owner.result
  sensitive   = true
}

output "broker_password" {
  description = "Redis auth token or Amazon MQ password."
  value       = random_password.broker.result
  sensitive   = true
}

output "arns" {
  description = "Secret ARN per environment variable it fills."
  value = merge(
    { for key, secret in aws_secretsmanager_secret.generated : key => secret.arn },
    { AUTH_SIGNING_KEYS = aws_secretsmanager_secret.signing_keys.arn },
  )
}

output "kms_key_arn" {
  description = "Key encrypting the secrets: execution roles decrypt with it."
  value       = aws_kms_key.secrets.arn
}
