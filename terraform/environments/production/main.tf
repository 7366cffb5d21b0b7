# Production: three zones, a NAT gateway per zone, Amazon MQ for RabbitMQ (its queue depth
# is a native CloudWatch metric, which the worker autoscaling follows) and evidence under
# Object Lock. State lives in S3 with a lock file beside it (Terraform or OpenTofu 1.10+).
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
    key          = "production/terraform.tfstate"
    region       = "eu-central-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { application = "certready", environment = "production" }
  }
}

module "certready" {
  source                         = "../../modules/certready"
  name                           = "certready-production"
  image                          = var.image
  ecr_repository_arn             = var.ecr_repository_arn
  api_domain                     = var.api_domain
  certificate_arn                = var.certificate_arn
  spa_origins                    = var.spa_origins
  alarm_emails                   = var.alarm_emails
  evidence_bucket_name           = "example-certready-production-evidence"
  access_log_bucket_name         = "example-certready-production-access-logs"
  vpc_cidr                       = "10.40.0.0/16"
  az_count                       = 3
  nat_per_zone                   = true
  database_instance_class        = "db.m7g.large"
  database_backup_retention_days = 35
  broker_engine                  = "rabbitmq"
  broker_instance_type           = "mq.m5.large"
  object_lock_days               = 2555
  log_retention_days             = 365
}
