# Secrets Manager holds every secret the processes read, each as the exact value of one
# environment variable (ECS injects it; nothing assembles a URL at start-up). Generated
# passwords live in the state too, which is why the state bucket is encrypted and private.

data "aws_caller_identity" "current" {}

resource "aws_kms_key" "secrets" {
  description             = "${var.name} secrets"
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

resource "aws_kms_alias" "secrets" {
  name          = "alias/${var.name}-secrets"
  target_key_id = aws_kms_key.secrets.key_id
}

# The schema owner (the RDS master user): migrations connect as it.
resource "random_password" "database_owner" {
  length  = 40
  special = false # the password sits inside a URL
}

# The app role's password: `certready migrate` sets it on the role at every run.
resource "random_password" "database_app" {
  length  = 40
  special = false
}

resource "random_password" "broker" {
  length  = 40
  special = false # ElastiCache auth tokens and Amazon MQ passwords refuse most symbols
}

locals {
  # asyncpg takes `ssl=require` from the URL; the parameter group refuses plain connections.
  database_url = "postgresql://${var.database_owner}:${random_password.database_owner.result}@${var.database_endpoint}/${var.database_name}?ssl=require"
  broker_urls = {
    redis    = "rediss://:${random_password.broker.result}@${var.broker_endpoint}/0"
    rabbitmq = replace(var.broker_endpoint, "amqps://", "amqps://${var.broker_user}:${random_password.broker.result}@")
  }
  values = {
    DATABASE_URL          = local.database_url
    DATABASE_APP_PASSWORD = random_password.database_app.result
    BROKER_URL            = local.broker_urls[var.broker_engine]
  }
}

resource "aws_secretsmanager_secret" "generated" {
  #checkov:skip=CKV2_AWS_57:Rotation is a runbook step (docs/operations.md): the app reads each as one URL that a rotation function would have to rebuild, and `certready migrate` re-applies the app password.
  for_each                = local.values
  name                    = "${var.name}/${each.key}"
  description             = "${each.key} of certready (${var.name})"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_days
}

resource "aws_secretsmanager_secret_version" "generated" {
  for_each      = local.values
  secret_id     = aws_secretsmanager_secret.generated[each.key].id
  secret_string = each.value
}

# Token signing keys are made by `certready keys generate` and put here by an operator
# (docs/operations.md, "Rotate keys"): Terraform creates the secret, never its value.
resource "aws_secretsmanager_secret" "signing_keys" {
  #checkov:skip=CKV2_AWS_57:Signing keys rotate by adding a new key first and dropping the old one after the access-token lifetime, which a Lambda cannot judge; see docs/operations.md.
  name                    = "${var.name}/AUTH_SIGNING_KEYS"
  description             = "AUTH_SIGNING_KEYS of certready (${var.name}): output of certready keys generate"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_days
}
