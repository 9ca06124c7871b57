"""Routes CloudWatch alarm state changes to on-call receivers: Slack, PagerDuty, email, webhook."""
