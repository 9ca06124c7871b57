output "arn" {
  description = "ARN of the key."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "ID of the key."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "Full alias name (alias/...)."
  value       = aws_kms_alias.this.name
}

output "rotation_enabled" {
  description = "Whether yearly rotation is on (always true; for the using modules' tests)."
  value       = aws_kms_key.this.enable_key_rotation
}

output "policy_statements" {
  description = "The key policy's statements as given to aws_iam_policy_document (sid, actions, principals, condition): what the using modules' tests check."
  value       = data.aws_iam_policy_document.key.statement
}
