output "bucket" {
  description = "S3_BUCKET."
  value       = aws_s3_bucket.evidence.id
}

output "bucket_arn" {
  description = "ARN of the bucket, for IAM policies."
  value       = aws_s3_bucket.evidence.arn
}

output "kms_key_arn" {
  description = "S3_KMS_KEY_ID: the key every upload is encrypted with."
  value       = aws_kms_key.evidence.arn
}
