# ECS Fargate: the api, worker and scheduler services and the one-off migrate task, all from
# one image, each with its own command, roles, secrets and log group. The API sits behind an
# HTTPS-only load balancer with a WAF in front.

locals {
  port = 8000
  commands = {
    api       = ["certready", "serve"]
    worker    = ["certready", "worker"]
    scheduler = ["certready", "scheduler"]
    migrate   = ["certready", "migrate"]
  }
  # The image's HEALTHCHECK probes /health/live over HTTP, which only the API serves; the
  # job processes have no port, so ECS relies on the process staying up (it exits on errors).
  api_container = {
    portMappings = [{ containerPort = local.port, protocol = "tcp" }]
    healthCheck = {
      command     = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${local.port}/health/live', timeout=4)"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 20
    }
  }
}

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

# --- security groups -------------------------------------------------------------------

resource "aws_security_group" "load_balancer" {
  name        = "${var.name}-load-balancer"
  description = "HTTPS from the internet to the load balancer"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = aws_security_group.load_balancer.id
  description       = "HTTPS from clients"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "to_api" {
  security_group_id            = aws_security_group.load_balancer.id
  description                  = "To the API tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "certready tasks: the API port from the load balancer; out to AWS, database, broker"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "from_load_balancer" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "API port from the load balancer"
  referenced_security_group_id = aws_security_group.load_balancer.id
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
}

# HTTPS out reaches ECR, Secrets Manager, S3 and CloudWatch; the database and broker are
# inside the VPC.
resource "aws_vpc_security_group_egress_rule" "https_out" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "inside_vpc" {
  for_each          = toset(["5432", "6379", "5671"])
  security_group_id = aws_security_group.tasks.id
  description       = "PostgreSQL and the broker inside the VPC"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
}

# --- load balancer and WAF ---------------------------------------------------------------

resource "aws_lb" "api" {
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.load_balancer.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = true
  access_logs {
    bucket  = var.access_log_bucket
    prefix  = "alb"
    enabled = true
  }
}

resource "aws_lb_target_group" "api" {
  name                 = "${var.name}-api"
  port                 = local.port
  protocol             = "HTTP" # inside the VPC; TLS ends at the load balancer
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30
  health_check {
    # Live, not ready: /health/ready wants the schema at exactly the code's revision, so
    # the running release would turn unhealthy the moment the next one's expand migration
    # ran (docs/operations.md). The deploy order (migrate, then roll out) keeps new code
    # from running ahead of its schema instead.
    path                = "/health/live"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.api.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_wafv2_web_acl" "api" {
  name  = var.name
  scope = "REGIONAL"
  default_action {
    allow {}
  }
  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }

  rule {
    name     = "rate-per-address"
    priority = 0
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit_per_5min
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate"
      sampled_requests_enabled   = true
    }
  }

  # OWASP-style protections: bad bots, oversized bodies, XSS probes.
  rule {
    name     = "AWSManagedRulesCommonRuleSet"
    priority = 1
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesCommonRuleSet"
      sampled_requests_enabled   = true
    }
  }

  # Request patterns of known exploits, Log4j's message lookup among them.
  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesKnownBadInputsRuleSet"
      sampled_requests_enabled   = true
    }
  }

  # Addresses AWS threat intelligence marks as malicious.
  rule {
    name     = "AWSManagedRulesAmazonIpReputationList"
    priority = 3
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesAmazonIpReputationList"
      sampled_requests_enabled   = true
    }
  }

  # Tor exits and anonymizing proxies are blocked; hosting providers are only counted, as
  # integrations of customers may well call from a cloud.
  rule {
    name     = "AWSManagedRulesAnonymousIpList"
    priority = 4
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAnonymousIpList"
        rule_action_override {
          name = "HostingProviderIPList"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesAnonymousIpList"
      sampled_requests_enabled   = true
    }
  }
}

resource "aws_wafv2_web_acl_association" "api" {
  resource_arn = aws_lb.api.arn
  web_acl_arn  = aws_wafv2_web_acl.api.arn
}

resource "aws_wafv2_web_acl_logging_configuration" "api" {
  resource_arn            = aws_wafv2_web_acl.api.arn
  log_destination_configs = [var.waf_log_group_arn]
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
}

# --- tasks -----------------------------------------------------------------------------

resource "aws_ecs_task_definition" "this" {
  for_each                 = local.commands
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.sizes[each.key].cpu
  memory                   = var.sizes[each.key].memory
  task_role_arn            = var.task_role_arns[each.key]
  execution_role_arn       = var.execution_role_arns[each.key]
  # The root file system is read-only; Python and boto3 may still want a scratch directory.
  volume {
    name = "tmp"
  }
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  container_definitions = jsonencode([merge(
    {
      name                   = each.key
      image                  = var.image
      command                = local.commands[each.key]
      essential              = true
      readonlyRootFilesystem = true
      user                   = "10001:10001"
      mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
      environment = [
        for key, value in merge(var.environment, var.environment_by_service[each.key]) :
        { name = key, value = value }
      ]
      secrets = [
        for variable in var.secrets_by_service[each.key] :
        { name = variable, valueFrom = var.secret_arns[variable] }
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = var.log_group_names[each.key]
          awslogs-region        = var.region
          awslogs-stream-prefix = each.key
        }
      }
    },
    { for key, value in local.api_container : key => value if each.key == "api" },
  )])
}

resource "aws_ecs_service" "this" {
  for_each               = { for key in ["api", "worker", "scheduler"] : key => key }
  name                   = each.key
  cluster                = aws_ecs_cluster.this.id
  task_definition        = aws_ecs_task_definition.this[each.key].arn
  desired_count          = var.scaling[each.key].min
  launch_type            = "FARGATE"
  enable_execute_command = false
  propagate_tags         = "SERVICE"
  # Rolling deploys keep every running task until its replacement is healthy.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets          = var.compute_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }
  dynamic "load_balancer" {
    for_each = each.key == "api" ? [1] : []
    content {
      target_group_arn = aws_lb_target_group.api.arn
      container_name   = "api"
      container_port   = local.port
    }
  }
  health_check_grace_period_seconds = each.key == "api" ? 60 : null
  # Autoscaling owns the count once the service exists.
  lifecycle {
    ignore_changes = [desired_count]
  }
  depends_on = [aws_lb_listener.https]
}

# --- autoscaling -----------------------------------------------------------------------

resource "aws_appautoscaling_target" "this" {
  for_each           = aws_ecs_service.this
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${each.value.name}"
  min_capacity       = var.scaling[each.key].min
  max_capacity       = var.scaling[each.key].max
}

# The API and the workers follow CPU; the scheduler's work is small and constant.
resource "aws_appautoscaling_policy" "cpu" {
  for_each           = { for key in ["api", "worker"] : key => aws_appautoscaling_target.this[key] }
  name               = "${var.name}-${each.key}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = each.value.service_namespace
  scalable_dimension = each.value.scalable_dimension
  resource_id        = each.value.resource_id
  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# Workers also follow the jobs waiting in the broker: a backlog of slow jobs uses little CPU.
resource "aws_appautoscaling_policy" "queue_depth" {
  name               = "${var.name}-worker-queue-depth"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this["worker"].service_namespace
  scalable_dimension = aws_appautoscaling_target.this["worker"].scalable_dimension
  resource_id        = aws_appautoscaling_target.this["worker"].resource_id
  target_tracking_scaling_policy_configuration {
    target_value       = var.queue_depth_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    customized_metric_specification {
      namespace   = var.queue_depth_metric.namespace
      metric_name = var.queue_depth_metric.name
      statistic   = "Average"
      dynamic "dimensions" {
        for_each = var.queue_depth_metric.dimensions
        content {
          name  = dimensions.key
          value = dimensions.value
        }
      }
    }
  }
}
