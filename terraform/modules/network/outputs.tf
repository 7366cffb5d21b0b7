output "vpc_id" {
  description = "The VPC."
  value       = aws_vpc.this.id
}

output "cidr_block" {
  description = "The VPC's address block."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Subnets of the load balancer."
  value       = aws_subnet.public[*].id
}

output "public_subnet_cidrs" {
  description = "Address blocks of the load balancer: the only proxies the API trusts."
  value       = aws_subnet.public[*].cidr_block
}

output "compute_subnet_ids" {
  description = "Private subnets of the ECS tasks."
  value       = aws_subnet.compute[*].id
}

output "data_subnet_ids" {
  description = "Private subnets of RDS and the broker, with no route out of the VPC."
  value       = aws_subnet.data[*].id
}
