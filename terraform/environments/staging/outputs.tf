output "certready" {
  description = "What the app and its operators need (described in modules/certready/outputs.tf)."
  value       = module.certready
}
