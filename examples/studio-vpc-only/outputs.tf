output "studio_url" {
  description = "Where the users sign in."
  value       = sagemaker_studio_domain.this.url
}

output "domain_id" {
  description = "The domain id (import with it)."
  value       = sagemaker_studio_domain.this.domain_id
}

output "endpoints" {
  description = "The endpoint serving each service Studio needs; managed = false: the network's, reused."
  value       = sagemaker_studio_domain.this.endpoints
}

output "user_security_group_ids" {
  description = "Each user's own security group."
  value       = sagemaker_studio_domain.this.user_security_group_ids
}
