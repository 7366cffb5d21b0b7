# Logs, the access-log bucket and the alarms. Every process writes JSON lines to stdout
# (LOG_FORMAT is json in production); ECS ships them to one log group per service.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_elb_service_account" "current" {}

locals {
  account      = data.aws_caller_identity.current.account_id
  log_services = ["api", "worker", "scheduler", "migrate"]
  # Queue depth: Amazon MQ publishes it per queue; Redis has no such metric, so the worker's
  # queue is read from a custom metric that the metrics work publishes (docs/operations.md).
  queue_depth = var.broker_engine == "rabbitmq" ? {
    namespace  = "AWS/AmazonMQ"
    name       = "MessageCount"
    dimensions = { Broker = var.broker_name, VirtualHost = "/", Queue = var.queue_name }
    } : {
    namespace  = "Certready"
    name       = "JobQueueDepth"
    dimensions = { Environment = var.name, Queue = var.queue_name }
  }
}

resource "aws_kms_key" "logs" {
  description             = "${var.name} logs and alarms"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${local.account}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "LogsEncrypt"
        Effect    = "Allow"
        Principal = { Service = "logs.${data.aws_region.current.name}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:${data.aws_region.current.name}:${local.account}:*" }
        }
      },
      {
        Sid       = "AlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_cloudwatch_log_group" "service" {
  for_each          = toset(local.log_services)
  name              = "/certready/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_cloudwatch_log_group" "flow" {
  name              = "/certready/${var.name}/vpc-flow"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

# WAF insists on this name prefix for its log destinations.
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

# --- access logs of the load balancer and the evidence bucket -----------------------------

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log bucket; logging it into itself would loop.
  #checkov:skip=CKV_AWS_144:Access logs are kept in-region only; losing the region loses what they describe too.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of the access logs.
  #checkov:skip=CKV_AWS_145:Load balancer access logs can only be delivered to SSE-S3 buckets, not SSE-KMS.
  bucket = var.log_bucket_name
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "LoadBalancerWrites"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/alb/*"]
    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }
  statement {
    sid       = "S3ServerAccessLogsWrite"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/s3/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket     = aws_s3_bucket.access_logs.id
  policy     = data.aws_iam_policy_document.access_logs.json
  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

# --- alarms ----------------------------------------------------------------------------

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.logs.arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# A job dead-lettered: the worker logs one line per job that used up its retries.
resource "aws_cloudwatch_log_metric_filter" "dead_letters" {
  name           = "${var.name}-dead-letters"
  log_group_name = aws_cloudwatch_log_group.service["worker"].name
  pattern        = "\"dead-lettered\""
  metric_transformation {
    name          = "DeadLetteredJobs"
    namespace     = "Certready"
    value         = "1"
    default_value = "0"
    dimensions    = {}
  }
}

locals {
  alb_dimensions = { LoadBalancer = var.load_balancer_arn_suffix }
  alarms = {
    api-5xx = {
      description = "The API answered with 5xx errors (internal errors or a failing dependency)."
      namespace   = "AWS/ApplicationELB"
      metric      = "HTTPCode_Target_5XX_Count"
      statistic   = "Sum"
      dimensions  = merge(local.alb_dimensions, { TargetGroup = var.target_group_arn_suffix })
      threshold   = var.alarm_5xx_per_5min
      periods     = 1
      missing     = "notBreaching"
    }
    load-balancer-5xx = {
      description = "The load balancer itself answered 5xx: no healthy API task, or tasks timing out."
      namespace   = "AWS/ApplicationELB"
      metric      = "HTTPCode_ELB_5XX_Count"
      statistic   = "Sum"
      dimensions  = local.alb_dimensions
      threshold   = var.alarm_5xx_per_5min
      periods     = 1
      missing     = "notBreaching"
    }
    unhealthy-tasks = {
      description = "An API task stops answering /health/live (crashed, stuck or out of memory); ECS replaces it."
      namespace   = "AWS/ApplicationELB"
      metric      = "UnHealthyHostCount"
      statistic   = "Maximum"
      dimensions  = merge(local.alb_dimensions, { TargetGroup = var.target_group_arn_suffix })
      threshold   = 0
      periods     = 2
      missing     = "notBreaching"
    }
    queue-depth = {
      description = "Jobs wait in the broker longer than the workers can keep up with."
      namespace   = local.queue_depth.namespace
      metric      = local.queue_depth.name
      statistic   = "Maximum"
      dimensions  = local.queue_depth.dimensions
      threshold   = var.alarm_queue_depth
      periods     = 3
      missing     = "missing"
    }
    dead-letters = {
      description = "A job failed every retry and was dead-lettered: see `certready jobs failed`."
      namespace   = "Certready"
      metric      = aws_cloudwatch_log_metric_filter.dead_letters.metric_transformation[0].name
      statistic   = "Sum"
      dimensions  = {}
      threshold   = 0
      periods     = 1
      missing     = "notBreaching"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  dimensions          = each.value.dimensions
  period              = 300
  evaluation_periods  = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = each.value.missing
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

# Latency is a percentile, which the shared alarm shape above does not take.
resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "${var.name}-api-latency-p95"
  alarm_description   = "95th percentile of API response time above the target for 15 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p95"
  dimensions          = merge(local.alb_dimensions, { TargetGroup = var.target_group_arn_suffix })
  period              = 300
  evaluation_periods  = 3
  threshold           = var.alarm_latency_p95_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}
