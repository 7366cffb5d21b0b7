# One VPC over `az_count` zones: public subnets hold only the load balancer (and the NAT
# gateways), compute and data each get private subnets of their own so their security groups
# and route tables stay apart.

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  zones = slice(data.aws_availability_zones.available.names, 0, var.az_count)
  # /20 per subnet out of the VPC block: public 0.., compute 4.., data 8..
  public_cidrs  = [for i in range(var.az_count) : cidrsubnet(var.cidr_block, 4, i)]
  compute_cidrs = [for i in range(var.az_count) : cidrsubnet(var.cidr_block, 4, i + 4)]
  data_cidrs    = [for i in range(var.az_count) : cidrsubnet(var.cidr_block, 4, i + 8)]
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = var.name }
}

# The default security group of a VPC allows all traffic between its members: close it.
resource "aws_default_security_group" "closed" {
  vpc_id = aws_vpc.this.id
}

resource "aws_flow_log" "all" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = var.flow_log_group_arn
  iam_role_arn         = var.flow_log_role_arn
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = var.name }
}

resource "aws_subnet" "public" {
  count             = var.az_count
  vpc_id            = aws_vpc.this.id
  cidr_block        = local.public_cidrs[count.index]
  availability_zone = local.zones[count.index]
  tags              = { Name = "${var.name}-public-${local.zones[count.index]}", tier = "public" }
}

resource "aws_subnet" "compute" {
  count             = var.az_count
  vpc_id            = aws_vpc.this.id
  cidr_block        = local.compute_cidrs[count.index]
  availability_zone = local.zones[count.index]
  tags              = { Name = "${var.name}-compute-${local.zones[count.index]}", tier = "compute" }
}

resource "aws_subnet" "data" {
  count             = var.az_count
  vpc_id            = aws_vpc.this.id
  cidr_block        = local.data_cidrs[count.index]
  availability_zone = local.zones[count.index]
  tags              = { Name = "${var.name}-data-${local.zones[count.index]}", tier = "data" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }
  tags = { Name = "${var.name}-public" }
}

resource "aws_route_table_association" "public" {
  count          = var.az_count
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# Tasks pull the image and reach AWS APIs through NAT; one gateway per zone when
# `nat_per_zone` (production), else one shared gateway (staging saves its cost).
resource "aws_eip" "nat" {
  count  = local.nat_count
  domain = "vpc"
  tags   = { Name = "${var.name}-nat-${count.index}" }
}

locals {
  nat_count = var.nat_per_zone ? var.az_count : 1
}

resource "aws_nat_gateway" "this" {
  count         = local.nat_count
  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id
  tags          = { Name = "${var.name}-${count.index}" }
  depends_on    = [aws_internet_gateway.this]
}

resource "aws_route_table" "compute" {
  count  = var.az_count
  vpc_id = aws_vpc.this.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.this[count.index % local.nat_count].id
  }
  tags = { Name = "${var.name}-compute-${count.index}" }
}

resource "aws_route_table_association" "compute" {
  count          = var.az_count
  subnet_id      = aws_subnet.compute[count.index].id
  route_table_id = aws_route_table.compute[count.index].id
}

# Data subnets have no route out of the VPC at all.
resource "aws_route_table" "data" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${var.name}-data" }
}

resource "aws_route_table_association" "data" {
  count          = var.az_count
  subnet_id      = aws_subnet.data[count.index].id
  route_table_id = aws_route_table.data.id
}

# S3 traffic (evidence checks, image layers) stays on the AWS network.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.compute[*].id
}
