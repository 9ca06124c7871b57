output "alb_security_group_id" {
  description = "Security group for the ALB (alb module input security_group_ids)."
  value       = aws_security_group.alb.id
}

output "app_security_group_id" {
  description = "Security group for the chat service instances (app-asg module input security_group_ids)."
  value       = aws_security_group.app.id
}

output "postgres_security_group_id" {
  description = "Security group for the RDS instance (postgres module input security_group_ids)."
  value       = aws_security_group.postgres.id
}

output "redis_security_group_id" {
  description = "Security group for the ElastiCache replication group (redis module input security_group_ids)."
  value       = aws_security_group.redis.id
}

output "ingress_rules" {
  description = "Every ingress rule, by flow name: group, port and source. For reviews and drift checks."
  value = {
    for k, r in local.ingress_rules : k => {
      security_group = r.security_group
      port           = r.port
      source         = coalesce(r.cidr_ipv4, r.prefix_list_id, r.source_group)
    }
  }
}

output "egress_rules" {
  description = "Every egress rule, by flow name: group, port and destination (a CIDR range, a prefix list id, or a group: alb, app, postgres, redis, endpoints)."
  value = {
    for k, r in local.egress_rules : k => {
      security_group = r.security_group
      port           = r.port
      destination    = coalesce(r.cidr_ipv4, r.prefix_list_id, r.target_group)
    }
  }
}
