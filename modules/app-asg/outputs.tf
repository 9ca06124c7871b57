output "autoscaling_group_name" {
  description = "Name of the Auto Scaling group (AutoScalingGroupName dimension for the monitoring module)."
  value       = aws_autoscaling_group.app.name
}

output "autoscaling_group_arn" {
  description = "ARN of the Auto Scaling group."
  value       = aws_autoscaling_group.app.arn
}

output "launch_template_id" {
  description = "ID of the launch template."
  value       = aws_launch_template.app.id
}

output "launch_template_latest_version" {
  description = "Latest launch template version: the one the group and its instance refresh roll to."
  value       = aws_launch_template.app.latest_version
}

output "instance_role_arn" {
  description = "ARN of the instances' IAM role (for bucket or key policies that name it)."
  value       = aws_iam_role.app.arn
}

output "instance_role_name" {
  description = "Name of the instances' IAM role."
  value       = aws_iam_role.app.name
}

output "log_group_name" {
  description = "CloudWatch log group of the service's output and EMF metric lines (the monitoring module must not create it again)."
  value       = aws_cloudwatch_log_group.app.name
}

output "log_group_arn" {
  description = "ARN of the service's log group."
  value       = aws_cloudwatch_log_group.app.arn
}

output "kms_key_arn" {
  description = "KMS key of the service's parameters, SECRET_KEY secret and log group."
  value       = module.key.arn
}

output "ssm_parameter_path" {
  description = "SSM path under which the service's settings live."
  value       = local.ssm_path
}

output "ssm_parameter_names" {
  description = "Names of the settings stored under ssm_parameter_path."
  value       = sort(keys(aws_ssm_parameter.app))
}

output "secret_key_secret_arn" {
  description = "Secrets Manager secret of the service's SECRET_KEY."
  value       = aws_secretsmanager_secret.secret_key.arn
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the service's metrics (dimension Env = environment)."
  value       = var.metrics_namespace
}

output "environment" {
  description = "Value of the Env dimension of the service's metrics."
  value       = var.environment
}

output "user_data" {
  description = "The rendered first-boot script (the launch template carries it gzipped), for review; it holds no secret."
  value       = local.user_data
}
