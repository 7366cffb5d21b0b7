variable "name" {
  description = "Prefix of every resource name and Name tag."
  type        = string
}

variable "region" {
  description = "AWS region, for the S3 gateway endpoint's service name."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's address block; a /16 leaves room for the twelve /20 subnets."
  type        = string
}

variable "az_count" {
  description = "Availability zones to spread subnets over (2 or 3)."
  type        = number
  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "Multi-AZ RDS and the load balancer need at least two zones; four subnet blocks per tier leave room for three."
  }
}

variable "nat_per_zone" {
  description = "One NAT gateway per zone (survives a zone outage) instead of one shared."
  type        = bool
}

variable "flow_log_group_arn" {
  description = "CloudWatch log group receiving the VPC flow logs."
  type        = string
}

variable "flow_log_role_arn" {
  description = "Role the flow-log service assumes to write to that group."
  type        = string
}
