# One task role and one execution role per process. The execution role is what ECS itself
# uses to start the task: pull the image, write its log group, read the secrets that task
# names and no others. The task role is what the process's code may do in AWS.

locals {
  services = toset(keys(var.secrets_by_service))
  # Only the API touches evidence: it presigns PUT and GET, and HEADs and deletes, under its
  # prefix. The worker's jobs (readiness recompute) need nothing beyond the database and the
  # broker, which are not AWS API calls; the scheduler and migrations likewise.
  evidence_objects = "${var.evidence_bucket_arn}/${var.evidence_prefix}*"
}

data "aws_iam_policy_document" "assume_ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "task" {
  for_each           = local.services
  name               = "${var.name}-${each.key}-task"
  description        = "What certready ${each.key} may do in AWS"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
}

resource "aws_iam_role" "execution" {
  for_each           = local.services
  name               = "${var.name}-${each.key}-execution"
  description        = "What ECS may do to start certready ${each.key}"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
}

data "aws_iam_policy_document" "execution" {
  for_each = local.services
  statement {
    sid       = "PullToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # the action takes no resource
  }
  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [var.ecr_repository_arn]
  }
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:${var.region}:${var.account_id}:log-group:${var.log_group_names[each.key]}:*"]
  }
  statement {
    sid       = "ReadOwnSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for variable in var.secrets_by_service[each.key] : var.secret_arns[variable]]
  }
  statement {
    sid       = "DecryptSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.secrets_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  for_each = local.services
  name     = "start-task"
  role     = aws_iam_role.execution[each.key].id
  policy   = data.aws_iam_policy_document.execution[each.key].json
}

data "aws_iam_policy_document" "api" {
  statement {
    sid = "EvidenceObjects"
    # PutObject signs upload URLs (with retention when Object Lock is on); GetObject signs
    # download URLs and serves HEAD; DeleteObject removes a rejected upload.
    actions = compact([
      "s3:PutObject",
      "s3:GetObject",
      "s3:DeleteObject",
      var.object_lock ? "s3:PutObjectRetention" : "",
    ])
    resources = [local.evidence_objects]
  }
  statement {
    sid       = "EvidenceKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.evidence_kms_key_arn]
  }
}

resource "aws_iam_role_policy" "api" {
  name   = "evidence"
  role   = aws_iam_role.task["api"].id
  policy = data.aws_iam_policy_document.api.json
}

resource "aws_iam_role" "flow_logs" {
  name = "${var.name}-vpc-flow-logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    }]
  })
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${var.flow_log_group_arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}
