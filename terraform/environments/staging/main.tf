# Staging: the production shape at a smaller size, with Redis as the broker and one NAT
# gateway. State lives in S3 with a lock file beside it (Terraform or OpenTofu 1.10+).
terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
  backend "s3" {
    bucket       = "example-certready-terraform-state"
    key          = "staging/terraform.tfstate"
    region       = "eu-central-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { application = "certready", environment = "staging" }
  }
}

module "certready" {
  source                         = "../../modules/certready"
  name                           = "certready-staging"
  image                          = var.image
  ecr_repository_arn             = var.ecr_repository_arn
  api_domain                     = var.api_domain
  certificate_arn                = var.certificate_arn
  spa_origins                    = var.spa_origins
  alarm_emails                   = var.alarm_emails
  evidence_bucket_name           = "example-certready-staging-evidence"
  access_log_bucket_name         = "example-certready-staging-access-logs"
  vpc_cidr                       = "10.41.0.0/16"
  az_count                       = 2
  nat_per_zone                   = false
  database_instance_class        = "db.t4g.medium"
  database_backup_retention_days = 7
  broker_engine                  = "redis"
  broker_instance_type           = "cache.t4g.small"
  secret_recovery_window_days    = 7
  log_retention_days             = 30
  scaling = {
    api       = { min = 1, max = 3 }
    worker    = { min = 1, max = 3 }
    scheduler = { min = 1, max = 1 }
  }
}
