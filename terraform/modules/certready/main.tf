# One certready deployment: every module wired together. The environments differ only in
# the values they pass here, so staging and production cannot drift apart in shape.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  queue = "certready" # backend/jobs/brokers.py: the one queue every job goes through
  # Which secret each process reads. Only the API signs tokens; migrations need no broker.
  secrets_by_service = {
    api       = ["DATABASE_URL", "DATABASE_APP_PASSWORD", "AUTH_SIGNING_KEYS", "BROKER_URL"]
    worker    = ["DATABASE_URL", "DATABASE_APP_PASSWORD", "BROKER_URL"]
    scheduler = ["DATABASE_URL", "DATABASE_APP_PASSWORD", "BROKER_URL"]
    migrate   = ["DATABASE_URL", "DATABASE_APP_PASSWORD"]
  }
  # Every process sees the same store, so none falls back to local files by mistake; only
  # the API's role may touch it.
  environment = merge(
    {
      CERTREADY_ENV = "production"
      LOG_LEVEL     = var.log_level
      S3_BUCKET     = module.evidence.bucket
      S3_PREFIX     = var.evidence_prefix
      S3_REGION     = data.aws_region.current.name
      S3_KMS_KEY_ID = module.evidence.kms_key_arn
    },
    var.object_lock_days == null ? {} : { S3_OBJECT_LOCK_DAYS = tostring(var.object_lock_days) },
  )
  environment_by_service = {
    api = {
      # Only the load balancer's subnets are believed about client addresses.
      TRUSTED_PROXIES    = join(",", module.network.public_subnet_cidrs)
      CORS_ALLOW_ORIGINS = join(",", var.spa_origins)
      PUBLIC_BASE_URL    = "https://${var.api_domain}"
      DATABASE_POOL_SIZE = tostring(var.api_database_pool_size)
    }
    worker    = { JOB_WORKER_THREADS = tostring(var.job_worker_threads) }
    scheduler = {}
    migrate   = {}
  }
}

module "network" {
  source             = "../network"
  name               = var.name
  region             = data.aws_region.current.name
  cidr_block         = var.vpc_cidr
  az_count           = var.az_count
  nat_per_zone       = var.nat_per_zone
  flow_log_group_arn = module.observability.flow_log_group_arn
  flow_log_role_arn  = module.iam.flow_log_role_arn
}

module "secrets" {
  source               = "../secrets"
  name                 = var.name
  database_owner       = var.database_owner
  database_name        = var.database_name
  database_endpoint    = module.database.endpoint
  broker_engine        = var.broker_engine
  broker_endpoint      = module.broker.endpoint
  broker_user          = var.broker_user
  recovery_window_days = var.secret_recovery_window_days
}

module "database" {
  source                   = "../database"
  name                     = var.name
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.data_subnet_ids
  client_security_group_id = module.compute.tasks_security_group_id
  engine_major_version     = var.database_engine_major_version
  instance_class           = var.database_instance_class
  allocated_storage_gb     = var.database_storage_gb
  max_allocated_storage_gb = var.database_max_storage_gb
  database_name            = var.database_name
  owner                    = var.database_owner
  owner_password           = module.secrets.database_owner_password
  backup_retention_days    = var.database_backup_retention_days
  slow_query_ms            = var.database_slow_query_ms
}

module "evidence" {
  source                  = "../evidence"
  bucket_name             = var.evidence_bucket_name
  object_lock_days        = var.object_lock_days
  noncurrent_version_days = var.evidence_noncurrent_version_days
  cors_origins            = var.spa_origins
  access_log_bucket       = module.observability.access_log_bucket
}

module "broker" {
  source                   = "../broker"
  name                     = var.name
  engine                   = var.broker_engine
  instance_type            = var.broker_instance_type
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.data_subnet_ids
  client_security_group_id = module.compute.tasks_security_group_id
  user                     = var.broker_user
  password                 = module.secrets.broker_password
}

module "iam" {
  source               = "../iam"
  name                 = var.name
  account_id           = data.aws_caller_identity.current.account_id
  region               = data.aws_region.current.name
  secrets_by_service   = local.secrets_by_service
  secret_arns          = module.secrets.arns
  secrets_kms_key_arn  = module.secrets.kms_key_arn
  log_group_names      = module.observability.log_group_names
  ecr_repository_arn   = var.ecr_repository_arn
  evidence_bucket_arn  = module.evidence.bucket_arn
  evidence_prefix      = var.evidence_prefix
  evidence_kms_key_arn = module.evidence.kms_key_arn
  object_lock          = var.object_lock_days != null
  flow_log_group_arn   = module.observability.flow_log_group_arn
}

module "compute" {
  source                  = "../compute"
  name                    = var.name
  region                  = data.aws_region.current.name
  image                   = var.image
  vpc_id                  = module.network.vpc_id
  vpc_cidr                = module.network.cidr_block
  public_subnet_ids       = module.network.public_subnet_ids
  compute_subnet_ids      = module.network.compute_subnet_ids
  certificate_arn         = var.certificate_arn
  access_log_bucket       = module.observability.access_log_bucket
  waf_log_group_arn       = module.observability.waf_log_group_arn
  waf_rate_limit_per_5min = var.waf_rate_limit_per_5min
  sizes                   = var.task_sizes
  scaling                 = var.scaling
  cpu_target_percent      = var.cpu_target_percent
  queue_depth_target      = var.queue_depth_target
  queue_depth_metric      = module.observability.queue_depth_metric
  environment             = local.environment
  environment_by_service  = local.environment_by_service
  secrets_by_service      = local.secrets_by_service
  secret_arns             = module.secrets.arns
  task_role_arns          = module.iam.task_role_arns
  execution_role_arns     = module.iam.execution_role_arns
  log_group_names         = module.observability.log_group_names
}

module "observability" {
  source                    = "../observability"
  name                      = var.name
  log_retention_days        = var.log_retention_days
  log_bucket_name           = var.access_log_bucket_name
  alarm_emails              = var.alarm_emails
  broker_engine             = var.broker_engine
  broker_name               = module.broker.name
  queue_name                = local.queue
  load_balancer_arn_suffix  = module.compute.load_balancer_arn_suffix
  target_group_arn_suffix   = module.compute.target_group_arn_suffix
  alarm_5xx_per_5min        = var.alarm_5xx_per_5min
  alarm_latency_p95_seconds = var.alarm_latency_p95_seconds
  alarm_queue_depth         = var.alarm_queue_depth
}
